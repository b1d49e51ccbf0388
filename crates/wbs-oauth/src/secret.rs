//! Secrets and credentials whose `Debug` output never shows the secret.

use std::fmt;

use subtle::ConstantTimeEq as _;
use zeroize::Zeroize as _;

/// A consumer secret or a token secret.
///
/// `Debug` prints `Secret(<redacted>)`; there is deliberately no `Display`; `==` compares
/// in constant time and the bytes are zeroed on drop. Use
/// [`Secret::expose`] where the raw value is really needed (for example to store it).
///
/// ```
/// use wbs_oauth::Secret;
/// let s = Secret::new("kd94hf93k423kf44");
/// assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
/// assert_eq!(s.expose(), "kd94hf93k423kf44");
/// ```
#[derive(Clone, Default)]
pub struct Secret(String);

/// Compares in constant time (for equal lengths), so that a comparison reveals nothing of
/// where two secrets differ.
impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        bool::from(self.0.as_bytes().ct_eq(other.0.as_bytes()))
    }
}

impl Eq for Secret {}

/// Overwrites the secret's bytes when it is dropped.
impl Drop for Secret {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The raw secret. Every call site of this is a place a secret can leak: keep them few.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self(value.to_owned())
    }
}

/// An identifier with its shared secret: client credentials (consumer key and secret) or
/// token credentials (token and token secret), RFC 5849 §1.1.
///
/// ```
/// use wbs_oauth::Credentials;
/// let c = Credentials::new("dpf43f3p2l4k3l03", "kd94hf93k423kf44");
/// assert_eq!(c.key, "dpf43f3p2l4k3l03");
/// assert!(!format!("{c:?}").contains("kd94"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// The public identifier: `oauth_consumer_key` or `oauth_token`.
    pub key: String,
    /// The shared secret.
    pub secret: Secret,
}

impl Credentials {
    /// Credentials from an identifier and its secret.
    pub fn new(key: impl Into<String>, secret: impl Into<Secret>) -> Self {
        Self {
            key: key.into(),
            secret: secret.into(),
        }
    }
}
