//! Property tests of the signing invariants.

use proptest::prelude::*;
use wbs_oauth::{
    form_decode, percent_decode, percent_encode, Error, IncomingRequest, OAuthParams, Placement,
    Secret, Signer,
};

/// Request parameters: arbitrary UTF-8 names and values (duplicates and empty values
/// included), never named like a protocol parameter.
fn params() -> impl Strategy<Value = Vec<(String, String)>> {
    let name = prop_oneof![
        "[a-z]{1,6}",
        any::<String>().prop_filter("not oauth_", |s| !s.starts_with("oauth_")),
    ];
    let value = prop_oneof!["[a-z0-9]{0,6}", any::<String>(), Just(String::new())];
    prop::collection::vec((name, value), 0..12)
}

fn secret() -> impl Strategy<Value = String> {
    prop_oneof!["[A-Za-z0-9]{0,40}", any::<String>()]
}

#[derive(Clone, Debug)]
struct Case {
    params: Vec<(String, String)>,
    consumer_key: String,
    token: String,
    nonce: String,
    timestamp: String,
}

impl Case {
    fn oauth(&self) -> OAuthParams<'_> {
        OAuthParams::new(&self.consumer_key, &self.nonce, &self.timestamp).token(&self.token)
    }
}

fn case() -> impl Strategy<Value = Case> {
    (
        params(),
        "[a-z0-9]{1,20}",
        "[a-z0-9]{1,20}",
        "[a-f0-9]{1,32}",
        "[1-9][0-9]{0,9}",
    )
        .prop_map(|(params, consumer_key, token, nonce, timestamp)| Case {
            params,
            consumer_key,
            token,
            nonce,
            timestamp,
        })
}

const URL: &str = "http://wbsapi.withings.net/measure";

fn verify_rendered(
    method: &str,
    signer_secrets: (&Secret, &Secret),
    signed: &wbs_oauth::Signed,
    placement: Placement<'_>,
) -> Result<(), Error> {
    let r = signed.render(placement);
    let got = IncomingRequest::parse(
        method,
        &r.url,
        r.authorization.as_deref(),
        r.body.as_deref().map(str::as_bytes),
    )?;
    assert_eq!(got.base_string(), signed.base_string());
    got.verify(
        wbs_oauth::SignatureMethod::ALL,
        signer_secrets.0,
        Some(signer_secrets.1),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn encode_then_decode_is_identity(s in any::<String>()) {
        let encoded = percent_encode(&s).to_string();
        prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%".contains(&b)));
        prop_assert_eq!(percent_decode(&encoded).unwrap(), s.as_str());
        prop_assert_eq!(form_decode(&encoded).unwrap(), s.as_str());
    }

    #[test]
    fn decode_never_panics(s in any::<String>()) {
        let _ = percent_decode(&s);
        let _ = form_decode(&s);
    }

    #[test]
    fn signature_ignores_parameter_order(c in case(), seed in any::<u64>(), cs in secret(), ts in secret()) {
        let signer = Signer::hmac_sha1(&Secret::new(cs), Some(&Secret::new(ts)));
        let mut shuffled = c.params.clone();
        // A deterministic shuffle driven by the seed.
        fastrand::Rng::with_seed(seed).shuffle(&mut shuffled);
        let a = signer.sign("GET", URL, &c.params, &c.oauth()).unwrap();
        let b = signer.sign("GET", URL, &shuffled, &c.oauth()).unwrap();
        prop_assert_eq!(a.base_string(), b.base_string());
        prop_assert_eq!(a.signature(), b.signature());
    }

    #[test]
    fn sign_then_verify_in_every_placement(c in case(), cs in secret(), ts in secret(), post in any::<bool>()) {
        let (cs, ts) = (Secret::new(cs), Secret::new(ts));
        let method = if post { "POST" } else { "GET" };
        let signed = Signer::hmac_sha1(&cs, Some(&ts)).sign(method, URL, &c.params, &c.oauth()).unwrap();
        for placement in [Placement::Query, Placement::Header { realm: Some("WBS") }, Placement::Body] {
            prop_assert_eq!(verify_rendered(method, (&cs, &ts), &signed, placement), Ok(()));
        }
        // The URL query path and the general path agree.
        let mut buf = wbs_oauth::UrlBuffer::new();
        let fast = Signer::hmac_sha1(&cs, Some(&ts)).sign_url_into(method, URL, &c.params, &c.oauth(), &mut buf).unwrap();
        prop_assert_eq!(fast, signed.query_url());
    }

    /// An endpoint parsed once signs exactly as the URL parsed at each signature, for URLs
    /// with a query of their own, a port, upper case and userinfo.
    #[test]
    fn endpoint_path_agrees_with_url_path(
        c in case(),
        url in prop_oneof![
            Just(URL.to_owned()),
            Just("HTTPS://User:pw@Example.COM:443/a%20b/c?x=1&y=%3D+z#frag".to_owned()),
            Just("http://[2001:DB8::1]:8080".to_owned()),
            "http://[a-z]{1,8}\\.example(:[0-9]{2,4})?/[a-z/]{0,8}(\\?[a-z]{1,3}=[a-z0-9%+]{0,6})?",
        ],
    ) {
        let signer = Signer::hmac_sha1(&Secret::new("cs"), Some(&Secret::new("ts")));
        let (mut a, mut b) = (wbs_oauth::UrlBuffer::new(), wbs_oauth::UrlBuffer::new());
        let by_url = signer.sign_url_into("GET", &url, &c.params, &c.oauth(), &mut a);
        let endpoint = wbs_oauth::Endpoint::parse(&url);
        match (by_url, endpoint) {
            (Ok(by_url), Ok(endpoint)) => {
                let by_endpoint = signer.sign_url_into("GET", &endpoint, &c.params, &c.oauth(), &mut b).unwrap();
                prop_assert_eq!(by_url, by_endpoint);
                prop_assert_eq!(a.base_string(), b.base_string());
            }
            (Err(e), Err(f)) => prop_assert_eq!(e, f),
            // A query of the URL that does not decode is refused at signing, by both.
            (Err(e), Ok(endpoint)) => {
                let f = signer.sign_url_into("GET", &endpoint, &c.params, &c.oauth(), &mut b).unwrap_err();
                prop_assert_eq!(e, f);
            }
            (Ok(_), Err(f)) => prop_assert!(false, "the endpoint refused {url}: {f}"),
        }
    }

    /// The base string URI that signing encodes as it writes it (the URL engine) is the
    /// encoding of the one it writes whole (the general path): for hosts in any case,
    /// ports default and not, empty paths, paths with spaces, escapes, `//`, and any text.
    #[test]
    fn encoded_base_uri_is_the_encoding_of_the_base_uri(
        c in case(),
        url in prop_oneof![
            Just("HTTP://WBSAPI.Withings.NET:80".to_owned()),
            Just("https://e.com:8443//a//b/".to_owned()),
            Just("http://e.com/a b/%41%2f?x=1".to_owned()),
            Just("http://user@[::1]:81/".to_owned()),
            Just("https://E.COM:443".to_owned()),
            Just("http://e.com:0080/x".to_owned()),
            Just("http://e.com:/".to_owned()),
            Just("http://e.com:0/".to_owned()),
            Just("https://[2001:DB8::1]:443/%7e".to_owned()),
            "http://[A-Za-z0-9.%~_-]{1,8}(:[0-9]{1,3})?/\\PC{0,8}",
            "(http|HTTPS)://[A-Za-z0-9.~_-]{1,10}(:[0-9]{1,5})?(/[a-zA-Z0-9 %/~.:@!$&'()*+,;=-]{0,12})?",
            "http://[a-z]{1,4}/\\PC{0,8}",
        ],
    ) {
        let signer = Signer::hmac_sha1(&Secret::new("cs"), Some(&Secret::new("ts")));
        let mut buf = wbs_oauth::UrlBuffer::new();
        let fast = signer.sign_url_into("GET", &url, &c.params, &c.oauth(), &mut buf).map(|u| u.to_owned());
        match (fast, signer.sign("GET", &url, &c.params, &c.oauth())) {
            (Ok(fast), Ok(signed)) => {
                prop_assert_eq!(buf.base_string(), signed.base_string());
                prop_assert_eq!(fast, signed.query_url());
            }
            (Err(e), Err(f)) => prop_assert_eq!(e, f),
            (fast, signed) => prop_assert!(false, "{url}: {fast:?} but {:?}", signed.map(|s| s.query_url())),
        }
    }

    /// A `TokenSigner`, its fixed parameters encoded once, signs exactly as its `Signer`
    /// given every parameter: for keys, tokens and nonces that need escapes, an empty
    /// token and none, and names that sort anywhere among the protocol's.
    #[test]
    fn token_signer_agrees_with_signer(
        params in prop::collection::vec(
            (
                prop_oneof![
                    "[a-z]{1,6}",
                    // Reserved names, and names that share a prepared one's sort key.
                    "oauth_[a-z_]{0,16}",
                    Just("oauth_token".to_owned()),
                    Just("oauth_consumer_keyx".to_owned()),
                    any::<String>(),
                ],
                prop_oneof!["[a-z0-9]{0,6}", any::<String>(), Just(String::new())],
            ),
            0..12,
        ),
        consumer_key in any::<String>(),
        token in prop_oneof![Just(None), Just(Some(String::new())), prop::option::of(any::<String>())],
        nonce in any::<String>(),
        timestamp in "[0-9]{0,10}",
        (cs, ts) in (secret(), secret()),
    ) {
        let consumer = wbs_oauth::Credentials::new(consumer_key, cs);
        let token = token.map(|t| wbs_oauth::Credentials::new(t, ts));
        let bound = wbs_oauth::TokenSigner::new(&consumer, token.as_ref());
        let oauth = bound.oauth_params(&nonce, &timestamp);
        prop_assert_eq!(oauth.consumer_key, consumer.key.as_str());
        prop_assert_eq!(oauth.token, token.as_ref().map(|t| t.key.as_str()));
        let (mut a, mut b) = (wbs_oauth::UrlBuffer::new(), wbs_oauth::UrlBuffer::new());
        let given = bound.signer().sign_url_into("GET", URL, &params, &oauth, &mut a);
        let prepared = bound.sign_url_into("GET", URL, &params, &nonce, &timestamp, &mut b);
        let ok = given.is_ok();
        prop_assert_eq!(given, prepared);
        if ok {
            prop_assert_eq!(a.base_string(), b.base_string());
        }
    }

    #[test]
    fn tampering_with_any_signed_byte_fails(c in case(), field in any::<prop::sample::Index>(), pos in any::<prop::sample::Index>()) {
        let (cs, ts) = (Secret::new("consumer"), Secret::new("token"));
        let signer = Signer::hmac_sha1(&cs, Some(&ts));
        let original = signer.sign("GET", URL, &c.params, &c.oauth()).unwrap();

        // Choose one signed field: a parameter name or value, or a protocol parameter.
        let mut t = c.clone();
        let n_fields = t.params.len() * 2 + 4;
        let target: &mut String = match field.index(n_fields) {
            i if i < t.params.len() * 2 => {
                let p = &mut t.params[i / 2];
                if i % 2 == 0 { &mut p.0 } else { &mut p.1 }
            }
            i => match i - t.params.len() * 2 {
                0 => &mut t.consumer_key,
                1 => &mut t.token,
                2 => &mut t.nonce,
                _ => &mut t.timestamp,
            },
        };
        change_one_char(target, pos);
        let tampered = signer.sign("GET", URL, &t.params, &t.oauth()).unwrap();
        prop_assert_ne!(tampered.base_string(), original.base_string());
        // Send the tampered request with the original signature.
        let url = tampered.query_url();
        let sig = wbs_oauth::percent_encode(&original.signature().to_wire()).to_string();
        let start = url.find("oauth_signature=").unwrap() + "oauth_signature=".len();
        let end = url[start..].find('&').map_or(url.len(), |e| start + e);
        let forged = format!("{}{}{}", &url[..start], sig, &url[end..]);
        let got = IncomingRequest::parse("GET", &forged, None, None).unwrap();
        prop_assert_eq!(got.verify(wbs_oauth::SignatureMethod::ALL, &cs, Some(&ts)), Err(Error::BadSignature));
    }
}

/// Changes one character (a digit stays a digit, so timestamps stay well-formed).
fn change_one_char(s: &mut String, pos: prop::sample::Index) {
    let chars: Vec<char> = s.chars().collect();
    if chars.is_empty() {
        s.push('x');
        return;
    }
    let i = pos.index(chars.len());
    let c = chars[i];
    let replacement = match c {
        '0'..='8' => char::from(c as u8 + 1),
        '9' => '1',
        'a' => 'b',
        _ => 'a',
    };
    *s = chars[..i]
        .iter()
        .chain(std::iter::once(&replacement))
        .chain(&chars[i + 1..])
        .collect();
}
