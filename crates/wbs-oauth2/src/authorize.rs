//! The browser leg: the authorize URL, and the redirect that comes back with a code.

use subtle::ConstantTimeEq as _;
use wbs_oauth::{form_pairs, with_query};

/// The service's authorize endpoint.
pub const AUTHORIZE_URL: &str = "https://account.withings.com/oauth2_user/authorize2";

/// The path of the authorize endpoint, for a base URL of another host (the sandbox's).
pub const AUTHORIZE_PATH: &str = "/oauth2_user/authorize2";

/// The scopes a client of measures needs.
pub const DEFAULT_SCOPE: &str = "user.info,user.metrics";

/// The URL to send the user to: `response_type=code`, the client, where to come back, the
/// scopes (comma-separated) and the `state` to check on return (an unguessable value the
/// caller draws and keeps: this crate has no RNG).
///
/// ```
/// let url = wbs_oauth2::authorize_url(wbs_oauth2::AUTHORIZE_URL, "my-id",
///     "https://example.com/cb", "user.metrics", "Xy12");
/// assert_eq!(url, "https://account.withings.com/oauth2_user/authorize2?response_type=code\
///     &client_id=my-id&state=Xy12&scope=user.metrics&redirect_uri=https%3A%2F%2Fexample.com%2Fcb");
/// let tagged = wbs_oauth2::authorize_url("https://example.com/a?tenant=7", "i", "r", "s", "t");
/// assert!(tagged.starts_with("https://example.com/a?tenant=7&response_type=code&"));
/// ```
pub fn authorize_url(
    endpoint: &str,
    client_id: &str,
    redirect_uri: &str,
    scope: &str,
    state: &str,
) -> String {
    // An endpoint that carries a query already gets the parameters after it.
    with_query(
        endpoint,
        [
            ("response_type", "code"),
            ("client_id", client_id),
            ("state", state),
            ("scope", scope),
            ("redirect_uri", redirect_uri),
        ],
    )
}

/// The redirect back to the client with a `code` and the request's `state`, as the
/// authorize page sends it ([`parse_redirect`] reads it).
///
/// ```
/// let back = wbs_oauth2::redirect_url("https://example.com/cb?tenant=7", "c0de", "a b");
/// assert_eq!(back, "https://example.com/cb?tenant=7&code=c0de&state=a%20b");
/// assert_eq!(wbs_oauth2::parse_redirect(&back, "a b").as_deref(), Ok("c0de"));
/// ```
pub fn redirect_url(redirect_uri: &str, code: &str, state: &str) -> String {
    with_query(redirect_uri, [("code", code), ("state", state)])
}

/// Why a redirect does not carry a code this client may use.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RedirectError {
    /// The user (or the service) refused: its `error` parameter.
    #[error("the authorization was refused: {0}")]
    Refused(String),
    /// No `state`, or not the one this client sent: not an answer to its request (a
    /// forged or stale redirect).
    #[error("the redirect's state is not the one sent: not an answer to this request")]
    StateMismatch,
    /// No `code`.
    #[error("the redirect carries no code")]
    NoCode,
}

/// The code of a redirect (a whole URL, or its query alone), once its `state` is checked
/// against the one sent, in constant time.
///
/// ```
/// use wbs_oauth2::{parse_redirect, RedirectError};
/// let code = parse_redirect("https://example.com/cb?code=c0de&state=Xy12", "Xy12");
/// assert_eq!(code.as_deref(), Ok("c0de"));
/// assert_eq!(parse_redirect("code=c0de&state=other", "Xy12"), Err(RedirectError::StateMismatch));
/// ```
pub fn parse_redirect(redirect: &str, expected_state: &str) -> Result<String, RedirectError> {
    let query = match redirect.split_once('?') {
        Some((_, q)) => q,
        None => redirect,
    };
    let query = query.split('#').next().unwrap_or(query);
    let state = form_pairs(query).find("state");
    let matches = state
        .as_deref()
        .is_some_and(|s| bool::from(s.as_bytes().ct_eq(expected_state.as_bytes())));
    if !matches {
        return Err(RedirectError::StateMismatch);
    }
    if let Some(error) = form_pairs(query).find("error") {
        return Err(RedirectError::Refused(error.into_owned()));
    }
    match form_pairs(query).find("code") {
        Some(code) if !code.is_empty() => Ok(code.into_owned()),
        _ => Err(RedirectError::NoCode),
    }
}
