//! Differential: arbitrary parameters signed in two orders give one signature, and the
//! signed request verifies in every placement with the same base string.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wbs_oauth::{IncomingRequest, OAuthParams, Placement, Secret, Signer, UrlBuffer};

fuzz_target!(|input: (Vec<(String, String)>, u8, String)| {
    let (params, rotate, nonce) = input;
    // Names starting with oauth_ may collide with protocol parameters: a typed error.
    let signer = Signer::hmac_sha1(&Secret::new("consumer"), Some(&Secret::new("token")));
    let oauth = OAuthParams::new("key", &nonce, "1309783586").token("tok");
    let url = "http://wbsapi.withings.net/measure";
    let Ok(a) = signer.sign("POST", url, &params, &oauth) else {
        return;
    };
    let mut other = params.clone();
    other.reverse();
    if !other.is_empty() {
        let k = usize::from(rotate) % other.len();
        other.rotate_left(k);
    }
    let b = signer.sign("POST", url, &other, &oauth).expect("same parameters, other order");
    assert_eq!(a.base_string(), b.base_string());
    assert_eq!(a.signature(), b.signature());

    let mut buf = UrlBuffer::new();
    let fast = signer.sign_url_into("POST", url, &other, &oauth, &mut buf).expect("signs");
    assert_eq!(fast, a.query_url());

    for placement in [Placement::Query, Placement::Header { realm: None }, Placement::Body] {
        let r = a.render(placement);
        let got = IncomingRequest::parse("POST", &r.url, r.authorization.as_deref(), r.body.as_deref().map(str::as_bytes))
            .expect("a rendered request parses");
        assert_eq!(got.base_string(), a.base_string());
        got.verify(wbs_oauth::SignatureMethod::ALL, &Secret::new("consumer"), Some(&Secret::new("token"))).expect("verifies");
    }
});
