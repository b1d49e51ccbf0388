//! OAuth 2 as the WBS service speaks it today, with no I/O, clock or RNG: the authorize
//! URL and its `state`, the token requests of both grants, the `{status, body}` envelope
//! they answer in (what generic OAuth 2 libraries trip on), and the v2 HMAC-SHA256
//! signatures. The facts are in `shared/spec/oauth2-notes.md`.
//!
//! ```text
//!   authorize_url(client_id, redirect_uri, scope, state) ──> browser ──> redirect
//!   parse_redirect(redirect, state) ──> code
//!   token_request_body(app, Grant::AuthorizationCode | Grant::RefreshToken, auth)
//!        ──> POST /v2/oauth2 ──> decode_token_response(body, now) ──> TokenSet
//!   sign(secret, params) / verify(…)          (v2 signature service, hex HMAC-SHA256)
//!   nonce_request_body(app, timestamp) ──> POST /v2/signature ──> nonce
//!
//!   the server's side reads the same requests back:
//!   AuthorizeRequest::from_query ──> redirect_url(redirect_uri, code, state)
//!   TokenRequest::from_form ──> proof.holds(app), grant
//!   NonceRequest::from_form ──> holds(app)
//! ```
//!
//! Each refresh returns a new refresh token that replaces the old one: keep the
//! [`TokenSet`] before the new access token is used (wbs-hyper's token manager does).
//!
//! ```
//! use wbs_oauth2::*;
//! let app = ClientCredentials::new("my-id", "my-secret");
//! let url = authorize_url(AUTHORIZE_URL, &app.client_id, "https://example.com/cb", DEFAULT_SCOPE, "st4te");
//! assert!(url.contains("state=st4te"));
//! let code = parse_redirect("https://example.com/cb?code=c0de&state=st4te", "st4te").unwrap();
//! let body = token_request_body(&app, Grant::AuthorizationCode { code: &code, redirect_uri: "https://example.com/cb" }, ClientAuth::Secret);
//! assert!(body.starts_with("action=requesttoken&grant_type=authorization_code"));
//! let answer = br#"{"status":0,"body":{"userid":29,"access_token":"a","refresh_token":"r","expires_in":10800}}"#;
//! assert_eq!(decode_token_response(answer, 0).unwrap().expires_at, 10800);
//! ```
#![forbid(unsafe_code)]

mod authorize;
mod persist;
mod request;
mod signature;
mod token;

pub use authorize::{
    authorize_url, parse_redirect, redirect_url, RedirectError, AUTHORIZE_PATH, AUTHORIZE_URL,
    DEFAULT_SCOPE,
};
pub use persist::{BoxFuture, NoSink, SinkError, SinkFuture, TokenSink};
pub use request::{
    bearer_token, nonce_request_body, AuthorizeRequest, ClientProof, GrantRequest, NonceRequest,
    RequestError, TokenRequest,
};
pub use signature::{sign, verify, SIGNATURE_PATH};
pub use token::{
    decode_token_response, token_request_body, ClientAuth, ClientCredentials, Grant, TokenError,
    TokenSet, TOKEN_PATH,
};
