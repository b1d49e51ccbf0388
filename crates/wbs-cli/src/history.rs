//! The history store: `wbs sync` into it, `wbs history` and `wbs plot` out of it (no
//! network for those two).

use futures_util::StreamExt;
use wbs_hyper::{Category, Client, MeasureType, Timestamp, UserId};
use wbs_store::{HistoryQuery, Store};

use crate::args::{HistoryArgs, PlotArgs, View};
use crate::output::{self, Format};
use crate::plot;
use crate::Failure;

impl From<wbs_store::Error> for Failure {
    fn from(e: wbs_store::Error) -> Self {
        Failure::new(crate::chain(&e))
    }
}

/// Where the history is: `--db` (a SQLite path, `sqlite:PATH` or `postgres://…`), else the
/// default SQLite file.
fn location(db: Option<&str>) -> Result<String, Failure> {
    match db {
        Some(db) => Ok(db.to_owned()),
        None => wbs_store::default_sqlite_path()
            .map(|p| p.display().to_string())
            .ok_or_else(|| {
                Failure::new("no place for the history store")
                    .hint("pass --db PATH, or set XDG_DATA_HOME or HOME")
            }),
    }
}

/// Opens the store to read: a SQLite file that is not there is an error (nothing was
/// synced), not a new empty store.
async fn open_to_read(db: Option<&str>) -> Result<Store, Failure> {
    let url = location(db)?;
    if let Some(path) = wbs_store::sqlite_path(&url) {
        if !path.exists() {
            return Err(
                Failure::new(format!("no history store at {}", path.display()))
                    .hint("run `wbs sync --user N` first (or pass --db)"),
            );
        }
    }
    Ok(Store::open(&url).await?)
}

/// Opens (creating if need be) the store `--db` names, or the default one.
pub(crate) async fn open(db: Option<&str>) -> Result<Store, Failure> {
    Ok(Store::open(&location(db)?).await?)
}

/// `wbs sync` into the store: page after page, each page's groups and the cursor after it
/// in one transaction, so that a sync killed at any moment resumes where it stopped.
pub(crate) async fn sync(client: &Client, user: UserId, db: Option<&str>) -> Result<(), Failure> {
    let url = location(db)?;
    let store = Store::open(&url).await?;
    let cursor = store
        .cursor(user)
        .await?
        .unwrap_or_else(|| wbs_hyper::SyncCursor::new(user));
    let resumed = cursor.progress.is_some();
    let bar = output::progress();
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} groups")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(if resumed {
        "resuming the sync"
    } else {
        "syncing"
    });
    let (mut fetched, mut skipped, mut pages) = (0u64, 0usize, 0u32);
    let mut stream = std::pin::pin!(client.sync_pages(cursor));
    while let Some(page) = stream.next().await {
        let page = page?;
        store
            .commit_page(
                user,
                &page.groups,
                &page.skipped,
                &page.cursor,
                page.complete,
            )
            .await?;
        pages += 1;
        fetched += page.groups.len() as u64;
        for s in &page.skipped {
            bar.suspend(|| output::warn_skipped(s));
        }
        skipped += page.skipped.len();
        if let Some(remaining) = page.remaining {
            bar.set_length(fetched + remaining);
            bar.set_position(fetched);
        }
        bar.set_message(format!("{fetched} groups, {pages} pages"));
    }
    bar.finish_and_clear();
    let total = store.count_groups(&HistoryQuery::new(user)).await?;
    eprintln!(
        "wbs: {fetched} new or changed groups in {pages} requests; {total} groups of user {user} in {}",
        without_password(&url)
    );
    store.close().await;
    if skipped > 0 {
        // The cursor did not advance past them: the next sync fetches them again.
        return Err(Failure::skipped(skipped));
    }
    Ok(())
}

fn query(user: i64, view: &View, types: &[MeasureType]) -> HistoryQuery {
    let mut q = HistoryQuery::new(UserId::new(user));
    q.since = view.since.map(Timestamp::from_secs);
    q.until = view.until.map(Timestamp::from_secs);
    q.types = types.to_vec();
    q
}

/// `wbs history`: the stored groups, printed as `wbs measures` prints them.
pub(crate) async fn history(
    h: &HistoryArgs,
    db: Option<&str>,
    format: Format,
) -> Result<(), Failure> {
    let store = open_to_read(db).await?;
    let types: Vec<MeasureType> = h.measure_type.into_iter().collect();
    let groups = store.groups(&query(h.user, &h.view, &types)).await?;
    store.close().await;
    output::groups(format, &groups, h.view.units.into(), h.measure_type);
    Ok(())
}

/// `wbs plot`: an SVG chart of the stored history.
pub(crate) async fn plot(p: &PlotArgs, db: Option<&str>) -> Result<(), Failure> {
    let store = open_to_read(db).await?;
    // Measurements only: targets are not a history.
    let q = query(p.user, &p.view, p.kind.types()).category(Category::MEASURE);
    let groups = store.groups(&q).await?;
    store.close().await;
    let chart = plot::plot(p.kind, &groups, p.view.units.into(), &p.out)?;
    eprintln!(
        "wbs: {} measurements drawn in {}",
        chart.drawn,
        p.out.display()
    );
    if chart.left_out > 0 {
        eprintln!(
            "wbs: warning: {} measurements left out: a date or a value beyond what a chart can show",
            chart.left_out
        );
    }
    Ok(())
}

/// A database URL to print: without its password or query (where a password may be too).
fn without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.scheme() != "sqlite" && u.has_host() => {
            if u.password().is_some() {
                let _ = u.set_password(Some("***"));
            }
            u.set_query(None);
            u.to_string()
        }
        // A path (or sqlite:PATH): nothing secret in it.
        _ if wbs_store::sqlite_path(url).is_some() => url.to_owned(),
        // Anything else that does not parse: its scheme alone.
        _ => format!("{}://…", url.split(':').next().unwrap_or("")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_not_printed() {
        use super::without_password as w;
        assert_eq!(
            w("postgres://wbs:s3cr@t@db:5432/x"),
            "postgres://wbs:***@db:5432/x"
        );
        assert_eq!(w("postgres://wbs@db/x"), "postgres://wbs@db/x");
        assert_eq!(w("/home/a/wbs.sqlite"), "/home/a/wbs.sqlite");
        assert_eq!(w("postgres://u:p@h"), "postgres://u:***@h");
    }
}
