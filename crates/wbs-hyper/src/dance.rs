//! The OAuth dance: request token, the user's approval, access token.

use std::fmt;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::TokioExecutor;
use wbs_proto::wbs_model::UserId;
use wbs_proto::wbs_oauth::flow::TokenResponse;
use wbs_proto::wbs_oauth::Credentials;
use wbs_proto::{decode_token_response, OAuthEndpoints, TokenError};

use crate::error::{Error, Kind};

/// The three-legged flow for one application.
///
/// ```no_run
/// # async fn demo() -> Result<(), wbs_hyper::Error> {
/// use wbs_hyper::{CallbackListener, Credentials, OAuthDance};
/// let dance = OAuthDance::new(Credentials::new("consumer-key", "consumer-secret"))?;
/// let callback = CallbackListener::bind("127.0.0.1:0".parse().unwrap()).await.map_err(wbs_hyper::Error::io)?;
/// let request_token = dance.request_token(&callback.url()).await?;
/// println!("open {}", dance.authorize_url(&request_token)?);
/// let approved = callback.wait().await?;
/// let (token, userid) = dance.access_token(&request_token, &approved.verifier).await?;
/// # Ok(()) }
/// ```
pub struct OAuthDance {
    consumer: Credentials,
    endpoints: OAuthEndpoints,
    http: HyperClient<crate::client::Connector, Full<Bytes>>,
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
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        let tls = crate::client::tls_builder()?
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(Self {
            consumer,
            endpoints,
            http: HyperClient::builder(TokioExecutor::new()).build(tls),
        })
    }

    async fn exchange(
        &self,
        request: wbs_proto::http::Request<Vec<u8>>,
    ) -> Result<TokenResponse, Error> {
        let (status, body) =
            crate::client::send(&self.http, request.map(|b| Full::new(Bytes::from(b)))).await?;
        decode_token_response(status, &body).map_err(|e| Error::new(Kind::Token(e), None))
    }

    /// Step 1: a request token, with the URL the user is sent back to (or `oob`).
    pub async fn request_token(&self, callback: &str) -> Result<Credentials, Error> {
        let nonce = nonce()?;
        let request = self.endpoints.request_token(
            &self.consumer,
            callback,
            &nonce,
            wbs_proto::wbs_oauth::unix_timestamp(),
        )?;
        Ok(self.exchange(request).await?.token)
    }

    /// Step 2: the URL to send the user to.
    pub fn authorize_url(&self, request_token: &Credentials) -> Result<String, Error> {
        Ok(self.endpoints.authorize_url(
            &self.consumer,
            request_token,
            &nonce()?,
            wbs_proto::wbs_oauth::unix_timestamp(),
        )?)
    }

    /// Step 3: the user's access token and id, for the verifier the callback carried.
    pub async fn access_token(
        &self,
        request_token: &Credentials,
        verifier: &str,
    ) -> Result<(Credentials, UserId), Error> {
        let request = self.endpoints.access_token(
            &self.consumer,
            request_token,
            verifier,
            &nonce()?,
            wbs_proto::wbs_oauth::unix_timestamp(),
        )?;
        let response = self.exchange(request).await?;
        let userid = response
            .get("userid")
            .and_then(|u| u.parse::<i64>().ok())
            .map(UserId::new)
            .ok_or_else(|| {
                Error::new(
                    Kind::Token(TokenError::Invalid(
                        wbs_proto::wbs_oauth::Error::InvalidTokenResponse("no userid"),
                    )),
                    None,
                )
            })?;
        Ok((response.token, userid))
    }
}

fn nonce() -> Result<String, Error> {
    wbs_proto::wbs_oauth::random_nonce().map_err(|e| Error::new(Kind::Transport, Some(Box::new(e))))
}
