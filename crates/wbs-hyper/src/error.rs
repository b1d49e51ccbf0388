//! The client's error: what failed at this level, with predicates, and the cause chain.

use std::error::Error as StdError;
use std::fmt;

use wbs_proto::wbs_model::Status;
use wbs_proto::{InvalidRequest, ResponseError};

/// A request that did not give a result.
///
/// `Display` says what failed at this level; `source()` has the cause. The predicates tell
/// transport failures (`is_connect`, `is_timeout`), the API's refusals (`api_status`) and
/// unusable responses (`is_decode`) apart.
pub struct Error {
    kind: Kind,
    source: Option<Box<dyn StdError + Send + Sync>>,
}

#[derive(Debug)]
pub(crate) enum Kind {
    /// The request could not be built (validation or signing).
    Invalid(InvalidRequest),
    /// The connection could not be made.
    Connect,
    /// No complete answer within the timeout.
    Timeout,
    /// The connection failed after the request was sent.
    Transport,
    /// The answer could not be used, or the API refused (a non-zero status).
    Response(ResponseError),
    /// TLS could not be set up.
    Tls,
    /// The pager hit its page cap.
    TooManyPages(u32),
    /// A token endpoint refused (OAuth dance).
    Token(wbs_proto::TokenError),
    /// A local listener could not be set up.
    Io,
}

impl Error {
    pub(crate) fn new(kind: Kind, source: Option<Box<dyn StdError + Send + Sync>>) -> Self {
        Self { kind, source }
    }

    /// The connection could not be made (refused, unreachable, DNS).
    pub fn is_connect(&self) -> bool {
        matches!(self.kind, Kind::Connect)
    }

    /// No complete answer within the per-request timeout.
    pub fn is_timeout(&self) -> bool {
        matches!(self.kind, Kind::Timeout)
    }

    /// The API answered with a non-zero status: which.
    pub fn api_status(&self) -> Option<Status> {
        match &self.kind {
            Kind::Response(e) => e.api_status(),
            _ => None,
        }
    }

    /// The answer arrived but could not be used (HTTP error status, truncated, not JSON,
    /// missing or invalid field).
    pub fn is_decode(&self) -> bool {
        matches!(&self.kind, Kind::Response(e) if e.api_status().is_none())
    }

    /// The request was refused before it was sent (validation).
    pub fn is_invalid_request(&self) -> bool {
        matches!(self.kind, Kind::Invalid(_))
    }

    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        match &self.kind {
            Kind::Connect | Kind::Timeout | Kind::Transport => true,
            Kind::Response(e) => e.is_transient(),
            Kind::Invalid(_) | Kind::Tls | Kind::TooManyPages(_) | Kind::Token(_) | Kind::Io => {
                false
            }
        }
    }

    /// Wraps an I/O error (binding a local listener).
    pub fn io(e: std::io::Error) -> Self {
        Self::new(Kind::Io, Some(Box::new(e)))
    }

    /// The token endpoint's refusal, in the OAuth dance.
    pub fn token_error(&self) -> Option<&wbs_proto::TokenError> {
        match &self.kind {
            Kind::Token(e) => Some(e),
            _ => None,
        }
    }

    /// The response error, when the failure is one.
    pub fn response_error(&self) -> Option<&ResponseError> {
        match &self.kind {
            Kind::Response(e) => Some(e),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            Kind::Invalid(e) => write!(f, "invalid request: {e}"),
            Kind::Connect => f.write_str("could not connect to the service"),
            Kind::Timeout => f.write_str("no answer within the timeout"),
            Kind::Transport => f.write_str("the connection failed during the request"),
            Kind::Response(e) => e.fmt(f),
            Kind::Tls => f.write_str("TLS could not be set up"),
            Kind::TooManyPages(n) => write!(f, "the service was still sending pages after {n}"),
            Kind::Token(e) => e.fmt(f),
            Kind::Io => f.write_str("a local listener could not be set up"),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("source", &self.source.as_ref().map(|s| s.to_string()))
            .finish()
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn StdError + 'static))
    }
}

impl From<InvalidRequest> for Error {
    fn from(e: InvalidRequest) -> Self {
        Self::new(Kind::Invalid(e), None)
    }
}

impl From<ResponseError> for Error {
    fn from(e: ResponseError) -> Self {
        Self::new(Kind::Response(e), None)
    }
}
