//! Runs `Session::request` N times, the `sign/session_request` bench's call (or, with a
//! second argument `url`, `Signer::sign_url_into` as `sign/getmeas_url` calls it), to count
//! its instructions where timings are too noisy to trust (a shared CPU):
//!
//! ```text
//! cargo build --profile bench -p wbs-benches --example count_sign
//! valgrind --tool=callgrind target/release/examples/count_sign 1000
//! valgrind --tool=callgrind target/release/examples/count_sign 11000
//! valgrind --tool=callgrind target/release/examples/count_sign 1000 url
//! valgrind --tool=callgrind target/release/examples/count_sign 11000 url
//! ```
//!
//! The difference of the two totals over 10,000 is the count of one request. Valgrind has
//! no SHA-NI, so SHA-1 runs in software there (about 11,200 of the count).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a bench's setup fails by panicking
use std::hint::black_box;
use wbs_oauth::{Credentials, OAuthParams, Secret, Signer, UrlBuffer};
use wbs_proto::wbs_model::{Timestamp, UserId};
use wbs_proto::{GetMeas, Session};

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    if std::env::args().nth(2).as_deref() == Some("url") {
        return sign_urls(n);
    }
    let session = Session::new(
        Credentials::new(
            "7e563166232c6821742b4c277350494a455f392b353e5d49712a34762a",
            "0123456789abcdef0123456789abcdef01234567",
        ),
        Credentials::new(
            "c68567f1760552958d713e92088db9f5c5189754dfe4e92068971f4e25d64",
            "76543210fedcba9876543210fedcba9876543210",
        ),
    )
    .with_base_url("http://wbsapi.withings.net")
    .expect("base");
    let query = GetMeas::new(UserId::new(1229))
        .startdate(Timestamp::from_secs(1_222_819_200))
        .enddate(Timestamp::from_secs(1_223_190_167));
    for _ in 0..n {
        black_box(
            session
                .request(
                    black_box(&query),
                    black_box("f22d74f2209ddf0c6558a47c02841fb1"),
                    1_309_783_586,
                )
                .expect("signs"),
        );
    }
}

/// The `sign/getmeas_url` bench's call, `n` times.
fn sign_urls(n: u64) {
    let signer = Signer::hmac_sha1(
        &Secret::new("0123456789abcdef0123456789abcdef01234567"),
        Some(&Secret::new("76543210fedcba9876543210fedcba9876543210")),
    );
    let oauth = OAuthParams::new(
        "7e563166232c6821742b4c277350494a455f392b353e5d49712a34762a",
        "f22d74f2209ddf0c6558a47c02841fb1",
        "1309783586",
    )
    .token("c68567f1760552958d713e92088db9f5c5189754dfe4e92068971f4e25d64");
    let params = [
        ("action", "getmeas"),
        ("userid", "1229"),
        ("startdate", "1222819200"),
        ("enddate", "1223190167"),
    ];
    let mut buf = UrlBuffer::new();
    for _ in 0..n {
        let url = signer
            .sign_url_into(
                "GET",
                black_box("http://wbsapi.withings.net/measure"),
                black_box(&params),
                black_box(&oauth),
                &mut buf,
            )
            .expect("signs");
        black_box(url.len());
    }
}
