//! What can go wrong with the store.

use std::path::PathBuf;

/// A store error: the database, its migrations, its file, or a row that does not read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The database refused or failed (connection, SQL, constraint, I/O inside the driver).
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// The schema could not be brought to this version.
    #[error("database schema: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database file or its directory.
    #[error("{}: {source}", path.display())]
    File {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A database URL this store does not speak (it speaks `sqlite:` and `postgres:`). Only
    /// its scheme is kept: the rest may hold a password.
    #[error("unsupported database URL scheme {scheme:?}: use sqlite:PATH or postgres://…")]
    UnsupportedUrl {
        /// What came before the first `:`.
        scheme: String,
    },
    /// The database did not answer a call within the store's deadline
    /// ([`Store::with_deadline`](crate::Store::with_deadline)); it may answer again later.
    #[error("the database did not answer within {after:?}")]
    Timeout {
        /// The deadline.
        after: std::time::Duration,
    },
    /// A queue claim's lease ended and another worker took its user: nothing was written.
    #[error("the claim's lease was lost to another worker")]
    LeaseLost,
    /// A stored value this version cannot read (written by another program or version).
    #[error("stored {what} does not read: {why}")]
    Corrupt {
        /// What was read.
        what: &'static str,
        /// Why it does not read.
        why: String,
    },
}

/// The store's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;
