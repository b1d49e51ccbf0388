//! The client: one method per action over a pooled hyper client, with timeouts and
//! retries, and pagination as a stream.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::stream::{self, Stream};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper_util::client::legacy::Client as HyperClient;
use tracing::Instrument;
use wbs_proto::wbs_model::{DeviceType, MeasureGroup, More, Status, Subscription, User, UserId};
use wbs_proto::{
    Call, DecodedPage, GetMeas, GetSubscription, GetUser, ListSubscriptions, MeasurePager, Probe,
    Revoke, Session, SkippedGroup, Subscribe, SyncCursor,
};

use crate::bearer::{Bearer, Transport};
use crate::builder::{Connector, Settings};
use crate::error::{Error, Kind};
use crate::ratelimit::{build_in_slot, RateLimiter};
use wbs_proto::wbs_oauth::Credentials;

/// The default largest answer read: a full 2048-group getmeas page is about 335 KB.
pub const DEFAULT_MAX_BODY: usize = 16 * 1024 * 1024;

/// How failed requests are tried again.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The first pause; each later one doubles, with jitter (a random half to all of it).
    pub initial_backoff: Duration,
    /// The longest pause.
    pub max_backoff: Duration,
    /// No retry starts after this long since the first attempt.
    pub max_total: Duration,
    /// The pause after a rate-limit status (601): clients that paused about a minute
    /// recovered.
    pub rate_limit_pause: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 4,
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            max_total: Duration::from_secs(120),
            rate_limit_pause: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        Self {
            max_retries: 0,
            ..Self::default()
        }
    }
}

/// What a synchronisation brought.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Synced {
    /// The groups added or modified since the cursor, newest first.
    pub groups: Vec<MeasureGroup>,
    /// Malformed groups left out: the cursor did not advance past them.
    pub skipped: Vec<SkippedGroup>,
    /// The cursor to keep for the next synchronisation.
    pub cursor: SyncCursor,
}

/// One page of a synchronisation ([`Client::sync_pages`]).
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SyncPage {
    /// The page's groups not delivered before, newest first.
    pub groups: Vec<MeasureGroup>,
    /// The malformed groups of this page, left out.
    pub skipped: Vec<SkippedGroup>,
    /// The cursor to keep with this page's groups, in the same write: an interrupted
    /// synchronisation resumes from it at the next page.
    pub cursor: SyncCursor,
    /// Groups the service said were still to come after this page, when it counts them.
    pub remaining: Option<u64>,
    /// Whether this is the last page.
    pub last: bool,
    /// Whether this last page completes a synchronisation that left nothing out: every
    /// group changed since the old cursor has now been delivered whole (a store may forget
    /// the malformed groups it kept as pending).
    pub complete: bool,
}

/// What fetching a notification's groups brought.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Fetched {
    /// The groups, newest first.
    pub groups: Vec<MeasureGroup>,
    /// Malformed groups left out.
    pub skipped: Vec<SkippedGroup>,
}

/// The WBS API client. Cheap to clone (the connection pool is shared).
///
/// ```no_run
/// # async fn demo() -> Result<(), wbs_hyper::Error> {
/// use wbs_hyper::{Client, Credentials, GetMeas, UserId};
/// use futures_util::StreamExt;
///
/// let client = Client::builder(Credentials::new("consumer-key", "consumer-secret"), Credentials::new("token", "token-secret"))
///     .base_url("http://127.0.0.1:8085")
///     .build()?;
/// let mut groups = std::pin::pin!(client.measures_all(GetMeas::new(UserId::new(29))));
/// while let Some(group) = groups.next().await {
///     println!("{:?}", group?.grpid);
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) hyper: HyperClient<Connector, Full<Bytes>>,
    pub(crate) session: Session,
    /// OAuth 2: the user's token set (`None`: OAuth 1, signed by the session).
    pub(crate) bearer: Option<Bearer>,
    /// OAuth 1: the application's credentials, which `for_user` pairs with another token.
    pub(crate) consumer: Option<Credentials>,
    /// Timeouts, limits, retries, the consumer's rate limit: shared by the clients
    /// `for_user` makes.
    pub(crate) settings: Settings,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("session", &self.inner.session)
            .field("retry", &self.inner.settings.retry)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// The consumer's rate limit this client (and those [`Client::for_user`] makes from
    /// it) shares, with its count of 601 answers.
    pub fn rate_limiter(&self) -> Option<&RateLimiter> {
        self.inner.settings.rate_limit.as_ref()
    }

    /// Sends any call, with the retry policy: transient failures (connection errors,
    /// timeouts, dropped or truncated answers, HTTP 5xx, status 2555, and 601 after a longer
    /// pause) are tried again, each time signed with a fresh nonce. A call that changes
    /// state is retried only when the failure shows it was not processed (no connection,
    /// or 601).
    pub async fn call<C: Call>(&self, call: &C) -> Result<C::Output, Error> {
        let policy = &self.inner.settings.retry;
        let started = Instant::now();
        let mut backoff = policy.initial_backoff;
        let mut attempt: u32 = 0;
        loop {
            let span = tracing::debug_span!("wbs.request", service = C::SERVICE, action = C::ACTION, userid = ?call.userid(), attempt);
            let t0 = Instant::now();
            let result = self.attempt(call).instrument(span.clone()).await;
            let latency_ms = u64::try_from(t0.elapsed().as_millis()).unwrap_or(u64::MAX);
            let err = match result {
                Ok(output) => {
                    tracing::debug!(parent: &span, latency_ms, "ok");
                    return Ok(output);
                }
                Err(e) => e,
            };
            tracing::debug!(parent: &span, latency_ms, error = %err, "failed");
            let rate_limited = err.is_rate_limited();
            if let (true, Some(limiter)) = (rate_limited, &self.inner.settings.rate_limit) {
                limiter.answered_601();
            }
            // A call that changes state is tried again only when it was surely not
            // processed: no connection, a rate limit, or not sent (the refresh failed, or
            // no slot of a shared rate limit could be booked).
            let not_sent =
                err.is_connect() || rate_limited || err.is_refresh_failure() || err.is_unbooked();
            let retriable = err.is_transient() && (C::IDEMPOTENT || not_sent);
            if !retriable || attempt >= policy.max_retries {
                return Err(err);
            }
            if rate_limited {
                if let Some(limiter) = &self.inner.settings.rate_limit {
                    limiter.pause(policy.rate_limit_pause).await;
                }
            }
            let pause = if rate_limited {
                policy.rate_limit_pause
            } else {
                self.jittered(backoff)
            };
            if started.elapsed() + pause > policy.max_total {
                return Err(err);
            }
            tokio::time::sleep(pause).await;
            backoff = (backoff * 2).min(policy.max_backoff);
            attempt += 1;
        }
    }

    /// One attempt: sign (OAuth 1) or take the access token (OAuth 2), send, read within
    /// the timeout, decode. With OAuth 2, a 401 refreshes the token (once, whoever of the
    /// concurrent callers comes first) and the call is sent again at once.
    async fn attempt<C: Call>(&self, call: &C) -> Result<C::Output, Error> {
        let session = &self.inner.session;
        let Some(bearer) = &self.inner.bearer else {
            return self
                .exchange::<C>(|| {
                    let nonce = wbs_proto::wbs_oauth::random_nonce()?;
                    let now = wbs_proto::wbs_oauth::unix_timestamp();
                    Ok(session.request(call, &nonce, now)?)
                })
                .await;
        };
        let transport = self.transport();
        let token = bearer.token(&transport).await?;
        match self
            .exchange::<C>(|| Ok(session.request_bearer(call, &token)?))
            .await
        {
            Err(e) if e.api_status() == Some(Status::INVALID_TOKEN) => {
                let token = bearer.refresh_after_401(&transport, &token).await?;
                self.exchange::<C>(|| Ok(session.request_bearer(call, &token)?))
                    .await
            }
            other => other,
        }
    }

    /// Builds the request in its rate-limit slot ([`build_in_slot`]: a bad request costs
    /// no slot, and a long wait does not age a signature), sends it and decodes the answer.
    async fn exchange<C: Call>(
        &self,
        build: impl Fn() -> Result<wbs_proto::http::Request<Vec<u8>>, Error>,
    ) -> Result<C::Output, Error> {
        let request = build_in_slot(self.inner.settings.rate_limit.as_ref(), build).await?;
        let request = request.map(|b| Full::new(Bytes::from(b)));
        let exchange = send(&self.inner.hyper, request, self.inner.settings.max_body);
        let (status, body) = tokio::time::timeout(self.inner.settings.request_timeout, exchange)
            .await
            .map_err(|_| Error::new(Kind::Timeout, None))??;
        Ok(C::decode(status, &body)?)
    }

    fn transport(&self) -> Transport<'_> {
        Transport {
            hyper: &self.inner.hyper,
            timeout: self.inner.settings.request_timeout,
            max_body: self.inner.settings.max_body,
            rate_limit: self.inner.settings.rate_limit.as_ref(),
        }
    }

    /// OAuth 2: the user's current token set (`None` for an OAuth 1 client).
    pub async fn token_set(&self) -> Option<wbs_proto::wbs_oauth2::TokenSet> {
        match &self.inner.bearer {
            Some(b) => Some(b.state.lock().await.set.clone()),
            None => None,
        }
    }

    /// OAuth 2: takes the token set this client traded for and its sink refused to keep
    /// (never used: see [`Error::is_persist`](crate::Error::is_persist)), for the next
    /// client of the same user ([`Client::hold_unsaved`]). A service that builds a client
    /// per task hands it on so; dropped with the client, it would be traded again.
    pub async fn take_unsaved(&self) -> Option<wbs_proto::wbs_oauth2::TokenSet> {
        self.inner
            .bearer
            .as_ref()?
            .state
            .lock()
            .await
            .unsaved
            .take()
    }

    /// OAuth 2: a set an earlier client of this user traded for and could not keep
    /// ([`Client::take_unsaved`]), offered to the sink at this client's next refresh
    /// instead of trading again. Ignored for another user's set, or by an OAuth 1 client.
    pub async fn hold_unsaved(&self, set: wbs_proto::wbs_oauth2::TokenSet) {
        if let Some(bearer) = &self.inner.bearer {
            let mut state = bearer.state.lock().await;
            if state.set.userid == set.userid {
                state.unsaved = Some(set);
            }
        }
    }

    /// OAuth 2: how many times this client refreshed the access token.
    pub fn token_refreshes(&self) -> u64 {
        self.inner.bearer.as_ref().map_or(0, |b| {
            b.refreshes.load(std::sync::atomic::Ordering::Relaxed)
        })
    }

    /// A random pause between half and all of `backoff` (fastrand's thread-local
    /// generator: jitter needs spread, not secrecy).
    fn jittered(&self, backoff: Duration) -> Duration {
        backoff.mul_f64(0.5 + fastrand::f64() / 2.0)
    }

    /// once/probe.
    pub async fn probe(&self) -> Result<(), Error> {
        self.call(&Probe).await
    }

    /// user/getbyuserid.
    pub async fn user(&self, userid: UserId) -> Result<Vec<User>, Error> {
        self.call(&GetUser { userid }).await
    }

    /// One getmeas page (see [`Client::measures_all`] for every page).
    pub async fn measures(&self, query: &GetMeas) -> Result<DecodedPage, Error> {
        self.call(query).await
    }

    /// Every group of a query, newest first, each exactly once, fetched lazily page by page
    /// (one page in memory at a time).
    ///
    /// A malformed group the service sent is an `Err` item whose
    /// [`Error::skipped_group`] says which, and the stream goes on after it: nothing is
    /// left out silently. Any other error ends the stream.
    pub fn measures_all(
        &self,
        query: GetMeas,
    ) -> impl Stream<Item = Result<MeasureGroup, Error>> + Send + 'static {
        Self::paged(self.clone(), MeasurePager::new(query))
    }

    fn paged(
        client: Client,
        pager: MeasurePager,
    ) -> impl Stream<Item = Result<MeasureGroup, Error>> + Send + 'static {
        stream::unfold(Some((client, pager, VecDeque::new())), |state| async move {
            let (client, mut pager, mut buffer) = state?;
            loop {
                if let Some(item) = buffer.pop_front() {
                    return Some((item, Some((client, pager, buffer))));
                }
                let call = pager.next_call()?;
                let page = match client.call(&call).await {
                    Ok(page) => page,
                    Err(e) => return Some((Err(e), None)),
                };
                match pager.handle_page(page) {
                    Ok(groups) => buffer.extend(groups.into_iter().map(Ok)),
                    Err(e) => return Some((Err(e.into()), None)),
                }
                buffer.extend(
                    pager
                        .take_new_skipped()
                        .into_iter()
                        .map(|s| Err(Error::new(Kind::Skipped(s), None))),
                );
            }
        })
    }

    /// An incremental synchronisation: the groups added or modified since the cursor, the
    /// malformed groups left out, and the cursor to keep for next time (unchanged if the
    /// sync did not finish or left a group out, so that the next one fetches it again).
    ///
    /// Everything is held in memory until the end; to keep each page as it comes, and
    /// resume an interrupted synchronisation at the page it stopped, use
    /// [`Client::sync_pages`].
    pub async fn sync(&self, cursor: &SyncCursor) -> Result<Synced, Error> {
        use futures_util::StreamExt;
        let mut synced = Synced {
            groups: Vec::new(),
            skipped: Vec::new(),
            cursor: cursor.clone(),
        };
        let mut pages = std::pin::pin!(self.sync_pages(cursor.clone()));
        while let Some(page) = pages.next().await {
            let page = page?;
            synced.groups.extend(page.groups);
            synced.skipped.extend(page.skipped);
            if page.last {
                synced.cursor = page.cursor;
            }
        }
        // Unfinished (it cannot be, short of an error): the old cursor, not a checkpoint.
        Ok(synced)
    }

    /// An incremental synchronisation page by page, lazily: keep each page's groups and
    /// its cursor together (one transaction), and a synchronisation interrupted at any
    /// moment resumes at the page after the last one kept. The cursor may carry a
    /// checkpoint ([`SyncCursor::progress`]); it starts where that says.
    ///
    /// Any error ends the stream; the last cursor handed out is where to start again.
    pub fn sync_pages(
        &self,
        cursor: SyncCursor,
    ) -> impl Stream<Item = Result<SyncPage, Error>> + Send + 'static {
        let pager = cursor.pager();
        stream::unfold(Some((self.clone(), cursor, pager)), |state| async move {
            let (client, cursor, mut pager) = state?;
            let call = pager.next_call()?;
            let page = match client.call(&call).await {
                Ok(page) => page,
                Err(e) => return Some((Err(e), None)),
            };
            let remaining = match page.page.more {
                More::Remaining(n) => Some(n),
                More::Flag(_) => None,
            };
            let groups = match pager.handle_page(page) {
                Ok(groups) => groups,
                Err(e) => return Some((Err(e.into()), None)),
            };
            let page = SyncPage {
                groups,
                skipped: pager.take_new_skipped(),
                cursor: cursor.after_page(&pager),
                remaining,
                last: pager.is_done(),
                complete: pager.is_clean(),
            };
            Some((Ok(page), Some((client, cursor, pager))))
        })
    }

    /// The groups a notification announces (its user, between its start and end dates),
    /// and the malformed ones left out (a malformed group costs only itself).
    pub async fn fetch_notified(
        &self,
        notification: &wbs_proto::wbs_model::Notification,
    ) -> Result<Fetched, Error> {
        use futures_util::StreamExt;
        let mut fetched = Fetched {
            groups: Vec::new(),
            skipped: Vec::new(),
        };
        let mut stream = std::pin::pin!(self.measures_all(GetMeas::for_notification(notification)));
        while let Some(item) = stream.next().await {
            match item {
                Ok(group) => fetched.groups.push(group),
                Err(e) => match e.skipped_group().cloned() {
                    Some(s) => fetched.skipped.push(s),
                    None => return Err(e),
                },
            }
        }
        Ok(fetched)
    }

    /// notify/subscribe.
    pub async fn subscribe(
        &self,
        userid: UserId,
        callbackurl: &str,
        comment: &str,
        appli: Option<DeviceType>,
    ) -> Result<(), Error> {
        self.call(&Subscribe {
            userid,
            callbackurl: callbackurl.to_owned(),
            comment: comment.to_owned(),
            appli,
        })
        .await
    }

    /// notify/get.
    pub async fn subscription(
        &self,
        userid: UserId,
        callbackurl: &str,
        appli: Option<DeviceType>,
    ) -> Result<Subscription, Error> {
        self.call(&GetSubscription {
            userid,
            callbackurl: callbackurl.to_owned(),
            appli,
        })
        .await
    }

    /// notify/list.
    pub async fn subscriptions(
        &self,
        userid: UserId,
        appli: Option<DeviceType>,
    ) -> Result<Vec<Subscription>, Error> {
        self.call(&ListSubscriptions { userid, appli }).await
    }

    /// notify/revoke.
    pub async fn revoke(
        &self,
        userid: UserId,
        callbackurl: &str,
        appli: Option<DeviceType>,
    ) -> Result<(), Error> {
        self.call(&Revoke {
            userid,
            callbackurl: callbackurl.to_owned(),
            appli,
        })
        .await
    }
}

/// Sends one request and reads the whole answer: a connection that could not be made is
/// `is_connect`, any other failure a transport error.
pub(crate) async fn send(
    hyper: &HyperClient<Connector, Full<Bytes>>,
    request: hyper::Request<Full<Bytes>>,
    max_body: usize,
) -> Result<(wbs_proto::http::StatusCode, Bytes), Error> {
    let response = hyper.request(request).await.map_err(|e| {
        let kind = if e.is_connect() {
            Kind::Connect
        } else {
            Kind::Transport
        };
        Error::new(kind, Some(Box::new(e)))
    })?;
    let status = response.status();
    let body = Limited::new(response.into_body(), max_body)
        .collect()
        .await
        .map_err(|e| {
            if e.is::<LengthLimitError>() {
                Error::new(Kind::BodyTooLarge(max_body), Some(e))
            } else {
                Error::new(Kind::Transport, Some(e))
            }
        })?;
    Ok((status, body.to_bytes()))
}
