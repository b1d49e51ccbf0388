//! The sandbox's state and its request handler, without I/O: a request and the current
//! time in, a response out.

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde_json::{json, Value};
use wbs_proto::http::{self, header, HeaderValue, Response, StatusCode};
use wbs_proto::wbs_model::{
    Attribution, Category, DeviceType, Measure, MeasureGroup, MeasureType, Status, Subscription,
    Timestamp, User, UserId,
};
use wbs_proto::wbs_oauth::{Credentials, Error as OAuthError, IncomingRequest};

/// Subscriptions one user may have (the reference: "not … more than 16").
pub const MAX_SUBSCRIPTIONS: usize = 16;
/// A subscription's expiry as the service reported it: never.
pub const NEVER_EXPIRES: i64 = 2_147_483_647;

/// How the sandbox checks requests.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Accepted distance between `oauth_timestamp` and the sandbox's clock, in seconds.
    pub timestamp_window: u64,
    /// Nonces remembered at most (they also expire with the window).
    pub max_nonces: usize,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            timestamp_window: 300,
            max_nonces: 100_000,
        }
    }
}

/// A user of the sandbox, with their access token and data.
#[derive(Clone)]
pub struct SimUser {
    /// Profile (getbyuserid).
    pub user: User,
    /// The access token a client uses for this user.
    pub token: Credentials,
    groups: Vec<Stored>,
    subscriptions: Vec<Sub>,
}

impl fmt::Debug for SimUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SimUser")
            .field("user", &self.user)
            .field("token", &self.token)
            .field("groups", &self.groups.len())
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug)]
struct Stored {
    group: MeasureGroup,
    devtype: DeviceType,
    /// When it was added or last modified, by the sandbox's clock.
    changed: i64,
}

#[derive(Clone, Debug)]
struct Sub {
    callbackurl: String,
    comment: String,
    appli: DeviceType,
}

/// The sandbox: its consumer, users, data and remembered nonces.
///
/// ```
/// use wbs_proto::http::StatusCode;
/// use wbs_proto::wbs_model::UserId;
/// use wbs_proto::{Call, GetUser, Session};
/// use wbs_sim::Sandbox;
///
/// let mut sim = Sandbox::with_reference_data();
/// let session = Session::new(sim.consumer().clone(), sim.user(UserId::new(29)).unwrap().token.clone())
///     .with_base_url("http://127.0.0.1:1")?;
/// let now = 1_700_000_000;
/// let response = sim.handle(&session.request(&GetUser { userid: UserId::new(29) }, "n1", now)?, now);
/// let users = GetUser::decode(response.status(), response.body())?;
/// assert_eq!(users[0].lastname.as_deref(), Some("Doe"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct Sandbox {
    config: SimConfig,
    consumer: Credentials,
    users: BTreeMap<UserId, SimUser>,
    nonces: HashMap<String, u64>,
    next_grpid: i64,
    outbox: Vec<Outgoing>,
    pending: HashMap<String, PendingToken>,
    token_counter: u64,
}

/// Why a token endpoint refused a request, answered as the service did.
#[derive(Clone, Copy, Debug)]
enum Refusal {
    /// Bad consumer credentials or signature: HTTP 500 with an empty body.
    Consumer,
    /// A bad or spent request token: `unauthorized token`.
    Token,
}

impl Refusal {
    fn response(self) -> Response<Vec<u8>> {
        match self {
            Self::Consumer => text(StatusCode::INTERNAL_SERVER_ERROR, ""),
            Self::Token => text(StatusCode::OK, "unauthorized token"),
        }
    }
}

/// A request token on its way through the three-legged flow.
#[derive(Clone, Debug)]
struct PendingToken {
    secret: String,
    callback: String,
    /// Set once the user approved.
    approved: Option<(UserId, String)>,
}

/// A notification to deliver: a form POST to a subscriber's callback URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    /// The subscriber's callback URL.
    pub url: String,
    /// The form body: `userid`, `startdate`, `enddate`, `appli`.
    pub body: String,
}

impl Sandbox {
    /// An empty sandbox with this consumer.
    pub fn new(consumer: Credentials, config: SimConfig) -> Self {
        Self {
            config,
            consumer,
            users: BTreeMap::new(),
            nonces: HashMap::new(),
            next_grpid: 1_000_000,
            outbox: Vec::new(),
            pending: HashMap::new(),
            token_counter: 0,
        }
    }

    /// The reference's examples: user 29 (John Doe) with measure groups 2909 and 2908 as
    /// in the getmeas example, and user 1229 (anonymous: id and first name only).
    /// Credentials are fixed so that examples and tests can name them.
    pub fn with_reference_data() -> Self {
        let mut sim = Self::new(
            Credentials::new("wbs-sandbox-consumer-key", "wbs-sandbox-consumer-secret"),
            SimConfig::default(),
        );
        let john = User {
            id: UserId::new(29),
            firstname: Some("John".into()),
            lastname: Some("Doe".into()),
            shortname: Some("JON".into()),
            gender: Some(wbs_proto::wbs_model::Gender::MALE),
            fatmethod: Some(0),
            birthdate: Some(Timestamp::from_secs(211_629_600)),
        };
        sim.add_user(
            john,
            Credentials::new("wbs-sandbox-token-29", "wbs-sandbox-token-secret-29"),
        );
        let anonymous = User {
            id: UserId::new(1229),
            firstname: Some("Guest".into()),
            lastname: None,
            shortname: None,
            gender: None,
            fatmethod: None,
            birthdate: None,
        };
        sim.add_user(
            anonymous,
            Credentials::new("wbs-sandbox-token-1229", "wbs-sandbox-token-secret-1229"),
        );
        let date = Timestamp::from_secs(1_222_930_968);
        let weighing = MeasureGroup::new(
            2909.into(),
            Attribution::DEVICE,
            date,
            Category::MEASURE,
            vec![
                Measure::new(MeasureType::WEIGHT, 79_300, -3),
                Measure::new(MeasureType::FAT_FREE_MASS, 652, -1),
                Measure::new(MeasureType::FAT_RATIO, 178, -1),
                Measure::new(MeasureType::FAT_MASS_WEIGHT, 14_125, -3),
            ],
        );
        let height = MeasureGroup::new(
            2908.into(),
            Attribution::DEVICE,
            date,
            Category::MEASURE,
            vec![Measure::new(MeasureType::HEIGHT, 173, -2)],
        );
        sim.insert_group(
            UserId::new(29),
            weighing,
            DeviceType::BODY_SCALE,
            1_249_409_679,
        );
        sim.insert_group(UserId::new(29), height, DeviceType::USER, 1_249_409_679);
        sim
    }

    /// Changes how many nonces are remembered (benchmarks send many requests a second).
    pub fn set_max_nonces(&mut self, n: usize) {
        self.config.max_nonces = n;
    }

    /// Changes the accepted distance of `oauth_timestamp` from the clock.
    pub fn set_timestamp_window(&mut self, seconds: u64) {
        self.config.timestamp_window = seconds;
    }

    /// The consumer (application) credentials the sandbox accepts.
    pub fn consumer(&self) -> &Credentials {
        &self.consumer
    }

    /// A user and their token.
    pub fn user(&self, userid: UserId) -> Option<&SimUser> {
        self.users.get(&userid)
    }

    /// Every user.
    pub fn users(&self) -> impl Iterator<Item = &SimUser> {
        self.users.values()
    }

    /// Adds (or replaces) a user with the access token clients will use.
    pub fn add_user(&mut self, user: User, token: Credentials) {
        self.users.insert(
            user.id,
            SimUser {
                user,
                token,
                groups: Vec::new(),
                subscriptions: Vec::new(),
            },
        );
    }

    /// Adds or replaces (same `grpid`) a measure group of a user, as changed at `now`, and
    /// queues a notification for every subscription of that user whose `appli` covers the
    /// group's device type. Returns false if there is no such user.
    pub fn insert_group(
        &mut self,
        userid: UserId,
        group: MeasureGroup,
        devtype: DeviceType,
        now: i64,
    ) -> bool {
        let Some(user) = self.users.get_mut(&userid) else {
            return false;
        };
        self.next_grpid = self.next_grpid.max(group.grpid.get().saturating_add(1));
        user.groups.retain(|s| s.group.grpid != group.grpid);
        let date = group.date.secs();
        user.groups.push(Stored {
            group,
            devtype,
            changed: now,
        });
        self.notify(userid, date, date, devtype);
        true
    }

    /// Appends a group whose `grpid` is new (generated data): no replacement scan and no
    /// notification, so that generating a long history stays linear.
    pub(crate) fn push_new_group(
        &mut self,
        userid: UserId,
        group: MeasureGroup,
        devtype: DeviceType,
        changed: i64,
    ) {
        if let Some(user) = self.users.get_mut(&userid) {
            self.next_grpid = self.next_grpid.max(group.grpid.get().saturating_add(1));
            user.groups.push(Stored {
                group,
                devtype,
                changed,
            });
        }
    }

    /// Deletes a measure group (and notifies, as the service did for any change); returns
    /// whether it existed.
    pub fn delete_group(&mut self, userid: UserId, grpid: wbs_proto::wbs_model::GroupId) -> bool {
        let Some(user) = self.users.get_mut(&userid) else {
            return false;
        };
        let Some(at) = user.groups.iter().position(|s| s.group.grpid == grpid) else {
            return false;
        };
        let removed = user.groups.remove(at);
        let date = removed.group.date.secs();
        self.notify(userid, date, date, removed.devtype);
        true
    }

    /// Notifications waiting to be delivered (the server drains these).
    pub fn take_notifications(&mut self) -> Vec<Outgoing> {
        std::mem::take(&mut self.outbox)
    }

    fn notify(&mut self, userid: UserId, startdate: i64, enddate: i64, devtype: DeviceType) {
        let Some(user) = self.users.get(&userid) else {
            return;
        };
        for sub in &user.subscriptions {
            // User data (device type 0) belongs with the body scale (appli 1).
            let covers = if devtype.code() == 0 {
                sub.appli.code() == 1
            } else {
                sub.appli.code() & devtype.code() != 0
            };
            if covers {
                self.outbox.push(Outgoing {
                    url: sub.callbackurl.clone(),
                    body: format!(
                        "userid={userid}&startdate={startdate}&enddate={enddate}&appli={}",
                        sub.appli.code()
                    ),
                });
            }
        }
    }

    /// A fresh group id.
    pub fn next_grpid(&mut self) -> wbs_proto::wbs_model::GroupId {
        self.next_grpid += 1;
        wbs_proto::wbs_model::GroupId::new(self.next_grpid - 1)
    }

    /// The getmeas answer for a user's newest `limit` groups, without authentication (the
    /// admin path's, for benchmarks).
    pub fn raw_getmeas(&self, userid: UserId, limit: i64) -> Option<Value> {
        self.users.get(&userid)?;
        let limit = limit.to_string();
        let params: HashMap<&str, &str> = [("limit", limit.as_str())].into_iter().collect();
        self.getmeas(userid, &params, 0).ok()
    }

    /// Answers one request at time `now` (Unix seconds). The URL's scheme and authority
    /// come from the request URI when absolute, else from its `Host` header.
    pub fn handle(&mut self, request: &http::Request<Vec<u8>>, now: u64) -> Response<Vec<u8>> {
        match request.uri().path() {
            "/account/request_token" => return self.request_token(request, now),
            "/account/authorize" => return self.authorize(request),
            "/account/access_token" => return self.access_token(request, now),
            _ => {}
        }
        match self.answer(request, now) {
            Ok(body) => reply(body),
            Err(status) => reply(json!({ "status": status.code() })),
        }
    }

    fn answer(&mut self, request: &http::Request<Vec<u8>>, now: u64) -> Result<Value, Status> {
        let incoming = self.authenticate(request, now)?;
        let service = request.uri().path().trim_matches('/');
        let action = incoming.param("action").unwrap_or("");
        let params: HashMap<&str, &str> = incoming.params().collect();
        let user = self.user_for(&incoming, &params)?;
        match (service, action) {
            ("once", "probe") => Ok(json!({"status": 0})),
            ("user", "getbyuserid") => Ok(
                json!({"status": 0, "body": {"users": [self.users.get(&user).map(|u| &u.user)]}}),
            ),
            ("measure", "getmeas") => self.getmeas(user, &params, now),
            ("notify", "subscribe") => self.subscribe(user, &params),
            ("notify", "get") => self.notify_get(user, &params),
            ("notify", "list") => self.notify_list(user, &params),
            ("notify", "revoke") => self.revoke(user, &params),
            _ => Err(Status::UNKNOWN_ACTION),
        }
    }

    /// Parses and verifies the OAuth signature; records the nonce once it verifies.
    fn authenticate(
        &mut self,
        request: &http::Request<Vec<u8>>,
        now: u64,
    ) -> Result<IncomingRequest, Status> {
        let incoming = parse_signed(request).ok_or(Status::INVALID_SIGNATURE)?;
        if incoming.consumer_key() != self.consumer.key {
            return Err(Status::CREDENTIALS_MISMATCH);
        }
        let token = incoming.token().ok_or(Status::CREDENTIALS_MISMATCH)?;
        let secret = self
            .users
            .values()
            .find(|u| u.token.key == token)
            .map(|u| u.token.secret.clone())
            .ok_or(Status::CREDENTIALS_MISMATCH)?;
        let ts = incoming.timestamp().ok_or(Status::INVALID_SIGNATURE)?;
        if ts.abs_diff(now) > self.config.timestamp_window {
            return Err(Status::INVALID_SIGNATURE);
        }
        let nonce_key = format!(
            "{}\u{0}{}\u{0}{}",
            token,
            incoming.nonce().unwrap_or(""),
            ts
        );
        if self.nonces.contains_key(&nonce_key) {
            return Err(Status::INVALID_SIGNATURE);
        }
        match incoming.verify(&self.consumer.secret, Some(&secret)) {
            Ok(()) => {}
            Err(OAuthError::BadSignature | OAuthError::MalformedSignature) | Err(_) => {
                return Err(Status::INVALID_SIGNATURE)
            }
        }
        self.remember(nonce_key, ts, now)?;
        Ok(incoming)
    }

    /// A fresh token string: deterministic (a counter mixed by splitmix64), unguessable
    /// enough for a local sandbox, and no RNG in this core.
    fn fresh_token(&mut self, kind: &str) -> String {
        self.token_counter += 1;
        let mut z = self.token_counter.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5bd1_e995_1234_5678;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        format!("sandbox-{kind}-{:016x}", z ^ (z >> 31))
    }

    /// Checks a token endpoint's request; the token secret is the pending request token's
    /// when `with_token`.
    fn verify_token_request(
        &mut self,
        request: &http::Request<Vec<u8>>,
        now: u64,
        with_token: bool,
    ) -> Result<IncomingRequest, Refusal> {
        let incoming = parse_signed(request).ok_or(Refusal::Consumer)?;
        if incoming.consumer_key() != self.consumer.key {
            return Err(Refusal::Consumer);
        }
        let token_secret = match (with_token, incoming.token()) {
            (true, Some(t)) => Some(
                self.pending
                    .get(t)
                    .map(|p| p.secret.clone())
                    .ok_or(Refusal::Token)?,
            ),
            (true, None) => return Err(Refusal::Token),
            (false, _) => None,
        };
        let ts = incoming.timestamp().ok_or(Refusal::Consumer)?;
        let nonce_key = format!(
            "{}\u{0}{}\u{0}{}",
            incoming.token().unwrap_or(""),
            incoming.nonce().unwrap_or(""),
            ts
        );
        if ts.abs_diff(now) > self.config.timestamp_window || self.nonces.contains_key(&nonce_key) {
            return Err(Refusal::Consumer);
        }
        let secret = token_secret.map(wbs_proto::wbs_oauth::Secret::new);
        incoming
            .verify(&self.consumer.secret, secret.as_ref())
            .map_err(|_| Refusal::Consumer)?;
        self.remember(nonce_key, ts, now)
            .map_err(|_| Refusal::Consumer)?;
        Ok(incoming)
    }

    /// Temporary credentials (RFC 5849 §2.1), with `oauth_callback` (a URL or `oob`).
    fn request_token(&mut self, request: &http::Request<Vec<u8>>, now: u64) -> Response<Vec<u8>> {
        let incoming = match self.verify_token_request(request, now, false) {
            Ok(i) => i,
            Err(refusal) => return refusal.response(),
        };
        let Some(callback) = incoming.callback().map(str::to_owned) else {
            return text(StatusCode::BAD_REQUEST, "oauth_callback is required");
        };
        let token = self.fresh_token("request");
        let secret = self.fresh_token("request-secret");
        self.pending.insert(
            token.clone(),
            PendingToken {
                secret: secret.clone(),
                callback,
                approved: None,
            },
        );
        // As the service answered: no oauth_callback_confirmed.
        text(
            StatusCode::OK,
            &format!("oauth_token={token}&oauth_token_secret={secret}"),
        )
    }

    /// Resource owner authorization (§2.2): the sandbox approves at once, for `userid` if
    /// the query names one (else the first user), and redirects to the callback.
    fn authorize(&mut self, request: &http::Request<Vec<u8>>) -> Response<Vec<u8>> {
        let query = request.uri().query().unwrap_or("");
        let param = |name: &str| {
            query
                .split('&')
                .filter_map(|kv| kv.split_once('='))
                .find(|(k, _)| *k == name)
                .and_then(|(_, v)| {
                    wbs_proto::wbs_oauth::form_decode(v)
                        .ok()
                        .map(|v| v.into_owned())
                })
        };
        let Some(token) = param("oauth_token") else {
            return text(StatusCode::BAD_REQUEST, "oauth_token is required");
        };
        let userid = match param("userid").and_then(|u| u.parse::<i64>().ok()) {
            Some(u) => UserId::new(u),
            None => match self.users.keys().next() {
                Some(u) => *u,
                None => return text(StatusCode::BAD_REQUEST, "the sandbox has no user"),
            },
        };
        if !self.users.contains_key(&userid) {
            return text(StatusCode::BAD_REQUEST, "no such user");
        }
        let verifier = self.fresh_token("verifier");
        let Some(pending) = self.pending.get_mut(&token) else {
            return Refusal::Token.response();
        };
        pending.approved = Some((userid, verifier.clone()));
        if pending.callback == "oob" {
            return text(
                StatusCode::OK,
                &format!("oauth_verifier={verifier}&userid={userid}"),
            );
        }
        let separator = if pending.callback.contains('?') {
            '&'
        } else {
            '?'
        };
        let location = format!(
            "{}{separator}userid={userid}&oauth_token={}&oauth_verifier={verifier}",
            pending.callback,
            wbs_proto::wbs_oauth::percent_encode(&token)
        );
        let mut response = text(StatusCode::FOUND, "");
        if let Ok(value) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(header::LOCATION, value);
        }
        response
    }

    /// Token credentials (§2.3): the approved user's access token and their `userid`.
    fn access_token(&mut self, request: &http::Request<Vec<u8>>, now: u64) -> Response<Vec<u8>> {
        let incoming = match self.verify_token_request(request, now, true) {
            Ok(i) => i,
            Err(refusal) => return refusal.response(),
        };
        let token = incoming.token().unwrap_or("").to_owned();
        let approved = self.pending.get(&token).and_then(|p| p.approved.clone());
        match approved {
            Some((userid, verifier)) if incoming.verifier() == Some(verifier.as_str()) => {
                // A request token is good for one exchange.
                self.pending.remove(&token);
                match self.users.get(&userid) {
                    Some(u) => text(
                        StatusCode::OK,
                        &format!(
                            "oauth_token={}&oauth_token_secret={}&userid={userid}",
                            u.token.key,
                            u.token.secret.expose()
                        ),
                    ),
                    None => Refusal::Token.response(),
                }
            }
            _ => Refusal::Token.response(),
        }
    }

    fn remember(&mut self, key: String, ts: u64, now: u64) -> Result<(), Status> {
        if self.nonces.len() >= self.config.max_nonces {
            let window = self.config.timestamp_window;
            self.nonces.retain(|_, t| t.abs_diff(now) <= window);
            if self.nonces.len() >= self.config.max_nonces {
                // Bounded memory: refuse rather than forget a nonce still inside the window.
                return Err(Status::UNKNOWN_ERROR);
            }
        }
        self.nonces.insert(key, ts);
        Ok(())
    }

    /// The user the token belongs to; the `userid` parameter must name them (247 if absent
    /// or malformed, 250 if another user's).
    fn user_for(
        &self,
        incoming: &IncomingRequest,
        params: &HashMap<&str, &str>,
    ) -> Result<UserId, Status> {
        let token = incoming.token().unwrap_or("");
        let owner = self
            .users
            .values()
            .find(|u| u.token.key == token)
            .map(|u| u.user.id)
            .ok_or(Status::CREDENTIALS_MISMATCH)?;
        if params.get("action") == Some(&"probe") {
            return Ok(owner);
        }
        let userid = params
            .get("userid")
            .and_then(|v| v.parse::<i64>().ok())
            .filter(|&v| v > 0)
            .ok_or(Status::INVALID_USERID)?;
        if userid != owner.get() {
            return Err(Status::CREDENTIALS_MISMATCH);
        }
        Ok(owner)
    }

    fn getmeas(
        &self,
        userid: UserId,
        params: &HashMap<&str, &str>,
        now: u64,
    ) -> Result<Value, Status> {
        let int = |name: &str| -> Result<Option<i64>, Status> {
            params
                .get(name)
                .map(|v| v.parse::<i64>().map_err(|_| Status::UNKNOWN_ERROR))
                .transpose()
        };
        let (start, end, lastupdate) = (int("startdate")?, int("enddate")?, int("lastupdate")?);
        let devtype = int("devtype")?;
        let meastype = int("meastype")?;
        let category = int("category")?;
        let limit = int("limit")?.unwrap_or(2048).clamp(1, 2048) as usize;
        let offset = int("offset")?.unwrap_or(0).max(0) as usize;
        let user = self.users.get(&userid).ok_or(Status::INVALID_USERID)?;
        let mut groups: Vec<&Stored> = user
            .groups
            .iter()
            .filter(|s| start.is_none_or(|t| s.group.date.secs() >= t))
            .filter(|s| end.is_none_or(|t| s.group.date.secs() <= t))
            .filter(|s| lastupdate.is_none_or(|t| s.changed > t))
            .filter(|s| {
                devtype.is_none_or(|d| {
                    if d == 0 {
                        s.devtype.code() == 0
                    } else {
                        s.devtype.code() & d != 0
                    }
                })
            })
            .filter(|s| meastype.is_none_or(|t| s.group.get(MeasureType::from_code(t)).is_some()))
            .filter(|s| category.is_none_or(|c| s.group.category.code() == c))
            .collect();
        groups.sort_by(|a, b| {
            b.group
                .date
                .cmp(&a.group.date)
                .then(b.group.grpid.cmp(&a.group.grpid))
        });
        let total = groups.len();
        let page: Vec<&MeasureGroup> = groups
            .iter()
            .skip(offset)
            .take(limit)
            .map(|s| &s.group)
            .collect();
        let shown = offset.saturating_add(page.len()).min(total);
        let mut body = json!({"updatetime": now, "measuregrps": page});
        if shown < total {
            body["more"] = json!(total - shown);
            body["offset"] = json!(shown);
        }
        Ok(json!({"status": 0, "body": body}))
    }

    fn subscribe(&mut self, userid: UserId, params: &HashMap<&str, &str>) -> Result<Value, Status> {
        let url = callback(params)?;
        let comment = params
            .get("comment")
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
            .ok_or(Status::INVALID_COMMENT)?;
        let appli = appli(params)?;
        let user = self.users.get_mut(&userid).ok_or(Status::INVALID_USERID)?;
        if let Some(existing) = user
            .subscriptions
            .iter_mut()
            .find(|s| s.callbackurl == url && s.appli == appli)
        {
            existing.comment = comment.to_owned();
        } else {
            if user.subscriptions.len() >= MAX_SUBSCRIPTIONS {
                return Err(Status::TOO_MANY_NOTIFICATIONS);
            }
            user.subscriptions.push(Sub {
                callbackurl: url.to_owned(),
                comment: comment.to_owned(),
                appli,
            });
        }
        Ok(json!({"status": 0}))
    }

    fn notify_get(&self, userid: UserId, params: &HashMap<&str, &str>) -> Result<Value, Status> {
        let url = callback(params)?;
        let appli = appli(params)?;
        let user = self.users.get(&userid).ok_or(Status::INVALID_USERID)?;
        let sub = user
            .subscriptions
            .iter()
            .find(|s| s.callbackurl == url && s.appli == appli)
            .ok_or(Status::NO_SUCH_SUBSCRIPTION)?;
        Ok(json!({"status": 0, "body": subscription(sub)}))
    }

    fn notify_list(&self, userid: UserId, params: &HashMap<&str, &str>) -> Result<Value, Status> {
        let appli = appli(params)?;
        let user = self.users.get(&userid).ok_or(Status::INVALID_USERID)?;
        let profiles: Vec<Subscription> = user
            .subscriptions
            .iter()
            .filter(|s| s.appli == appli)
            .map(subscription)
            .collect();
        Ok(json!({"status": 0, "body": {"profiles": profiles}}))
    }

    fn revoke(&mut self, userid: UserId, params: &HashMap<&str, &str>) -> Result<Value, Status> {
        let url = callback(params)?;
        let appli = appli(params)?;
        let user = self.users.get_mut(&userid).ok_or(Status::INVALID_USERID)?;
        let before = user.subscriptions.len();
        user.subscriptions
            .retain(|s| !(s.callbackurl == url && s.appli == appli));
        if user.subscriptions.len() == before {
            return Err(Status::SUBSCRIPTION_NOT_DELETED);
        }
        Ok(json!({"status": 0}))
    }
}

fn subscription(s: &Sub) -> Subscription {
    Subscription {
        expires: Timestamp::from_secs(NEVER_EXPIRES),
        comment: s.comment.clone(),
    }
}

/// The callback URL: absolute http(s), at most 128 characters (else 293).
fn callback<'a>(params: &HashMap<&str, &'a str>) -> Result<&'a str, Status> {
    let url = params.get("callbackurl").copied().unwrap_or("");
    let lower = url.to_ascii_lowercase();
    let host = lower
        .strip_prefix("http://")
        .or_else(|| lower.strip_prefix("https://"));
    match host {
        Some(h)
            if !h.is_empty()
                && url.chars().count() <= 128
                && !url.contains(char::is_whitespace) =>
        {
            Ok(url)
        }
        _ => Err(Status::INVALID_CALLBACK_URL),
    }
}

/// `appli`, default 1 (body scale).
fn appli(params: &HashMap<&str, &str>) -> Result<DeviceType, Status> {
    match params.get("appli") {
        None => Ok(DeviceType::BODY_SCALE),
        Some(v) => v
            .parse::<i64>()
            .map(DeviceType::from_code)
            .map_err(|_| Status::UNKNOWN_ERROR),
    }
}

/// The OAuth protocol parameters of a request, wherever they travel (query, `Authorization`
/// header, or a form body when the content type says so); `None` if it is no OAuth request.
fn parse_signed(request: &http::Request<Vec<u8>>) -> Option<IncomingRequest> {
    let url = full_url(request)?;
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let body = is_form.then_some(request.body().as_slice());
    IncomingRequest::parse(request.method().as_str(), &url, authorization, body).ok()
}

/// The URL the client addressed: absolute request URIs as they are, else `http://` with
/// the `Host` header.
fn full_url(request: &http::Request<Vec<u8>>) -> Option<String> {
    let uri = request.uri();
    if uri.scheme().is_some() {
        return Some(uri.to_string());
    }
    let host = request.headers().get(header::HOST)?.to_str().ok()?;
    Some(format!(
        "http://{host}{}",
        uri.path_and_query().map_or("/", |p| p.as_str())
    ))
}

/// A plain-text answer, as the token endpoints gave.
fn text(status: StatusCode, body: &str) -> Response<Vec<u8>> {
    let mut response = Response::new(body.as_bytes().to_vec());
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// HTTP 200 with the JSON text, as `text/plain`, as the service sent it.
fn reply(body: Value) -> Response<Vec<u8>> {
    let mut response = Response::new(body.to_string().into_bytes());
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    *response.status_mut() = StatusCode::OK;
    response
}
