//! The OAuth 1 flow's readers of untrusted input: the token endpoints' answers (with an
//! arbitrary HTTP status) and the authorization callback's query. A value or a typed error,
//! never a panic; a token response or a callback read writes back one that reads the same;
//! an access token always has a positive user; a callback's Debug shows no verifier.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wbs_oauth::flow::{AuthorizationCallback, TokenResponse};
use wbs_proto::http::StatusCode;
use wbs_proto::{decode_token_response, AccessToken};

fuzz_target!(|input: (u16, &[u8], &str)| {
    let (code, body, query) = input;
    let status = StatusCode::from_u16(100 + code % 500).unwrap_or(StatusCode::OK);
    match AccessToken::decode(status, body) {
        Ok(access) => {
            assert!(access.userid.get() > 0);
            let read = decode_token_response(status, body).expect("an access token's answer reads");
            assert_eq!(read.token, access.token);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
    if let Ok(read) = TokenResponse::parse(body) {
        let again = TokenResponse::parse(read.to_form().as_bytes()).expect("a written answer reads");
        assert_eq!(again, read);
    }
    if let Ok(callback) = AuthorizationCallback::parse(query) {
        let url = callback.callback_url("http://127.0.0.1:9/cb");
        let (_, written) = url.split_once('?').expect("a callback URL has a query");
        let again = AuthorizationCallback::parse(written).expect("a written callback reads");
        assert_eq!(again, callback);
        // Debug leaves the verifier out: it prints the same whatever the verifier.
        let other = AuthorizationCallback {
            verifier: String::new(),
            ..callback.clone()
        };
        assert_eq!(format!("{callback:?}"), format!("{other:?}"), "the verifier in Debug");
    }
});
