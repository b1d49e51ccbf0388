//! Nonces from the OS CSPRNG and timestamps from the system clock (feature `os-rng`). The
//! rest of the crate never calls these: they are conveniences for callers.

use std::time::{SystemTime, UNIX_EPOCH};

/// A fresh nonce: 128 bits from the operating system's CSPRNG, as 32 lower-case hex
/// digits (the reference: "a random hexadecimal string you generate").
///
/// ```
/// let n = wbs_oauth::random_nonce()?;
/// assert_eq!(n.len(), 32);
/// assert!(n.bytes().all(|b| b.is_ascii_hexdigit()));
/// # Ok::<(), wbs_oauth::RngError>(())
/// ```
pub fn random_nonce() -> Result<String, RngError> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(RngError)?;
    Ok(hex::encode(bytes))
}

/// Seconds since the Unix epoch by the system clock (0 if the clock is before 1970).
pub fn unix_timestamp() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The operating system's random number generator failed (its error is the source).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the operating system's random number generator failed")]
pub struct RngError(#[source] getrandom::Error);
