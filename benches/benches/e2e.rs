//! Group `e2e`: a signed getmeas of one 100-group page against wbs-sim on loopback, decoded,
//! against an unsigned GET of the same bytes from the same server with a bare hyper client,
//! not decoded, in the same run. Target (issue #6): getmeas_roundtrip keeps at least 0.7x
//! the baseline's throughput.
//!
//! (criterion_group! generates an undocumented public function, hence the allow.)
#![allow(missing_docs)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a bench's setup fails by panicking

use bytes::Bytes;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::TokioExecutor;
use wbs_hyper::{Client, GetMeas, RetryPolicy, UserId};
use wbs_sim::{RunningSim, Sandbox, FIRST_GENERATED_USER};

fn e2e(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let user = UserId::new(FIRST_GENERATED_USER);
    let (sim, client, raw_url) = rt.block_on(async {
        let mut sandbox = Sandbox::with_reference_data();
        sandbox.generate(1, 500, 5, 1_700_000_000);
        sandbox.set_max_nonces(10_000_000);
        let sim = RunningSim::start(sandbox, RunningSim::LOOPBACK)
            .await
            .expect("the sandbox starts");
        let (consumer, token) = sim.with(|s| {
            (
                s.consumer().clone(),
                s.user(user).expect("the user").token.clone(),
            )
        });
        let client = Client::builder(consumer, token)
            .base_url(sim.base_url())
            .retry(RetryPolicy::none())
            .build()
            .expect("a client");
        let raw_url = format!(
            "{}/admin/raw-getmeas?userid={}&limit=100",
            sim.base_url(),
            user
        );
        (sim, client, raw_url)
    });
    let raw: HyperClient<_, Full<Bytes>> = HyperClient::builder(TokioExecutor::new()).build_http();
    let query = GetMeas::new(user).limit(100);

    let mut group = c.benchmark_group("e2e");
    group.bench_function("getmeas_roundtrip", |b| {
        b.iter(|| {
            rt.block_on(async {
                let page = client.measures(black_box(&query)).await.expect("a page");
                black_box(page.page.measuregrps.len())
            })
        })
    });
    group.bench_function("raw_hyper_baseline", |b| {
        b.iter(|| {
            rt.block_on(async {
                let request = wbs_proto_request(&raw_url);
                let response = raw.request(request).await.expect("an answer");
                let body = response
                    .into_body()
                    .collect()
                    .await
                    .expect("a body")
                    .to_bytes();
                black_box(body.len())
            })
        })
    });
    group.finish();
    drop(sim);
}

fn wbs_proto_request(url: &str) -> hyper::Request<Full<Bytes>> {
    hyper::Request::get(url)
        .body(Full::new(Bytes::new()))
        .expect("a request")
}

criterion_group!(benches, e2e);
criterion_main!(benches);
