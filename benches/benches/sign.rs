//! Group `sign`: our full getmeas signing against a bare HMAC-SHA1 over a prebuilt base
//! string, measured in the same run. Targets: getmeas_url <= 1.5 x hmac_sha1_baseline
//! (the engine alone), and session_request <= 3 x hmac_sha1_prekeyed_baseline (what
//! wbs-hyper and every user send: a GetMeas to a signed `http::Request`).
//!
//! (criterion_group! generates an undocumented public function, hence the allow.)
#![allow(missing_docs)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a bench's setup fails by panicking

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use wbs_oauth::{Credentials, OAuthParams, Secret, Signer, UrlBuffer};
use wbs_proto::wbs_model::{Timestamp, UserId};
use wbs_proto::{GetMeas, Session};

const CONSUMER_KEY: &str = "7e563166232c6821742b4c277350494a455f392b353e5d49712a34762a";
const TOKEN: &str = "c68567f1760552958d713e92088db9f5c5189754dfe4e92068971f4e25d64";
const NONCE: &str = "f22d74f2209ddf0c6558a47c02841fb1";
const TIMESTAMP: &str = "1309783586";
const CONSUMER_SECRET: &str = "0123456789abcdef0123456789abcdef01234567";
const TOKEN_SECRET: &str = "76543210fedcba9876543210fedcba9876543210";
const URL: &str = "http://wbsapi.withings.net/measure";
const PARAMS: [(&str, &str); 4] = [
    ("action", "getmeas"),
    ("userid", "1229"),
    ("startdate", "1222819200"),
    ("enddate", "1223190167"),
];

fn sign(c: &mut Criterion) {
    let signer = Signer::hmac_sha1(
        &Secret::new(CONSUMER_SECRET),
        Some(&Secret::new(TOKEN_SECRET)),
    );
    let oauth = OAuthParams::new(CONSUMER_KEY, NONCE, TIMESTAMP).token(TOKEN);
    let signed = signer
        .sign("GET", URL, &PARAMS, &oauth)
        .expect("the bench request signs");
    let base_string = signed.base_string().to_owned();
    let key = format!("{CONSUMER_SECRET}&{TOKEN_SECRET}");

    let mut group = c.benchmark_group("sign");
    group.bench_function("hmac_sha1_baseline", |b| {
        let mut out = String::with_capacity(32);
        b.iter(|| {
            let mut mac =
                Hmac::<Sha1>::new_from_slice(black_box(key.as_bytes())).expect("any key length");
            mac.update(black_box(base_string.as_bytes()));
            out.clear();
            STANDARD.encode_string(mac.finalize().into_bytes(), &mut out);
            black_box(&out);
        })
    });
    group.bench_function("hmac_sha1_prekeyed_baseline", |b| {
        // Keyed once, cloned per call: the same saving the Signer makes.
        let keyed = Hmac::<Sha1>::new_from_slice(key.as_bytes()).expect("any key length");
        let mut out = String::with_capacity(32);
        b.iter(|| {
            let mut mac = black_box(&keyed).clone();
            mac.update(black_box(base_string.as_bytes()));
            out.clear();
            STANDARD.encode_string(mac.finalize().into_bytes(), &mut out);
            black_box(&out);
        })
    });
    group.bench_function("session_request", |b| {
        let session = Session::new(
            Credentials::new(CONSUMER_KEY, CONSUMER_SECRET),
            Credentials::new(TOKEN, TOKEN_SECRET),
        )
        .with_base_url("http://wbsapi.withings.net")
        .expect("a valid base URL");
        let query = GetMeas::new(UserId::new(1229))
            .startdate(Timestamp::from_secs(1_222_819_200))
            .enddate(Timestamp::from_secs(1_223_190_167));
        // The same request as the other functions sign.
        let request = session
            .request(&query, NONCE, 1_309_783_586)
            .expect("signs");
        assert_eq!(
            request.uri().to_string(),
            signer
                .sign_url_into("GET", URL, &PARAMS, &oauth, &mut UrlBuffer::new())
                .expect("signs")
        );
        b.iter(|| black_box(session.request(black_box(&query), black_box(NONCE), 1_309_783_586)))
    });
    group.bench_function("getmeas_url", |b| {
        let mut buf = UrlBuffer::new();
        b.iter(|| {
            let url = signer
                .sign_url_into(
                    "GET",
                    black_box(URL),
                    black_box(&PARAMS),
                    black_box(&oauth),
                    &mut buf,
                )
                .expect("signs");
            black_box(url.len());
        })
    });
    group.bench_function("signed_with_base_string", |b| {
        b.iter(|| {
            black_box(signer.sign("GET", black_box(URL), black_box(&PARAMS), black_box(&oauth)))
        })
    });
    group.finish();
}

criterion_group!(benches, sign);
criterion_main!(benches);
