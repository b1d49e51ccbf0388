//! The workspace's shared test helpers, one copy each: a raw HTTP/1.1 exchange over a
//! `TcpStream` (the end-to-end tests need no HTTP client, and some need to send what a
//! client would not), fixture groups, and a SQLite store in a temporary directory.
//!
//! Only tests use it (as a dev-dependency); it is not published.
//!
//! ```text
//!  test ──exchange(method, url, bearer, Body, body)──▶ TcpStream 127.0.0.1 ──▶ the whole reply
//!  test ──weighing(id, date, grams)──────▶ MeasureGroup
//!  test ──temp_sqlite(name)──────────────▶ (TempDir, Store)
//! ```
//!
//! ```
//! let group = wbs_testkit::weighing(7, 1_700_000_000, 80_100);
//! assert_eq!(group.measures[0].value, 80_100);
//! assert_eq!(wbs_testkit::location("HTTP/1.1 302 Found\r\nLocation: /x\r\n\r\n"), Some("/x".into()));
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a helper that fails fails its test
mod http;

pub use http::{exchange, free_addr, free_port, location, send, try_send, Body};

use wbs_model::{Attribution, Category, GroupId, Measure, MeasureGroup, MeasureType, Timestamp};
use wbs_store::Store;

/// A device-measured group of one weight of `grams` grams (`value` in 10^-3 kg).
pub fn weighing(id: i64, date: i64, grams: i64) -> MeasureGroup {
    MeasureGroup::new(
        GroupId::new(id),
        Attribution::DEVICE,
        Timestamp::from_secs(date),
        Category::MEASURE,
        vec![Measure::new(MeasureType::WEIGHT, grams, -3)],
    )
}

/// A new SQLite store named `name` in a new temporary directory (kept alive by the
/// returned `TempDir`). Panics if it cannot be opened: a test's setup.
pub async fn temp_sqlite(name: &str) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = Store::open_sqlite(&dir.path().join(name))
        .await
        .expect("a new SQLite store opens");
    (dir, store)
}
