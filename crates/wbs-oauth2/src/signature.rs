//! The v2 signature service's HMAC-SHA256 signatures.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq as _;
use wbs_oauth::Secret;

/// The signature service's path (`action=getnonce`).
pub const SIGNATURE_PATH: &str = "/v2/signature";

/// A v2 signature: the values of `params` in the order of their names, joined by commas,
/// HMAC-SHA256 keyed by the client secret, as lower-case hex.
///
/// ```
/// use wbs_oauth::Secret;
/// // getnonce: action, client_id, timestamp.
/// let s = wbs_oauth2::sign(&Secret::new("client-secret"),
///     &[("timestamp", "1700000000"), ("action", "getnonce"), ("client_id", "my-client")]);
/// assert_eq!(s, "8302182fbbc03c5863f05cd18ecc804e83f26e9ea178fe22d11ca75d11a2b5e9");
/// ```
pub fn sign(secret: &Secret, params: &[(&str, &str)]) -> String {
    let mut sorted: Vec<&(&str, &str)> = params.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(b.0));
    // HMAC takes a key of any length: this cannot fail.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()) else {
        return String::new();
    };
    for (i, (_, value)) in sorted.iter().enumerate() {
        if i > 0 {
            mac.update(b",");
        }
        mac.update(value.as_bytes());
    }
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `signature` (hex, either case) is the signature of `params`, compared in
/// constant time.
pub fn verify(secret: &Secret, params: &[(&str, &str)], signature: &str) -> bool {
    let expected = sign(secret, params);
    let given = signature.to_ascii_lowercase();
    bool::from(expected.as_bytes().ct_eq(given.as_bytes()))
}
