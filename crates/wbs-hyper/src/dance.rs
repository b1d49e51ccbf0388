//! The OAuth dance: request token, the user's approval, access token.

use std::fmt;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client as HyperClient;
use wbs_proto::wbs_oauth::Credentials;
use wbs_proto::{decode_token_response, AccessToken, InvalidRequest, OAuthEndpoints};

use crate::error::{Error, Kind};
use crate::ratelimit::build_in_slot;
use crate::RateLimiter;

/// The three-legged flow for one application.
///
/// ```no_run
/// # async fn demo() -> Result<(), wbs_hyper::Error> {
/// use wbs_hyper::{CallbackListener, Credentials, OAuthDance};
/// let dance = OAuthDance::new(Credentials::new("consumer-key", "consumer-secret"))?;
/// let callback = CallbackListener::bind("127.0.0.1:0".parse().unwrap()).await.map_err(wbs_hyper::Error::io)?;
/// let request_token = dance.request_token(&callback.url()).await?;
/// println!("open {}", dance.authorize_url(&request_token)?);
/// callback.expect_token(&request_token.key);
/// let approved = callback.wait(std::time::Duration::from_secs(600)).await?;
/// let access = dance.access_token(&request_token, &approved.verifier).await?;
/// println!("user {}", access.userid);
/// # Ok(()) }
/// ```
pub struct OAuthDance {
    consumer: Credentials,
    endpoints: OAuthEndpoints,
    timeout: Duration,
    rate_limit: Option<RateLimiter>,
    http: HyperClient<crate::builder::Connector, Full<Bytes>>,
}

impl fmt::Debug for OAuthDance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthDance")
            .field("consumer", &self.consumer)
            .field("endpoints", &self.endpoints)
            .finish_non_exhaustive()
    }
}

impl OAuthDance {
    /// Against the service's endpoints.
    pub fn new(consumer: Credentials) -> Result<Self, Error> {
        Self::with_endpoints(consumer, OAuthEndpoints::default())
    }

    /// Against other endpoints (the sandbox's: `OAuthEndpoints::under(base_url)`).
    pub fn with_endpoints(consumer: Credentials, endpoints: OAuthEndpoints) -> Result<Self, Error> {
        Ok(Self {
            consumer,
            endpoints,
            timeout: Duration::from_secs(30),
            rate_limit: None,
            http: crate::builder::http_client(Duration::from_secs(10))?,
        })
    }

    /// Time for each token endpoint's complete answer (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Books a slot of `limit` before each token request: they count against the
    /// consumer's limit as the API calls do (give it the limiter the application's clients
    /// share).
    pub fn rate_limit(mut self, limit: RateLimiter) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Step 1: a request token, with the URL the user is sent back to (or `oob`).
    pub async fn request_token(&self, callback: &str) -> Result<Credentials, Error> {
        let (status, body) = self
            .send(|nonce, now| {
                self.endpoints
                    .request_token(&self.consumer, callback, nonce, now)
            })
            .await?;
        Ok(decode_token_response(status, &body)?.token)
    }

    /// Step 2: the URL to send the user to (RFC 5849 §2.2).
    pub fn authorize_url(&self, request_token: &Credentials) -> Result<String, Error> {
        Ok(self.endpoints.authorize_url(&request_token.key)?)
    }

    /// Step 3: the user's access token and id, for the verifier the callback carried.
    pub async fn access_token(
        &self,
        request_token: &Credentials,
        verifier: &str,
    ) -> Result<AccessToken, Error> {
        let (status, body) = self
            .send(|nonce, now| {
                self.endpoints
                    .access_token(&self.consumer, request_token, verifier, nonce, now)
            })
            .await?;
        AccessToken::decode(status, &body).map_err(Error::from)
    }

    /// Signs in the request's rate-limit slot ([`build_in_slot`]; `sign` is given a fresh
    /// nonce and the time) and sends.
    async fn send(
        &self,
        sign: impl Fn(&str, u64) -> Result<wbs_proto::http::Request<Vec<u8>>, InvalidRequest>,
    ) -> Result<(wbs_proto::http::StatusCode, Bytes), Error> {
        let request = build_in_slot(self.rate_limit.as_ref(), || {
            let nonce = wbs_proto::wbs_oauth::random_nonce()?;
            Ok(sign(&nonce, wbs_proto::wbs_oauth::unix_timestamp())?)
        })
        .await?;
        let request = request.map(|b| Full::new(Bytes::from(b)));
        // A token endpoint answers a few hundred bytes.
        let exchange = crate::client::send(&self.http, request, 64 * 1024);
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| Error::new(Kind::Timeout, None))?
    }
}
