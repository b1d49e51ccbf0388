//! Group `decode`: a 2048-group getmeas body decoded to the typed page, against
//! serde_json::Value and against a minimal derive-only struct set of the same shape, in the
//! same run. Targets (issue #4): getmeas_2048 at least as fast as serde_derive_baseline and
//! at least 2.5x faster than serde_json_value_baseline.
//!
//! (criterion_group! generates an undocumented public function, hence the allow.)
#![allow(missing_docs)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a bench's setup fails by panicking

use criterion::{black_box, criterion_group, criterion_main, Criterion, Throughput};
use serde::Deserialize;
use wbs_proto::http::StatusCode;
use wbs_proto::{Call, GetMeas};

#[derive(Deserialize)]
struct Envelope {
    #[allow(dead_code)]
    status: i64,
    body: Page,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Page {
    updatetime: i64,
    more: i64,
    measuregrps: Vec<Group>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Group {
    grpid: i64,
    attrib: i64,
    date: i64,
    category: i64,
    measures: Vec<Measure>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Measure {
    value: i64,
    #[serde(rename = "type")]
    kind: i64,
    unit: i32,
}

fn decode(c: &mut Criterion) {
    let body = wbs_benches::getmeas_body(2048);
    let mut group = c.benchmark_group("decode");
    group.throughput(Throughput::Bytes(body.len() as u64));
    group.bench_function("getmeas_2048", |b| {
        b.iter(|| {
            let page = GetMeas::decode(StatusCode::OK, black_box(&body)).expect("decodes");
            black_box(page.page.measuregrps.len())
        })
    });
    group.bench_function("serde_derive_baseline", |b| {
        b.iter(|| {
            let e: Envelope = serde_json::from_slice(black_box(&body)).expect("decodes");
            black_box(e.body.measuregrps.len())
        })
    });
    group.bench_function("serde_json_value_baseline", |b| {
        b.iter(|| {
            let v: serde_json::Value = serde_json::from_slice(black_box(&body)).expect("decodes");
            black_box(v.is_object())
        })
    });
    group.finish();
}

criterion_group!(benches, decode);
criterion_main!(benches);
