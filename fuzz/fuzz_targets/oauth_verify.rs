//! Arbitrary bytes taken as a signed request in each placement (URL, query, Authorization
//! header, form body) must parse to a value or a typed error, and verifying whatever
//! parses must give a value or a typed error: never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wbs_oauth::{IncomingRequest, Secret};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(rest);
    let attempts = match selector % 4 {
        0 => IncomingRequest::parse("GET", &text, None, None),
        1 => IncomingRequest::parse("GET", &format!("http://wbsapi.withings.net/measure?{text}"), None, None),
        2 => IncomingRequest::parse("GET", "http://wbsapi.withings.net/measure", Some(&text), None),
        _ => IncomingRequest::parse("POST", "http://wbsapi.withings.net/measure", None, Some(rest)),
    };
    if let Ok(request) = attempts {
        let base = request.base_string();
        assert!(base.starts_with("GET&") || base.starts_with("POST&"));
        let _ = request.verify(wbs_oauth::SignatureMethod::ALL, &Secret::new("consumer"), Some(&Secret::new("token")));
        let _ = request.verify(wbs_oauth::SignatureMethod::ALL, &Secret::new("consumer"), None);
    }
});
