//! The protocol parameters of a request (RFC 5849 §3.1) and the signature methods (§3.4).

use std::fmt;

/// A signature method of RFC 5849 §3.4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureMethod {
    /// `HMAC-SHA1` (§3.4.2), the method the WBS API uses.
    HmacSha1,
    /// `PLAINTEXT` (§3.4.4): the signature is the key itself; only safe over TLS.
    Plaintext,
}

impl SignatureMethod {
    /// Every method this crate implements (for a checker that accepts any).
    pub const ALL: &'static [SignatureMethod] = &[Self::HmacSha1, Self::Plaintext];

    /// The method's name as sent in `oauth_signature_method`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HmacSha1 => "HMAC-SHA1",
            Self::Plaintext => "PLAINTEXT",
        }
    }

    /// Parses the name sent in `oauth_signature_method` (exact, case-sensitive, as §3.4).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "HMAC-SHA1" => Some(Self::HmacSha1),
            "PLAINTEXT" => Some(Self::Plaintext),
            _ => None,
        }
    }
}

/// The protocol parameters of one request (RFC 5849 §3.1), all but the signature and its
/// method. Nonce and timestamp are inputs: this crate reads no clock and no RNG.
///
/// An empty `token`, `callback` or `verifier` is the same as none: it is not sent.
///
/// `Debug` shows whether a verifier is set, not the verifier.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct OAuthParams<'a> {
    /// `oauth_consumer_key`.
    pub consumer_key: &'a str,
    /// `oauth_token`, absent in the request-token step.
    pub token: Option<&'a str>,
    /// `oauth_nonce`.
    pub nonce: &'a str,
    /// `oauth_timestamp`, sent as given.
    pub timestamp: &'a str,
    /// Whether `oauth_version=1.0` is sent (and so signed). The WBS API sends it.
    pub version: bool,
    /// `oauth_callback`: a URL, or `oob`.
    pub callback: Option<&'a str>,
    /// `oauth_verifier`, in the access-token step.
    pub verifier: Option<&'a str>,
}

impl fmt::Debug for OAuthParams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthParams")
            .field("consumer_key", &self.consumer_key)
            .field("token", &self.token)
            .field("nonce", &self.nonce)
            .field("timestamp", &self.timestamp)
            .field("version", &self.version)
            .field("callback", &self.callback)
            .field("verifier", &self.verifier.map(|_| "<redacted>"))
            .finish()
    }
}

impl<'a> OAuthParams<'a> {
    /// Parameters with a consumer key, nonce and timestamp, and `oauth_version=1.0`.
    pub fn new(consumer_key: &'a str, nonce: &'a str, timestamp: &'a str) -> Self {
        Self {
            consumer_key,
            token: None,
            nonce,
            timestamp,
            version: true,
            callback: None,
            verifier: None,
        }
    }

    /// Sets `oauth_token`.
    pub fn token(mut self, token: &'a str) -> Self {
        self.token = Some(token);
        self
    }

    /// Sets `oauth_callback`.
    pub fn callback(mut self, callback: &'a str) -> Self {
        self.callback = Some(callback);
        self
    }

    /// Sets `oauth_verifier`.
    pub fn verifier(mut self, verifier: &'a str) -> Self {
        self.verifier = Some(verifier);
        self
    }

    /// Whether to send `oauth_version=1.0`.
    pub fn version(mut self, send: bool) -> Self {
        self.version = send;
        self
    }

    /// The protocol parameters that are sent, in no particular order.
    pub(crate) fn each(&self, method: SignatureMethod, mut f: impl FnMut(&'static str, &'a str)) {
        self.each_fixed(method, &mut f);
        self.each_per_request(f);
    }

    /// Those that stay the same from one request of a consumer and token to the next.
    pub(crate) fn each_fixed(
        &self,
        method: SignatureMethod,
        mut f: impl FnMut(&'static str, &'a str),
    ) {
        f("oauth_consumer_key", self.consumer_key);
        f("oauth_signature_method", method.as_str());
        for (name, value) in [
            ("oauth_token", self.token),
            ("oauth_callback", self.callback),
            ("oauth_verifier", self.verifier),
        ] {
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                f(name, v);
            }
        }
        if self.version {
            f("oauth_version", "1.0");
        }
    }

    /// The nonce and the timestamp: new in every request.
    pub(crate) fn each_per_request(&self, mut f: impl FnMut(&'static str, &'a str)) {
        f("oauth_nonce", self.nonce);
        f("oauth_timestamp", self.timestamp);
    }

    /// The protocol parameter that a request parameter of this name would collide with.
    pub(crate) fn reserved(&self, name: &str) -> Option<&'static str> {
        if !name.starts_with("oauth_") {
            return None;
        }
        let mut hit = (name == "oauth_signature").then_some("oauth_signature");
        self.each(SignatureMethod::HmacSha1, |n, _| {
            if n == name {
                hit = Some(n);
            }
        });
        hit
    }
}
