//! Synchronisation state: each page with its cursor in one transaction; malformed groups
//! kept as pending until the service sends them whole.

use sqlx::Row;
use wbs_proto::wbs_model::{GroupId, MeasureGroup, Timestamp, UserId};
use wbs_proto::{PagerCheckpoint, SkippedGroup, SyncCursor};

use crate::error::{Error, Result};
use crate::groups::{now, text, upsert_groups};
use crate::open::{Backend, Store};
use crate::users::ensure_user;

/// A group the service sent malformed and a synchronisation left out: it is fetched again
/// by the next one, and pending until it arrives whole.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Malformed {
    /// Its id, when the service sent a readable one.
    pub grpid: Option<GroupId>,
    /// Why it was left out.
    pub reason: String,
    /// When it was last seen so.
    pub seen_at: Timestamp,
}

impl Store {
    /// A user's synchronisation cursor (`None` before the first page was ever kept). A
    /// checkpoint this version cannot read is dropped: the synchronisation then starts
    /// again from `lastupdate`, which costs requests and loses nothing.
    pub async fn cursor(&self, userid: UserId) -> Result<Option<SyncCursor>> {
        self.bounded(async {
            let row =
                sqlx::query("SELECT lastupdate, progress FROM sync_cursors WHERE userid = $1")
                    .bind(userid.get())
                    .fetch_optional(&self.pool)
                    .await?;
            let Some(row) = row else {
                return Ok(None);
            };
            let lastupdate: Option<i64> = row.try_get(0)?;
            let progress: Option<String> = row.try_get(1)?;
            let progress =
                progress.and_then(|p| serde_json::from_str::<PagerCheckpoint>(p.as_str()).ok());
            let mut cursor = SyncCursor::new(userid);
            cursor.lastupdate = lastupdate.map(Timestamp::from_secs);
            cursor.progress = progress;
            Ok(Some(cursor))
        })
        .await
    }

    /// Keeps one page of a synchronisation, in one transaction: its groups (upserted by
    /// id), its malformed groups (pending), and the cursor that follows the page. Killed at
    /// any moment, the store holds either all of it or none.
    ///
    /// `complete` says that this page ends a synchronisation that left nothing out
    /// (`wbs_hyper::SyncPage::complete`, `MeasurePager::is_clean`): every group changed
    /// since the old cursor was then read whole, the pending malformed ones included (or
    /// they are gone), and none of the user's is pending any more.
    pub async fn commit_page(
        &self,
        userid: UserId,
        groups: &[MeasureGroup],
        skipped: &[SkippedGroup],
        cursor: &SyncCursor,
        complete: bool,
    ) -> Result<()> {
        self.bounded(async {
            let mut tx = self.pool.begin().await?;
            keep_page(
                &mut tx,
                self.backend(),
                userid,
                groups,
                skipped,
                Some(cursor),
                complete,
            )
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// The malformed groups pending for a user, oldest first.
    pub async fn malformed(&self, userid: UserId) -> Result<Vec<Malformed>> {
        self.bounded(async {
            let rows = sqlx::query(
                "SELECT grpid, reason, seen_at FROM malformed_groups WHERE userid = $1 ORDER BY id",
            )
            .bind(userid.get())
            .fetch_all(&self.pool)
            .await?;
            rows.iter()
                .map(|row| {
                    Ok(Malformed {
                        grpid: row.try_get::<Option<i64>, _>(0)?.map(GroupId::new),
                        reason: row.try_get(1)?,
                        seen_at: Timestamp::from_secs(row.try_get(2)?),
                    })
                })
                .collect()
        })
        .await
    }
}

/// Within a transaction: the user's row, the groups (upserted), the malformed ones
/// (pending; all forgotten when `complete`), and the cursor if given.
pub(crate) async fn keep_page(
    tx: &mut sqlx::AnyConnection,
    backend: Backend,
    userid: UserId,
    groups: &[MeasureGroup],
    skipped: &[SkippedGroup],
    cursor: Option<&SyncCursor>,
    complete: bool,
) -> Result<()> {
    let uid = userid.get();
    let at = now();
    ensure_user(&mut *tx, userid).await?;
    upsert_groups(&mut *tx, backend, userid, groups).await?;
    if complete && skipped.is_empty() {
        sqlx::query("DELETE FROM malformed_groups WHERE userid = $1")
            .bind(uid)
            .execute(&mut *tx)
            .await?;
    }
    for s in skipped {
        // One row a group: by id, or, for a group without one, by what was wrong.
        match s.grpid {
            Some(grpid) => {
                sqlx::query("DELETE FROM malformed_groups WHERE userid = $1 AND grpid = $2")
                    .bind(uid)
                    .bind(grpid.get())
                    .execute(&mut *tx)
                    .await?
            }
            None => {
                sqlx::query(
                    "DELETE FROM malformed_groups \
                     WHERE userid = $1 AND grpid IS NULL AND reason = $2",
                )
                .bind(uid)
                .bind(text(Some(&s.reason), backend))
                .execute(&mut *tx)
                .await?
            }
        };
        sqlx::query(
            "INSERT INTO malformed_groups (userid, grpid, reason, seen_at) \
             VALUES ($1, $2, $3, $4)",
        )
        .bind(uid)
        .bind(s.grpid.map(GroupId::get))
        .bind(text(Some(&s.reason), backend))
        .bind(at)
        .execute(&mut *tx)
        .await?;
    }
    let Some(cursor) = cursor else {
        return Ok(());
    };
    let progress = cursor
        .progress
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| Error::Corrupt {
            what: "sync checkpoint",
            why: e.to_string(),
        })?;
    sqlx::query(
        "INSERT INTO sync_cursors (userid, lastupdate, progress, updated_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (userid) DO UPDATE SET \
         lastupdate = excluded.lastupdate, progress = excluded.progress, \
         updated_at = excluded.updated_at",
    )
    .bind(uid)
    .bind(cursor.lastupdate.map(Timestamp::secs))
    .bind(progress)
    .bind(at)
    .execute(&mut *tx)
    .await?;
    Ok(())
}
