//! What the instances of a service share through the database besides the queue: the
//! consumer's rate-limit slots, and logins waiting between `/connect` and `/callback`.

use std::time::Duration;

use sqlx::Row;
use wbs_proto::wbs_oauth::Credentials;

use crate::error::Result;
use crate::groups::seconds;
use crate::open::{Backend, Store};

/// Now in Unix microseconds by the database's clock (one value within a statement; SQLite
/// reads its clock to the millisecond), and the larger of two values, as each backend
/// spells them. The database's clock, not the instances': slots booked by instances whose
/// clocks differ are still spaced.
fn clock(backend: Backend) -> (&'static str, &'static str) {
    match backend {
        Backend::Sqlite => (
            "CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)",
            "max",
        ),
        Backend::Postgres => (
            "CAST(EXTRACT(EPOCH FROM statement_timestamp()) * 1000000 AS BIGINT)",
            "GREATEST",
        ),
    }
}

/// Whole microseconds, rounded up: an interval rounded down would let more requests than
/// the limit into a minute (and milliseconds would cost up to 6 % of it: 61 s / 4,000 is
/// 15.25 ms).
fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_nanos().div_ceil(1000)).unwrap_or(i64::MAX)
}

impl Store {
    /// Books the next request slot of a consumer's rate limit, `interval` after the slot
    /// booked before it (or now, if that is past); returns how long from now until it.
    /// One statement on one row: instances booking together are given distinct slots.
    pub async fn book_slot(&self, consumer: &str, interval: Duration) -> Result<Duration> {
        self.bounded(async {
            let (now, max) = clock(self.backend());
            let sql = format!(
                "INSERT INTO rate_slots (consumer, next_slot) VALUES ($1, {now} + $2) \
             ON CONFLICT (consumer) DO UPDATE \
             SET next_slot = {max}(rate_slots.next_slot, {now}) + $2 \
             RETURNING next_slot - $2 - {now}"
            );
            let wait: i64 = sqlx::query_scalar(&sql)
                .bind(consumer)
                .bind(micros(interval))
                .fetch_one(&self.pool)
                .await?;
            Ok(Duration::from_micros(u64::try_from(wait).unwrap_or(0)))
        })
        .await
    }

    /// Books no slot of a consumer's rate limit before `pause` from now (the service said
    /// the limit was passed).
    pub async fn hold_slots(&self, consumer: &str, pause: Duration) -> Result<()> {
        self.bounded(async {
            let (now, max) = clock(self.backend());
            let sql = format!(
                "INSERT INTO rate_slots (consumer, next_slot) VALUES ($1, {now} + $2) \
             ON CONFLICT (consumer) DO UPDATE \
             SET next_slot = {max}(rate_slots.next_slot, {now} + $2)"
            );
            sqlx::query(&sql)
                .bind(consumer)
                .bind(micros(pause))
                .execute(&self.pool)
                .await?;
            Ok(())
        })
        .await
    }

    /// Keeps a request token (with its secret) until its callback, for at most `ttl`;
    /// `false`, keeping nothing, when `max` logins are already waiting (a flood of
    /// `/connect` cannot grow the table). Expired logins are deleted first. Exact however
    /// many instances keep logins at once: each keeps the table to itself while it counts
    /// and inserts.
    pub async fn keep_login(&self, token: &Credentials, max: u64, ttl: Duration) -> Result<bool> {
        self.bounded(async {
        let now = self.clock();
        let mut tx = self.pool.begin().await?;
        if self.backend() == Backend::Postgres {
            // Under READ COMMITTED two transactions would each count the same rows and
            // both insert (20 logins kept at once with room for 5 kept 10 to 14). This mode
            // conflicts with itself and with the writes of take_login, not with reads.
            // (SQLite: the DELETE below takes the database's one write lock first.)
            sqlx::query("LOCK TABLE pending_logins IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM pending_logins WHERE asked_at <= $1")
            .bind(now.saturating_sub(seconds(ttl)))
            .execute(&mut *tx)
            .await?;
        let waiting: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pending_logins")
            .fetch_one(&mut *tx)
            .await?;
        if u64::try_from(waiting).unwrap_or(0) >= max {
            // The expired logins stay deleted.
            tx.commit().await?;
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO pending_logins (token, secret, asked_at) VALUES ($1, $2, $3) \
             ON CONFLICT (token) DO UPDATE SET secret = excluded.secret, asked_at = excluded.asked_at",
        )
        .bind(token.key.as_str())
        .bind(token.secret.expose())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
        })
        .await
    }

    /// How many logins kept by [`Store::keep_login`] are younger than `ttl`: a caller
    /// checks it before asking the API for a request token, so that a flood of logins
    /// spends no rate-limit slot once [`Store::keep_login`] would refuse.
    pub async fn logins_waiting(&self, ttl: Duration) -> Result<u64> {
        let since = self.clock().saturating_sub(seconds(ttl));
        self.count(
            "SELECT COUNT(*) FROM pending_logins WHERE asked_at > $1",
            &[since],
        )
        .await
    }

    /// Takes the request token a callback names, kept by [`Store::keep_login`] on any
    /// instance: once (it is deleted), and `None` if unknown or older than `ttl`.
    pub async fn take_login(&self, key: &str, ttl: Duration) -> Result<Option<Credentials>> {
        self.bounded(async {
            let row = sqlx::query(
                "DELETE FROM pending_logins WHERE token = $1 RETURNING token, secret, asked_at",
            )
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let asked_at: i64 = row.try_get(2)?;
            if self.clock().saturating_sub(asked_at) >= seconds(ttl) {
                return Ok(None);
            }
            let (token, secret): (String, String) = (row.try_get(0)?, row.try_get(1)?);
            Ok(Some(Credentials::new(token, secret)))
        })
        .await
    }
}
