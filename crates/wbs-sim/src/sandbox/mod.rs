//! The sandbox's state and its request handler, without I/O: a request and the current
//! time in, a response out.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::{json, Value};
use wbs_proto::http::{self, header, HeaderValue, Response, StatusCode};
use wbs_proto::wbs_model::{DeviceType, GroupId, MeasureGroup, Status, User, UserId};
use wbs_proto::wbs_oauth::{Credentials, SignatureMethod};
use wbs_proto::{AnyCall, GetMeas, OAuthEndpoints, Params};

/// A request as the sandbox reads it: the whole body in memory.
pub type SimRequest = http::Request<Vec<u8>>;

/// An answer of the sandbox.
pub type SimResponse = Response<Vec<u8>>;

mod actions;
mod auth;
mod churn;
mod oauth2;

pub use churn::Churn;
pub use oauth2::{CLIENT_ID, CLIENT_SECRET};
mod reference;
mod tokens;

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
    /// The signature methods accepted: HMAC-SHA1 only, as the service (PLAINTEXT would be
    /// a downgrade), unless a test says otherwise.
    pub signature_methods: Vec<SignatureMethod>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            timestamp_window: 300,
            max_nonces: 100_000,
            signature_methods: vec![SignatureMethod::HmacSha1],
        }
    }
}

/// A user of the sandbox, with their access token and data.
#[derive(Clone, derive_more::Debug)]
#[debug("SimUser {{ user: {user:?}, token: {token:?}, groups: {}, .. }}", groups.len())]
pub struct SimUser {
    /// Profile (getbyuserid).
    pub user: User,
    /// The access token a client uses for this user.
    pub token: Credentials,
    groups: Vec<Stored>,
    subscriptions: Vec<Sub>,
    /// Groups sent in a getmeas answer (what churn deletes from).
    served: HashSet<GroupId>,
    /// Groups sent malformed (a date that is not a number), to test clients.
    malformed: HashSet<GroupId>,
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
    /// Token strings for the flow, from a fixed seed (deterministic, no OS RNG).
    tokens: fastrand::Rng,
    churn: Option<churn::ChurnState>,
    getmeas_answered: u64,
    /// Whose measures the last request handled read (getmeas), for the server's overlap
    /// count.
    last_read: Option<UserId>,
    oauth2: oauth2::OAuth2,
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
    fn response(self) -> SimResponse {
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
            tokens: fastrand::Rng::with_seed(0x5eed),
            churn: None,
            getmeas_answered: 0,
            last_read: None,
            oauth2: oauth2::OAuth2::default(),
        }
    }

    /// The OAuth 2 application credentials the sandbox accepts ([`CLIENT_ID`],
    /// [`CLIENT_SECRET`]).
    pub fn oauth2_client(&self) -> &wbs_oauth2::ClientCredentials {
        &self.oauth2.app
    }

    /// Moves the OAuth 2 clock forward (codes, access and refresh tokens, nonces expire by
    /// it): how tests cross expiries in seconds.
    pub fn advance_clock(&mut self, seconds: i64) {
        self.oauth2.clock_offset = self.oauth2.clock_offset.saturating_add(seconds);
    }

    /// How far the OAuth 2 clock is ahead of the server's, in seconds.
    pub fn clock_offset(&self) -> i64 {
        self.oauth2.clock_offset
    }

    /// An OAuth 2 access token's lifetime (default 3 hours).
    pub fn set_access_lifetime(&mut self, seconds: i64) {
        self.oauth2.access_lifetime = seconds.max(1);
    }

    /// Token sets issued: for an authorization code, and for a refresh token.
    pub fn oauth2_issued(&self) -> (u64, u64) {
        (self.oauth2.issued_codes, self.oauth2.refreshes)
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
                served: HashSet::new(),
                malformed: HashSet::new(),
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
    pub fn delete_group(&mut self, userid: UserId, grpid: GroupId) -> bool {
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

    /// The ids of a user's groups, in no particular order (empty for an unknown user).
    pub fn group_ids(&self, userid: UserId) -> Vec<GroupId> {
        self.users
            .get(&userid)
            .map(|u| u.groups.iter().map(|s| s.group.grpid).collect())
            .unwrap_or_default()
    }

    /// Sends a group malformed (its `date` a string that is no number) from now on, or
    /// whole again; returns false if there is no such user.
    pub fn set_malformed(&mut self, userid: UserId, grpid: GroupId, malformed: bool) -> bool {
        let Some(user) = self.users.get_mut(&userid) else {
            return false;
        };
        if malformed {
            user.malformed.insert(grpid);
        } else {
            user.malformed.remove(&grpid);
        }
        true
    }

    /// How many getmeas requests the sandbox has answered (after authentication).
    pub fn getmeas_answered(&self) -> u64 {
        self.getmeas_answered
    }

    /// Whose measures the request [`Sandbox::handle`] answered last read (a getmeas
    /// answered), taken: `None` for any other request.
    pub(crate) fn take_last_read(&mut self) -> Option<UserId> {
        self.last_read.take()
    }

    /// A fresh group id.
    pub fn next_grpid(&mut self) -> GroupId {
        self.next_grpid += 1;
        GroupId::new(self.next_grpid - 1)
    }

    /// The getmeas answer for a user's newest `limit` groups, without authentication (the
    /// admin path's, for benchmarks).
    pub fn raw_getmeas(&self, userid: UserId, limit: u32) -> Option<Value> {
        let query = GetMeas::new(userid).limit(limit.max(1));
        self.getmeas(userid, &query, 0, Era::Reference)
            .ok()
            .map(|(body, _)| body)
    }

    /// Answers one request at time `now` (Unix seconds). The URL's scheme and authority
    /// come from the request URI when absolute, else from its `Host` header.
    pub fn handle(&mut self, request: &SimRequest, now: u64) -> SimResponse {
        self.last_read = None;
        match request.uri().path() {
            OAuthEndpoints::REQUEST_TOKEN_PATH => {
                return self
                    .request_token(request, now)
                    .unwrap_or_else(Refusal::response)
            }
            OAuthEndpoints::AUTHORIZE_PATH => return self.authorize(request),
            OAuthEndpoints::ACCESS_TOKEN_PATH => {
                return self
                    .access_token(request, now)
                    .unwrap_or_else(Refusal::response)
            }
            wbs_oauth2::AUTHORIZE_PATH => return self.authorize2(request, now),
            wbs_oauth2::TOKEN_PATH => return self.requesttoken(request, now),
            wbs_oauth2::SIGNATURE_PATH => return self.getnonce(request, now),
            _ => {}
        }
        let (era, answer) = self.answer(request, now);
        let body = answer.unwrap_or_else(|status| json!({ "status": status.code() }));
        match era {
            Era::Reference => reply(body),
            Era::Today => json_reply(body),
        }
    }

    /// A data call: authenticated (OAuth 2 Bearer, or an OAuth 1 signature), read through
    /// the parameter contract, answered as the service of its protocol's era did.
    fn answer(&mut self, request: &SimRequest, now: u64) -> (Era, Result<Value, Status>) {
        let path = request.uri().path();
        let (call, owner, era) = match self.bearer_owner(request, now) {
            Some(Err(status)) => return (Era::Today, Err(status)),
            Some(Ok(owner)) => {
                let pairs = auth::plain_params(request);
                let params: Params = pairs
                    .iter()
                    .filter(|(n, _)| n != "access_token")
                    .map(|(n, v)| (n.as_str(), v.as_str()))
                    .collect();
                let params = params.with_bearer(owner);
                (AnyCall::from_params(path, &params), owner, Era::Today)
            }
            None => match self.authenticate(request, now) {
                Ok((incoming, owner)) => {
                    let params: Params = incoming.params().collect();
                    (AnyCall::from_params(path, &params), owner, Era::Reference)
                }
                Err(status) => return (Era::Reference, Err(status)),
            },
        };
        let answer = call.map_err(|e| e.api_status()).and_then(|call| {
            auth::check_owner(&call, owner)?;
            self.act(&call, owner, now, era)
        });
        (era, answer)
    }
}

/// Which service a data call was made to: the 2013 reference's (OAuth 1) or today's
/// (OAuth 2), whose answers differ in form.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Era {
    /// OAuth 1: JSON sent as `text/plain`; `more` counts the groups left, and it and
    /// `offset` come only when some are left.
    Reference,
    /// OAuth 2: `application/json`; `more` is 0 or 1 and `offset` always comes; every group
    /// carries `deviceid` and `hash_deviceid` (null when no device measured it); a
    /// subscription names its callback URL and device type, and a list without `appli` is
    /// of every device type. (The call itself is read by
    /// [`Params::with_bearer`](wbs_proto::Params::with_bearer)'s rules.) The notes name
    /// only `deviceid`; `hash_deviceid`, the profiles' fields and the list's default follow
    /// what maintained clients read (aiowithings) and do (Home Assistant revokes every
    /// type). Today's callback-URL rule (https, no IP or localhost, port 80 or 443) is not
    /// applied: the sandbox's clients listen on loopback.
    Today,
}

/// A plain-text answer, as the token endpoints gave.
fn text(status: StatusCode, body: &str) -> SimResponse {
    let mut response = Response::new(body.as_bytes().to_vec());
    *response.status_mut() = status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// HTTP 200 with the JSON text, as `text/plain`, as the 2013 service sent it.
fn reply(body: Value) -> SimResponse {
    let mut response = text(StatusCode::OK, "");
    *response.body_mut() = body.to_string().into_bytes();
    response
}

/// HTTP 200 with the JSON text as `application/json`, as today's service sends it (some
/// of its clients refuse any other type).
fn json_reply(body: Value) -> SimResponse {
    json_text(body.to_string())
}

/// [`json_reply`] for a JSON text already written (the token endpoint's envelope).
fn json_text(body: String) -> SimResponse {
    let mut response = Response::new(body.into_bytes());
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}
