//! A typed request for every service and action of the reference, and the [`Session`]
//! that turns one into a signed `http::Request`.

use std::fmt;

use http::header::{HeaderValue, CONTENT_TYPE};
use wbs_model::{
    Category, DeviceType, MeasureType, Notification, Subscription, Timestamp, User, UserId,
};
use wbs_oauth::{Credentials, OAuthParams, Placement, Signer};

use crate::decode::{self, BodyOf};
use crate::error::{InvalidRequest, ResponseError};
use wbs_model::DecodedPage;

/// The API's default base URL.
pub const DEFAULT_BASE_URL: &str = "https://wbsapi.withings.net";

/// One action of one service: its parameters, and how to decode its answer.
pub trait Call {
    /// The decoded result.
    type Output;
    /// The service (`measure`, `notify`, …): the path under the base URL.
    const SERVICE: &'static str;
    /// The action (`getmeas`, …).
    const ACTION: &'static str;
    /// Whether sending the call twice has the effect of sending it once, so that a transport
    /// may retry it after a failure that leaves unknown whether it was processed. Calls that
    /// change state (subscribe, revoke) are not.
    const IDEMPOTENT: bool = true;

    /// The user the call concerns, for logs (not every call has one).
    fn userid(&self) -> Option<UserId> {
        None
    }

    /// Checks the parameters and appends them (all but `action`) as (name, value).
    fn params(&self, out: &mut Vec<(&'static str, String)>) -> Result<(), InvalidRequest>;

    /// Decodes a response to this call.
    fn decode(status: http::StatusCode, body: &[u8]) -> Result<Self::Output, ResponseError>;
}

/// How parameters travel: the WBS API took both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HttpMethod {
    /// GET with every parameter in the query, sorted (as the reference's examples).
    #[default]
    Get,
    /// POST with every parameter in an `application/x-www-form-urlencoded` body.
    Post,
}

/// The credentials and settings that every request of one user shares.
///
/// ```
/// use wbs_oauth::Credentials;
/// use wbs_proto::{GetMeas, Session};
/// use wbs_model::UserId;
///
/// let session = Session::new(
///     Credentials::new("consumer-key", "consumer-secret"),
///     Credentials::new("token", "token-secret"),
/// )
/// .with_base_url("http://127.0.0.1:8080")?;
/// let request = session.request(&GetMeas::new(UserId::new(29)), "f22d74f2", 1309783586)?;
/// assert_eq!(request.method(), http::Method::GET);
/// assert!(request.uri().to_string().starts_with("http://127.0.0.1:8080/measure?action=getmeas&"));
/// # Ok::<(), wbs_proto::InvalidRequest>(())
/// ```
#[derive(Clone)]
pub struct Session {
    base_url: String,
    consumer_key: String,
    token: String,
    signer: Signer,
    method: HttpMethod,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("base_url", &self.base_url)
            .field("consumer_key", &self.consumer_key)
            .field("token", &self.token)
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session for a consumer (the application) and a user's access token, against
    /// [`DEFAULT_BASE_URL`] with GET.
    pub fn new(consumer: Credentials, token: Credentials) -> Self {
        let signer = Signer::hmac_sha1(&consumer.secret, Some(&token.secret));
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            consumer_key: consumer.key,
            token: token.key,
            signer,
            method: HttpMethod::Get,
        }
    }

    /// Another base URL (the sandbox's, say): absolute http(s), no query or fragment.
    pub fn with_base_url(mut self, base_url: &str) -> Result<Self, InvalidRequest> {
        self.base_url = check_base_url(base_url)?;
        Ok(self)
    }

    /// GET (the default) or POST.
    pub fn with_method(mut self, method: HttpMethod) -> Self {
        self.method = method;
        self
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Builds the signed request for a call. Nonce and timestamp are inputs (use a fresh
    /// random nonce for every request, also for every retry).
    pub fn request<C: Call>(
        &self,
        call: &C,
        nonce: &str,
        timestamp: u64,
    ) -> Result<http::Request<Vec<u8>>, InvalidRequest> {
        let mut params: Vec<(&'static str, String)> = vec![("action", C::ACTION.to_owned())];
        call.params(&mut params)?;
        let url = format!("{}/{}", self.base_url, C::SERVICE);
        let timestamp = timestamp.to_string();
        let oauth = OAuthParams::new(&self.consumer_key, nonce, &timestamp).token(&self.token);
        let method = match self.method {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
        };
        let signed = self.signer.sign(method, &url, &params, &oauth)?;
        match self.method {
            HttpMethod::Get => http::Request::get(signed.query_url())
                .body(Vec::new())
                .map_err(|_| InvalidRequest::Http),
            HttpMethod::Post => {
                let rendered = signed.render(Placement::Body);
                http::Request::post(rendered.url)
                    .header(
                        CONTENT_TYPE,
                        HeaderValue::from_static("application/x-www-form-urlencoded"),
                    )
                    .body(rendered.body.unwrap_or_default().into_bytes())
                    .map_err(|_| InvalidRequest::Http)
            }
        }
    }
}

/// An absolute http(s) URL without query or fragment, without its trailing `/`.
pub(crate) fn check_base_url(url: &str) -> Result<String, InvalidRequest> {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or(InvalidRequest::BaseUrl)?;
    if rest.is_empty() || rest.starts_with('/') || url.contains(['?', '#', ' ']) {
        return Err(InvalidRequest::BaseUrl);
    }
    Ok(url.trim_end_matches('/').to_owned())
}

fn check_userid(userid: UserId) -> Result<String, InvalidRequest> {
    if userid.get() > 0 {
        Ok(userid.to_string())
    } else {
        Err(InvalidRequest::UserId)
    }
}

/// A notification callback URL: absolute http(s), at most 128 characters (reference).
fn check_callback(url: &str) -> Result<String, InvalidRequest> {
    if url.is_empty() {
        return Err(InvalidRequest::CallbackUrl("absent"));
    }
    if url.chars().count() > 128 {
        return Err(InvalidRequest::CallbackUrl("longer than 128 characters"));
    }
    let lower = url.to_ascii_lowercase();
    let host = lower
        .strip_prefix("http://")
        .or_else(|| lower.strip_prefix("https://"))
        .ok_or(InvalidRequest::CallbackUrl("not an absolute http(s) URL"))?;
    if host.is_empty() || host.starts_with(['/', '?', '#']) {
        return Err(InvalidRequest::CallbackUrl("no host"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(InvalidRequest::CallbackUrl(
            "holds spaces or control characters",
        ));
    }
    Ok(url.to_owned())
}

/// The parameters every notify action shares: `userid`, `callbackurl` (all but list) and
/// the optional `appli`.
fn notify_params(
    out: &mut Vec<(&'static str, String)>,
    userid: UserId,
    callbackurl: Option<&str>,
    appli: Option<DeviceType>,
) -> Result<(), InvalidRequest> {
    out.push(("userid", check_userid(userid)?));
    if let Some(url) = callbackurl {
        out.push(("callbackurl", check_callback(url)?));
    }
    if let Some(a) = appli {
        out.push(("appli", a.code().to_string()));
    }
    Ok(())
}

/// once/probe: checks that the service answers and the signature is right.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Probe;

impl Call for Probe {
    type Output = ();
    const SERVICE: &'static str = "once";
    const ACTION: &'static str = "probe";

    fn params(&self, _: &mut Vec<(&'static str, String)>) -> Result<(), InvalidRequest> {
        Ok(())
    }

    fn decode(status: http::StatusCode, body: &[u8]) -> Result<(), ResponseError> {
        decode::response::<decode::NoBody>(status, body).map(|_| ())
    }
}

/// user/getbyuserid: the user's names, gender, birth date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetUser {
    /// The user.
    pub userid: UserId,
}

impl Call for GetUser {
    type Output = Vec<User>;
    const SERVICE: &'static str = "user";
    const ACTION: &'static str = "getbyuserid";

    fn userid(&self) -> Option<UserId> {
        Some(self.userid)
    }

    fn params(&self, out: &mut Vec<(&'static str, String)>) -> Result<(), InvalidRequest> {
        out.push(("userid", check_userid(self.userid)?));
        Ok(())
    }

    fn decode(status: http::StatusCode, body: &[u8]) -> Result<Vec<User>, ResponseError> {
        decode::response::<BodyOf<decode::Users>>(status, body).map(|b| b.0.users)
    }
}

/// measure/getmeas: measure groups, newest first, with every filter of the reference.
///
/// ```
/// use wbs_model::{DeviceType, MeasureType, Timestamp, UserId};
/// use wbs_proto::GetMeas;
/// let q = GetMeas::new(UserId::new(29))
///     .startdate(Timestamp::from_secs(1222819200))
///     .enddate(Timestamp::from_secs(1223190167))
///     .devtype(DeviceType::BODY_SCALE | DeviceType::BLOOD_PRESSURE_MONITOR)
///     .meastype(MeasureType::WEIGHT);
/// assert_eq!(q.limit, None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetMeas {
    /// The user.
    pub userid: UserId,
    /// Nothing dated before this.
    pub startdate: Option<Timestamp>,
    /// Nothing dated after this.
    pub enddate: Option<Timestamp>,
    /// Device types (a bitmask).
    pub devtype: Option<DeviceType>,
    /// One measure type (the reference: weight and height only).
    pub meastype: Option<MeasureType>,
    /// Only groups added or modified since this time (synchronisation).
    pub lastupdate: Option<Timestamp>,
    /// Measurements or targets.
    pub category: Option<Category>,
    /// At most this many groups (the server's implicit limit is 2048).
    pub limit: Option<u32>,
    /// Skip this many of the newest groups.
    pub offset: Option<u64>,
}

impl GetMeas {
    /// Every group of a user.
    pub fn new(userid: UserId) -> Self {
        Self {
            userid,
            startdate: None,
            enddate: None,
            devtype: None,
            meastype: None,
            lastupdate: None,
            category: None,
            limit: None,
            offset: None,
        }
    }

    /// What a notification announces: the user's groups between its start and end dates.
    pub fn for_notification(n: &Notification) -> Self {
        let mut q = Self::new(n.userid)
            .startdate(n.startdate)
            .enddate(n.enddate);
        q.devtype = n.appli;
        q
    }

    /// Sets `startdate`.
    pub fn startdate(mut self, t: Timestamp) -> Self {
        self.startdate = Some(t);
        self
    }

    /// Sets `enddate`.
    pub fn enddate(mut self, t: Timestamp) -> Self {
        self.enddate = Some(t);
        self
    }

    /// Sets `devtype`.
    pub fn devtype(mut self, d: DeviceType) -> Self {
        self.devtype = Some(d);
        self
    }

    /// Sets `meastype`.
    pub fn meastype(mut self, t: MeasureType) -> Self {
        self.meastype = Some(t);
        self
    }

    /// Sets `lastupdate`.
    pub fn lastupdate(mut self, t: Timestamp) -> Self {
        self.lastupdate = Some(t);
        self
    }

    /// Sets `category`.
    pub fn category(mut self, c: Category) -> Self {
        self.category = Some(c);
        self
    }

    /// Sets `limit`.
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }

    /// Sets `offset`.
    pub fn offset(mut self, n: u64) -> Self {
        self.offset = Some(n);
        self
    }
}

impl Call for GetMeas {
    type Output = DecodedPage;
    const SERVICE: &'static str = "measure";
    const ACTION: &'static str = "getmeas";

    fn userid(&self) -> Option<UserId> {
        Some(self.userid)
    }

    fn params(&self, out: &mut Vec<(&'static str, String)>) -> Result<(), InvalidRequest> {
        out.push(("userid", check_userid(self.userid)?));
        if let (Some(s), Some(e)) = (self.startdate, self.enddate) {
            if s > e {
                return Err(InvalidRequest::DateRange);
            }
        }
        if self.limit == Some(0) {
            return Err(InvalidRequest::ZeroLimit);
        }
        let mut opt = |name: &'static str, v: Option<String>| {
            if let Some(v) = v {
                out.push((name, v));
            }
        };
        opt("startdate", self.startdate.map(|t| t.to_string()));
        opt("enddate", self.enddate.map(|t| t.to_string()));
        opt("devtype", self.devtype.map(|d| d.code().to_string()));
        opt("meastype", self.meastype.map(|t| t.code().to_string()));
        opt("lastupdate", self.lastupdate.map(|t| t.to_string()));
        opt("category", self.category.map(|c| c.code().to_string()));
        opt("limit", self.limit.map(|n| n.to_string()));
        opt("offset", self.offset.map(|n| n.to_string()));
        Ok(())
    }

    fn decode(status: http::StatusCode, body: &[u8]) -> Result<DecodedPage, ResponseError> {
        decode::getmeas(status, body)
    }
}

/// notify/subscribe: ask the service to POST to `callbackurl` when the user's data changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscribe {
    /// The user.
    pub userid: UserId,
    /// Absolute http(s), at most 128 characters.
    pub callbackurl: String,
    /// Shown to the user; not empty.
    pub comment: String,
    /// The device type (default 1, body scale).
    pub appli: Option<DeviceType>,
}

impl Call for Subscribe {
    type Output = ();
    const SERVICE: &'static str = "notify";
    const ACTION: &'static str = "subscribe";

    const IDEMPOTENT: bool = false;

    fn userid(&self) -> Option<UserId> {
        Some(self.userid)
    }

    fn params(&self, out: &mut Vec<(&'static str, String)>) -> Result<(), InvalidRequest> {
        if self.comment.trim().is_empty() {
            return Err(InvalidRequest::EmptyComment);
        }
        notify_params(out, self.userid, Some(&self.callbackurl), self.appli)?;
        out.push(("comment", self.comment.clone()));
        Ok(())
    }

    fn decode(status: http::StatusCode, body: &[u8]) -> Result<(), ResponseError> {
        decode::response::<decode::NoBody>(status, body).map(|_| ())
    }
}

/// notify/get: whether a subscription exists, and its expiry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetSubscription {
    /// The user.
    pub userid: UserId,
    /// The URL given when subscribing.
    pub callbackurl: String,
    /// The device type (default 1, body scale).
    pub appli: Option<DeviceType>,
}

impl Call for GetSubscription {
    type Output = Subscription;
    const SERVICE: &'static str = "notify";
    const ACTION: &'static str = "get";

    fn userid(&self) -> Option<UserId> {
        Some(self.userid)
    }

    fn params(&self, out: &mut Vec<(&'static str, String)>) -> Result<(), InvalidRequest> {
        notify_params(out, self.userid, Some(&self.callbackurl), self.appli)
    }

    fn decode(status: http::StatusCode, body: &[u8]) -> Result<Subscription, ResponseError> {
        decode::response::<BodyOf<Subscription>>(status, body).map(|b| b.0)
    }
}

/// notify/list: every subscription of the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListSubscriptions {
    /// The user.
    pub userid: UserId,
    /// The device type (default 1, body scale).
    pub appli: Option<DeviceType>,
}

impl Call for ListSubscriptions {
    type Output = Vec<Subscription>;
    const SERVICE: &'static str = "notify";
    const ACTION: &'static str = "list";

    fn userid(&self) -> Option<UserId> {
        Some(self.userid)
    }

    fn params(&self, out: &mut Vec<(&'static str, String)>) -> Result<(), InvalidRequest> {
        notify_params(out, self.userid, None, self.appli)
    }

    fn decode(status: http::StatusCode, body: &[u8]) -> Result<Vec<Subscription>, ResponseError> {
        decode::response::<BodyOf<decode::Profiles>>(status, body).map(|b| b.0.profiles)
    }
}

/// notify/revoke: end a subscription.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revoke {
    /// The user.
    pub userid: UserId,
    /// The URL given when subscribing.
    pub callbackurl: String,
    /// The device type (default 1, body scale).
    pub appli: Option<DeviceType>,
}

impl Call for Revoke {
    type Output = ();
    const SERVICE: &'static str = "notify";
    const ACTION: &'static str = "revoke";

    const IDEMPOTENT: bool = false;

    fn userid(&self) -> Option<UserId> {
        Some(self.userid)
    }

    fn params(&self, out: &mut Vec<(&'static str, String)>) -> Result<(), InvalidRequest> {
        notify_params(out, self.userid, Some(&self.callbackurl), self.appli)
    }

    fn decode(status: http::StatusCode, body: &[u8]) -> Result<(), ResponseError> {
        decode::response::<decode::NoBody>(status, body).map(|_| ())
    }
}
