//! The same requests read back, as the service reads them: the authorize page's query,
//! the token endpoint's form and the signature service's form, each into a typed request
//! or an error naming the parameter. A server (the sandbox) reads through these, so that
//! what clients write and what it accepts are one contract.

use std::borrow::Cow;
use std::fmt;

use subtle::ConstantTimeEq as _;
use wbs_oauth::{append_form, check_http_url, form_pairs, Secret};

use crate::signature::verify;
use crate::token::{ClientCredentials, Grant};

/// The token endpoint's `action`.
pub(crate) const REQUESTTOKEN: &str = "requesttoken";
/// The signature service's `action`.
const GETNONCE: &str = "getnonce";

/// Why a request to an OAuth 2 endpoint cannot be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// A required parameter is absent (or does not percent-decode).
    #[error("{0} is required")]
    Missing(&'static str),
    /// A parameter is there but not a value the endpoint takes.
    #[error("{name}: {why}")]
    Invalid {
        /// The parameter.
        name: &'static str,
        /// What is wrong with it.
        why: &'static str,
    },
}

/// The decoded parameters of a query or form, looked up by name (the first of each).
struct Params<'a>(&'a str);

impl<'a> Params<'a> {
    /// A form body whose `action` must be `action` (else invalid: `why`).
    fn with_action(body: &'a str, action: &str, why: &'static str) -> Result<Self, RequestError> {
        let params = Params(body);
        params.expect("action", action, why)?;
        Ok(params)
    }

    fn get(&self, name: &str) -> Option<String> {
        form_pairs(self.0).find(name).map(Cow::into_owned)
    }

    fn required(&self, name: &'static str) -> Result<String, RequestError> {
        self.get(name).ok_or(RequestError::Missing(name))
    }

    /// Checks that `name` is exactly `value`.
    fn expect(
        &self,
        name: &'static str,
        value: &str,
        why: &'static str,
    ) -> Result<(), RequestError> {
        match self.get(name) {
            Some(v) if v == value => Ok(()),
            Some(_) => Err(RequestError::Invalid { name, why }),
            None => Err(RequestError::Missing(name)),
        }
    }
}

/// An authorize request (`GET …/oauth2_user/authorize2?response_type=code&…`), as the
/// authorize page reads what [`authorize_url`](crate::authorize_url) writes.
///
/// ```
/// use wbs_oauth2::{authorize_url, AuthorizeRequest};
/// let url = authorize_url("http://127.0.0.1:1/a", "my-id", "https://example.com/cb", "user.metrics", "st");
/// let read = AuthorizeRequest::from_query(url.split_once('?').unwrap().1).unwrap();
/// assert_eq!((read.client_id.as_str(), read.redirect_uri.as_str()), ("my-id", "https://example.com/cb"));
/// assert_eq!((read.state.as_str(), read.scope.as_deref()), ("st", Some("user.metrics")));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthorizeRequest {
    /// `client_id`.
    pub client_id: String,
    /// `redirect_uri`: an http(s) URL with a host.
    pub redirect_uri: String,
    /// `state`, returned in the redirect.
    pub state: String,
    /// `scope`, if given.
    pub scope: Option<String>,
}

impl AuthorizeRequest {
    /// Reads an authorize request's query: `response_type=code`, `client_id`,
    /// `redirect_uri` (http or https) and `state` are required.
    pub fn from_query(query: &str) -> Result<Self, RequestError> {
        let params = Params(query);
        params.expect("response_type", "code", "must be code")?;
        let redirect_uri = params.required("redirect_uri")?;
        if check_http_url(&redirect_uri).is_err() {
            return Err(RequestError::Invalid {
                name: "redirect_uri",
                why: "must be an http(s) URL",
            });
        }
        Ok(Self {
            client_id: params.required("client_id")?,
            redirect_uri,
            state: params.required("state")?,
            scope: params.get("scope"),
        })
    }
}

/// How a token request proves the application, as read: the secret, or a signed nonce.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientProof {
    /// `client_secret`.
    Secret(Secret),
    /// `nonce` and `signature` (hex HMAC-SHA256 over `action,client_id,nonce`).
    Signed {
        /// The nonce (from the signature service, single-use: the server checks that).
        nonce: String,
        /// The signature.
        signature: Secret,
    },
}

impl fmt::Debug for ClientProof {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Secret(_) => f.write_str("Secret(<redacted>)"),
            Self::Signed { nonce, .. } => f
                .debug_struct("Signed")
                .field("nonce", nonce)
                .finish_non_exhaustive(),
        }
    }
}

/// What a token request trades, as read. `Debug` leaves the code out.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GrantRequest {
    /// `grant_type=authorization_code`.
    AuthorizationCode {
        /// `code`.
        code: String,
        /// `redirect_uri`, to be compared with the authorize request's.
        redirect_uri: String,
    },
    /// `grant_type=refresh_token`.
    RefreshToken(Secret),
}

impl fmt::Debug for GrantRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // As the grant a client writes: one redaction for both.
        let grant = match self {
            Self::AuthorizationCode { code, redirect_uri } => {
                Grant::AuthorizationCode { code, redirect_uri }
            }
            Self::RefreshToken(token) => Grant::RefreshToken(token),
        };
        fmt::Debug::fmt(&grant, f)
    }
}

/// A token request (`POST /v2/oauth2`, `action=requesttoken`), as the token endpoint reads
/// what [`token_request_body`](crate::token_request_body) writes.
///
/// ```
/// use wbs_oauth2::*;
/// let app = ClientCredentials::new("my-id", "my-secret");
/// let grant = Grant::AuthorizationCode { code: "c0de", redirect_uri: "https://example.com/cb" };
/// for auth in [ClientAuth::Secret, ClientAuth::Signed { nonce: "n1" }] {
///     let read = TokenRequest::from_form(&token_request_body(&app, grant, auth)).unwrap();
///     assert_eq!(read.client_id, "my-id");
///     assert!(read.proof.holds(&app));
///     assert_eq!(read.grant, GrantRequest::AuthorizationCode {
///         code: "c0de".into(), redirect_uri: "https://example.com/cb".into() });
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenRequest {
    /// `client_id`.
    pub client_id: String,
    /// The secret or the signed nonce.
    pub proof: ClientProof,
    /// The grant.
    pub grant: GrantRequest,
}

impl TokenRequest {
    /// Reads a token request's form body.
    pub fn from_form(body: &str) -> Result<Self, RequestError> {
        let params = Params::with_action(body, REQUESTTOKEN, "must be requesttoken")?;
        let client_id = params.required("client_id")?;
        let proof = match (params.get("client_secret"), params.get("nonce")) {
            (Some(secret), _) => ClientProof::Secret(Secret::new(secret)),
            (None, Some(nonce)) => ClientProof::Signed {
                nonce,
                signature: Secret::new(params.required("signature")?),
            },
            (None, None) => return Err(RequestError::Missing("client_secret")),
        };
        let grant = match params.required("grant_type")?.as_str() {
            "authorization_code" => GrantRequest::AuthorizationCode {
                code: params.required("code")?,
                redirect_uri: params.required("redirect_uri")?,
            },
            "refresh_token" => {
                GrantRequest::RefreshToken(Secret::new(params.required("refresh_token")?))
            }
            _ => {
                return Err(RequestError::Invalid {
                    name: "grant_type",
                    why: "must be authorization_code or refresh_token",
                })
            }
        };
        Ok(Self {
            client_id,
            proof,
            grant,
        })
    }
}

impl TokenRequest {
    /// Whether the request is `app`'s and proves it (the client id and the secret or
    /// signature compared in constant time). A signed nonce's freshness and single use are
    /// the server's to check.
    pub fn holds(&self, app: &ClientCredentials) -> bool {
        is_client(&self.client_id, app) & self.proof.holds(app)
    }
}

impl ClientProof {
    /// Whether this proves `app` (compared in constant time). A signed nonce's freshness
    /// and single use are the server's to check.
    pub fn holds(&self, app: &ClientCredentials) -> bool {
        match self {
            Self::Secret(secret) => *secret == app.client_secret,
            Self::Signed { nonce, signature } => verify(
                &app.client_secret,
                &requesttoken_signed(&app.client_id, nonce),
                signature.expose(),
            ),
        }
    }
}

/// Whether `client_id` is `app`'s, compared in constant time.
fn is_client(client_id: &str, app: &ClientCredentials) -> bool {
    bool::from(client_id.as_bytes().ct_eq(app.client_id.as_bytes()))
}

/// The parameters a signed token request's signature covers.
pub(crate) fn requesttoken_signed<'a>(
    client_id: &'a str,
    nonce: &'a str,
) -> [(&'a str, &'a str); 3] {
    [
        ("action", REQUESTTOKEN),
        ("client_id", client_id),
        ("nonce", nonce),
    ]
}

/// The parameters a nonce request's signature covers.
fn getnonce_signed<'a>(client_id: &'a str, timestamp: &'a str) -> [(&'a str, &'a str); 3] {
    [
        ("action", GETNONCE),
        ("client_id", client_id),
        ("timestamp", timestamp),
    ]
}

/// The form body of a nonce request (`POST /v2/signature`, `action=getnonce`), signed
/// over `action,client_id,timestamp`.
///
/// ```
/// use wbs_oauth2::{nonce_request_body, ClientCredentials, NonceRequest};
/// let app = ClientCredentials::new("my-client", "client-secret");
/// let body = nonce_request_body(&app, 1_700_000_000);
/// assert_eq!(body, "action=getnonce&client_id=my-client&timestamp=1700000000\
///     &signature=8302182fbbc03c5863f05cd18ecc804e83f26e9ea178fe22d11ca75d11a2b5e9");
/// assert!(NonceRequest::from_form(&body).unwrap().holds(&app));
/// ```
pub fn nonce_request_body(app: &ClientCredentials, timestamp: u64) -> String {
    let timestamp = timestamp.to_string();
    // The body is the signed parameters, then their signature.
    let signed = getnonce_signed(&app.client_id, &timestamp);
    let signature = crate::sign(&app.client_secret, &signed);
    let mut body = String::with_capacity(160);
    append_form(&mut body, signed);
    append_form(&mut body, [("signature", signature.as_str())]);
    body
}

/// A nonce request, as the signature service reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct NonceRequest {
    /// `client_id`.
    pub client_id: String,
    /// `timestamp`, as sent.
    pub timestamp: String,
    /// `signature`.
    pub signature: Secret,
}

impl NonceRequest {
    /// Whether it is `app`'s and signed with its secret (compared in constant time).
    pub fn holds(&self, app: &ClientCredentials) -> bool {
        let signed = verify(
            &app.client_secret,
            &getnonce_signed(&self.client_id, &self.timestamp),
            self.signature.expose(),
        );
        is_client(&self.client_id, app) & signed
    }

    /// Reads a nonce request's form body.
    pub fn from_form(body: &str) -> Result<Self, RequestError> {
        let params = Params::with_action(body, GETNONCE, "must be getnonce")?;
        Ok(Self {
            client_id: params.required("client_id")?,
            timestamp: params.required("timestamp")?,
            signature: Secret::new(params.required("signature")?),
        })
    }
}

/// The access token a data request carries, as the API reads it: `Authorization: Bearer
/// TOKEN`, else `access_token` in the query.
///
/// ```
/// assert_eq!(wbs_oauth2::bearer_token(Some("Bearer a1"), "action=getmeas").as_deref(), Some("a1"));
/// assert_eq!(wbs_oauth2::bearer_token(None, "access_token=a2&userid=1").as_deref(), Some("a2"));
/// assert_eq!(wbs_oauth2::bearer_token(Some("bearer a3"), "").as_deref(), Some("a3"));
/// assert_eq!(wbs_oauth2::bearer_token(Some("Basic x"), ""), None);
/// ```
pub fn bearer_token(authorization: Option<&str>, query: &str) -> Option<String> {
    // The scheme's name is case-insensitive (RFC 7235 §2.1).
    authorization
        .filter(|v| {
            v.get(..7)
                .is_some_and(|s| s.eq_ignore_ascii_case("bearer "))
        })
        .and_then(|v| v.get(7..))
        .map(|token| token.trim().to_owned())
        .or_else(|| Params(query).get("access_token"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_and_invalid_parameters_are_named() {
        assert_eq!(
            AuthorizeRequest::from_query("client_id=a&redirect_uri=https://x&state=s"),
            Err(RequestError::Missing("response_type"))
        );
        assert_eq!(
            AuthorizeRequest::from_query(
                "response_type=code&client_id=a&redirect_uri=ftp://x&state=s"
            )
            .unwrap_err()
            .to_string(),
            "redirect_uri: must be an http(s) URL"
        );
        assert!(AuthorizeRequest::from_query(
            "response_type=code&client_id=a&redirect_uri=http%3A%2F%2F&state=s"
        )
        .is_err());
        assert_eq!(
            TokenRequest::from_form("action=requesttoken&client_id=a&client_secret=s&grant_type=x"),
            Err(RequestError::Invalid {
                name: "grant_type",
                why: "must be authorization_code or refresh_token"
            })
        );
        assert_eq!(
            TokenRequest::from_form("action=getnonce"),
            Err(RequestError::Invalid {
                name: "action",
                why: "must be requesttoken"
            })
        );
        assert_eq!(
            NonceRequest::from_form("action=getnonce&client_id=a&timestamp=1"),
            Err(RequestError::Missing("signature"))
        );
    }

    #[test]
    fn a_wrong_secret_or_signature_does_not_hold() {
        let app = ClientCredentials::new("id", "secret");
        let other = ClientCredentials::new("id", "other");
        let refresh = Secret::new("r");
        let body = crate::token_request_body(
            &other,
            crate::Grant::RefreshToken(&refresh),
            crate::ClientAuth::Signed { nonce: "n" },
        );
        let read = TokenRequest::from_form(&body).unwrap();
        assert_eq!(read.grant, GrantRequest::RefreshToken(refresh));
        assert!(read.proof.holds(&other) && read.holds(&other));
        assert!(!read.proof.holds(&app) && !read.holds(&app));
        // The right secret sent under another client's id does not hold (a signature
        // covers the id already; a plain secret does not).
        let impostor = ClientCredentials::new("someone-else", "other");
        let plain = crate::token_request_body(
            &other,
            crate::Grant::RefreshToken(&Secret::new("r")),
            crate::ClientAuth::Secret,
        );
        let read_plain = TokenRequest::from_form(&plain).unwrap();
        assert!(read_plain.proof.holds(&impostor) && !read_plain.holds(&impostor));
        assert!(!read.proof.holds(&impostor));
        assert!(!format!("{read:?}").contains(&other.client_secret.expose()[..4]));
        let nonce = NonceRequest::from_form(&nonce_request_body(&other, 5)).unwrap();
        assert!(!nonce.holds(&app));
    }
}
