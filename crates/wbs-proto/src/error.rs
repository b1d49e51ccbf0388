//! Errors: a request that cannot be built, and a response that cannot be used.

use std::fmt;

use wbs_model::Status;

/// A request was refused before anything was sent; the variant says what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvalidRequest {
    /// `userid` must be a positive integer.
    UserId,
    /// `callbackurl` must be an absolute http(s) URL of at most 128 characters; the text
    /// says which rule it breaks.
    CallbackUrl(&'static str),
    /// `comment` must not be empty.
    EmptyComment,
    /// `startdate` is after `enddate`.
    DateRange,
    /// `limit` must be at least 1.
    ZeroLimit,
    /// A base URL or endpoint is not an absolute http(s) URL without query or fragment.
    BaseUrl,
    /// Signing failed (for example a parameter that is not valid text).
    Signing(wbs_oauth::Error),
    /// The `http` crate refused the request parts.
    Http,
}

impl fmt::Display for InvalidRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UserId => f.write_str("userid must be a positive integer"),
            Self::CallbackUrl(why) => write!(f, "invalid callbackurl: {why}"),
            Self::EmptyComment => f.write_str("comment must not be empty"),
            Self::DateRange => f.write_str("startdate is after enddate"),
            Self::ZeroLimit => f.write_str("limit must be at least 1"),
            Self::BaseUrl => {
                f.write_str("base URL must be an absolute http(s) URL without query or fragment")
            }
            Self::Signing(e) => write!(f, "cannot sign the request: {e}"),
            Self::Http => f.write_str("invalid HTTP request parts"),
        }
    }
}

impl std::error::Error for InvalidRequest {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Signing(e) => Some(e),
            _ => None,
        }
    }
}

impl From<wbs_oauth::Error> for InvalidRequest {
    fn from(e: wbs_oauth::Error) -> Self {
        Self::Signing(e)
    }
}

/// A response could not be turned into the action's result.
///
/// The API's own refusal (a non-zero `status`) is [`ResponseError::Api`]; everything else
/// is a transport or format problem. Excerpts are short, printable and never hold a token
/// secret.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseError {
    /// The API answered with a non-zero status.
    Api(Status),
    /// The HTTP status was not a success.
    Http {
        /// The HTTP status code.
        status: u16,
        /// The start of the body.
        excerpt: String,
    },
    /// The body ends before the JSON document does (a dropped connection).
    Truncated {
        /// The end of what arrived.
        excerpt: String,
    },
    /// The body is not JSON (the real API answered some errors in plain text).
    NotJson {
        /// The start of the body.
        excerpt: String,
    },
    /// A field the action needs is absent.
    MissingField(&'static str),
    /// A field has the wrong shape; the text says how.
    InvalidField {
        /// The field.
        field: &'static str,
        /// What was wrong.
        detail: String,
    },
}

impl ResponseError {
    /// Whether sending the request again may succeed: truncated bodies, HTTP 5xx and 429,
    /// non-JSON bodies (a proxy's error page), and the API's transient and rate-limit
    /// statuses.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Api(s) => s.is_transient() || s.is_rate_limited(),
            Self::Http { status, .. } => *status >= 500 || *status == 429,
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

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Api(s) => match s.description() {
                Some(d) => write!(f, "API status {}: {d}", s.code()),
                None => write!(f, "API status {} (unknown code)", s.code()),
            },
            Self::Http { status, excerpt } => {
                write!(f, "HTTP status {status}; body starts {excerpt:?}")
            }
            Self::Truncated { excerpt } => {
                write!(f, "response body is truncated; it ends {excerpt:?}")
            }
            Self::NotJson { excerpt } => {
                write!(f, "response body is not JSON; it starts {excerpt:?}")
            }
            Self::MissingField(field) => write!(f, "response has no {field}"),
            Self::InvalidField { field, detail } => {
                write!(f, "response field {field} is invalid: {detail}")
            }
        }
    }
}

impl std::error::Error for ResponseError {}

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
