//! The three OAuth endpoints of the service: request token, authorization, access token.

use std::fmt;

use wbs_oauth::flow::TokenResponse;
use wbs_oauth::{Credentials, OAuthParams, Signer};

use crate::error::{excerpt, InvalidRequest};
use crate::request::check_base_url;

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
    /// `{base}/account/request_token`, `/authorize`, `/access_token` (the sandbox's too).
    pub fn under(base: &str) -> Self {
        let base = base.trim_end_matches('/');
        Self {
            request_token: format!("{base}/account/request_token"),
            authorize: format!("{base}/account/authorize"),
            access_token: format!("{base}/account/access_token"),
        }
    }

    /// The request-token request: a signed GET with `oauth_callback` (a URL, or `oob`).
    pub fn request_token(
        &self,
        consumer: &Credentials,
        callback: &str,
        nonce: &str,
        timestamp: u64,
    ) -> Result<http::Request<Vec<u8>>, InvalidRequest> {
        check_base_url(&self.request_token)?;
        let ts = timestamp.to_string();
        let oauth = OAuthParams::new(&consumer.key, nonce, &ts).callback(callback);
        let signed = Signer::hmac_sha1(&consumer.secret, None).sign::<&str, &str>(
            "GET",
            &self.request_token,
            &[],
            &oauth,
        )?;
        http::Request::get(signed.query_url())
            .body(Vec::new())
            .map_err(|_| InvalidRequest::Http)
    }

    /// The URL to send the user to. The service wanted it signed like any request, with the
    /// request token; a plain RFC 5849 provider ignores the extra parameters.
    pub fn authorize_url(
        &self,
        consumer: &Credentials,
        request_token: &Credentials,
        nonce: &str,
        timestamp: u64,
    ) -> Result<String, InvalidRequest> {
        check_base_url(&self.authorize)?;
        let ts = timestamp.to_string();
        let oauth = OAuthParams::new(&consumer.key, nonce, &ts).token(&request_token.key);
        let signer = Signer::hmac_sha1(&consumer.secret, Some(&request_token.secret));
        Ok(signer
            .sign::<&str, &str>("GET", &self.authorize, &[], &oauth)?
            .query_url())
    }

    /// The access-token request: a signed GET with the request token and the verifier.
    pub fn access_token(
        &self,
        consumer: &Credentials,
        request_token: &Credentials,
        verifier: &str,
        nonce: &str,
        timestamp: u64,
    ) -> Result<http::Request<Vec<u8>>, InvalidRequest> {
        check_base_url(&self.access_token)?;
        let ts = timestamp.to_string();
        let oauth = OAuthParams::new(&consumer.key, nonce, &ts)
            .token(&request_token.key)
            .verifier(verifier);
        let signer = Signer::hmac_sha1(&consumer.secret, Some(&request_token.secret));
        let signed = signer.sign::<&str, &str>("GET", &self.access_token, &[], &oauth)?;
        http::Request::get(signed.query_url())
            .body(Vec::new())
            .map_err(|_| InvalidRequest::Http)
    }
}

/// A token endpoint refused or answered something unusable.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// HTTP 500 with an empty body: how the service refused bad consumer credentials.
    BadConsumer,
    /// `unauthorized token`: how the service refused a bad or used request token.
    UnauthorizedToken,
    /// Another HTTP status.
    Http {
        /// The status code.
        status: u16,
        /// The start of the body.
        excerpt: String,
    },
    /// The body is not a token response.
    Invalid(wbs_oauth::Error),
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadConsumer => f.write_str(
                "the token endpoint refused the consumer key or secret (HTTP 500, empty body)",
            ),
            Self::UnauthorizedToken => {
                f.write_str("the token endpoint refused the request token (unauthorized token)")
            }
            Self::Http { status, excerpt } => {
                write!(f, "token endpoint answered HTTP {status}: {excerpt:?}")
            }
            Self::Invalid(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for TokenError {}

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
