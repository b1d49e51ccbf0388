//! A person's WBS history in SQL, kept in step with the service page by page.
//!
//! One schema for two backends: SQLite, embedded, a file (the default), and PostgreSQL,
//! for services with several instances. Measures are kept exactly as the API sends them,
//! `value` and `unit` as integers (never floats), with every field the model keeps:
//! unknown codes, and the fields newer servers add. Migrations are embedded and versioned
//! and run when a store is opened (on PostgreSQL under an advisory lock, so several
//! instances starting together migrate once).
//!
//! ```text
//!   wbs_hyper::Client::sync_pages ──> SyncPage { groups, skipped, cursor }
//!                                           │
//!                           Store::commit_page (one transaction)
//!                                           │
//!     measure_groups + measures (upsert by userid, grpid) · malformed_groups · sync_cursors
//!                                           │
//!          Store::groups(HistoryQuery) ──> Vec<MeasureGroup>  (history, plots, exports)
//! ```
//!
//! The service's queue lives here too ([`Store::enqueue_all`], [`Store::claim`],
//! [`Store::complete`]), with what several instances of it share: the consumer's
//! rate-limit slots ([`Store::book_slot`]) and logins waiting for their callback
//! ([`Store::keep_login`]).
//!
//! A page's groups and the cursor that follows them are one transaction: a process killed
//! at any moment leaves the store as it was after some page, and the next synchronisation
//! resumes after that page ([`wbs_proto::SyncCursor::progress`]).
//!
//! Nothing waits without end on the database: each call of an open store fails with
//! [`Error::Timeout`] at the store's deadline ([`CALL_DEADLINE`],
//! [`Store::with_deadline`]), and PostgreSQL cancels a statement over
//! [`STATEMENT_TIMEOUT`].
//!
//! Queries are written once, with `$1`-style parameters both backends read, through
//! sqlx's runtime `Any` driver (checked at run time against the migrated schema, not at
//! compile time: the crate builds without a database).
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use wbs_proto::wbs_model::{Attribution, Category, GroupId, Measure, MeasureGroup, MeasureType, Timestamp, UserId};
//! use wbs_proto::SyncCursor;
//! use wbs_store::{HistoryQuery, Store};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let store = Store::open_sqlite(&dir.path().join("wbs.sqlite")).await?;
//! let john = UserId::new(29);
//! let weighing = MeasureGroup::new(GroupId::new(2909), Attribution::DEVICE,
//!     Timestamp::from_secs(1222930968), Category::MEASURE,
//!     vec![Measure::new(MeasureType::WEIGHT, 79300, -3)]);
//! let mut cursor = SyncCursor::new(john);
//! cursor.lastupdate = Some(Timestamp::from_secs(1249409679));
//! store.commit_page(john, &[weighing.clone()], &[], &cursor, true).await?;
//!
//! assert_eq!(store.groups(&HistoryQuery::new(john)).await?, vec![weighing]);
//! assert_eq!(store.cursor(john).await?, Some(cursor));
//! # Ok::<(), wbs_store::Error>(()) }).unwrap();
//! ```
#![forbid(unsafe_code)]

mod error;
mod groups;
mod open;
mod queue;
mod schema;
mod shared;
mod sync;
mod users;

pub use error::{Error, Result};
pub use groups::HistoryQuery;
pub use open::{
    default_sqlite_path, sqlite_path, Backend, Store, CALL_DEADLINE, IDLE_IN_TRANSACTION_TIMEOUT,
    STATEMENT_TIMEOUT,
};
pub use queue::{Claim, MAX_BATCH};
pub use sync::Malformed;
pub use users::StoredToken;
