//! Measure groups in SQL: upserted in batches, read back exactly.

use std::collections::HashSet;
use std::fmt::Write as _;

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use wbs_proto::wbs_model::{
    Attribution, Category, GroupExtra, GroupId, Measure, MeasureExtra, MeasureGroup, MeasureType,
    Timestamp, UserId,
};

use crate::error::{Error, Result};
use crate::open::{Backend, Store};

/// Groups a statement upserts at once (14 parameters each: well under both backends'
/// limits, and few statements a page).
const GROUP_ROWS: usize = 64;
/// Measures a statement inserts at once (9 parameters each).
const MEASURE_ROWS: usize = 100;

/// Which groups to read: one user's, between two dates (inclusive), with any of some
/// measure types, of one category.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HistoryQuery {
    /// Whose.
    pub userid: UserId,
    /// Nothing measured before.
    pub since: Option<Timestamp>,
    /// Nothing measured after.
    pub until: Option<Timestamp>,
    /// Only groups with a measure of one of these types (all groups when empty). The
    /// groups are whole: every measure of a group that has one of them.
    pub types: Vec<MeasureType>,
    /// Only measurements, or only targets.
    pub category: Option<Category>,
}

impl HistoryQuery {
    /// Every group of a user.
    pub fn new(userid: UserId) -> Self {
        Self {
            userid,
            since: None,
            until: None,
            types: Vec::new(),
            category: None,
        }
    }

    /// Nothing measured before `t`.
    pub fn since(mut self, t: Timestamp) -> Self {
        self.since = Some(t);
        self
    }

    /// Nothing measured after `t`.
    pub fn until(mut self, t: Timestamp) -> Self {
        self.until = Some(t);
        self
    }

    /// Only groups with a measure of this type (or of another type given so).
    pub fn measure_type(mut self, t: MeasureType) -> Self {
        self.types.push(t);
        self
    }

    /// Only this category.
    pub fn category(mut self, c: Category) -> Self {
        self.category = Some(c);
        self
    }

    /// The WHERE clause over `g` (groups) and its parameters, from `$1`.
    fn filter(&self) -> (String, Vec<i64>) {
        let mut sql = String::from("g.userid = $1");
        let mut params = vec![self.userid.get()];
        let next = |sql: &mut String, params: &mut Vec<i64>, v: i64| {
            params.push(v);
            let _ = write!(sql, "${}", params.len());
        };
        if let Some(t) = self.since {
            sql.push_str(" AND g.date >= ");
            next(&mut sql, &mut params, t.secs());
        }
        if let Some(t) = self.until {
            sql.push_str(" AND g.date <= ");
            next(&mut sql, &mut params, t.secs());
        }
        if let Some(c) = self.category {
            sql.push_str(" AND g.category = ");
            next(&mut sql, &mut params, c.code());
        }
        if !self.types.is_empty() {
            sql.push_str(
                " AND EXISTS (SELECT 1 FROM measures t \
                 WHERE t.userid = g.userid AND t.grpid = g.grpid AND t.type IN (",
            );
            for (i, ty) in self.types.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                next(&mut sql, &mut params, ty.code());
            }
            sql.push_str("))");
        }
        (sql, params)
    }
}

impl Store {
    /// The groups a query selects, newest first (by date, then id), each whole and exactly
    /// as stored.
    pub async fn groups(&self, query: &HistoryQuery) -> Result<Vec<MeasureGroup>> {
        self.bounded(async {
            let (filter, params) = query.filter();
            let sql = format!(
                "SELECT g.grpid, g.attrib, g.date, g.category, g.created, g.modified, g.deviceid, \
             g.hash_deviceid, g.model, g.modelid, g.timezone, g.comment, \
             m.type, m.value, m.unit, m.position, m.algo, m.fm \
             FROM measure_groups g LEFT JOIN measures m \
             ON m.userid = g.userid AND m.grpid = g.grpid \
             WHERE {filter} ORDER BY g.date DESC, g.grpid DESC, m.idx"
            );
            let mut q = sqlx::query(&sql);
            for p in params {
                q = q.bind(p);
            }
            let rows = q.fetch_all(&self.pool).await?;
            let mut groups: Vec<MeasureGroup> = Vec::new();
            for row in &rows {
                let grpid = GroupId::new(row.try_get(0)?);
                if groups.last().is_none_or(|g| g.grpid != grpid) {
                    groups.push(group_of(row, grpid)?);
                }
                if let Some(measure) = measure_of(row)? {
                    if let Some(g) = groups.last_mut() {
                        g.measures.push(measure);
                    }
                }
            }
            Ok(groups)
        })
        .await
    }

    /// How many groups a query selects.
    pub async fn count_groups(&self, query: &HistoryQuery) -> Result<u64> {
        let (filter, params) = query.filter();
        let sql = format!("SELECT COUNT(*) FROM measure_groups g WHERE {filter}");
        self.count(&sql, &params).await
    }

    /// Upserts groups in one transaction, without a cursor (an import, or a notification's
    /// groups kept apart from the sync).
    pub async fn ingest(&self, userid: UserId, groups: &[MeasureGroup]) -> Result<()> {
        self.bounded(async {
            let mut tx = self.pool.begin().await?;
            crate::users::ensure_user(&mut tx, userid).await?;
            upsert_groups(&mut tx, self.backend(), userid, groups).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }
}

/// A duration in whole seconds, as the store keeps times.
pub(crate) fn seconds(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

/// Unix seconds now, by this process's clock.
pub(crate) fn now() -> i64 {
    now_millis().div_euclid(1000)
}

/// Unix milliseconds now, by this process's clock (0 before 1970).
pub(crate) fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Text as a backend keeps it: PostgreSQL's `TEXT` cannot hold NUL, which becomes U+FFFD
/// there (the one place the two backends differ); SQLite keeps every character.
pub(crate) fn text(s: Option<&str>, backend: Backend) -> Option<String> {
    let s = s?;
    Some(if backend == Backend::Postgres && s.contains('\0') {
        s.replace('\0', "\u{FFFD}")
    } else {
        s.to_owned()
    })
}

/// Writes `rows` tuples of `cols` placeholders, numbered from `$first`.
pub(crate) fn placeholders(sql: &mut String, rows: usize, cols: usize, first: usize) {
    let mut n = first;
    for r in 0..rows {
        sql.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..cols {
            let _ = write!(sql, "{}${n}", if c == 0 { "" } else { ", " });
            n += 1;
        }
        sql.push(')');
    }
}

/// Upserts a user's groups by (userid, grpid): a group seen before is replaced whole, its
/// measures with it; a group that was pending as malformed is pending no more. Within
/// `groups`, the first of two with one id wins (the newest, in the service's order).
pub(crate) async fn upsert_groups(
    conn: &mut AnyConnection,
    backend: Backend,
    userid: UserId,
    groups: &[MeasureGroup],
) -> Result<()> {
    let mut seen = HashSet::with_capacity(groups.len());
    let unique: Vec<&MeasureGroup> = groups.iter().filter(|g| seen.insert(g.grpid)).collect();
    let stored_at = now();
    let uid = userid.get();
    for chunk in unique.chunks(GROUP_ROWS) {
        let mut sql = String::from(
            "INSERT INTO measure_groups (userid, grpid, attrib, date, category, created, \
             modified, deviceid, hash_deviceid, model, modelid, timezone, comment, stored_at) \
             VALUES ",
        );
        placeholders(&mut sql, chunk.len(), 14, 1);
        sql.push_str(
            " ON CONFLICT (userid, grpid) DO UPDATE SET attrib = excluded.attrib, \
             date = excluded.date, category = excluded.category, created = excluded.created, \
             modified = excluded.modified, deviceid = excluded.deviceid, \
             hash_deviceid = excluded.hash_deviceid, model = excluded.model, \
             modelid = excluded.modelid, timezone = excluded.timezone, \
             comment = excluded.comment, stored_at = excluded.stored_at",
        );
        let mut q = sqlx::query(&sql);
        for g in chunk {
            let x = g.extra.as_deref();
            q = q
                .bind(uid)
                .bind(g.grpid.get())
                .bind(g.attrib.code())
                .bind(g.date.secs())
                .bind(g.category.code())
                .bind(x.and_then(|x| x.created).map(Timestamp::secs))
                .bind(x.and_then(|x| x.modified).map(Timestamp::secs))
                .bind(text(x.and_then(|x| x.deviceid.as_deref()), backend))
                .bind(text(x.and_then(|x| x.hash_deviceid.as_deref()), backend))
                .bind(text(x.and_then(|x| x.model.as_deref()), backend))
                .bind(x.and_then(|x| x.modelid))
                .bind(text(x.and_then(|x| x.timezone.as_deref()), backend))
                .bind(text(x.and_then(|x| x.comment.as_deref()), backend))
                .bind(stored_at);
        }
        q.execute(&mut *conn).await?;

        // The replaced groups' old measures, and their pending malformed copies.
        for table in ["measures", "malformed_groups"] {
            let mut sql = format!("DELETE FROM {table} WHERE userid = $1 AND grpid IN ");
            placeholders(&mut sql, 1, chunk.len(), 2);
            let mut q = sqlx::query(&sql).bind(uid);
            for g in chunk {
                q = q.bind(g.grpid.get());
            }
            q.execute(&mut *conn).await?;
        }
    }
    let measures: Vec<(GroupId, usize, &Measure)> = unique
        .iter()
        .flat_map(|g| g.measures.iter().enumerate().map(|(i, m)| (g.grpid, i, m)))
        .collect();
    for chunk in measures.chunks(MEASURE_ROWS) {
        let mut sql = String::from(
            "INSERT INTO measures (userid, grpid, idx, type, value, unit, position, algo, fm) \
             VALUES ",
        );
        placeholders(&mut sql, chunk.len(), 9, 1);
        let mut q = sqlx::query(&sql);
        for (grpid, idx, m) in chunk {
            let x = m.extra.as_deref();
            q = q
                .bind(uid)
                .bind(grpid.get())
                .bind(i64::try_from(*idx).unwrap_or(i64::MAX))
                .bind(m.measure_type.code())
                .bind(m.value)
                .bind(i64::from(m.unit))
                .bind(x.and_then(|x| x.position))
                .bind(x.and_then(|x| x.algo))
                .bind(x.and_then(|x| x.fm));
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The group of a history row (its measures follow).
fn group_of(row: &AnyRow, grpid: GroupId) -> Result<MeasureGroup> {
    let mut g = MeasureGroup::new(
        grpid,
        Attribution::from_code(row.try_get(1)?),
        Timestamp::from_secs(row.try_get(2)?),
        Category::from_code(row.try_get(3)?),
        Vec::new(),
    );
    let extra = GroupExtra {
        created: row.try_get::<Option<i64>, _>(4)?.map(Timestamp::from_secs),
        modified: row.try_get::<Option<i64>, _>(5)?.map(Timestamp::from_secs),
        deviceid: row.try_get(6)?,
        hash_deviceid: row.try_get(7)?,
        model: row.try_get(8)?,
        modelid: row.try_get(9)?,
        timezone: row.try_get(10)?,
        comment: row.try_get(11)?,
    };
    if !extra.is_empty() {
        g.extra = Some(Box::new(extra));
    }
    Ok(g)
}

/// The measure of a history row, if the group has any.
fn measure_of(row: &AnyRow) -> Result<Option<Measure>> {
    let Some(code) = row.try_get::<Option<i64>, _>(12)? else {
        return Ok(None);
    };
    let unit: i64 = row.try_get(14)?;
    let unit = i32::try_from(unit).map_err(|_| Error::Corrupt {
        what: "measure unit",
        why: format!("{unit} is out of range"),
    })?;
    let mut m = Measure::new(MeasureType::from_code(code), row.try_get(13)?, unit);
    let extra = MeasureExtra {
        position: row.try_get(15)?,
        algo: row.try_get(16)?,
        fm: row.try_get(17)?,
    };
    if !extra.is_empty() {
        m.extra = Some(Box::new(extra));
    }
    Ok(Some(m))
}
