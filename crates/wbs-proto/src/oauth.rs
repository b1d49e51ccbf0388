//! The three OAuth endpoints of the service: request token, authorization, access token.
//! The messages are `wbs_oauth::flow`'s; this adds the service's endpoints, `http` types,
//! its ways of refusing, and the `userid` of the access token.

use wbs_model::UserId;
use wbs_oauth::flow::{self, TokenResponse};
use wbs_oauth::Credentials;

use crate::error::{excerpt, InvalidRequest};
use crate::session::check_base_url;

/// Where the three-legged flow happens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthEndpoints {
    /// Temporary credentials (RFC 5849 §2.1).
    pub request_token: String,
    /// Where the user approves (§2.2).
    pub authorize: String,
    /// Token credentials (§2.3).
    pub access_token: String,
}

impl Default for OAuthEndpoints {
    /// The service's: `https://oauth.withings.com/account/…`.
    fn default() -> Self {
        Self::under("https://oauth.withings.com")
    }
}

impl OAuthEndpoints {
    /// The request-token endpoint's path on the service (and the sandbox).
    pub const REQUEST_TOKEN_PATH: &'static str = "/account/request_token";
    /// The authorization page's path.
    pub const AUTHORIZE_PATH: &'static str = "/account/authorize";
    /// The access-token endpoint's path.
    pub const ACCESS_TOKEN_PATH: &'static str = "/account/access_token";

    /// The three paths under `base` (the sandbox's too).
    pub fn under(base: &str) -> Self {
        let base = base.trim_end_matches('/');
        Self {
            request_token: format!("{base}{}", Self::REQUEST_TOKEN_PATH),
            authorize: format!("{base}{}", Self::AUTHORIZE_PATH),
            access_token: format!("{base}{}", Self::ACCESS_TOKEN_PATH),
        }
    }

    /// The request-token request (RFC 5849 §2.1): a GET signed by
    /// [`wbs_oauth::flow::request_token`], with `oauth_callback` (a URL, or `oob`).
    pub fn request_token(
        &self,
        consumer: &Credentials,
        callback: &str,
        nonce: &str,
        timestamp: u64,
    ) -> Result<http::Request<Vec<u8>>, InvalidRequest> {
        signed_get(&self.request_token, |url| {
            flow::request_token(
                consumer,
                "GET",
                url,
                callback,
                nonce,
                &timestamp.to_string(),
            )
        })
    }

    /// The URL to send the user to (§2.2): the authorize endpoint with `oauth_token`, as
    /// [`wbs_oauth::flow::authorize_url`] builds it. It is a redirect the user's browser
    /// follows, not a signed request.
    pub fn authorize_url(&self, request_token: &str) -> Result<String, InvalidRequest> {
        check_base_url(&self.authorize)?;
        Ok(flow::authorize_url(&self.authorize, request_token)?)
    }

    /// The access-token request (§2.3): a GET signed by [`wbs_oauth::flow::access_token`]
    /// with the request token and the verifier. Decode its answer with
    /// [`AccessToken::decode`].
    pub fn access_token(
        &self,
        consumer: &Credentials,
        request_token: &Credentials,
        verifier: &str,
        nonce: &str,
        timestamp: u64,
    ) -> Result<http::Request<Vec<u8>>, InvalidRequest> {
        signed_get(&self.access_token, |url| {
            flow::access_token(
                consumer,
                request_token,
                verifier,
                "GET",
                url,
                nonce,
                &timestamp.to_string(),
            )
        })
    }
}

/// A GET of `endpoint` (checked as a base URL), signed by `sign` in its query.
fn signed_get(
    endpoint: &str,
    sign: impl FnOnce(&str) -> Result<wbs_oauth::Signed, wbs_oauth::Error>,
) -> Result<http::Request<Vec<u8>>, InvalidRequest> {
    check_base_url(endpoint)?;
    let url = sign(endpoint)?.query_url();
    Ok(http::Request::get(url).body(Vec::new())?)
}

/// The access-token step's result as this service gives it: the user's token credentials
/// and the `userid` that every data call needs (the WBS extension of RFC 5849 §2.3).
///
/// ```
/// use wbs_proto::AccessToken;
/// let t = AccessToken::decode(http::StatusCode::OK, b"oauth_token=t&oauth_token_secret=s&userid=29")?;
/// assert_eq!((t.token.key.as_str(), t.userid.get()), ("t", 29));
/// assert!(AccessToken::decode(http::StatusCode::OK, b"oauth_token=t&oauth_token_secret=s").is_err());
/// # Ok::<(), wbs_proto::TokenError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct AccessToken {
    /// The token and its secret (`Debug` redacts the secret).
    pub token: Credentials,
    /// The user the token belongs to.
    pub userid: UserId,
}

impl AccessToken {
    /// Decodes the access-token endpoint's answer: a token response with a positive
    /// integer `userid` (sent as text, with or without quotes).
    pub fn decode(status: http::StatusCode, body: &[u8]) -> Result<Self, TokenError> {
        let response = decode_token_response(status, body)?;
        let userid = response
            .get("userid")
            .map(|u| u.trim().trim_matches('"'))
            .and_then(|u| u.parse::<UserId>().ok())
            .filter(|u| u.get() > 0)
            .ok_or(TokenError::NoUserId)?;
        Ok(Self {
            token: response.token,
            userid,
        })
    }
}

/// A token endpoint refused or answered something unusable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// HTTP 500 with an empty body: how the service refused bad consumer credentials.
    #[error("the token endpoint refused the consumer key or secret (HTTP 500, empty body)")]
    BadConsumer,
    /// `unauthorized token`: how the service refused a bad or used request token.
    #[error("the token endpoint refused the request token (unauthorized token)")]
    UnauthorizedToken,
    /// Another HTTP status.
    #[error("token endpoint answered HTTP {status}: {excerpt:?}")]
    Http {
        /// The status code.
        status: u16,
        /// The start of the body.
        excerpt: String,
    },
    /// The body is not a token response.
    #[error("the token endpoint's answer is not a token response")]
    Invalid(#[source] wbs_oauth::Error),
    /// The access token came without a usable `userid`.
    #[error("the access token came without a positive integer userid")]
    NoUserId,
}

impl TokenError {
    /// Whether asking again later may succeed: an HTTP 5xx or 429 other than the empty 500
    /// by which the service refuses the consumer (a busy service or a proxy's error page,
    /// rather than a refusal).
    ///
    /// ```
    /// use wbs_proto::{decode_token_response, TokenError};
    /// let busy = decode_token_response(http::StatusCode::SERVICE_UNAVAILABLE, b"busy").unwrap_err();
    /// assert!(busy.is_transient());
    /// assert!(!TokenError::BadConsumer.is_transient());
    /// assert!(!TokenError::UnauthorizedToken.is_transient());
    /// ```
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Http { status, .. } => crate::error::transient_http(*status),
            Self::BadConsumer | Self::UnauthorizedToken | Self::Invalid(_) | Self::NoUserId => {
                false
            }
        }
    }
}

/// Decodes a token endpoint's answer (request or access token).
///
/// ```
/// use wbs_proto::{decode_token_response, TokenError};
/// let ok = decode_token_response(http::StatusCode::OK, b"oauth_token=t&oauth_token_secret=s&userid=29").unwrap();
/// assert_eq!(ok.get("userid"), Some("29"));
/// assert_eq!(decode_token_response(http::StatusCode::OK, b"unauthorized token"), Err(TokenError::UnauthorizedToken));
/// assert_eq!(decode_token_response(http::StatusCode::INTERNAL_SERVER_ERROR, b""), Err(TokenError::BadConsumer));
/// ```
pub fn decode_token_response(
    status: http::StatusCode,
    body: &[u8],
) -> Result<TokenResponse, TokenError> {
    if status == http::StatusCode::INTERNAL_SERVER_ERROR && body.iter().all(u8::is_ascii_whitespace)
    {
        return Err(TokenError::BadConsumer);
    }
    if body
        .trim_ascii()
        .eq_ignore_ascii_case(b"unauthorized token")
    {
        return Err(TokenError::UnauthorizedToken);
    }
    if !status.is_success() {
        return Err(TokenError::Http {
            status: status.as_u16(),
            excerpt: excerpt(body, false),
        });
    }
    TokenResponse::parse(body).map_err(TokenError::Invalid)
}
