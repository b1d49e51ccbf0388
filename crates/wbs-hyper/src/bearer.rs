//! OAuth 2 for the client: a user's token set, refreshed before it expires and once on
//! status 401, by one caller at a time (single flight: concurrent callers wait for that one
//! refresh), and handed to a [`TokenSink`] that keeps it **before** the new access token is
//! used: the old refresh token stays valid until then, so a crash between the refresh and
//! the write is retried with the old one. A set the sink refuses is held, unused, and
//! offered to it again at the next refresh instead of trading once more.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client as HyperClient;
use wbs_proto::http::header::{HeaderValue, CONTENT_TYPE};
use wbs_proto::wbs_oauth::Secret;
use wbs_proto::wbs_oauth2::{
    decode_token_response, token_request_body, ClientAuth, ClientCredentials, Grant, TokenSet,
    TokenSink, TOKEN_PATH,
};

use crate::builder::Connector;
use crate::client::send;
use crate::error::{Error, Kind};
use crate::RateLimiter;

/// The clock the token manager reads: Unix seconds (the system's by default; a test's to
/// follow the sandbox's).
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system clock, in Unix seconds.
pub fn system_clock() -> Clock {
    Arc::new(|| i64::try_from(wbs_proto::wbs_oauth::unix_timestamp()).unwrap_or(i64::MAX))
}

/// One user's OAuth 2 state inside a client.
pub(crate) struct Bearer {
    pub(crate) app: ClientCredentials,
    pub(crate) token_url: String,
    pub(crate) state: tokio::sync::Mutex<State>,
    pub(crate) sink: Arc<dyn TokenSink>,
    pub(crate) clock: Clock,
    /// Refresh this many seconds before the expiry.
    pub(crate) margin: i64,
    pub(crate) refreshes: AtomicU64,
}

/// The token set in use, the last refresh that failed (callers that waited for a refresh
/// which then failed get that failure, instead of each trying again in turn), and a set
/// the service issued that the sink could not keep yet.
pub(crate) struct State {
    pub(crate) set: TokenSet,
    pub(crate) failed: Option<Failed>,
    /// Traded but not kept: never used (its first use would retire the refresh token that
    /// is kept), and offered to the sink again at the next refresh instead of trading once
    /// more. The kept refresh token dies 8 h after the trade; this one lives a year, so a
    /// sink down for more than 8 h loses nothing while this client lives.
    pub(crate) unsaved: Option<TokenSet>,
}

/// A refresh that failed: when, whether trying again later may succeed, and why.
pub(crate) struct Failed {
    at: Instant,
    transient: bool,
    rate_limited: bool,
    why: String,
}

impl Failed {
    fn error(&self) -> Error {
        Error::new(
            Kind::RefreshFailed {
                transient: self.transient,
                rate_limited: self.rate_limited,
            },
            Some(self.why.clone().into()),
        )
    }
}

impl State {
    pub(crate) fn new(set: TokenSet) -> Self {
        Self {
            set,
            failed: None,
            unsaved: None,
        }
    }
}

/// What a token request needs of the client: its pool, timeout and size limit.
pub(crate) struct Transport<'a> {
    pub(crate) hyper: &'a HyperClient<Connector, Full<Bytes>>,
    pub(crate) timeout: Duration,
    pub(crate) max_body: usize,
    /// The consumer's limit, when the client has one: token requests book a slot too.
    pub(crate) rate_limit: Option<&'a RateLimiter>,
}

impl Bearer {
    /// The lock on the state, waited for at most twice a request's timeout. A refresh in
    /// flight holds it for its request, and first for its slot of the consumer's rate
    /// limit, which may be longer: a caller that gives up has sent nothing, and says so
    /// (a refresh failure, transient: even a call that changes state is tried again).
    async fn lock(&self, t: &Transport<'_>) -> Result<tokio::sync::MutexGuard<'_, State>, Error> {
        tokio::time::timeout(t.timeout * 2, self.state.lock())
            .await
            .map_err(|_| {
                Error::new(
                    Kind::RefreshFailed {
                        transient: true,
                        rate_limited: false,
                    },
                    Some("another caller's refresh of the token was still running".into()),
                )
            })
    }

    /// The access token to use now, refreshed first if it expires within the margin. A
    /// token that has not expired yet is used if that refresh fails.
    pub(crate) async fn token(&self, t: &Transport<'_>) -> Result<Secret, Error> {
        let asked = Instant::now();
        let mut state = self.lock(t).await?;
        let now = (self.clock)();
        if self.expiring(&state.set) {
            if let Err(e) = self.refresh(t, &mut state, asked).await {
                if state.set.expires_at <= now {
                    return Err(e);
                }
                tracing::debug!(error = %e, "refresh failed; the access token is still valid");
            }
        }
        Ok(state.set.access_token.clone())
    }

    /// After a 401 for `used`: refreshed, unless another caller already did; the access
    /// token to send again with.
    pub(crate) async fn refresh_after_401(
        &self,
        t: &Transport<'_>,
        used: &Secret,
    ) -> Result<Secret, Error> {
        let asked = Instant::now();
        let mut state = self.lock(t).await?;
        if state.set.access_token == *used {
            self.refresh(t, &mut state, asked).await?;
        }
        Ok(state.set.access_token.clone())
    }

    /// Trades the refresh token for a new set, keeps it through the sink, then uses it. A
    /// newer set the sink already holds (another process refreshed) is taken instead, and
    /// traded in turn if it is about to expire too. On any failure the current set stays
    /// (its refresh token still valid), and a new set the sink did not keep is held for the
    /// next refresh; a failure that happened while this caller waited is returned as it
    /// is, not tried again.
    async fn refresh(
        &self,
        t: &Transport<'_>,
        state: &mut State,
        asked: Instant,
    ) -> Result<(), Error> {
        if let Some(f) = state.failed.as_ref().filter(|f| f.at >= asked) {
            return Err(f.error());
        }
        match self.try_refresh(t, state).await {
            Ok(()) => {
                state.failed = None;
                Ok(())
            }
            // The set could not be kept: said as it is (not a failure to retry at once).
            Err(e) if e.is_persist() => Err(e),
            Err(e) => {
                let why = match std::error::Error::source(&e) {
                    Some(cause) => format!("{e}: {cause}"),
                    None => e.to_string(),
                };
                let failed = Failed {
                    at: Instant::now(),
                    transient: e.is_transient(),
                    rate_limited: e.oauth2_error().is_some_and(|t| t.is_rate_limited()),
                    why,
                };
                let error = failed.error();
                state.failed = Some(failed);
                Err(error)
            }
        }
    }

    async fn try_refresh(&self, t: &Transport<'_>, state: &mut State) -> Result<(), Error> {
        let stored = self
            .sink
            .load(state.set.userid)
            .await
            .map_err(|e| Error::new(Kind::Persist, Some(e)))?;
        // Another process refreshed: its set is taken in any case, since its use may have
        // retired the refresh token this one holds; and if it too is about to expire, it
        // is its refresh token that is traded. A set of ours not kept yet is then moot.
        if let Some(newer) = stored.filter(|s| {
            s.refresh_token != state.set.refresh_token && s.expires_at >= state.set.expires_at
        }) {
            state.set = newer;
            state.unsaved = None;
            if !self.expiring(&state.set) {
                return Ok(());
            }
        }
        // A set traded earlier that the sink did not keep is kept now, not traded again
        // (unless it is about to expire too: then its own refresh token is traded).
        let new = match state.unsaved.take() {
            Some(pending) if !self.expiring(&pending) => pending,
            pending => {
                let from = pending.as_ref().unwrap_or(&state.set);
                match self.trade(t, from).await {
                    Ok(new) => new,
                    Err(e) => {
                        state.unsaved = pending;
                        return Err(e);
                    }
                }
            }
        };
        if let Err(e) = self.sink.save(&new).await {
            state.unsaved = Some(new);
            return Err(Error::new(Kind::Persist, Some(e)));
        }
        state.set = new;
        self.refreshes.fetch_add(1, Ordering::Relaxed);
        tracing::debug!(
            userid = state.set.userid,
            expires_at = state.set.expires_at,
            "access token refreshed"
        );
        Ok(())
    }

    /// Whether a set's access token expires within the margin.
    fn expiring(&self, set: &TokenSet) -> bool {
        set.expires_at.saturating_sub(self.margin) <= (self.clock)()
    }

    /// Trades `from`'s refresh token for a new set of the same user.
    async fn trade(&self, t: &Transport<'_>, from: &TokenSet) -> Result<TokenSet, Error> {
        let body = token_request_body(
            &self.app,
            Grant::RefreshToken(&from.refresh_token),
            ClientAuth::Secret,
        );
        let new = request_tokens(t, &self.token_url, body, &self.clock).await?;
        if new.userid != from.userid {
            return Err(Error::new(
                Kind::Token2(wbs_proto::wbs_oauth2::TokenError::Field { field: "userid" }),
                None,
            ));
        }
        Ok(new)
    }
}

/// POSTs a token request form and reads the token set from the envelope.
pub(crate) async fn request_tokens(
    t: &Transport<'_>,
    url: &str,
    body: String,
    clock: &Clock,
) -> Result<TokenSet, Error> {
    let request = hyper::Request::post(url)
        .header(
            CONTENT_TYPE,
            HeaderValue::from_static("application/x-www-form-urlencoded"),
        )
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| Error::from(wbs_proto::InvalidRequest::from(e)))?;
    if let Some(limit) = t.rate_limit {
        limit.acquire().await?;
    }
    let (status, bytes) = tokio::time::timeout(t.timeout, send(t.hyper, request, t.max_body))
        .await
        .map_err(|_| Error::new(Kind::Timeout, None))??;
    if !status.is_success() {
        return Err(Error::new(
            Kind::Token2(wbs_proto::wbs_oauth2::TokenError::NotEnvelope(format!(
                "HTTP {status}"
            ))),
            None,
        ));
    }
    decode_token_response(&bytes, clock()).map_err(|e| Error::new(Kind::Token2(e), None))
}

/// The token endpoint of an API base URL.
pub(crate) fn token_url(base_url: &str) -> String {
    format!("{}{TOKEN_PATH}", base_url.trim_end_matches('/'))
}

/// Trades an authorization code (from the redirect, once its `state` is checked with
/// `wbs_oauth2::parse_redirect`) for the user's token set: `POST {base_url}/v2/oauth2`.
/// The code is valid 30 seconds, once; a refusal says why
/// ([`Error::oauth2_error`](crate::Error::oauth2_error)).
pub async fn exchange_code(
    base_url: &str,
    app: &ClientCredentials,
    code: &str,
    redirect_uri: &str,
) -> Result<TokenSet, Error> {
    let hyper = crate::builder::http_client(Duration::from_secs(10))?;
    let transport = Transport {
        hyper: &hyper,
        timeout: Duration::from_secs(30),
        max_body: 1024 * 1024,
        rate_limit: None,
    };
    let body = token_request_body(
        app,
        Grant::AuthorizationCode { code, redirect_uri },
        ClientAuth::Secret,
    );
    request_tokens(&transport, &token_url(base_url), body, &system_clock()).await
}
