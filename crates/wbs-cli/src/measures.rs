//! `wbs measures` and `wbs sync`: every page of a query, and a file kept in step.

use std::path::{Path, PathBuf};

use futures_util::StreamExt;
use wbs_hyper::{Category, Client, GetMeas, MeasureGroup, SyncCursor, Units, UserId};

use crate::args::{CategoryArg, MeasuresArgs, UnitsArg};
use crate::config::{appli, write_atomically};
use crate::output::{self, Format};
use crate::Failure;

pub(crate) async fn measures(
    client: &Client,
    m: &MeasuresArgs,
    format: Format,
) -> Result<(), Failure> {
    let mut q = GetMeas::new(UserId::new(m.user));
    q.startdate = m.since.map(wbs_hyper::Timestamp::from_secs);
    q.enddate = m.until.map(wbs_hyper::Timestamp::from_secs);
    q.meastype = m.measure_type;
    q.category = m.category.map(|c| match c {
        CategoryArg::Measure => Category::MEASURE,
        CategoryArg::Target => Category::TARGET,
    });
    q.devtype = appli(m.devtype);
    q.lastupdate = m.last_update.map(wbs_hyper::Timestamp::from_secs);
    let units = match m.units {
        UnitsArg::Si => Units::Si,
        UnitsArg::Imperial => Units::Imperial,
    };
    let mut groups = Vec::new();
    let mut stream = std::pin::pin!(client.measures_all(q));
    while let Some(group) = stream.next().await {
        groups.push(group?);
        if m.limit.is_some_and(|l| groups.len() >= l as usize) {
            break;
        }
    }
    output::groups(format, &groups, units, m.measure_type);
    Ok(())
}

pub(crate) async fn sync(client: &Client, user: UserId, out: &Path) -> Result<(), Failure> {
    let cursor_path = PathBuf::from(format!("{}.cursor.json", out.display()));
    let cursor: SyncCursor = read_existing(&cursor_path)?
        .filter(|c: &SyncCursor| c.userid == user)
        .unwrap_or_else(|| SyncCursor::new(user));
    // Under the tolerant policy; a file that is there but unreadable is an error, never
    // silently replaced by the changes alone.
    let mut stored: Vec<MeasureGroup> = read_existing(out)?.unwrap_or_default();
    let bar = output::progress();
    bar.set_message("fetching changes");
    let (changed, next) = client.sync(&cursor).await?;
    bar.finish_and_clear();
    let count = changed.len();
    // Merge by grpid: a changed group replaces its old copy, so a re-run never doubles.
    let ids: std::collections::HashSet<_> = changed.iter().map(|g| g.grpid).collect();
    stored.retain(|g| !ids.contains(&g.grpid));
    stored.extend(changed);
    stored.sort_by(|a, b| b.date.cmp(&a.date).then(b.grpid.cmp(&a.grpid)));
    // Data first, then the cursor: an interruption in between only repeats work.
    write_atomically(
        out,
        &serde_json::to_vec_pretty(&stored).map_err(|e| Failure::new(e.to_string()))?,
    )?;
    write_atomically(
        &cursor_path,
        &serde_json::to_vec_pretty(&next).map_err(|e| Failure::new(e.to_string()))?,
    )?;
    eprintln!(
        "wbs: {count} new or changed groups; {} in {}",
        stored.len(),
        out.display()
    );
    Ok(())
}

/// A JSON file's value: `None` if it does not exist; an error naming the file if it exists
/// and cannot be read or parsed (so that it is never overwritten).
fn read_existing<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, Failure> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Failure::new(format!("cannot read {}: {e}", path.display()))),
    };
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        Failure::new(format!("{} is not a wbs sync file: {e}", path.display()))
            .hint("move it away to start afresh; it was left as it is")
    })
}
