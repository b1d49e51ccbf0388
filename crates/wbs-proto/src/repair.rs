//! The repairs a response body may need before it is JSON: the reference's own examples
//! end lists with a comma, and a text field can hold bytes that are not UTF-8 or a lone
//! UTF-16 surrogate escape (a string cut inside an emoji), which a strict JSON reader
//! refuses for the whole document. A repaired body is decoded again; a body with nothing
//! to repair is not (the caller keeps the first error).

/// The Unicode replacement character, as a JSON escape.
const REPLACEMENT_ESCAPE: &[u8] = b"\\ufffd";

/// `body` with commas that follow a value and directly precede `}` or `]` outside strings
/// removed, each invalid UTF-8 sequence inside a string replaced by U+FFFD (the WHATWG
/// decoding, as `String::from_utf8_lossy` does it), and each lone surrogate escape replaced
/// by `\ufffd`; `None` if there is nothing to repair.
pub(crate) fn repair(body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len());
    let mut changed = false;
    let mut in_string = false;
    // The last byte outside strings that is not white space (a string's closing quote
    // counts): a comma after `[`, `{` or `,` follows no value, and is left for the reader.
    let mut last = 0u8;
    let mut i = 0;
    while let Some(&b) = body.get(i) {
        if !in_string {
            match b {
                b'"' => in_string = true,
                b',' if !matches!(last, b'[' | b'{' | b',' | b':' | 0)
                    && next_closes(body.get(i + 1..).unwrap_or_default()) =>
                {
                    changed = true;
                    i += 1;
                    continue;
                }
                _ => {}
            }
            if !b.is_ascii_whitespace() {
                last = b;
            }
            out.push(b);
            i += 1;
            continue;
        }
        match b {
            b'"' => {
                in_string = false;
                last = b;
                out.push(b);
                i += 1;
            }
            b'\\' => {
                let (len, lone) = escape(body.get(i..).unwrap_or_default());
                if lone {
                    out.extend_from_slice(REPLACEMENT_ESCAPE);
                    changed = true;
                } else {
                    out.extend_from_slice(body.get(i..i + len).unwrap_or_default());
                }
                i += len;
            }
            0x80.. => {
                // A run of non-ASCII bytes: every UTF-8 sequence lies inside one.
                let run = body.get(i..).unwrap_or_default();
                let len = run.iter().position(|c| c.is_ascii()).unwrap_or(run.len());
                let text = String::from_utf8_lossy(run.get(..len).unwrap_or_default());
                changed |= matches!(text, std::borrow::Cow::Owned(_));
                out.extend_from_slice(text.as_bytes());
                i += len;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    changed.then_some(out)
}

/// Whether the next byte that is not white space closes an object or an array.
fn next_closes(rest: &[u8]) -> bool {
    matches!(
        rest.iter().find(|c| !c.is_ascii_whitespace()),
        Some(b'}' | b']')
    )
}

/// The length of the escape at the start of `s` (which begins with `\`), and whether it
/// is a lone surrogate. A surrogate pair is one escape of 12 bytes; a malformed escape is
/// left for the JSON reader to report.
fn escape(s: &[u8]) -> (usize, bool) {
    let len = 2.min(s.len());
    if s.get(1) != Some(&b'u') {
        return (len, false);
    }
    let Some(unit) = hex4(s.get(2..6)) else {
        return (len, false);
    };
    match unit {
        0xD800..=0xDBFF => match s
            .get(6..8)
            .and_then(|u| (u == b"\\u").then(|| hex4(s.get(8..12))))
        {
            Some(Some(0xDC00..=0xDFFF)) => (12, false),
            _ => (6, true),
        },
        0xDC00..=0xDFFF => (6, true),
        _ => (6, false),
    }
}

/// Four hexadecimal digits' value.
fn hex4(digits: Option<&[u8]>) -> Option<u16> {
    let digits = std::str::from_utf8(digits?).ok()?;
    if digits.len() != 4 || !digits.bytes().all(|d| d.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(digits, 16).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// What a strict writer wrote is never changed.
        #[test]
        fn strict_json_needs_no_repair(texts in proptest::collection::vec(any::<String>(), 0..6)) {
            let body = serde_json::to_vec(&texts).unwrap();
            prop_assert_eq!(repair(&body), None);
        }

        /// Any UTF-16 code units as escapes read as `String::from_utf16_lossy` reads them:
        /// pairs kept, each lone surrogate one U+FFFD.
        #[test]
        fn escaped_code_units_read_as_lossy_utf16(units in proptest::collection::vec(
            prop_oneof![0xD800u16..0xE000, any::<u16>()], 0..12)) {
            let mut body = String::from("[\"");
            for u in &units {
                body.push_str(&format!("\\u{u:04x}"));
            }
            body.push_str("\"]");
            let repaired = repair(body.as_bytes()).unwrap_or_else(|| body.clone().into_bytes());
            let read: Vec<String> = serde_json::from_slice(&repaired).unwrap();
            prop_assert_eq!(&read[0], &String::from_utf16_lossy(&units));
        }
    }

    #[test]
    fn trailing_commas_outside_strings_only() {
        assert_eq!(
            repair(br#"{"a":[1,2,],"b":",]",}"#).unwrap(),
            br#"{"a":[1,2],"b":",]"}"#
        );
        assert_eq!(repair(br#"{"a":1}"#), None);
        assert_eq!(repair(br#"{"a":"x",}"#).unwrap(), br#"{"a":"x"}"#);
        // A comma that follows no value is not a trailing comma: left for the reader.
        for broken in [&b"[,]"[..], b"{,}", b"[1,,]", b"{\"a\":,}", b",]"] {
            assert_eq!(repair(broken), None, "{}", String::from_utf8_lossy(broken));
        }
    }

    #[test]
    fn broken_text_is_replaced_and_good_text_kept() {
        // A lone high surrogate, a lone low one, and a high one before a non-surrogate.
        assert_eq!(
            repair(br#"["\ud83d","x\udE00y","\uD83D\u0041"]"#).unwrap(),
            br#"["\ufffd","x\ufffdy","\ufffd\u0041"]"#
        );
        // Invalid UTF-8 inside a string: one replacement per bad part.
        assert_eq!(
            repair(b"[\"a\xffb\",\"\xc3\"]").unwrap(),
            "[\"a\u{fffd}b\",\"\u{fffd}\"]".as_bytes()
        );
        // A pair, an escaped backslash before `ud800`, valid UTF-8: nothing to repair.
        assert_eq!(repair(br#"["\ud83d\ude00","\\ud800"]"#), None);
        assert_eq!(repair("[\"é😀\"]".as_bytes()), None);
        // A malformed escape is left for the JSON reader.
        assert_eq!(repair(br#"["\u12"]"#), None);
    }
}
