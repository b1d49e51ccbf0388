//! Secrets and signatures never appear in Debug output or error messages; PLAINTEXT works.

use wbs_oauth::flow::TokenResponse;
use wbs_oauth::{
    Error, IncomingRequest, OAuthParams, Placement, Secret, SignatureMethod, Signer, UrlBuffer,
};

const CONSUMER_SECRET: &str = "consumer-SECRET-0123456789";
const TOKEN_SECRET: &str = "token-SECRET-9876543210";
const VERIFIER: &str = "verifier-5555";

#[test]
fn debug_output_hides_secrets_and_signatures() {
    let cs = Secret::new(CONSUMER_SECRET);
    let ts = Secret::new(TOKEN_SECRET);
    for method in [SignatureMethod::HmacSha1, SignatureMethod::Plaintext] {
        let signer = Signer::new(method, &cs, Some(&ts));
        let oauth = OAuthParams::new("key", "nonce", "1")
            .token("tok")
            .verifier(VERIFIER);
        let signed = signer
            .sign("GET", "http://e.com/p", &[("a", "b")], &oauth)
            .unwrap();
        let wire = signed.signature().to_wire();
        let encoded = wbs_oauth::percent_encode(&wire).to_string();
        let rendered = signed.render(Placement::Header { realm: None });
        let incoming = IncomingRequest::parse(
            "GET",
            &rendered.url,
            rendered.authorization.as_deref(),
            None,
        )
        .unwrap();
        let mut buf = UrlBuffer::new();
        signer
            .sign_url_into("GET", "http://e.com/p", &[("a", "b")], &oauth, &mut buf)
            .unwrap();
        let debug = format!(
            "{signer:?} {signed:?} {rendered:?} {incoming:?} {buf:?} {cs:?} {ts:?} {oauth:?}"
        );
        assert!(
            debug.contains("oauth_verifier%3D<redacted>%26oauth_version"),
            "{debug}"
        );
        for secret in [
            VERIFIER,
            CONSUMER_SECRET,
            TOKEN_SECRET,
            wire.as_str(),
            encoded.as_str(),
        ] {
            assert!(
                !debug.contains(secret),
                "{method:?}: Debug shows {secret}: {debug}"
            );
        }
    }
    let callback = wbs_oauth::flow::AuthorizationCallback::parse(&format!(
        "oauth_token=tok&oauth_verifier={VERIFIER}&userid=29"
    ))
    .unwrap();
    let debug = format!("{callback:?}");
    assert!(
        debug.contains("tok") && !debug.contains(VERIFIER),
        "{debug}"
    );
    let token =
        TokenResponse::parse(format!("oauth_token=t&oauth_token_secret={TOKEN_SECRET}").as_bytes())
            .unwrap();
    assert!(!format!("{token:?}").contains(TOKEN_SECRET));
    let bound = wbs_oauth::TokenSigner::new(
        &wbs_oauth::Credentials::new("key", CONSUMER_SECRET),
        Some(&wbs_oauth::Credentials::new("tok", TOKEN_SECRET)),
    );
    let debug = format!("{bound:?}");
    assert!(debug.contains("key") && debug.contains("tok"), "{debug}");
    for secret in [CONSUMER_SECRET, TOKEN_SECRET] {
        assert!(
            !debug.contains(secret),
            "TokenSigner's Debug shows {secret}: {debug}"
        );
    }
}

#[test]
fn error_messages_hide_request_text() {
    let sig = "SIGNATURE-VALUE-xyz";
    let url = format!(
        "http://e.com/?oauth_consumer_key=k&oauth_signature_method=RSA-SHA1&oauth_signature={sig}&oauth_nonce=n&oauth_timestamp=1"
    );
    let err = IncomingRequest::parse("GET", &url, None, None).unwrap_err();
    assert_eq!(err, Error::UnsupportedSignatureMethod);
    let bad = format!("http://e.com/?oauth_signature={sig}%zz");
    let err = IncomingRequest::parse("GET", &bad, None, None).unwrap_err();
    for e in [err.to_string(), format!("{err:?}")] {
        assert!(!e.contains(sig), "{e}");
    }
    let url = format!(
        "http://e.com/?oauth_consumer_key=k&oauth_signature_method=HMAC-SHA1&oauth_signature={sig}&oauth_nonce=n&oauth_timestamp=1"
    );
    let req = IncomingRequest::parse("GET", &url, None, None).unwrap();
    let err = req
        .verify(
            wbs_oauth::SignatureMethod::ALL,
            &Secret::new(CONSUMER_SECRET),
            None,
        )
        .unwrap_err();
    assert!(!err.to_string().contains(CONSUMER_SECRET) && !err.to_string().contains(sig));
}

#[test]
fn plaintext_signature_is_the_encoded_key_and_verifies() {
    let cs = Secret::new("kd94hf93k423kf44");
    let ts = Secret::new("pfkkdhi9sl3r4s00");
    let signer = Signer::new(SignatureMethod::Plaintext, &cs, Some(&ts));
    let oauth = OAuthParams::new("dpf43f3p2l4k3l03", "n", "1");
    let signed = signer
        .sign(
            "POST",
            "https://photos.example.net/initiate",
            &[] as &[(&str, &str)],
            &oauth,
        )
        .unwrap();
    // RFC 5849 §3.4.4: the signature is enc(consumer secret) & enc(token secret).
    assert_eq!(
        signed.signature().to_wire(),
        "kd94hf93k423kf44&pfkkdhi9sl3r4s00"
    );
    let r = signed.render(Placement::Body);
    let got =
        IncomingRequest::parse("POST", &r.url, None, r.body.as_deref().map(str::as_bytes)).unwrap();
    assert_eq!(got.signature_method(), SignatureMethod::Plaintext);
    assert_eq!(
        got.verify(wbs_oauth::SignatureMethod::ALL, &cs, Some(&ts)),
        Ok(())
    );
    assert_eq!(
        got.verify(
            wbs_oauth::SignatureMethod::ALL,
            &cs,
            Some(&Secret::new("other"))
        ),
        Err(Error::BadSignature)
    );
}
