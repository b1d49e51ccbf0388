//! The [`TokenSigner`]: a [`Signer`] bound to one consumer and one token, whose unchanging
//! protocol parameters are encoded once.

use crate::error::Error;
use crate::normalize::{Prepared, Protocol};
use crate::params::OAuthParams;
use crate::render::UrlBuffer;
use crate::secret::Credentials;
use crate::signer::{RequestUrl, Signer};

/// Signs one client's requests with one token: the HMAC-SHA1 key is derived once, as by
/// [`Signer`], and so are the protocol parameters that no request changes
/// (`oauth_consumer_key`, `oauth_token`, `oauth_signature_method`, `oauth_version`):
/// each signature then encodes only the nonce, the timestamp and the request's own
/// parameters. What wbs-proto's `Session` signs its calls with.
///
/// ```
/// use wbs_oauth::{Credentials, TokenSigner, UrlBuffer};
///
/// let consumer = Credentials::new("dpf43f3p2l4k3l03", "kd94hf93k423kf44");
/// let token = Credentials::new("nnch734d00sl2jdk", "pfkkdhi9sl3r4s00");
/// let bound = TokenSigner::new(&consumer, Some(&token));
/// let params = [("file", "vacation.jpg"), ("size", "original")];
/// let url = "http://photos.example.net/photos";
/// let mut buf = UrlBuffer::new();
/// let signed = bound.sign_url_into("GET", url, &params, "kllo9940pd9333jh", "1191242096", &mut buf)?.to_owned();
/// assert!(signed.contains("&oauth_signature=tR3%2BTy81lMeYAr%2FFid0kMTYa%2FWM%3D&"));
///
/// // The same as signing with the parameters given whole.
/// let oauth = bound.oauth_params("kllo9940pd9333jh", "1191242096");
/// assert_eq!(bound.signer().sign_url_into("GET", url, &params, &oauth, &mut buf)?, signed);
/// # Ok::<(), wbs_oauth::Error>(())
/// ```
///
/// `Debug` shows the consumer key and the token (public identifiers, sent in every URL)
/// and the signer, whose key is redacted: never a secret.
#[derive(Clone, Debug)]
pub struct TokenSigner {
    signer: Signer,
    consumer_key: String,
    token: Option<String>,
    /// The protocol parameters but the nonce and the timestamp, encoded.
    fixed: Vec<Prepared>,
}

impl TokenSigner {
    /// A HMAC-SHA1 signer for a consumer (client credentials) and a token (none in the
    /// request-token step), sending `oauth_version=1.0` as the WBS API does.
    pub fn new(consumer: &Credentials, token: Option<&Credentials>) -> Self {
        let signer = Signer::hmac_sha1(&consumer.secret, token.map(|t| &t.secret));
        let consumer_key = consumer.key.clone();
        let token = token.map(|t| t.key.clone());
        let mut fixed = Vec::with_capacity(4);
        params_for(&consumer_key, token.as_deref(), "", "")
            .each_fixed(signer.method(), |name, value| {
                fixed.push(Prepared::new(name, value))
            });
        Self {
            signer,
            consumer_key,
            token,
            fixed,
        }
    }

    /// The signer, keyed with both secrets.
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// The consumer key, `oauth_consumer_key`.
    pub fn consumer_key(&self) -> &str {
        &self.consumer_key
    }

    /// The token, `oauth_token`, if there is one.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The protocol parameters of one request, for [`Signer::sign`] and the other
    /// placements: the same that [`TokenSigner::sign_url_into`] signs.
    pub fn oauth_params<'a>(&'a self, nonce: &'a str, timestamp: &'a str) -> OAuthParams<'a> {
        params_for(&self.consumer_key, self.token.as_deref(), nonce, timestamp)
    }

    /// [`Signer::sign_url_into`] with this consumer's and token's parameters and the given
    /// nonce and timestamp: the same URL, with less work for each.
    pub fn sign_url_into<'b>(
        &self,
        method: &str,
        url: &(impl RequestUrl + ?Sized),
        params: &[(impl AsRef<str>, impl AsRef<str>)],
        nonce: &str,
        timestamp: &str,
        out: &'b mut UrlBuffer,
    ) -> Result<&'b str, Error> {
        let oauth = self.oauth_params(nonce, timestamp);
        let protocol = Protocol::Prepared {
            oauth: &oauth,
            fixed: &self.fixed,
        };
        self.signer
            .sign_url_with(method, url, params, protocol, out)
    }
}

/// The protocol parameters of a `TokenSigner`'s request: what its fixed parameters are
/// prepared from, and what each of its requests sends.
fn params_for<'a>(
    consumer_key: &'a str,
    token: Option<&'a str>,
    nonce: &'a str,
    timestamp: &'a str,
) -> OAuthParams<'a> {
    let mut oauth = OAuthParams::new(consumer_key, nonce, timestamp);
    oauth.token = token;
    oauth
}
