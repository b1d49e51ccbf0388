//! The client's error: what failed at this level, with predicates, and the cause chain.

use std::error::Error as StdError;
use std::fmt;

use wbs_proto::wbs_model::Status;
use wbs_proto::{InvalidRequest, ResponseError, SkippedGroup};

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
    /// The OAuth 2 token endpoint refused, or its answer is no token set.
    Token2(wbs_proto::wbs_oauth2::TokenError),
    /// A refreshed token set could not be kept (its access token was not used).
    Persist,
    /// The access token could not be refreshed (the call was not sent): whether trying
    /// again may succeed, and whether for the token endpoint's rate limit.
    RefreshFailed { transient: bool, rate_limited: bool },
    /// A local listener could not be set up.
    Io,
    /// The operating system's random number generator failed (no nonce).
    Rng,
    /// A listener stopped before it delivered what was awaited.
    Closed,
    /// The shared rate limit's slots could not be booked (the request was not sent).
    SlotBook,
    /// The pager stopped for another reason (in the source).
    Pager,
    /// The answer's body was longer than the limit (bytes).
    BodyTooLarge(usize),
    /// A group of a page was malformed and left out (the rest of the page was delivered).
    Skipped(SkippedGroup),
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

    /// The answer's body passed the client's size limit: the limit, in bytes.
    pub fn body_limit(&self) -> Option<usize> {
        match self.kind {
            Kind::BodyTooLarge(n) => Some(n),
            _ => None,
        }
    }

    /// A malformed group that a stream left out (the stream goes on after it).
    pub fn skipped_group(&self) -> Option<&SkippedGroup> {
        match &self.kind {
            Kind::Skipped(g) => Some(g),
            _ => None,
        }
    }

    /// The request was refused before it was sent (validation).
    pub fn is_invalid_request(&self) -> bool {
        matches!(self.kind, Kind::Invalid(_))
    }

    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        match &self.kind {
            Kind::Connect | Kind::Timeout | Kind::Transport | Kind::SlotBook => true,
            Kind::Response(e) => e.is_transient(),
            Kind::Token(e) => e.is_transient(),
            Kind::Token2(e) => e.is_transient(),
            Kind::RefreshFailed { transient, .. } => *transient,
            Kind::Invalid(_)
            | Kind::Tls
            | Kind::TooManyPages(_)
            | Kind::Persist
            | Kind::Io
            | Kind::Rng
            | Kind::Closed
            | Kind::Pager
            | Kind::BodyTooLarge(_)
            | Kind::Skipped(_) => false,
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

    /// The OAuth 2 token endpoint's refusal (a refresh, or a code exchange).
    pub fn oauth2_error(&self) -> Option<&wbs_proto::wbs_oauth2::TokenError> {
        match &self.kind {
            Kind::Token2(e) => Some(e),
            _ => None,
        }
    }

    /// The call was not sent: the access token could not be refreshed first (so a call
    /// that changes state may be tried again).
    pub fn is_refresh_failure(&self) -> bool {
        matches!(self.kind, Kind::RefreshFailed { .. })
    }

    /// No slot of the shared rate limit could be booked: the call was not sent.
    pub(crate) fn is_unbooked(&self) -> bool {
        matches!(self.kind, Kind::SlotBook)
    }

    /// The service's rate limit (601), from the API or its token endpoint: wait before
    /// trying again.
    pub fn is_rate_limited(&self) -> bool {
        self.api_status() == Some(Status::RATE_LIMITED)
            || matches!(
                self.kind,
                Kind::RefreshFailed {
                    rate_limited: true,
                    ..
                }
            )
            || matches!(&self.kind, Kind::Token2(e) if e.is_rate_limited())
    }

    /// A refreshed token set could not be kept: the old one is still in use, and the new
    /// one is held, unused, and offered to the sink again at the next refresh.
    pub fn is_persist(&self) -> bool {
        matches!(self.kind, Kind::Persist)
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
            Kind::Token2(e) => e.fmt(f),
            Kind::Persist => f.write_str("the refreshed token set could not be kept"),
            Kind::RefreshFailed { .. } => f.write_str("the access token could not be refreshed"),
            Kind::Io => f.write_str("a local listener could not be set up"),
            Kind::Rng => {
                f.write_str("no nonce: the operating system's random number generator failed")
            }
            Kind::Closed => f.write_str("the listener stopped before the callback arrived"),
            Kind::SlotBook => {
                f.write_str("no request slot: the shared rate limit could not be booked")
            }
            Kind::Pager => f.write_str("the pager stopped"),
            Kind::BodyTooLarge(n) => write!(f, "the answer is longer than the limit of {n} bytes"),
            Kind::Skipped(g) => match g.grpid {
                Some(id) => write!(
                    f,
                    "measure group {id} was malformed and left out: {}",
                    g.reason
                ),
                None => write!(
                    f,
                    "a measure group was malformed and left out: {}",
                    g.reason
                ),
            },
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
    /// The cause: the transport's own error, or what the typed error at this level wraps
    /// (its Display already says the rest).
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        if let Some(s) = self.source.as_deref() {
            return Some(s as &(dyn StdError + 'static));
        }
        match &self.kind {
            Kind::Invalid(e) => e.source(),
            Kind::Response(e) => e.source(),
            Kind::Token(e) => e.source(),
            Kind::Token2(e) => e.source(),
            _ => None,
        }
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

impl From<wbs_proto::TokenError> for Error {
    fn from(e: wbs_proto::TokenError) -> Self {
        Self::new(Kind::Token(e), None)
    }
}

impl From<wbs_proto::wbs_oauth::RngError> for Error {
    fn from(e: wbs_proto::wbs_oauth::RngError) -> Self {
        Self::new(Kind::Rng, Some(Box::new(e)))
    }
}

impl From<wbs_proto::PagerError> for Error {
    fn from(e: wbs_proto::PagerError) -> Self {
        match e {
            wbs_proto::PagerError::Response(r) => Self::from(r),
            wbs_proto::PagerError::TooManyPages(n) => Self::new(Kind::TooManyPages(n), None),
            // A variant a newer wbs-proto adds: keep it as the cause.
            other => Self::new(Kind::Pager, Some(Box::new(other))),
        }
    }
}
