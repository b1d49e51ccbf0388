//! The messages of the three-legged flow (RFC 5849 §2): temporary credentials (the request
//! token), resource owner authorization, token credentials (the access token), and the
//! replies and redirects that carry them back.

use std::fmt;

use crate::error::Error;
use crate::params::OAuthParams;
use crate::render::Signed;
use crate::secret::{Credentials, Secret};
use crate::signer::Signer;
use crate::uri::{append_form, with_query, FormPairs, Url};

/// Signs a request-token request (§2.1) with `oauth_callback` (a URL, or `oob`). The
/// parameter is required: an empty `callback` is sent as `oob` (out of band), never left
/// out.
///
/// ```
/// use wbs_oauth::{flow, Credentials};
/// let consumer = Credentials::new("dpf43f3p2l4k3l03", "kd94hf93k423kf44");
/// let signed = flow::request_token(
///     &consumer, "POST", "https://photos.example.net/initiate",
///     "http://printer.example.com/ready", "wIjqoS", "137131200",
/// )?;
/// assert!(signed.authorization_header(None).contains("oauth_callback=\"http%3A%2F%2Fprinter"));
/// let none = flow::request_token(&consumer, "POST", "https://photos.example.net/initiate", "", "n", "1")?;
/// assert!(none.authorization_header(None).contains("oauth_callback=\"oob\""));
/// # Ok::<(), wbs_oauth::Error>(())
/// ```
pub fn request_token(
    consumer: &Credentials,
    method: &str,
    endpoint: &str,
    callback: &str,
    nonce: &str,
    timestamp: &str,
) -> Result<Signed, Error> {
    let callback = if callback.is_empty() { "oob" } else { callback };
    let oauth = OAuthParams::new(&consumer.key, nonce, timestamp).callback(callback);
    Signer::hmac_sha1(&consumer.secret, None).sign::<&str, &str>(method, endpoint, &[], &oauth)
}

/// The URL to send the user to (§2.2): `endpoint` with `oauth_token` added to its query.
///
/// ```
/// let url = wbs_oauth::flow::authorize_url("https://oauth.withings.com/account/authorize", "a b")?;
/// assert_eq!(url, "https://oauth.withings.com/account/authorize?oauth_token=a%20b");
/// # Ok::<(), wbs_oauth::Error>(())
/// ```
pub fn authorize_url(endpoint: &str, request_token: &str) -> Result<String, Error> {
    // Checked, and without its fragment.
    Url::parse(endpoint)?;
    let endpoint = endpoint.split('#').next().unwrap_or(endpoint);
    Ok(with_query(endpoint, [("oauth_token", request_token)]))
}

/// The request token an authorize page is asked to approve: the `oauth_token` of the
/// query [`authorize_url`] writes (the page's other parameters are the endpoint's own).
///
/// ```
/// let url = wbs_oauth::flow::authorize_url("https://example.com/authorize?lang=fr", "a b")?;
/// let query = url.split_once('?').unwrap().1;
/// assert_eq!(wbs_oauth::flow::authorized_token(query)?, "a b");
/// // The endpoint's own parameters are not judged.
/// assert_eq!(wbs_oauth::flow::authorized_token("l=%zz&oauth_token=t")?, "t");
/// # Ok::<(), wbs_oauth::Error>(())
/// ```
pub fn authorized_token(query: &str) -> Result<String, Error> {
    let mut token = None;
    // The endpoint's own parameters are copied as they are: one that does not decode is
    // not ours to judge.
    for (name, value) in FormPairs::new(query).filter_map(Result::ok) {
        if name == "oauth_token" && token.replace(value.into_owned()).is_some() {
            return Err(Error::DuplicateParameter("oauth_token"));
        }
    }
    token.ok_or(Error::MissingParameter("oauth_token"))
}

/// Signs an access-token request (§2.3) with the request token and the verifier that the
/// authorization step returned.
pub fn access_token(
    consumer: &Credentials,
    request_token: &Credentials,
    verifier: &str,
    method: &str,
    endpoint: &str,
    nonce: &str,
    timestamp: &str,
) -> Result<Signed, Error> {
    let oauth = OAuthParams::new(&consumer.key, nonce, timestamp)
        .token(&request_token.key)
        .verifier(verifier);
    Signer::hmac_sha1(&consumer.secret, Some(&request_token.secret)).sign::<&str, &str>(
        method,
        endpoint,
        &[],
        &oauth,
    )
}

/// A token endpoint's reply (§2.1, §2.3): `oauth_token=…&oauth_token_secret=…` and any
/// further fields, such as the `userid` the WBS API adds to the access token.
/// `oauth_callback_confirmed` is kept among the extras and not required.
///
/// ```
/// use wbs_oauth::flow::TokenResponse;
/// let r = TokenResponse::parse(b"oauth_token=t0k&oauth_token_secret=s3c&userid=1229")?;
/// assert_eq!(r.token.key, "t0k");
/// assert_eq!(r.token.secret.expose(), "s3c");
/// assert_eq!(r.get("userid"), Some("1229"));
/// assert!(TokenResponse::parse(b"unauthorized token").is_err());
/// # Ok::<(), wbs_oauth::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenResponse {
    /// The token and its secret.
    pub token: Credentials,
    /// Every other field, decoded, in the order received.
    pub extra: Vec<(String, String)>,
}

impl TokenResponse {
    /// Parses a form-encoded reply body.
    pub fn parse(body: &[u8]) -> Result<Self, Error> {
        let body =
            std::str::from_utf8(body).map_err(|_| Error::InvalidTokenResponse("not UTF-8"))?;
        let body = body.trim();
        if !body.contains('=') {
            return Err(Error::InvalidTokenResponse("not a form-encoded reply"));
        }
        let mut token = None;
        let mut secret = None;
        let mut extra = Vec::new();
        for pair in FormPairs::new(body) {
            let (name, value) = pair?;
            let slot = match name.as_ref() {
                "oauth_token" => &mut token,
                "oauth_token_secret" => &mut secret,
                _ => {
                    extra.push((name.into_owned(), value.into_owned()));
                    continue;
                }
            };
            if slot.replace(value.into_owned()).is_some() {
                return Err(Error::InvalidTokenResponse("a token field appears twice"));
            }
        }
        match (token, secret) {
            (Some(key), Some(secret)) => Ok(Self {
                token: Credentials {
                    key,
                    secret: Secret::new(secret),
                },
                extra,
            }),
            (None, _) => Err(Error::InvalidTokenResponse("no oauth_token")),
            (_, None) => Err(Error::InvalidTokenResponse("no oauth_token_secret")),
        }
    }

    /// The reply body, as a provider writes it ([`TokenResponse::parse`] reads it):
    /// `oauth_token`, `oauth_token_secret`, then the extra fields, each percent-encoded.
    ///
    /// ```
    /// use wbs_oauth::{flow::TokenResponse, Credentials};
    /// let reply = TokenResponse {
    ///     token: Credentials::new("t0k", "s3c/"),
    ///     extra: vec![("userid".into(), "1229".into())],
    /// };
    /// assert_eq!(reply.to_form(), "oauth_token=t0k&oauth_token_secret=s3c%2F&userid=1229");
    /// assert!(TokenResponse::parse(reply.to_form().as_bytes())? == reply);
    /// # Ok::<(), wbs_oauth::Error>(())
    /// ```
    pub fn to_form(&self) -> String {
        let mut body = String::with_capacity(128);
        let own = [
            ("oauth_token", self.token.key.as_str()),
            ("oauth_token_secret", self.token.secret.expose()),
        ];
        let extra = self.extra.iter().map(|(n, v)| (n.as_str(), v.as_str()));
        append_form(&mut body, own.into_iter().chain(extra));
        body
    }

    /// The first value of an extra field.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.extra
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The query of the redirect to the callback after the user approved (§2.2):
/// `oauth_token`, `oauth_verifier`, and extras (the WBS API adds `userid`).
///
/// ```
/// use wbs_oauth::flow::AuthorizationCallback;
/// let cb = AuthorizationCallback::parse("userid=29&oauth_token=abc&oauth_verifier=v3r")?;
/// assert_eq!((cb.token.as_str(), cb.verifier.as_str()), ("abc", "v3r"));
/// assert_eq!(cb.get("userid"), Some("29"));
/// # Ok::<(), wbs_oauth::Error>(())
/// ```
///
/// `Debug` leaves the verifier out: with the request token's secret, it buys the access
/// token.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthorizationCallback {
    /// The request token being authorized.
    pub token: String,
    /// The verification code for the access-token step.
    pub verifier: String,
    /// Every other parameter, decoded.
    pub extra: Vec<(String, String)>,
}

impl fmt::Debug for AuthorizationCallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthorizationCallback")
            .field("token", &self.token)
            .field("verifier", &"<redacted>")
            .field("extra", &self.extra)
            .finish()
    }
}

impl AuthorizationCallback {
    /// Parses the callback's query string (without `?`).
    pub fn parse(query: &str) -> Result<Self, Error> {
        let mut token = None;
        let mut verifier = None;
        let mut extra = Vec::new();
        for pair in FormPairs::new(query) {
            let (name, value) = pair?;
            let (slot, field) = match name.as_ref() {
                "oauth_token" => (&mut token, "oauth_token"),
                "oauth_verifier" => (&mut verifier, "oauth_verifier"),
                _ => {
                    extra.push((name.into_owned(), value.into_owned()));
                    continue;
                }
            };
            if slot.replace(value.into_owned()).is_some() {
                return Err(Error::DuplicateParameter(field));
            }
        }
        Ok(Self {
            token: token.ok_or(Error::MissingParameter("oauth_token"))?,
            verifier: verifier.ok_or(Error::MissingParameter("oauth_verifier"))?,
            extra,
        })
    }

    /// The redirect to `callback` that carries this approval, as the provider sends it
    /// ([`AuthorizationCallback::parse`] reads its query): the extra parameters first (the
    /// service put `userid` there), then `oauth_token` and `oauth_verifier`.
    ///
    /// ```
    /// use wbs_oauth::flow::AuthorizationCallback;
    /// let approval = AuthorizationCallback {
    ///     token: "t".into(), verifier: "v".into(), extra: vec![("userid".into(), "29".into())],
    /// };
    /// let back = approval.callback_url("http://127.0.0.1:9/done?x=1");
    /// assert_eq!(back, "http://127.0.0.1:9/done?x=1&userid=29&oauth_token=t&oauth_verifier=v");
    /// assert_eq!(AuthorizationCallback::parse(back.split_once('?').unwrap().1)?.get("userid"), Some("29"));
    /// # Ok::<(), wbs_oauth::Error>(())
    /// ```
    pub fn callback_url(&self, callback: &str) -> String {
        let extra = self.extra.iter().map(|(n, v)| (n.as_str(), v.as_str()));
        let own = [
            ("oauth_token", self.token.as_str()),
            ("oauth_verifier", self.verifier.as_str()),
        ];
        with_query(callback, extra.chain(own))
    }

    /// The first value of an extra parameter.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.extra
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}
