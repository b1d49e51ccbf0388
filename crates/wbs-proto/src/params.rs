//! The parameter contract of the API, defined once: each [`Call`] turns into its
//! parameters and is read back from them, so that clients and servers (the sandbox) agree
//! by construction, with one rule for each kind of value.

use std::borrow::Cow;

use arrayvec::ArrayString;

use wbs_model::{DeviceType, UserId};

use crate::calls::{
    GetSubscription, GetUser, ListSubscriptions, Probe, Revoke, Subscribe, UpdateSubscription,
};
use crate::error::{InvalidRequest, ResponseError};
use crate::getmeas::GetMeas;

/// The parameters a call writes: (name, value), all but `action`.
pub type ParamsOut<'a> = Vec<(&'static str, ParamValue<'a>)>;

/// A parameter's value as a call writes it: text it borrows or owns, or an integer
/// written in place (no allocation and no `fmt` on the signing path).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParamValue<'a> {
    /// Text.
    Text(Cow<'a, str>),
    /// An integer's decimal digits.
    Int(IntText),
}

impl AsRef<str> for ParamValue<'_> {
    fn as_ref(&self) -> &str {
        match self {
            Self::Text(t) => t,
            Self::Int(i) => i.as_str(),
        }
    }
}

impl<'a> From<&'a str> for ParamValue<'a> {
    fn from(s: &'a str) -> Self {
        Self::Text(Cow::Borrowed(s))
    }
}

impl From<i64> for ParamValue<'_> {
    fn from(n: i64) -> Self {
        Self::Int(IntText::new(itoa::Buffer::new().format(n)))
    }
}

impl From<u64> for ParamValue<'_> {
    fn from(n: u64) -> Self {
        Self::Int(IntText::new(itoa::Buffer::new().format(n)))
    }
}

/// An integer's decimal text, held inline (an `i64` or `u64` has at most 20 characters).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct IntText(ArrayString<20>);

impl IntText {
    fn new(text: &str) -> Self {
        // itoa writes at most 20 characters for a 64-bit integer, so this is never empty.
        Self(ArrayString::from(text).unwrap_or_default())
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Read on every signature: an `ArrayString` gives it without the UTF-8 check that
        // a byte array needs (three of them cost about 320 of a `Session::request`'s
        // 22,200 instructions).
        self.0.as_str()
    }
}

impl std::fmt::Debug for IntText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The items a [`Call`] impl of this crate states: its output, its service and action,
/// whether it is idempotent (when not), and the field naming the user (when it has one).
macro_rules! call_items {
    ($output:ty, $service:literal / $action:literal $(, idempotent: $idem:literal)? $(, user: $user:ident)?) => {
        type Output = $output;
        const SERVICE: &'static str = $service;
        const ACTION: &'static str = $action;
        $(const IDEMPOTENT: bool = $idem;)?
        $(fn userid(&self) -> Option<$crate::wbs_model::UserId> {
            Some(self.$user)
        })?
    };
}
pub(crate) use call_items;

/// One action of one service: its parameters, and how to decode its answer.
pub trait Call: Sized {
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
    fn params<'a>(&'a self, out: &mut ParamsOut<'a>) -> Result<(), InvalidRequest>;

    /// Reads the call back from a request's parameters, with the same checks as
    /// [`Call::params`]: what a server of the API accepts.
    fn from_params(params: &Params<'_>) -> Result<Self, InvalidRequest>;

    /// Decodes a response to this call.
    fn decode(status: http::StatusCode, body: &[u8]) -> Result<Self::Output, ResponseError>;
}

/// The parameter that names the action within a service (`action=getmeas`).
pub const ACTION_PARAM: &str = "action";

/// A request's parameters as a server received them (decoded), in order; the first of a
/// repeated name counts.
///
/// ```
/// use wbs_proto::{AnyCall, Params};
/// let params: Params = [("action", "getmeas"), ("userid", "29"), ("limit", "10")].into_iter().collect();
/// let AnyCall::GetMeas(q) = AnyCall::from_params("measure", &params)? else { unreachable!() };
/// assert_eq!((q.userid.get(), q.limit), (29, Some(10)));
/// # Ok::<(), wbs_proto::InvalidRequest>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Params<'a> {
    pairs: Vec<(&'a str, &'a str)>,
    /// The owner of the OAuth 2 token the call came with, if it came with one.
    bearer: Option<UserId>,
}

impl<'a> FromIterator<(&'a str, &'a str)> for Params<'a> {
    fn from_iter<I: IntoIterator<Item = (&'a str, &'a str)>>(iter: I) -> Self {
        Self {
            pairs: iter.into_iter().collect(),
            bearer: None,
        }
    }
}

impl<'a> Params<'a> {
    /// The same parameters, read as today's service reads a call made with an OAuth 2
    /// token of `owner`'s: `userid` defaults to the owner (the token names the user; its
    /// maintained clients send none), a subscription's `comment` may be absent, and a
    /// callback URL may be up to 255 characters.
    ///
    /// ```
    /// use wbs_model::UserId;
    /// use wbs_proto::{AnyCall, Params};
    /// let params: Params = [("action", "getmeas")].into_iter().collect();
    /// assert!(AnyCall::from_params("measure", &params).is_err());
    /// let call = AnyCall::from_params("measure", &params.with_bearer(UserId::new(29)))?;
    /// assert_eq!(call.userid(), Some(UserId::new(29)));
    /// # Ok::<(), wbs_proto::InvalidRequest>(())
    /// ```
    pub fn with_bearer(mut self, owner: UserId) -> Self {
        self.bearer = Some(owner);
        self
    }

    /// Whether the call came with an OAuth 2 token ([`Params::with_bearer`]).
    pub(crate) fn is_bearer(&self) -> bool {
        self.bearer.is_some()
    }

    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    /// The action the request names ([`ACTION_PARAM`]), if any.
    pub fn action(&self) -> Option<&'a str> {
        self.get(ACTION_PARAM)
    }

    /// An optional integer parameter (surrounding spaces allowed).
    pub(crate) fn int<T: std::str::FromStr>(
        &self,
        name: &'static str,
    ) -> Result<Option<T>, InvalidRequest> {
        self.get(name)
            .map(|v| {
                v.trim()
                    .parse()
                    .map_err(|_| InvalidRequest::InvalidParameter(name))
            })
            .transpose()
    }

    /// `userid`: present and a positive integer (absent: the token's owner, for a call
    /// made with an OAuth 2 token).
    pub(crate) fn userid(&self) -> Result<UserId, InvalidRequest> {
        match (self.int::<i64>("userid"), self.bearer) {
            (Ok(Some(id)), _) if id > 0 => Ok(UserId::new(id)),
            (Ok(None), Some(owner)) => Ok(owner),
            _ => Err(InvalidRequest::UserId),
        }
    }

    /// A callback URL parameter (`callbackurl`, `new_callbackurl`), under
    /// [`check_callback_url`] (today's 255 characters for a call made with an OAuth 2
    /// token).
    pub(crate) fn callbackurl(&self, name: &str) -> Result<String, InvalidRequest> {
        let length = match self.bearer {
            Some(_) => TODAY_URL_LENGTH,
            None => REFERENCE_URL_LENGTH,
        };
        callback_url_within(self.get(name).unwrap_or(""), length).map(str::to_owned)
    }

    /// A device-type parameter (`appli`, `new_appli`), if sent.
    pub(crate) fn appli(&self, name: &'static str) -> Result<Option<DeviceType>, InvalidRequest> {
        Ok(self.int::<i64>(name)?.map(DeviceType::from_code))
    }
}

/// Every call of the API, read from a request: what a server dispatches on.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AnyCall {
    /// once/probe.
    Probe(Probe),
    /// user/getbyuserid.
    GetUser(GetUser),
    /// measure/getmeas.
    GetMeas(GetMeas),
    /// notify/subscribe.
    Subscribe(Subscribe),
    /// notify/get.
    GetSubscription(GetSubscription),
    /// notify/list.
    ListSubscriptions(ListSubscriptions),
    /// notify/revoke.
    Revoke(Revoke),
    /// notify/update.
    UpdateSubscription(UpdateSubscription),
}

impl AnyCall {
    /// The call a request to `service` (the path, slashes ignored) with these parameters
    /// makes; `action` is among the parameters.
    pub fn from_params(service: &str, params: &Params<'_>) -> Result<Self, InvalidRequest> {
        let service = service.trim_matches('/');
        let action = params.action().unwrap_or("");
        macro_rules! dispatch {
            ($($variant:ident),*) => {
                $(if service == $variant::SERVICE && action == $variant::ACTION {
                    return $variant::from_params(params).map(Self::$variant);
                })*
            };
        }
        dispatch!(
            Probe,
            GetUser,
            GetMeas,
            Subscribe,
            GetSubscription,
            ListSubscriptions,
            Revoke,
            UpdateSubscription
        );
        Err(InvalidRequest::UnknownAction)
    }

    /// The user the call names (none for probe).
    pub fn userid(&self) -> Option<UserId> {
        match self {
            Self::Probe(c) => c.userid(),
            Self::GetUser(c) => c.userid(),
            Self::GetMeas(c) => c.userid(),
            Self::Subscribe(c) => c.userid(),
            Self::GetSubscription(c) => c.userid(),
            Self::ListSubscriptions(c) => c.userid(),
            Self::Revoke(c) => c.userid(),
            Self::UpdateSubscription(c) => c.userid(),
        }
    }
}

/// The services of [`AnyCall`]'s calls, each once: the endpoints a
/// [`Session`](crate::Session) parses once rather than at every request.
pub(crate) const SERVICES: [&str; 4] = [
    GetMeas::SERVICE,
    Subscribe::SERVICE,
    GetUser::SERVICE,
    Probe::SERVICE,
];

/// `userid` as sent: a positive integer.
pub(crate) fn check_userid(userid: UserId) -> Result<ParamValue<'static>, InvalidRequest> {
    if userid.get() > 0 {
        Ok(ParamValue::from(userid.get()))
    } else {
        Err(InvalidRequest::UserId)
    }
}

/// The rule for a notification callback URL (the reference: absolute http(s), at most 128
/// characters), shared by every client and server of the workspace: a host, and no spaces
/// or control characters.
///
/// ```
/// use wbs_proto::check_callback_url;
/// assert!(check_callback_url("https://example.com/wbs?u=1").is_ok());
/// assert!(check_callback_url("ftp://example.com/").is_err());
/// assert!(check_callback_url(&format!("http://e.com/{}", "a".repeat(120))).is_err());
/// ```
pub fn check_callback_url(url: &str) -> Result<&str, InvalidRequest> {
    callback_url_within(url, REFERENCE_URL_LENGTH)
}

/// How long a callback URL may be, and what a longer one is told.
#[derive(Clone, Copy)]
struct UrlLength {
    max: usize,
    too_long: &'static str,
}

/// The reference's: 128 characters.
const REFERENCE_URL_LENGTH: UrlLength = UrlLength {
    max: 128,
    too_long: "longer than 128 characters",
};

/// Today's service's: 255 characters.
const TODAY_URL_LENGTH: UrlLength = UrlLength {
    max: 255,
    too_long: "longer than 255 characters",
};

/// [`check_callback_url`]'s rule, under `length`.
fn callback_url_within(url: &str, length: UrlLength) -> Result<&str, InvalidRequest> {
    if url.is_empty() {
        return Err(InvalidRequest::CallbackUrl("absent"));
    }
    if url.chars().count() > length.max {
        return Err(InvalidRequest::CallbackUrl(length.too_long));
    }
    // Whitespace, control characters, fragments, scheme, host and port: the one URL rule.
    wbs_oauth::check_http_url(url).map_err(|e| {
        InvalidRequest::CallbackUrl(match e {
            wbs_oauth::Error::InvalidUrl(why) => why,
            _ => "not an absolute http(s) URL with a host",
        })
    })?;
    // The API calls it back: it must be a URI an HTTP client takes, too.
    url.parse::<http::Uri>()
        .map_err(|_| InvalidRequest::CallbackUrl("not a valid URI"))?;
    Ok(url)
}

/// The parameters every notify action shares: `userid`, `callbackurl` (all but list) and
/// the optional `appli`.
pub(crate) fn notify_params<'a>(
    out: &mut ParamsOut<'a>,
    userid: UserId,
    callbackurl: Option<&'a str>,
    appli: Option<DeviceType>,
) -> Result<(), InvalidRequest> {
    out.push(("userid", check_userid(userid)?));
    if let Some(url) = callbackurl {
        out.push(("callbackurl", ParamValue::from(check_callback_url(url)?)));
    }
    if let Some(a) = appli {
        out.push(("appli", ParamValue::from(a.code())));
    }
    Ok(())
}
