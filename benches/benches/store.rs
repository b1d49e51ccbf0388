//! Group `store`: a decoded 2048-group getmeas page kept in SQLite as `wbs sync` keeps it
//! (`Store::commit_page`: upsert by (userid, grpid), measures replaced, cursor, one
//! transaction), against the same rows as plain prepared INSERTs, one statement a row, in
//! one transaction through the same driver and database settings, in the same run.
//! Target (issue #12): ingest_page_2048 keeps at least 0.5x the baseline's throughput.
//!
//! Each iteration writes a user of its own, so both sides insert new rows into tables of
//! the same size.
//!
//! (criterion_group! generates an undocumented public function, hence the allow.)
#![allow(missing_docs)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a bench's setup fails by panicking

use std::sync::atomic::{AtomicI64, Ordering};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use wbs_proto::http::StatusCode;
use wbs_proto::wbs_model::{MeasureGroup, UserId};
use wbs_proto::{Call, GetMeas, SyncCursor};
use wbs_store::Store;

/// The baseline: each row its own prepared INSERT, no conflict handling, no cursor.
async fn raw_insert(store: &Store, userid: i64, groups: &[MeasureGroup]) {
    let mut tx = store.pool().begin().await.expect("begins");
    sqlx::query("INSERT INTO users (userid, added_at) VALUES ($1, 0)")
        .bind(userid)
        .execute(&mut *tx)
        .await
        .expect("user");
    for g in groups {
        sqlx::query(
            "INSERT INTO measure_groups (userid, grpid, attrib, date, category, stored_at) \
             VALUES ($1, $2, $3, $4, $5, 0)",
        )
        .bind(userid)
        .bind(g.grpid.get())
        .bind(g.attrib.code())
        .bind(g.date.secs())
        .bind(g.category.code())
        .execute(&mut *tx)
        .await
        .expect("group");
        for (i, m) in g.measures.iter().enumerate() {
            sqlx::query(
                "INSERT INTO measures (userid, grpid, idx, type, value, unit) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(userid)
            .bind(g.grpid.get())
            .bind(i as i64)
            .bind(m.measure_type.code())
            .bind(m.value)
            .bind(i64::from(m.unit))
            .execute(&mut *tx)
            .await
            .expect("measure");
        }
    }
    tx.commit().await.expect("commits");
}

fn store(c: &mut Criterion) {
    let body = wbs_benches::getmeas_body(2048);
    let groups = GetMeas::decode(StatusCode::OK, &body)
        .expect("decodes")
        .page
        .measuregrps;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let ingest = rt
        .block_on(Store::open_sqlite(&dir.path().join("ingest.sqlite")))
        .expect("opens");
    let raw = rt
        .block_on(Store::open_sqlite(&dir.path().join("raw.sqlite")))
        .expect("opens");
    let next_user = AtomicI64::new(1);

    let mut group = c.benchmark_group("store");
    group.throughput(Throughput::Elements(groups.len() as u64));
    group.sample_size(20);
    group.bench_function("ingest_page_2048", |b| {
        b.iter(|| {
            let user = UserId::new(next_user.fetch_add(1, Ordering::Relaxed));
            let mut cursor = SyncCursor::new(user);
            cursor.lastupdate = Some(wbs_proto::wbs_model::Timestamp::from_secs(1_700_000_000));
            rt.block_on(ingest.commit_page(user, &groups, &[], &cursor, true))
                .expect("commits");
        })
    });
    group.bench_function("raw_insert_baseline", |b| {
        b.iter(|| {
            let user = next_user.fetch_add(1, Ordering::Relaxed);
            rt.block_on(raw_insert(&raw, user, &groups));
        })
    });
    group.finish();
}

criterion_group!(benches, store);
criterion_main!(benches);
