//! The client: one method per action over a pooled hyper client, with timeouts and
//! retries, and pagination as a stream.

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::stream::{self, Stream};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::TokioExecutor;
use tracing::Instrument;
use wbs_proto::wbs_model::{DeviceType, MeasureGroup, More, Status, Subscription, User, UserId};
use wbs_proto::wbs_oauth::Credentials;
use wbs_proto::{
    Call, DecodedPage, GetMeas, GetSubscription, GetUser, HttpMethod, ListSubscriptions,
    MeasurePager, Probe, Revoke, Session, SkippedGroup, Subscribe, SyncCursor,
};

use crate::error::{Error, Kind};

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

/// Builds a [`Client`].
#[derive(Clone)]
pub struct ClientBuilder {
    consumer: Credentials,
    token: Credentials,
    base_url: String,
    method: HttpMethod,
    connect_timeout: Duration,
    request_timeout: Duration,
    max_body: usize,
    retry: RetryPolicy,
}

/// The default largest answer read: a full 2048-group getmeas page is about 335 KB.
pub const DEFAULT_MAX_BODY: usize = 16 * 1024 * 1024;

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("consumer", &self.consumer)
            .field("token", &self.token)
            .field("base_url", &self.base_url)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

impl ClientBuilder {
    /// The API's base URL (default `https://wbsapi.withings.net`; the sandbox's for tests).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// GET (default) or POST.
    pub fn method(mut self, method: HttpMethod) -> Self {
        self.method = method;
        self
    }

    /// Time to establish a connection (default 10 s).
    pub fn connect_timeout(mut self, d: Duration) -> Self {
        self.connect_timeout = d;
        self
    }

    /// Time for one complete answer, body included (default 30 s).
    pub fn request_timeout(mut self, d: Duration) -> Self {
        self.request_timeout = d;
        self
    }

    /// The largest answer body read (default [`DEFAULT_MAX_BODY`]); a longer one fails
    /// with an error naming the limit ([`Error::body_limit`]), and is not retried.
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// How to retry.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The client: HTTPS through rustls (with the root store the crate features choose) and
    /// plain HTTP (for the loopback sandbox).
    pub fn build(self) -> Result<Client, Error> {
        let session = Session::new(self.consumer, self.token)
            .with_base_url(&self.base_url)?
            .with_method(self.method);
        let mut http = HttpConnector::new();
        http.set_connect_timeout(Some(self.connect_timeout));
        http.enforce_http(false);
        let tls = tls_builder()?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let hyper = HyperClient::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .build(tls);
        Ok(Client {
            inner: Arc::new(Inner {
                hyper,
                session,
                request_timeout: self.request_timeout,
                max_body: self.max_body,
                retry: self.retry,
            }),
        })
    }
}

pub(crate) type Connector = HttpsConnector<HttpConnector>;

pub(crate) fn tls_builder(
) -> Result<HttpsConnectorBuilder<hyper_rustls::builderstates::WantsSchemes>, Error> {
    let provider = rustls::crypto::ring::default_provider();
    #[cfg(feature = "webpki-roots")]
    let builder = HttpsConnectorBuilder::new().with_provider_and_webpki_roots(provider);
    #[cfg(all(not(feature = "webpki-roots"), feature = "native-roots"))]
    let builder = HttpsConnectorBuilder::new().with_provider_and_native_roots(provider);
    #[cfg(not(any(feature = "webpki-roots", feature = "native-roots")))]
    compile_error!("enable the webpki-roots or the native-roots feature of wbs-hyper");
    builder.map_err(|e| Error::new(Kind::Tls, Some(Box::new(e))))
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
    inner: Arc<Inner>,
}

struct Inner {
    hyper: HyperClient<Connector, Full<Bytes>>,
    session: Session,
    request_timeout: Duration,
    max_body: usize,
    retry: RetryPolicy,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("session", &self.inner.session)
            .field("retry", &self.inner.retry)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A builder for the application's credentials and a user's access token.
    pub fn builder(consumer: Credentials, token: Credentials) -> ClientBuilder {
        ClientBuilder {
            consumer,
            token,
            base_url: wbs_proto::DEFAULT_BASE_URL.to_owned(),
            method: HttpMethod::Get,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_body: DEFAULT_MAX_BODY,
            retry: RetryPolicy::default(),
        }
    }

    /// Sends any call, with the retry policy: transient failures (connection errors,
    /// timeouts, dropped or truncated answers, HTTP 5xx, status 2555, and 601 after a longer
    /// pause) are tried again, each time signed with a fresh nonce. A call that changes
    /// state is retried only when the failure shows it was not processed (no connection,
    /// or 601).
    pub async fn call<C: Call>(&self, call: &C) -> Result<C::Output, Error> {
        let policy = &self.inner.retry;
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
            let rate_limited = err.api_status() == Some(Status::RATE_LIMITED);
            let retriable =
                err.is_transient() && (C::IDEMPOTENT || err.is_connect() || rate_limited);
            if !retriable || attempt >= policy.max_retries {
                return Err(err);
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

    /// One attempt: sign, send, read within the timeout, decode.
    async fn attempt<C: Call>(&self, call: &C) -> Result<C::Output, Error> {
        let nonce = wbs_proto::wbs_oauth::random_nonce()?;
        let request =
            self.inner
                .session
                .request(call, &nonce, wbs_proto::wbs_oauth::unix_timestamp())?;
        let request = request.map(|b| Full::new(Bytes::from(b)));
        let exchange = send(&self.inner.hyper, request, self.inner.max_body);
        let (status, body) = tokio::time::timeout(self.inner.request_timeout, exchange)
            .await
            .map_err(|_| Error::new(Kind::Timeout, None))??;
        Ok(C::decode(status, &body)?)
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
