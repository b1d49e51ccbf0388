//! Percent-encoding and decoding (RFC 5849 §3.6, and `application/x-www-form-urlencoded`
//! decoding for §3.4.1.3.1).

use std::borrow::Cow;
use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

/// `UNRESERVED[b]`: byte `b` is in the RFC 3986 unreserved set `A-Z a-z 0-9 - . _ ~`.
static UNRESERVED: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphanumeric() || c == b'-' || c == b'.' || c == b'_' || c == b'~';
        b += 1;
    }
    t
};

/// Every byte that RFC 5849 §3.6 escapes: all but `A-Z a-z 0-9 - . _ ~`.
const RESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes `input` as RFC 5849 §3.6 requires: UTF-8, every byte outside
/// `A-Z a-z 0-9 - . _ ~` as `%XX` with upper-case hex.
///
/// The result is a lazy [`Display`](fmt::Display) value: format it or call `to_string()`.
///
/// ```
/// assert_eq!(wbs_oauth::percent_encode("Ladies + Gentlemen").to_string(), "Ladies%20%2B%20Gentlemen");
/// assert_eq!(wbs_oauth::percent_encode("酒").to_string(), "%E9%85%92");
/// ```
pub fn percent_encode(input: &str) -> PercentEncoded<'_> {
    PercentEncoded(input)
}

/// The lazily encoded form of a string; see [`percent_encode`].
#[derive(Clone, Copy, Debug)]
pub struct PercentEncoded<'a>(&'a str);

impl fmt::Display for PercentEncoded<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&percent_encoding::utf8_percent_encode(self.0, RESERVED), f)
    }
}

/// Appends the RFC 5849 §3.6 encoding of `input` to `out`.
pub fn percent_encode_into(out: &mut String, input: &str) {
    out.extend(percent_encoding::utf8_percent_encode(input, RESERVED));
}

/// Appends the RFC 5849 §3.6 encoding of `input` to a byte buffer.
///
/// The hot path of signing. Most values (ids, dates, actions, keys) need no escape: one
/// branch-free pass (a load and an AND a byte) finds that out and one copy does the work.
/// Otherwise the `percent-encoding` crate copies each unreserved run whole and escapes
/// the bytes between.
#[inline]
pub(crate) fn encode_bytes(out: &mut Vec<u8>, input: &[u8]) {
    if all_unreserved(input) {
        out.extend_from_slice(input);
        return;
    }
    for chunk in percent_encoding::percent_encode(input, RESERVED) {
        out.extend_from_slice(chunk.as_bytes());
    }
}

/// Whether no byte of `input` needs escaping: branch-free, a load and an AND a byte, eight
/// bytes a step (range compares, even vectorized, took 4% more instructions of a
/// signature; eight bytes a step rather than one saved 140 of a `Session::request`'s
/// 22,800).
#[inline]
pub(crate) fn all_unreserved(input: &[u8]) -> bool {
    fn fold(ok: bool, bytes: &[u8]) -> bool {
        bytes
            .iter()
            .fold(ok, |ok, &b| ok & UNRESERVED[usize::from(b)])
    }
    let chunks = input.chunks_exact(8);
    let rest = chunks.remainder();
    let ok = chunks.fold(true, fold);
    fold(ok, rest)
}

/// Decodes a percent-encoded string strictly: every `%` must start a two-digit hex escape
/// and the decoded bytes must be UTF-8. `+` stays `+` (see [`form_decode`] for forms).
///
/// Borrows when there is nothing to decode.
///
/// ```
/// assert_eq!(wbs_oauth::percent_decode("a%20b+c").unwrap(), "a b+c");
/// assert!(wbs_oauth::percent_decode("%zz").is_err());
/// assert!(wbs_oauth::percent_decode("%FF").is_err());
/// ```
pub fn percent_decode(input: &str) -> Result<Cow<'_, str>, DecodeError> {
    decode(input, false)
}

/// Decodes an `application/x-www-form-urlencoded` name or value: as [`percent_decode`],
/// and `+` is a space.
///
/// ```
/// assert_eq!(wbs_oauth::form_decode("2+q").unwrap(), "2 q");
/// ```
pub fn form_decode(input: &str) -> Result<Cow<'_, str>, DecodeError> {
    decode(input, true)
}

/// Why a percent-encoded string could not be decoded. The message never quotes the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A `%` at this byte offset is not followed by two hexadecimal digits.
    #[error("'%' at byte {at} is not followed by two hex digits")]
    InvalidEscape {
        /// Byte offset of the `%`.
        at: usize,
    },
    /// The decoded bytes are not UTF-8.
    #[error("percent-decoded bytes are not valid UTF-8")]
    InvalidUtf8,
}

fn decode(input: &str, plus_is_space: bool) -> Result<Cow<'_, str>, DecodeError> {
    let bytes = input.as_bytes();
    if !bytes
        .iter()
        .any(|&b| b == b'%' || (plus_is_space && b == b'+'))
    {
        return Ok(Cow::Borrowed(input));
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'%' => {
                let hi = bytes.get(i + 1).and_then(|&c| hex_value(c));
                let lo = bytes.get(i + 2).and_then(|&c| hex_value(c));
                match (hi, lo) {
                    (Some(hi), Some(lo)) => out.push(hi << 4 | lo),
                    _ => return Err(DecodeError::InvalidEscape { at: i }),
                }
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out)
        .map(Cow::Owned)
        .map_err(|_| DecodeError::InvalidUtf8)
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_reserved_and_keeps_unreserved() {
        assert_eq!(
            percent_encode("AZaz09-._~ !*'()%&=+/").to_string(),
            "AZaz09-._~%20%21%2A%27%28%29%25%26%3D%2B%2F"
        );
    }

    #[test]
    fn unreserved_is_exactly_rfc3986s_set() {
        for b in 0..=255u8 {
            let expected = b.is_ascii_alphanumeric() || b"-._~".contains(&b);
            assert_eq!(all_unreserved(&[b]), expected, "byte {b}");
            assert_eq!(all_unreserved(&[b'a', b, b'Z']), expected, "byte {b}");
        }
        assert!(all_unreserved(b""));
        // A reserved byte at every place of inputs longer than one step of eight.
        for len in 1..=25 {
            assert!(all_unreserved(&vec![b'a'; len]));
            for at in 0..len {
                let mut input = vec![b'a'; len];
                input[at] = b'/';
                assert!(!all_unreserved(&input), "len {len}, at {at}");
            }
        }
    }

    #[test]
    fn decodes_lower_and_upper_hex() {
        assert_eq!(percent_decode("%3d%3D").unwrap(), "==");
    }

    #[test]
    fn rejects_truncated_escape() {
        assert_eq!(
            percent_decode("ab%4"),
            Err(DecodeError::InvalidEscape { at: 2 })
        );
        assert_eq!(
            percent_decode("%"),
            Err(DecodeError::InvalidEscape { at: 0 })
        );
    }

    #[test]
    fn form_decode_plus() {
        assert_eq!(form_decode("a+b%2B").unwrap(), "a b+");
        assert_eq!(percent_decode("a+b").unwrap(), "a+b");
    }
}
