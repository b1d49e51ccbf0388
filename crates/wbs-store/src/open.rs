//! Opening a store: the backend from the URL, the SQLite file's permissions, migrations.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyConnection, AnyPool, Connection, Executor};

use crate::error::{Error, Result};
use crate::groups::{now, now_millis};

/// Which database a store is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backend {
    /// A SQLite file (embedded).
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// A person's (or many people's) history in a database. Cheap to clone: the connection
/// pool is shared.
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) pool: AnyPool,
    backend: Backend,
    /// The database's clock as seen from this process (this process's, on SQLite).
    clock: Arc<DbClock>,
    /// How long one call may take, all its statements, before it is given up.
    deadline: Duration,
}

/// How long one call of a store may take, by default, before it fails with
/// [`Error::Timeout`]: a database that stops answering (a partition, a server gone
/// without closing its sockets) is otherwise waited for without end, since the driver
/// sets no TCP keepalive and PostgreSQL's `statement_timeout` cannot fire on a server
/// that is away. Four times [`STATEMENT_TIMEOUT`], for a call of several statements.
pub const CALL_DEADLINE: Duration = Duration::from_secs(120);

/// The database's clock less this process's, in milliseconds, and when that was measured
/// (Unix seconds, this process's clock; never, on SQLite).
#[derive(Debug, Default)]
struct DbClock {
    offset_ms: AtomicI64,
    measured_at: AtomicI64,
}

/// How often the offset from the database's clock is measured again: a host clock
/// stepped (NTP after a late start, a resumed machine) is followed within this.
const CLOCK_CHECK_EVERY: i64 = 60;

/// The SQLite file the `wbs` command uses by default: `$XDG_DATA_HOME/wbs/wbs.sqlite`, or
/// `~/.local/share/wbs/wbs.sqlite` (`None` without either variable).
pub fn default_sqlite_path() -> Option<PathBuf> {
    let data = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|home| Path::new(&home).join(".local/share"))
        })?;
    Some(data.join("wbs").join("wbs.sqlite"))
}

/// The SQLite file a database URL names: `sqlite:PATH`, `sqlite://PATH` (a query after `?`
/// is ignored), or a plain path; `None` for any other scheme (`postgres://…`).
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    if let Some(rest) = url.strip_prefix("sqlite:") {
        let rest = rest.strip_prefix("//").unwrap_or(rest);
        let path = rest.split('?').next().unwrap_or(rest);
        return Some(PathBuf::from(path));
    }
    match url.split_once(':') {
        // A scheme is letters (then digits, +, -, .) before a colon; a colon after a slash,
        // or a drive letter, is part of a path.
        Some((scheme, _))
            if scheme.len() > 1
                && scheme.starts_with(|c: char| c.is_ascii_alphabetic())
                && scheme
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c)) =>
        {
            None
        }
        _ => Some(PathBuf::from(url)),
    }
}

impl Store {
    /// Opens (creating if need be) the database a URL names, and brings its schema to this
    /// version: `sqlite:PATH` (or `sqlite://PATH`), or `postgres://user@host/db`
    /// (`postgresql://` too). A plain path is taken as a SQLite file.
    pub async fn open(url: &str) -> Result<Self> {
        if let Some(path) = sqlite_path(url) {
            return Self::open_sqlite(&path).await;
        }
        match url.split_once(':').map(|(s, _)| s) {
            Some("postgres" | "postgresql") => Self::open_postgres(url).await,
            scheme => Err(Error::UnsupportedUrl {
                scheme: scheme.unwrap_or_default().to_owned(),
            }),
        }
    }

    /// Opens (creating if need be) a SQLite file, readable and writable by its owner only
    /// (it holds access tokens), with its directory; WAL journal, full synchronous commits
    /// (a commit is on disk when it returns), foreign keys on.
    pub async fn open_sqlite(path: &Path) -> Result<Self> {
        prepare_file(path)?;
        sqlx::any::install_default_drivers();
        let url = format!("sqlite://{}?mode=rw", encode_path(path)?);
        // One connection first: a file that is not a database fails here at once (the pool
        // would retry it until its timeout).
        let mut first = AnyConnection::connect(&url).await?;
        sqlite_pragmas(&mut first).await?;
        first.close().await?;
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(|conn, _| Box::pin(sqlite_pragmas(conn)))
            .connect(&url)
            .await?;
        Backend::Sqlite.migrator().await?.run(&pool).await?;
        Ok(Self {
            pool,
            backend: Backend::Sqlite,
            clock: Arc::default(),
            deadline: CALL_DEADLINE,
        })
    }

    /// Connects to PostgreSQL and migrates (once, under the migrator's advisory lock, however
    /// many instances start together). Every connection of the store then has its limits
    /// (unless the URL's `options` or the server's settings set them, to a value or to 0):
    /// a statement that runs, or waits for a lock, over [`STATEMENT_TIMEOUT`] is cancelled,
    /// and a session idle inside a transaction over [`IDLE_IN_TRANSACTION_TIMEOUT`] is
    /// ended, freeing its locks: no caller waits without end on a stuck peer. (The
    /// migration runs without them: an instance waiting for another's migration waits as
    /// long as it takes.)
    pub async fn open_postgres(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let migrating = AnyPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(30))
            .connect(url)
            .await?;
        Backend::Postgres.migrator().await?.run(&migrating).await?;
        migrating.close().await;
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(|conn, _| Box::pin(postgres_limits(conn)))
            .connect(url)
            .await?;
        let store = Self {
            pool,
            backend: Backend::Postgres,
            clock: Arc::default(),
            deadline: CALL_DEADLINE,
        };
        store.measure_clock().await?;
        Ok(store)
    }

    /// Brings the queue's planner statistics up to date (PostgreSQL; nothing on SQLite):
    /// a claim walks pending notifications in id order only when the planner knows how
    /// many there are, and a table filled in bulk (a backlog restored, or queued while no
    /// instance ran) is analyzed by autovacuum only up to a minute later. The service does
    /// it when it starts. Measured: a claim's pick took 8.8 ms over 1,221 pending rows on
    /// stale statistics (a scan, a join and a sort), 0.6 ms after.
    pub async fn analyze_queue(&self) -> Result<()> {
        self.bounded(async {
            if self.backend == Backend::Postgres {
                self.pool.execute("ANALYZE notifications").await?;
            }
            Ok(())
        })
        .await
    }

    /// Unix seconds now by the database's clock, as last measured (this process's clock
    /// on SQLite): the queue's leases and every instance's view of them are timed by one
    /// clock, whatever the instances' clocks say.
    pub(crate) fn clock(&self) -> i64 {
        let offset = self.clock.offset_ms.load(Ordering::Relaxed);
        now_millis().saturating_add(offset).div_euclid(1000)
    }

    /// Measures the database's clock again if the last measure is over a minute old
    /// (PostgreSQL; nothing on SQLite). Claims call it.
    pub(crate) async fn keep_clock(&self) -> Result<()> {
        let at = self.clock.measured_at.load(Ordering::Relaxed);
        if self.backend == Backend::Postgres && now().saturating_sub(at) >= CLOCK_CHECK_EVERY {
            self.measure_clock().await?;
        }
        Ok(())
    }

    /// The database's clock less this process's, in milliseconds (the round trip's
    /// midpoint taken as the moment the database read its clock).
    async fn measure_clock(&self) -> Result<()> {
        let before = now_millis();
        let db: i64 = sqlx::query_scalar(
            "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)",
        )
        .fetch_one(&self.pool)
        .await?;
        let after = now_millis();
        let local = before.saturating_add(after.saturating_sub(before) / 2);
        self.clock
            .offset_ms
            .store(db.saturating_sub(local), Ordering::Relaxed);
        self.clock.measured_at.store(now(), Ordering::Relaxed);
        Ok(())
    }

    /// The same store, each of whose calls fails with [`Error::Timeout`] once it has taken
    /// `deadline` ([`CALL_DEADLINE`] unless set; zero fails every call). A transaction
    /// that a call given up had not committed is rolled back; a statement already sent may
    /// still be carried out by a database that was only slow, as when any answer is lost.
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// How long one call may take before it fails with [`Error::Timeout`].
    pub fn deadline(&self) -> Duration {
        self.deadline
    }

    /// `call`, given up with [`Error::Timeout`] once it has taken the deadline.
    pub(crate) async fn bounded<T>(
        &self,
        call: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        tokio::time::timeout(self.deadline, call)
            .await
            .unwrap_or(Err(Error::Timeout {
                after: self.deadline,
            }))
    }

    /// What a `SELECT COUNT(*) …` answers with these integer parameters (`$1`, …).
    pub(crate) async fn count(&self, sql: &str, params: &[i64]) -> Result<u64> {
        self.bounded(async {
            let mut query = sqlx::query_scalar::<_, i64>(sql);
            for p in params {
                query = query.bind(*p);
            }
            Ok(u64::try_from(query.fetch_one(&self.pool).await?).unwrap_or(0))
        })
        .await
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The connection pool, for queries of your own (the schema is in the crate's
    /// `migrations/` folder).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes every connection (waits for those in use).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// How long a PostgreSQL statement may run or wait for a lock (`statement_timeout`).
pub const STATEMENT_TIMEOUT: &str = "30s";
/// How long a PostgreSQL session may sit idle inside a transaction
/// (`idle_in_transaction_session_timeout`).
pub const IDLE_IN_TRANSACTION_TIMEOUT: &str = "1min";

/// Every PostgreSQL connection's limits, where nothing set them (the URL's `options`, the
/// role's or the database's settings, the server's configuration): an explicit value,
/// `0` (no limit) included, is kept.
async fn postgres_limits(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    for (name, value) in [
        ("statement_timeout", STATEMENT_TIMEOUT),
        (
            "idle_in_transaction_session_timeout",
            IDLE_IN_TRANSACTION_TIMEOUT,
        ),
    ] {
        // Constants of this file: nothing from outside is spliced in.
        conn.execute(
            format!(
                "SELECT set_config(name, '{value}', false) FROM pg_settings \
                 WHERE name = '{name}' AND source = 'default'"
            )
            .as_str(),
        )
        .await?;
    }
    Ok(())
}

/// Every SQLite connection's settings: wait for a busy database rather than fail, WAL,
/// commits on disk when they return, foreign keys enforced.
async fn sqlite_pragmas(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    conn.execute("PRAGMA busy_timeout = 10000").await?;
    conn.execute("PRAGMA journal_mode = WAL").await?;
    conn.execute("PRAGMA synchronous = FULL").await?;
    conn.execute("PRAGMA foreign_keys = ON").await?;
    Ok(())
}

/// Creates the file (0600) and its directory (0700) if missing; tightens an existing file's
/// permissions to its owner.
fn prepare_file(path: &Path) -> Result<()> {
    let err = |source| Error::File {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(err)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path).map_err(err)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file.metadata().map_err(err)?.permissions().mode();
        if mode & 0o077 != 0 {
            file.set_permissions(std::fs::Permissions::from_mode(mode & 0o700))
                .map_err(err)?;
        }
    }
    Ok(())
}

/// What the driver's URL must escape in a path: all but `/` and unreserved characters, so
/// that `?`, `#`, `%` and spaces in a file name stay in the name.
const PATH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'/')
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The path as the driver's URL reads it.
fn encode_path(path: &Path) -> Result<String> {
    let text = path.to_str().ok_or_else(|| Error::File {
        path: path.to_owned(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the database path is not UTF-8",
        ),
    })?;
    Ok(utf8_percent_encode(text, PATH).to_string())
}
