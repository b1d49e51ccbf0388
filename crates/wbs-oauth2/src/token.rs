//! The token endpoint: requests for both grants, and the status envelope they answer in.

use std::fmt;

use serde::Deserialize;
use serde_json::Value;
use wbs_oauth::{append_form, Secret};

use crate::request::{requesttoken_signed, REQUESTTOKEN};
use crate::signature::sign;

/// The token endpoint's path (on the API's host).
pub const TOKEN_PATH: &str = "/v2/oauth2";

/// An application's OAuth 2 credentials. `Debug` shows the id and a redacted secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientCredentials {
    /// `client_id`.
    pub client_id: String,
    /// `client_secret`.
    pub client_secret: Secret,
}

impl ClientCredentials {
    /// An application's id and secret.
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<Secret>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        }
    }
}

/// What a token request trades for a token set. `Debug` leaves the code out: with the
/// application's secret, it buys the user's tokens.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum Grant<'a> {
    /// The code of the redirect, and the `redirect_uri` the authorize URL named.
    AuthorizationCode {
        /// The code (valid 30 seconds, once).
        code: &'a str,
        /// The redirect URI, exactly as in the authorize URL.
        redirect_uri: &'a str,
    },
    /// The last refresh token received (each refresh returns a new one).
    RefreshToken(&'a Secret),
}

impl fmt::Debug for Grant<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::AuthorizationCode { redirect_uri, .. } => f
                .debug_struct("AuthorizationCode")
                .field("code", &"<redacted>")
                .field("redirect_uri", redirect_uri)
                .finish(),
            Self::RefreshToken(token) => f.debug_tuple("RefreshToken").field(token).finish(),
        }
    }
}

/// How a token request proves the application.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum ClientAuth<'a> {
    /// `client_secret` in the form.
    Secret,
    /// `nonce` and `signature` in place of the secret (a nonce from the signature
    /// service, used once).
    Signed {
        /// The nonce.
        nonce: &'a str,
    },
}

/// The form body of a token request (`POST {api}/v2/oauth2`, form-encoded).
///
/// ```
/// use wbs_oauth2::{token_request_body, ClientAuth, ClientCredentials, Grant};
/// let app = ClientCredentials::new("my-id", "my-secret");
/// let grant = Grant::AuthorizationCode { code: "c0de", redirect_uri: "https://example.com/cb" };
/// assert_eq!(token_request_body(&app, grant, ClientAuth::Secret),
///     "action=requesttoken&grant_type=authorization_code&client_id=my-id\
///      &client_secret=my-secret&code=c0de&redirect_uri=https%3A%2F%2Fexample.com%2Fcb");
/// ```
pub fn token_request_body(
    app: &ClientCredentials,
    grant: Grant<'_>,
    auth: ClientAuth<'_>,
) -> String {
    let grant_type = match grant {
        Grant::AuthorizationCode { .. } => "authorization_code",
        Grant::RefreshToken(_) => "refresh_token",
    };
    let mut body = String::with_capacity(256);
    // Each value percent-encoded straight into the body: no copy of a secret on the side.
    append_form(
        &mut body,
        [
            ("action", REQUESTTOKEN),
            ("grant_type", grant_type),
            ("client_id", &app.client_id),
        ],
    );
    match auth {
        ClientAuth::Secret => {
            append_form(&mut body, [("client_secret", app.client_secret.expose())])
        }
        ClientAuth::Signed { nonce } => {
            let signature = sign(
                &app.client_secret,
                &requesttoken_signed(&app.client_id, nonce),
            );
            append_form(&mut body, [("nonce", nonce), ("signature", &signature)]);
        }
    }
    match grant {
        Grant::AuthorizationCode { code, redirect_uri } => {
            append_form(&mut body, [("code", code), ("redirect_uri", redirect_uri)]);
        }
        Grant::RefreshToken(token) => append_form(&mut body, [("refresh_token", token.expose())]),
    }
    body
}

/// What a token request brought: whose, the tokens, and when the access token expires.
/// `Debug` shows the tokens redacted.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenSet {
    /// The user (sent as a string or an integer).
    pub userid: i64,
    /// The access token, for `Authorization: Bearer`.
    pub access_token: Secret,
    /// The refresh token: it replaces every earlier one (keep it before using the access
    /// token).
    pub refresh_token: Secret,
    /// When the access token expires, in Unix seconds (the caller's clock at the answer,
    /// plus `expires_in`).
    pub expires_at: i64,
    /// The scopes granted, comma-separated.
    pub scope: String,
}

impl TokenSet {
    /// A token set (a stored one, read back).
    pub fn new(
        userid: i64,
        access_token: impl Into<Secret>,
        refresh_token: impl Into<Secret>,
        expires_at: i64,
        scope: impl Into<String>,
    ) -> Self {
        Self {
            userid,
            access_token: access_token.into(),
            refresh_token: refresh_token.into(),
            expires_at,
            scope: scope.into(),
        }
    }

    /// The token endpoint's answer that carries this set, as the service writes it (the
    /// user id as text, `expires_in` counted from `now`); [`decode_token_response`] reads
    /// it back.
    ///
    /// ```
    /// use wbs_oauth2::{decode_token_response, TokenSet};
    /// let set = TokenSet::new(29, "a", "r", 1_700_010_800, "user.metrics");
    /// let body = set.to_envelope(1_700_000_000);
    /// assert_eq!(decode_token_response(body.as_bytes(), 1_700_000_000), Ok(set));
    /// ```
    pub fn to_envelope(&self, now: i64) -> String {
        serde_json::json!({"status": 0, "body": {
            "userid": self.userid.to_string(),
            "access_token": self.access_token.expose(),
            "refresh_token": self.refresh_token.expose(),
            "expires_in": self.expires_at.saturating_sub(now),
            "scope": self.scope,
            "token_type": "Bearer",
        }})
        .to_string()
    }
}

/// Why a token answer gave no token set.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The service refused, with its status and, when it says, why (an invalid or used
    /// code, a revoked refresh token, bad parameters, 601 rate limit).
    #[error("the token request was refused with status {status}{}", .error.as_deref().map(|e| format!(": {e}")).unwrap_or_default())]
    Refused {
        /// The envelope's status (never 0).
        status: i64,
        /// The envelope's `error` text.
        error: Option<String>,
    },
    /// Not the envelope: not JSON, or no status.
    #[error("the token answer is not the service's envelope: {0}")]
    NotEnvelope(String),
    /// A field is missing, empty or of a wrong kind: the answer is not used (an empty
    /// refresh token must never replace a good one).
    #[error("the token answer's {field} is missing or invalid")]
    Field {
        /// Which.
        field: &'static str,
    },
}

impl TokenError {
    /// Whether trying the same request again later may succeed: a rate limit or server
    /// error, or an answer that was not the envelope (cut short, a proxy's page).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Refused { status, .. } => *status == 601 || *status == 2555,
            Self::NotEnvelope(_) => true,
            Self::Field { .. } => false,
        }
    }

    /// Whether the service refused for its rate limit (601): wait a minute.
    pub fn is_rate_limited(&self) -> bool {
        matches!(self, Self::Refused { status: 601, .. })
    }
}

#[derive(Deserialize)]
struct Envelope {
    status: Value,
    #[serde(default)]
    body: Value,
    #[serde(default)]
    error: Option<Value>,
}

/// Reads a token answer (HTTP 200 always; the status is in the envelope) at `now` (Unix
/// seconds, the caller's clock): `userid` as a string or an integer, `expires_in` turned
/// into an expiry instant.
///
/// ```
/// let body = br#"{"status":0,"body":{"userid":"29","access_token":"a","refresh_token":"r",
///     "expires_in":10800,"scope":"user.metrics","token_type":"Bearer"}}"#;
/// let set = wbs_oauth2::decode_token_response(body, 1_700_000_000).unwrap();
/// assert_eq!((set.userid, set.expires_at), (29, 1_700_010_800));
/// ```
pub fn decode_token_response(body: &[u8], now: i64) -> Result<TokenSet, TokenError> {
    let envelope: Envelope =
        serde_json::from_slice(body).map_err(|e| TokenError::NotEnvelope(e.to_string()))?;
    let status = integer(&envelope.status)
        .ok_or_else(|| TokenError::NotEnvelope("no integer status".into()))?;
    if status != 0 {
        let error = envelope.error.map(|e| match e {
            Value::String(s) => s,
            other => other.to_string(),
        });
        return Err(TokenError::Refused { status, error });
    }
    let body = &envelope.body;
    let text = |field: &'static str| -> Result<String, TokenError> {
        match body.get(field) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            _ => Err(TokenError::Field { field }),
        }
    };
    let userid = body
        .get("userid")
        .and_then(integer)
        // A user id is positive: no request could name 0 or below.
        .filter(|u| *u > 0)
        .ok_or(TokenError::Field { field: "userid" })?;
    let expires_in = body
        .get("expires_in")
        .and_then(integer)
        .filter(|s| *s > 0)
        .ok_or(TokenError::Field {
            field: "expires_in",
        })?;
    if let Some(kind) = body.get("token_type").and_then(Value::as_str) {
        if !kind.eq_ignore_ascii_case("bearer") {
            return Err(TokenError::Field {
                field: "token_type",
            });
        }
    }
    Ok(TokenSet {
        userid,
        access_token: Secret::new(text("access_token")?),
        refresh_token: Secret::new(text("refresh_token")?),
        expires_at: now.saturating_add(expires_in),
        scope: body
            .get("scope")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    })
}

/// An integer sent as a number or as decimal text.
fn integer(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}
