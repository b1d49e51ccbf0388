//! `wbs measures` and `wbs sync`: every page of a query, and a file kept in step.

use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use wbs_hyper::{Category, Client, GetMeas, MeasureGroup, SyncCursor, Units, UserId};

use crate::args::{CategoryArg, MeasuresArgs};
use crate::config::appli;
use crate::files::{read_existing, write_durably};
use crate::output::{self, Format};
use crate::Failure;

pub(crate) async fn measures(
    client: &Client,
    m: &MeasuresArgs,
    format: Format,
) -> Result<(), Failure> {
    let mut q = GetMeas::new(UserId::new(m.user));
    q.startdate = m.view.since.map(wbs_hyper::Timestamp::from_secs);
    q.enddate = m.view.until.map(wbs_hyper::Timestamp::from_secs);
    q.meastype = m.measure_type;
    q.category = m.category.map(|c| match c {
        CategoryArg::Measure => Category::MEASURE,
        CategoryArg::Target => Category::TARGET,
    });
    q.devtype = appli(m.devtype);
    q.lastupdate = m.last_update.map(wbs_hyper::Timestamp::from_secs);
    let units: Units = m.view.units.into();
    let mut groups = Vec::new();
    let mut skipped = 0;
    let mut stream = std::pin::pin!(client.measures_all(q));
    while let Some(item) = stream.next().await {
        match item {
            Ok(group) => groups.push(group),
            Err(e) if e.skipped_group().is_some() => {
                eprintln!("wbs: warning: {e}");
                skipped += 1;
            }
            Err(e) => return Err(e.into()),
        }
        if m.limit.is_some_and(|l| groups.len() >= l as usize) {
            break;
        }
    }
    output::groups(format, &groups, units, m.measure_type);
    if skipped > 0 {
        return Err(Failure::skipped(skipped));
    }
    Ok(())
}

pub(crate) async fn sync(client: &Client, user: UserId, out: &Path) -> Result<(), Failure> {
    let cursor_path = PathBuf::from(format!("{}.cursor.json", out.display()));
    let cursor: Option<SyncCursor> = read_existing(&cursor_path, "a wbs sync cursor")?;
    if let Some(other) = cursor.as_ref().filter(|c| c.userid != user) {
        return Err(Failure::new(format!(
            "{} is user {}'s sync cursor, not user {user}'s",
            cursor_path.display(),
            other.userid
        ))
        .hint("use another --out for each user"));
    }
    // Without the data file, the cursor's history is gone too: fetch everything.
    let cursor = cursor
        .filter(|_| out.exists())
        .unwrap_or_else(|| SyncCursor::new(user));
    // Under the tolerant policy; a file that is there but unreadable is an error, never
    // silently replaced by the changes alone.
    let mut stored: Vec<MeasureGroup> = read_existing(out, "a wbs sync file")?.unwrap_or_default();
    let bar = output::progress();
    bar.set_message("fetching changes");
    let synced = client.sync(&cursor).await?;
    bar.finish_and_clear();
    let (changed, next) = (synced.groups, synced.cursor);
    for s in &synced.skipped {
        output::warn_skipped(s);
    }
    let count = changed.len();
    // Merge by grpid: a changed group replaces its old copy, so a re-run never doubles.
    let ids: std::collections::HashSet<_> = changed.iter().map(|g| g.grpid).collect();
    stored.retain(|g| !ids.contains(&g.grpid));
    stored.extend(changed);
    stored.sort_by(|a, b| b.date.cmp(&a.date).then(b.grpid.cmp(&a.grpid)));
    // Data first, then the cursor: an interruption in between only repeats work.
    write_durably(
        out,
        &serde_json::to_vec_pretty(&stored).map_err(|e| Failure::new(e.to_string()))?,
    )?;
    write_durably(
        &cursor_path,
        &serde_json::to_vec_pretty(&next).map_err(|e| Failure::new(e.to_string()))?,
    )?;
    eprintln!(
        "wbs: {count} new or changed groups; {} in {}",
        stored.len(),
        out.display()
    );
    if !synced.skipped.is_empty() {
        // The cursor did not advance: the next sync fetches them again.
        return Err(Failure::skipped(synced.skipped.len()));
    }
    Ok(())
}
