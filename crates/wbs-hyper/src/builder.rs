//! Building a [`Client`]: OAuth 1 credentials or an OAuth 2 token set, the base URL,
//! timeouts, size limit and retries; the TLS connector.

use std::fmt;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use hyper_rustls::{HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::TokioExecutor;
use wbs_proto::wbs_oauth::Credentials;
use wbs_proto::wbs_oauth2::{ClientCredentials, TokenSet, TokenSink};
use wbs_proto::{HttpMethod, Session};

use crate::bearer::{system_clock, token_url, Bearer, Clock, State};
use crate::client::{Client, Inner, RetryPolicy, DEFAULT_MAX_BODY};
use crate::error::{Error, Kind};
use crate::ratelimit::RateLimiter;

/// How the client authenticates.
#[derive(Clone)]
enum Auth {
    OAuth1 {
        consumer: Credentials,
        token: Credentials,
    },
    OAuth2 {
        app: ClientCredentials,
        tokens: TokenSet,
        sink: Arc<dyn TokenSink>,
    },
}

impl Client {
    /// A client for another user of the same application (OAuth 1): the connection pool,
    /// settings and rate limit are shared; only the access token differs. Cheap.
    pub fn for_user(&self, token: Credentials) -> Result<Client, Error> {
        let Some(consumer) = self.inner.consumer.clone() else {
            return Err(wbs_proto::InvalidRequest::NotOAuth1.into());
        };
        self.sibling(Auth::OAuth1 { consumer, token })
    }

    /// A client for another user (OAuth 2): their token set and where it is kept; the
    /// pool, settings and rate limit are shared.
    pub fn for_user_oauth2(
        &self,
        app: ClientCredentials,
        tokens: TokenSet,
        sink: Arc<dyn TokenSink>,
    ) -> Result<Client, Error> {
        self.sibling(Auth::OAuth2 { app, tokens, sink })
    }

    /// A client with other credentials over this one's pool and settings.
    fn sibling(&self, auth: Auth) -> Result<Client, Error> {
        ClientBuilder {
            auth,
            settings: self.inner.settings.clone(),
        }
        .assemble(self.inner.hyper.clone())
    }

    /// A builder for the application's credentials and a user's access token (OAuth 1).
    pub fn builder(consumer: Credentials, token: Credentials) -> ClientBuilder {
        ClientBuilder::with(Auth::OAuth1 { consumer, token })
    }

    /// A builder for today's service (OAuth 2): the application, a user's token set, and
    /// where a refreshed token set is kept before it is used.
    pub fn builder_oauth2(
        app: ClientCredentials,
        tokens: TokenSet,
        sink: Arc<dyn TokenSink>,
    ) -> ClientBuilder {
        ClientBuilder::with(Auth::OAuth2 { app, tokens, sink })
    }
}

/// Builds a [`Client`].
#[derive(Clone)]
pub struct ClientBuilder {
    auth: Auth,
    settings: Settings,
}

/// Everything but the credentials: what the clients [`Client::for_user`] makes share.
#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) rate_limit: Option<RateLimiter>,
    pub(crate) clock: Clock,
    pub(crate) refresh_margin: i64,
    pub(crate) base_url: String,
    pub(crate) method: HttpMethod,
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) max_body: usize,
    pub(crate) retry: RetryPolicy,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ClientBuilder");
        match &self.auth {
            Auth::OAuth1 { consumer, token } => d.field("consumer", consumer).field("token", token),
            Auth::OAuth2 { app, tokens, .. } => d.field("app", app).field("tokens", tokens),
        };
        d.field("base_url", &self.settings.base_url)
            .field("retry", &self.settings.retry)
            .finish_non_exhaustive()
    }
}

/// Builder methods that each set the settings' field of their name to their argument.
macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident($arg:ident: $ty:ty);)*) => {
        $(
            $(#[$doc])*
            pub fn $name(mut self, $arg: $ty) -> Self {
                self.settings.$name = $arg;
                self
            }
        )*
    };
}

impl ClientBuilder {
    fn with(auth: Auth) -> Self {
        Self {
            auth,
            settings: Settings {
                rate_limit: None,
                clock: system_clock(),
                refresh_margin: 300,
                base_url: wbs_proto::DEFAULT_BASE_URL.to_owned(),
                method: HttpMethod::Get,
                connect_timeout: Duration::from_secs(10),
                request_timeout: Duration::from_secs(30),
                max_body: DEFAULT_MAX_BODY,
                retry: RetryPolicy::default(),
            },
        }
    }

    /// The consumer's rate limit, shared with every client [`Client::for_user`] makes from
    /// this one (default none: the service answers 601 above its limit, and the client
    /// pauses then).
    pub fn rate_limit(mut self, limit: RateLimiter) -> Self {
        self.settings.rate_limit = Some(limit);
        self
    }

    /// OAuth 2: refresh this many seconds before the access token expires (default 300).
    pub fn refresh_margin(mut self, seconds: i64) -> Self {
        self.settings.refresh_margin = seconds.max(0);
        self
    }

    /// The API's base URL (default `https://wbsapi.withings.net`; the sandbox's for tests).
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.settings.base_url = url.into();
        self
    }

    setters! {
        /// OAuth 2: the clock expiries are read by (default the system's, Unix seconds).
        clock(clock: Clock);
        /// GET (default) or POST.
        method(method: HttpMethod);
        /// Time to establish a connection (default 10 s).
        connect_timeout(d: Duration);
        /// Time for one complete answer, body included (default 30 s).
        request_timeout(d: Duration);
        /// The largest answer body read (default [`DEFAULT_MAX_BODY`]); a longer one fails
        /// with an error naming the limit ([`Error::body_limit`]), and is not retried.
        max_body(bytes: usize);
        /// How to retry.
        retry(policy: RetryPolicy);
    }

    /// The client: HTTPS through rustls (with the root store the crate features choose) and
    /// plain HTTP (for the loopback sandbox).
    pub fn build(self) -> Result<Client, Error> {
        let hyper = http_client(self.settings.connect_timeout)?;
        self.assemble(hyper)
    }

    /// The client over a given connection pool.
    fn assemble(
        self,
        hyper: HyperClient<Connector, http_body_util::Full<bytes::Bytes>>,
    ) -> Result<Client, Error> {
        let settings = self.settings;
        let (session, bearer, consumer) = match self.auth {
            Auth::OAuth1 { consumer, token } => {
                (Session::new(consumer.clone(), token), None, Some(consumer))
            }
            Auth::OAuth2 { app, tokens, sink } => (
                Session::bearer(),
                Some(Bearer {
                    app,
                    token_url: token_url(&settings.base_url),
                    state: tokio::sync::Mutex::new(State::new(tokens)),
                    sink,
                    clock: settings.clock.clone(),
                    margin: settings.refresh_margin,
                    refreshes: AtomicU64::new(0),
                }),
                None,
            ),
        };
        let session = session
            .with_base_url(&settings.base_url)?
            .with_method(settings.method);
        Ok(Client {
            inner: Arc::new(Inner {
                hyper,
                session,
                bearer,
                consumer,
                settings,
            }),
        })
    }
}

pub(crate) type Connector = HttpsConnector<HttpConnector>;

/// A pooled HTTP(S) client: HTTPS through rustls, plain HTTP for the loopback sandbox.
pub(crate) fn http_client(
    connect_timeout: Duration,
) -> Result<HyperClient<Connector, http_body_util::Full<bytes::Bytes>>, Error> {
    let mut http = HttpConnector::new();
    http.set_connect_timeout(Some(connect_timeout));
    http.enforce_http(false);
    let tls = tls_builder()?
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Ok(HyperClient::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .build(tls))
}

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
