//! The notification queue: what the webhook received, kept durably until a worker has
//! fetched and stored what it announced. Claims are leases: a worker that dies loses its
//! claim when the lease ends, and another takes it; one user is worked by one claim at a
//! time, all of its pending notifications together.

use std::time::Duration;

use sqlx::Row;
use wbs_proto::wbs_model::{MeasureGroup, Notification, Timestamp, UserId};
use wbs_proto::{SkippedGroup, SyncCursor};

use crate::error::{Error, Result};
use crate::groups::{placeholders, seconds};
use crate::open::{Backend, Store};

/// A worker's claim on one user's pending notifications, coalesced: the union of their
/// windows is what to fetch.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Claim {
    /// Whose.
    pub userid: UserId,
    /// The notifications claimed (their queue ids).
    pub ids: Vec<i64>,
    /// The earliest start of their windows.
    pub startdate: Timestamp,
    /// The latest end of their windows.
    pub enddate: Timestamp,
    /// How often the most tried of them was tried before.
    pub attempts: i64,
    /// Who holds the lease.
    pub owner: String,
}

/// Updates the entries of a claim still held by its owner (`SET {set}`, where `$1` is
/// `value`); how many. By owner and user, not by id: a user whose notifications piled up
/// while they waited would need a parameter each. A worker holds one claim at a time.
async fn update_held<'c, E>(exec: E, set: &str, value: i64, claim: &Claim) -> Result<u64>
where
    E: sqlx::Executor<'c, Database = sqlx::Any>,
{
    let sql = format!(
        "UPDATE notifications SET {set} WHERE lease_owner = $2 AND userid = $3 AND done_at IS NULL"
    );
    Ok(sqlx::query(&sql)
        .bind(value)
        .bind(claim.owner.as_str())
        .bind(claim.userid.get())
        .execute(exec)
        .await?
        .rows_affected())
}

/// A claim completed: done at `$1`.
const DONE: &str = "done_at = $1, lease_until = NULL";
/// A claim given back: tried once more, held by nobody, claimable again at `$1`.
const RELEASE: &str = "attempts = attempts + 1, lease_owner = NULL, lease_until = $1";

/// Notifications [`Store::enqueue_all`] keeps in one statement, at most.
pub const MAX_BATCH: usize = 256;

/// How long a done notification is kept, in seconds.
const KEEP_DONE: i64 = 24 * 60 * 60;

impl Store {
    /// Keeps a notification; once this returns it is committed (on disk, for SQLite), and
    /// the webhook may answer 200. Returns its queue id, or `None` when a pending
    /// notification of the same user, not yet claimed, already covers its window: that one
    /// is durable, and its fetch (which starts later) reads what this one announces.
    pub async fn enqueue(&self, n: &Notification) -> Result<Option<i64>> {
        Ok(self.enqueue_all(std::slice::from_ref(n)).await?.pop())
    }

    /// Keeps notifications in one statement (one disk flush for all: the webhook's
    /// concurrent requests commit together), each as [`Store::enqueue`]; returns the ids
    /// of the new entries. [`MAX_BATCH`] to a statement.
    pub async fn enqueue_all(&self, ns: &[Notification]) -> Result<Vec<i64>> {
        self.bounded(async {
            let mut ids = Vec::new();
            for chunk in ns.chunks(MAX_BATCH) {
                ids.extend(self.enqueue_chunk(chunk).await?);
            }
            Ok(ids)
        })
        .await
    }

    async fn enqueue_chunk(&self, ns: &[Notification]) -> Result<Vec<i64>> {
        let mut rows = String::new();
        placeholders(&mut rows, ns.len(), 4, 2);
        // VALUES name their columns column1… in both SQLite and PostgreSQL.
        let sql = format!(
            "INSERT INTO notifications (userid, startdate, enddate, appli, received_at, attempts) \
             SELECT v.column1, v.column2, v.column3, v.column4, $1, 0 FROM (VALUES {rows}) AS v \
             WHERE NOT EXISTS (SELECT 1 FROM notifications q \
                 WHERE q.done_at IS NULL AND q.userid = v.column1 AND q.lease_owner IS NULL \
                 AND q.startdate <= v.column2 AND q.enddate >= v.column3) \
             RETURNING id"
        );
        let mut q = sqlx::query_scalar(&sql).bind(self.clock());
        for n in ns {
            q = q
                .bind(n.userid.get())
                .bind(n.startdate.secs())
                .bind(n.enddate.secs())
                .bind(n.appli.map(|a| a.code()));
        }
        Ok(q.fetch_all(&self.pool).await?)
    }

    /// Claims, for `lease`, every pending notification of the user whose oldest one waits
    /// longest, among users no live lease or wait for a retry holds, whose credentials are
    /// kept and not marked as refused ([`Store::mark_needs_reauth`]: theirs wait, kept,
    /// until they authorize again), and who were not fetched in the last `pause` (whole
    /// seconds: a user notified without end is fetched at most once a `pause`, and the
    /// others get their turn).
    /// `None` when there is nothing to claim. Two workers never hold one user, whichever
    /// instance they run in: on SQLite the claim is one statement (one writer at a time);
    /// on PostgreSQL the user's credentials row is locked `FOR UPDATE SKIP LOCKED` (claims
    /// running together pass over each other's users) and the leases are written under
    /// that lock, after checking that no claim committed before holds the user.
    pub async fn claim(
        &self,
        owner: &str,
        lease: Duration,
        pause: Duration,
    ) -> Result<Option<Claim>> {
        self.bounded(async {
            self.keep_clock().await?;
            let now = self.clock();
            let until = now.saturating_add(seconds(lease).max(1));
            let since = if pause.is_zero() {
                i64::MAX
            } else {
                now.saturating_sub(seconds(pause))
            };
            let rows = match self.backend() {
                Backend::Sqlite => claim_sqlite(&self.pool, owner, until, now, since).await?,
                Backend::Postgres => {
                    let mut picked = Picked::Nobody;
                    // A claim that lost its user to one committed meanwhile tries the next
                    // (each loss is another claim's success: this ends).
                    for _ in 0..MAX_LOST {
                        let mut tx = self.pool.begin().await?;
                        picked = claim_postgres(&mut tx, owner, until, now, since).await?;
                        tx.commit().await?;
                        if !matches!(picked, Picked::Lost) {
                            break;
                        }
                    }
                    match picked {
                        Picked::Rows(rows) => rows,
                        Picked::Nobody | Picked::Lost => Vec::new(),
                    }
                }
            };
            claim_of(owner, &rows)
        })
        .await
    }

    /// Completes a claim in one transaction with what it fetched: the groups (upserted),
    /// the malformed ones (pending), the user's cursor if given, and the notifications
    /// done. Refused with [`Error::LeaseLost`], writing nothing, if the lease was lost (it
    /// ended and another worker took the user).
    pub async fn complete(
        &self,
        claim: &Claim,
        groups: &[MeasureGroup],
        skipped: &[SkippedGroup],
        cursor: Option<&SyncCursor>,
    ) -> Result<()> {
        self.bounded(async { self.finish(claim, groups, skipped, cursor, None).await })
            .await
    }

    /// As [`Store::complete`], for a fetch that left malformed groups out: what it fetched
    /// is kept the same way, in the same transaction, but the notifications are given
    /// back, as [`Store::release`] gives them, to be fetched again after `retry_in` (the
    /// service may send those groups whole by then). Like a release, the wait holds the
    /// user: notifications that arrive meanwhile are fetched with the retry.
    pub async fn complete_and_retry(
        &self,
        claim: &Claim,
        groups: &[MeasureGroup],
        skipped: &[SkippedGroup],
        retry_in: Duration,
    ) -> Result<()> {
        self.bounded(async {
            self.finish(claim, groups, skipped, None, Some(retry_in))
                .await
        })
        .await
    }

    async fn finish(
        &self,
        claim: &Claim,
        groups: &[MeasureGroup],
        skipped: &[SkippedGroup],
        cursor: Option<&SyncCursor>,
        retry_in: Option<Duration>,
    ) -> Result<()> {
        let mut tx = self.pool.begin().await?;
        // Done, or given back as a release gives it.
        let (set, at) = match retry_in {
            None => (DONE, self.clock()),
            Some(retry_in) => (RELEASE, self.clock().saturating_add(seconds(retry_in))),
        };
        if update_held(&mut *tx, set, at, claim).await? != claim.ids.len() as u64 {
            return Err(Error::LeaseLost);
        }
        crate::sync::keep_page(
            &mut tx,
            self.backend(),
            claim.userid,
            groups,
            skipped,
            cursor,
            false,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Extends a claim's lease to `lease` from now, for a fetch that takes longer than a
    /// lease; [`Error::LeaseLost`] if it already ended and another worker took the user.
    pub async fn renew(&self, claim: &Claim, lease: Duration) -> Result<()> {
        self.bounded(async {
            let until = self.clock().saturating_add(seconds(lease).max(1));
            if update_held(&self.pool, "lease_until = $1", until, claim).await?
                != claim.ids.len() as u64
            {
                return Err(Error::LeaseLost);
            }
            Ok(())
        })
        .await
    }

    /// Gives a claim back after a failure: tried once more, claimable again after
    /// `retry_in` (a backoff), by any worker.
    pub async fn release(&self, claim: &Claim, retry_in: Duration) -> Result<()> {
        self.bounded(async {
            update_held(
                &self.pool,
                RELEASE,
                self.clock().saturating_add(seconds(retry_in)),
                claim,
            )
            .await?;
            Ok(())
        })
        .await
    }

    /// Deletes notifications done over a day ago (the pause of [`Store::claim`] looks
    /// back seconds): the table holds a day's traffic, not all of it. Workers call it
    /// when idle.
    pub async fn prune_done(&self) -> Result<u64> {
        self.bounded(async {
            Ok(sqlx::query("DELETE FROM notifications WHERE done_at < $1")
                .bind(self.clock().saturating_sub(KEEP_DONE))
                .execute(&self.pool)
                .await?
                .rows_affected())
        })
        .await
    }

    /// Notifications not done yet (claimed or not).
    pub async fn queue_depth(&self) -> Result<u64> {
        const PENDING: &str = "SELECT COUNT(*) FROM notifications WHERE done_at IS NULL";
        self.count(PENDING, &[]).await
    }
}

/// Who may be claimed, as a condition on `p` (the placeholders of now and of the pause's
/// start given): pending and not under a live lease, no live lease (or wait for a retry:
/// the user's backoff) on any of the user's notifications, not fetched since the pause's
/// start. (The claims join the user's usable credentials.)
fn claimable(now: &str, since: &str) -> String {
    format!(
        "p.done_at IS NULL AND (p.lease_until IS NULL OR p.lease_until <= {now}) \
         AND p.userid NOT IN (SELECT l.userid FROM notifications l \
             WHERE l.done_at IS NULL AND l.lease_until > {now}) \
         AND p.userid NOT IN (SELECT d.userid FROM notifications d WHERE d.done_at >= {since})"
    )
}

/// The rows a claim leased: id, userid, startdate, enddate, attempts.
const LEASED: &str = "RETURNING id, userid, startdate, enddate, attempts";

/// SQLite: one statement picks the user and leases their notifications (SQLite has one
/// writer at a time, so no other claim runs between the two).
async fn claim_sqlite(
    pool: &sqlx::AnyPool,
    owner: &str,
    until: i64,
    now: i64,
    since: i64,
) -> Result<Vec<sqlx::any::AnyRow>> {
    let sql = format!(
        "UPDATE notifications SET lease_owner = $1, lease_until = $2 \
         WHERE done_at IS NULL AND (lease_until IS NULL OR lease_until <= $3) \
         AND userid = (SELECT p.userid FROM notifications p \
             JOIN credentials c ON c.userid = p.userid AND c.needs_reauth = 0 \
             WHERE {claimable} ORDER BY p.id LIMIT 1) {LEASED}",
        claimable = claimable("$3", "$4")
    );
    Ok(sqlx::query(&sql)
        .bind(owner)
        .bind(until)
        .bind(now)
        .bind(since)
        .fetch_all(pool)
        .await?)
}

/// What a PostgreSQL claim found.
enum Picked {
    /// Nobody to claim.
    Nobody,
    /// The user picked was claimed by a claim that committed meanwhile.
    Lost,
    /// The notifications leased.
    Rows(Vec<sqlx::any::AnyRow>),
}

/// How many users a PostgreSQL claim may lose to claims committed meanwhile before it
/// gives up for now (`None`; the worker asks again within a second).
const MAX_LOST: usize = 16;

/// PostgreSQL, in a transaction: the oldest claimable user's credentials row is locked
/// `FOR UPDATE SKIP LOCKED` (held to the commit; claims running together pass over it),
/// then, in a statement that sees every claim committed before the lock was granted,
/// their notifications are leased unless one of those claims holds the user or completed
/// them within the pause. (A completion committing while that statement runs is not seen:
/// the user may then be fetched once more within the pause, never by two claims at once.)
async fn claim_postgres(
    tx: &mut sqlx::AnyConnection,
    owner: &str,
    until: i64,
    now: i64,
    since: i64,
) -> Result<Picked> {
    let pick = format!(
        "SELECT c.userid FROM notifications p \
         JOIN credentials c ON c.userid = p.userid AND c.needs_reauth = 0 \
         WHERE {claimable} ORDER BY p.id LIMIT 1 FOR UPDATE OF c SKIP LOCKED",
        claimable = claimable("$1", "$2")
    );
    let userid: Option<i64> = sqlx::query_scalar(&pick)
        .bind(now)
        .bind(since)
        .fetch_optional(&mut *tx)
        .await?;
    let Some(userid) = userid else {
        return Ok(Picked::Nobody);
    };
    let lease = format!(
        "UPDATE notifications SET lease_owner = $1, lease_until = $2 \
         WHERE userid = $4 AND done_at IS NULL AND (lease_until IS NULL OR lease_until <= $3) \
         AND NOT EXISTS (SELECT 1 FROM notifications l \
             WHERE l.userid = $4 AND l.done_at IS NULL AND l.lease_until > $3) \
         AND NOT EXISTS (SELECT 1 FROM notifications d \
             WHERE d.userid = $4 AND d.done_at >= $5) {LEASED}"
    );
    let rows = sqlx::query(&lease)
        .bind(owner)
        .bind(until)
        .bind(now)
        .bind(userid)
        .bind(since)
        .fetch_all(&mut *tx)
        .await?;
    Ok(if rows.is_empty() {
        Picked::Lost
    } else {
        Picked::Rows(rows)
    })
}

/// The claim the leased rows make (their windows' union), `None` for no rows.
fn claim_of(owner: &str, rows: &[sqlx::any::AnyRow]) -> Result<Option<Claim>> {
    let mut claim: Option<Claim> = None;
    for row in rows {
        let (id, userid, start, end, attempts): (i64, i64, i64, i64, i64) = (
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
            row.try_get(4)?,
        );
        let c = claim.get_or_insert_with(|| Claim {
            userid: UserId::new(userid),
            ids: Vec::new(),
            startdate: Timestamp::from_secs(start),
            enddate: Timestamp::from_secs(end),
            attempts,
            owner: owner.to_owned(),
        });
        c.ids.push(id);
        c.startdate = c.startdate.min(Timestamp::from_secs(start));
        c.enddate = c.enddate.max(Timestamp::from_secs(end));
        c.attempts = c.attempts.max(attempts);
    }
    if let Some(c) = claim.as_mut() {
        c.ids.sort_unstable();
    }
    Ok(claim)
}
