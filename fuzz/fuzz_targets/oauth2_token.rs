//! OAuth 2's readers of untrusted input: the token endpoint's answer (a token set or a
//! typed error; a token set never has an empty token or a non-positive lifetime behind it)
//! and the redirect (a code only with the very state sent).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wbs_proto::wbs_oauth::form_pairs;
use wbs_proto::wbs_oauth2::{decode_token_response, parse_redirect};

fuzz_target!(|input: (&[u8], &str, i64)| {
    let (body, redirect, now) = input;
    if let Ok(set) = decode_token_response(body, now) {
        assert!(!set.access_token.expose().is_empty());
        assert!(!set.refresh_token.expose().is_empty());
        assert!(set.expires_at > now || set.expires_at == i64::MAX);
    }
    if let Ok(code) = parse_redirect(redirect, "the-state") {
        assert!(!code.is_empty());
        let query = redirect.split_once('?').map_or(redirect, |(_, q)| q);
        let query = query.split('#').next().unwrap_or(query);
        assert_eq!(form_pairs(query).find("state").as_deref(), Some("the-state"));
    }
});
