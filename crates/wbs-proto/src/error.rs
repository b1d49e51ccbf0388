//! Errors: a request that cannot be built, and a response that cannot be used.

use std::sync::Arc;

use wbs_model::Status;

/// A request was refused before anything was sent, or (read by a server through
/// [`crate::AnyCall::from_params`]) a request's parameters break the contract; the variant
/// says what is wrong, and [`InvalidRequest::api_status`] how the service answers it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidRequest {
    /// `userid` must be a positive integer.
    #[error("userid must be a positive integer")]
    UserId,
    /// `callbackurl` must be an absolute http(s) URL of at most 128 characters; the text
    /// says which rule it breaks.
    #[error("invalid callbackurl: {0}")]
    CallbackUrl(&'static str),
    /// `comment` must not be empty.
    #[error("comment must not be empty")]
    EmptyComment,
    /// `startdate` is after `enddate`.
    #[error("startdate is after enddate")]
    DateRange,
    /// `limit` must be at least 1.
    #[error("limit must be at least 1")]
    ZeroLimit,
    /// A parameter that must be an integer is not one.
    #[error("parameter {0} is not a valid integer")]
    InvalidParameter(&'static str),
    /// No call of the API has this service and action.
    #[error("unknown service or action")]
    UnknownAction,
    /// A base URL or endpoint is not an absolute http(s) URL without query or fragment.
    #[error("base URL must be an absolute http(s) URL without query or fragment")]
    BaseUrl,
    /// Signing failed (for example a parameter that is not valid text).
    #[error("cannot sign the request")]
    Signing(#[from] wbs_oauth::Error),
    /// The `http` crate refused the request parts.
    #[error("invalid HTTP request parts")]
    Http(#[from] HttpError),
    /// An OAuth 1 request from a session without OAuth 1 credentials (an OAuth 2 one).
    #[error("this session has no OAuth 1 credentials: send a Bearer request")]
    NotOAuth1,
    /// An access token that cannot travel in an `Authorization` header.
    #[error("the access token is not valid header text")]
    AccessToken,
}

impl InvalidRequest {
    /// The status the service answers a request with these parameters: 247 for the
    /// userid, 293 for the callback URL, 304 for the comment, 2554 for an unknown action,
    /// 2555 for anything else.
    pub fn api_status(&self) -> Status {
        match self {
            Self::UserId => Status::INVALID_USERID,
            Self::CallbackUrl(_) => Status::INVALID_CALLBACK_URL,
            Self::EmptyComment => Status::INVALID_COMMENT,
            Self::UnknownAction => Status::UNKNOWN_ACTION,
            _ => Status::UNKNOWN_ERROR,
        }
    }
}

/// The `http` crate's error, kept as the cause of [`InvalidRequest::Http`] (shared, so
/// that the request error stays `Clone`; equal when their messages are).
#[derive(Clone, Debug, thiserror::Error)]
#[error(transparent)]
pub struct HttpError(Arc<http::Error>);

impl PartialEq for HttpError {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_string() == other.0.to_string()
    }
}

impl Eq for HttpError {}

impl From<http::Error> for InvalidRequest {
    fn from(e: http::Error) -> Self {
        Self::Http(HttpError(Arc::new(e)))
    }
}

/// A response could not be turned into the action's result.
///
/// The API's own refusal (a non-zero `status`) is [`ResponseError::Api`]; everything else
/// is a transport or format problem. Excerpts are short, printable and never hold a token
/// secret.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResponseError {
    /// The API answered with a non-zero status.
    #[error("{}", api_message(*.0))]
    Api(Status),
    /// The HTTP status was not a success.
    #[error("HTTP status {status}; body starts {excerpt:?}")]
    Http {
        /// The HTTP status code.
        status: u16,
        /// The start of the body.
        excerpt: String,
    },
    /// The body ends before the JSON document does (a dropped connection).
    #[error("response body is truncated; it ends {excerpt:?}")]
    Truncated {
        /// The end of what arrived.
        excerpt: String,
    },
    /// The body is not JSON (the real API answered some errors in plain text).
    #[error("response body is not JSON; it starts {excerpt:?}")]
    NotJson {
        /// The start of the body.
        excerpt: String,
    },
    /// A field the action needs is absent.
    #[error("response has no {0}")]
    MissingField(&'static str),
    /// A field has the wrong shape; the text says how.
    #[error("response field {field} is invalid: {detail}")]
    InvalidField {
        /// The field.
        field: &'static str,
        /// What was wrong.
        detail: String,
    },
}

/// Whether an HTTP status says that sending again later may succeed: 5xx (the server or a
/// proxy failed) and 429 (too many requests). Every answer of the API and of its token
/// endpoints is read by this one rule.
pub(crate) fn transient_http(status: u16) -> bool {
    status >= 500 || status == 429
}

impl ResponseError {
    /// Whether sending the request again may succeed: truncated bodies, HTTP 5xx and 429,
    /// non-JSON bodies (a proxy's error page), and the API's transient and rate-limit
    /// statuses.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Api(s) => s.is_transient() || s.is_rate_limited(),
            Self::Http { status, .. } => transient_http(*status),
            Self::Truncated { .. } | Self::NotJson { .. } => true,
            Self::MissingField(_) | Self::InvalidField { .. } => false,
        }
    }

    /// The API status, when the API answered with one.
    pub fn api_status(&self) -> Option<Status> {
        match self {
            Self::Api(s) => Some(*s),
            _ => None,
        }
    }
}

/// A short printable excerpt of a body: at most 80 characters, control characters
/// escaped, and nothing at all if it holds a token secret.
pub(crate) fn excerpt(body: &[u8], from_end: bool) -> String {
    const MAX: usize = 80;
    let text = String::from_utf8_lossy(body);
    if text.contains("token_secret") {
        return "<redacted: holds a token secret>".to_owned();
    }
    let chars: Vec<char> = text.chars().collect();
    let slice: &[char] = if chars.len() <= MAX {
        &chars
    } else if from_end {
        chars.get(chars.len() - MAX..).unwrap_or(&[])
    } else {
        chars.get(..MAX).unwrap_or(&[])
    };
    slice
        .iter()
        .flat_map(|c| c.escape_default())
        .take(3 * MAX)
        .collect()
}

impl From<wbs_model::FieldError> for ResponseError {
    fn from(e: wbs_model::FieldError) -> Self {
        match e {
            wbs_model::FieldError::Missing(field) => Self::MissingField(field),
            wbs_model::FieldError::Invalid { field, detail } => {
                Self::InvalidField { field, detail }
            }
            // A variant a newer wbs-model adds: keep its text.
            other => Self::InvalidField {
                field: "body",
                detail: other.to_string(),
            },
        }
    }
}

fn api_message(s: Status) -> String {
    match s.description() {
        Some(d) => format!("API status {}: {d}", s.code()),
        None => format!("API status {} (unknown code)", s.code()),
    }
}
