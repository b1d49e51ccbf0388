//! Group `sign`: our full getmeas signing against a bare HMAC-SHA1 over a prebuilt base
//! string, measured in the same run. Target (issue #2): getmeas_url <= 1.5 x baseline.
//!
//! (criterion_group! generates an undocumented public function, hence the allow.)
#![allow(missing_docs)]

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use hmac::{Hmac, Mac};
use sha1::Sha1;
use wbs_oauth::{OAuthParams, Secret, Signer, UrlBuffer};

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
