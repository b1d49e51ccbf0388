//! `wbs sync` into the history store, `wbs history` and `wbs plot`, as real processes
//! against a `wbs sim` child and real SQLite files: exact, resumable after SIGKILL,
//! incremental, and a chart that holds every measurement.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{http_get, http_send, text, with, Sim, WBS};
use serde_json::Value;
use wbs_store::Store;

const USER: i64 = 10_000;

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// One number from SQL against a store.
fn sql_count(db: &Path, sql: &str) -> i64 {
    rt().block_on(async {
        let store = Store::open_sqlite(db).await.unwrap();
        let n: i64 = sqlx::query_scalar(sql)
            .fetch_one(store.pool())
            .await
            .unwrap();
        store.close().await;
        n
    })
}

/// Runs a statement against a store.
fn sql_exec(db: &Path, sql: &str) {
    rt().block_on(async {
        let store = Store::open_sqlite(db).await.unwrap();
        sqlx::query(sql).execute(store.pool()).await.unwrap();
        store.close().await;
    })
}

/// The sandbox's groups for the user, as `wbs measures` prints them in JSON.
fn sandbox_json(opts: &[String], args: &[&str]) -> Value {
    let mut all = vec!["--format", "json", "measures", "--user", "10000"];
    all.extend_from_slice(args);
    let o = with(opts, &all);
    assert!(o.status.success(), "{:?}", text(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The store's groups for the user, as `wbs history` prints them in JSON.
fn history_json(db: &str, args: &[&str]) -> Value {
    let mut all = vec!["--db", db, "--format", "json", "history", "--user", "10000"];
    all.extend_from_slice(args);
    let o = common::wbs(&all);
    assert!(o.status.success(), "{:?}", text(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn getmeas_served(sim: &Sim) -> u64 {
    let base = sim.info["base_url"].as_str().unwrap();
    let reply = http_get(&format!("{base}/admin/stats"));
    let body = reply.split("\r\n\r\n").nth(1).unwrap();
    serde_json::from_str::<Value>(body).unwrap()["getmeas"]
        .as_u64()
        .unwrap()
}

/// 20,000 groups into SQLite: `history` and SQL agree with the sandbox digit for digit.
/// Then the same sync SIGKILLed at 10 moments: the store always opens and passes
/// `PRAGMA integrity_check`, and a run to the end is exact.
#[test]
fn a_20000_group_sync_is_exact_and_survives_sigkill() {
    let sim = Sim::start(&["--users", "1", "--groups", "20000", "--seed", "12"]);
    let opts = sim.options(USER);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("whole.sqlite");
    let db_s = db.to_str().unwrap();
    let started = std::time::Instant::now();
    let o = with(&opts, &["--db", db_s, "sync", "--user", "10000"]);
    // How long a whole sync takes here: the first kill comes half-way through one.
    let whole = started.elapsed();
    assert!(o.status.success(), "{:?}", text(&o));
    let expected = sandbox_json(&opts, &[]);
    assert_eq!(expected.as_array().unwrap().len(), 20_000);
    assert_eq!(history_json(db_s, &[]), expected);
    let measures: usize = expected
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["measures"].as_array().unwrap().len())
        .sum();
    assert_eq!(
        sql_count(
            &db,
            "SELECT COUNT(*) FROM measure_groups WHERE userid = 10000"
        ),
        20_000
    );
    assert_eq!(
        sql_count(&db, "SELECT COUNT(*) FROM measures WHERE userid = 10000") as usize,
        measures
    );

    let killed = dir.path().join("killed.sqlite");
    let killed_s = killed.to_str().unwrap();
    let mut args: Vec<&str> = opts.iter().map(String::as_str).collect();
    args.extend_from_slice(&["--db", killed_s, "sync", "--user", "10000"]);
    let mut rng = fastrand::Rng::with_seed(u64::from(std::process::id()));
    let (mut finished, mut mid_way) = (0, 0);
    for i in 0..10 {
        // The first from an empty store, half-way through a whole sync (so at least one
        // kill lands between pages however fast this machine is); then at random.
        let delay = if i == 0 {
            whole / 2
        } else {
            Duration::from_millis(rng.u64(0..1_500))
        };
        if common::run_and_kill(&args, delay) {
            finished += 1;
        }
        // Killed between two pages: some groups kept, and where to resume beside them.
        if killed.exists() {
            let kept = sql_count(&killed, "SELECT COUNT(*) FROM measure_groups");
            let resumable = sql_count(
                &killed,
                "SELECT COUNT(*) FROM sync_cursors WHERE progress IS NOT NULL",
            );
            if kept > 0 && kept < 20_000 && resumable == 1 {
                mid_way += 1;
            }
        }
        if i % 3 == 2 {
            // Now and then from the start again: the cursor's row deleted.
            sql_exec(&killed, "DELETE FROM sync_cursors");
        }
        let check: String = rt().block_on(async {
            let store = Store::open_sqlite(&killed).await.unwrap();
            let ok = sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_one(store.pool())
                .await
                .unwrap();
            store.close().await;
            ok
        });
        assert_eq!(check, "ok", "kill {i}");
    }
    eprintln!("{finished} of 10 runs finished before their kill, {mid_way} killed between pages");
    assert!(
        mid_way > 0,
        "at least one run must be killed between two pages"
    );
    let o = common::wbs(&args);
    assert!(o.status.success(), "{:?}", text(&o));
    assert_eq!(history_json(killed_s, &[]), expected);
}

/// After the sandbox adds and replaces groups, a second sync fetches only those, in one
/// request, and the store equals the sandbox. Then the charts: every measurement in the
/// range drawn once, axis labels with units, and a picture that is not blank.
#[test]
fn a_second_sync_fetches_only_the_changes_and_the_charts_hold_every_measurement() {
    let sim = Sim::start(&["--users", "1", "--groups", "3000", "--seed", "5"]);
    let opts = sim.options(USER);
    let base = sim.info["base_url"].as_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("h.sqlite");
    let db_s = db.to_str().unwrap();
    let o = with(&opts, &["--db", db_s, "sync", "--user", "10000"]);
    assert!(o.status.success(), "{:?}", text(&o));
    let lastupdate = sql_count(
        &db,
        "SELECT lastupdate FROM sync_cursors WHERE userid = 10000",
    );
    // Generated groups changed when measured: those of the cursor's very second come again
    // (the one second of overlap).
    let again = sql_count(
        &db,
        &format!(
            "SELECT COUNT(*) FROM measure_groups WHERE userid = 10000 AND date >= {lastupdate}"
        ),
    );

    // Three groups replaced (new date and weight), five added.
    let before = sandbox_json(&opts, &[]);
    let replaced: Vec<i64> = before.as_array().unwrap()[100..103]
        .iter()
        .map(|g| g["grpid"].as_i64().unwrap())
        .collect();
    for (k, id) in replaced.iter().enumerate() {
        let body = format!(
            r#"{{"userid":10000,"devtype":1,"group":{{"grpid":{id},"attrib":0,"date":{},"category":1,"measures":[{{"value":{},"type":1,"unit":-3}}]}}}}"#,
            1_600_000_000 + k as i64,
            70_000 + k as i64
        );
        assert!(http_send("POST", &format!("{base}/admin/groups"), &body).contains("\"status\":0"));
    }
    for k in 0..5 {
        let body = format!(
            r#"{{"userid":10000,"devtype":1,"group":{{"grpid":0,"attrib":0,"date":{},"category":1,"measures":[{{"value":{},"type":1,"unit":-3}},{{"value":{},"type":6,"unit":-1}}]}}}}"#,
            1_650_000_000 + k,
            80_000 + k,
            200 + k
        );
        assert!(http_send("POST", &format!("{base}/admin/groups"), &body).contains("\"status\":0"));
    }
    let served = getmeas_served(&sim);
    let o = with(&opts, &["--db", db_s, "sync", "--user", "10000"]);
    assert!(o.status.success(), "{:?}", text(&o));
    assert_eq!(getmeas_served(&sim) - served, 1, "one page, one request");
    let changed = 8 + again;
    assert!(
        text(&o).1.contains(&format!(
            "wbs: {changed} new or changed groups in 1 requests; 3005 groups"
        )),
        "{:?}",
        text(&o)
    );
    let expected = sandbox_json(&opts, &[]);
    assert_eq!(expected.as_array().unwrap().len(), 3005);
    assert_eq!(history_json(db_s, &[]), expected);
    // Filters read the store as they read the service.
    let since = ["--since", "2022-01-01", "--type", "weight"];
    assert_eq!(history_json(db_s, &since), sandbox_json(&opts, &since));

    // The weight chart of a range: one circle a measurement, units on the axis.
    let svg = dir.path().join("weight.svg");
    plot(db_s, &["--type", "weight", "--since", "2022-01-01"], &svg);
    let in_range = sql_count(
        &db,
        "SELECT COUNT(*) FROM measures m JOIN measure_groups g ON g.userid = m.userid AND g.grpid = m.grpid \
         WHERE m.userid = 10000 AND m.type = 1 AND g.category = 1 AND g.date >= 1640995200",
    );
    let doc = std::fs::read_to_string(&svg).unwrap();
    let (circles, texts) = parse(&doc);
    assert_eq!(circles as i64, in_range);
    assert!(texts.iter().any(|t| t.contains("(kg)")), "{texts:?}");
    assert!(
        texts.iter().any(|t| t.starts_with("min ")) && texts.iter().any(|t| t.starts_with("max "))
    );
    assert!(texts.iter().any(|t| t.contains("7-day moving average")));
    assert!(
        texts.iter().any(|t| t.starts_with("2022-")),
        "dates on the axis: {texts:?}"
    );
    assert_not_blank(&doc);

    // Imperial, and blood pressure with its reference lines.
    plot(db_s, &["--type", "weight", "--units", "imperial"], &svg);
    let (_, texts) = parse(&std::fs::read_to_string(&svg).unwrap());
    assert!(texts.iter().any(|t| t.contains("(lb)")), "{texts:?}");
    plot(db_s, &["--type", "bp"], &svg);
    let doc = std::fs::read_to_string(&svg).unwrap();
    let (circles, texts) = parse(&doc);
    let bp = sql_count(
        &db,
        "SELECT COUNT(*) FROM measures WHERE userid = 10000 AND type IN (9, 10)",
    );
    assert!(bp > 0);
    assert_eq!(circles as i64, bp);
    assert!(texts.iter().any(|t| t.contains("(mmHg)")), "{texts:?}");
    assert!(texts.iter().any(|t| t == "120 mmHg") && texts.iter().any(|t| t == "80 mmHg"));
    assert_not_blank(&doc);

    // Nothing to draw, or no store: an error saying so, and no file.
    let none = dir.path().join("none.svg");
    let o = common::wbs(&[
        "--db",
        db_s,
        "plot",
        "--user",
        "10000",
        "--type",
        "pulse",
        "--since",
        "2100-01-01",
        "--out",
        none.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).1.contains("no heart pulse measurements"),
        "{:?}",
        text(&o)
    );
    assert!(!none.exists());
    let missing = dir.path().join("missing.sqlite");
    let o = common::wbs(&["--db", missing.to_str().unwrap(), "history", "--user", "1"]);
    assert!(text(&o).1.contains("no history store at"), "{:?}", text(&o));
    assert!(!missing.exists(), "reading never creates a store");

    // A reader that goes away (`wbs history | head -1`): no panic, a quiet end.
    let mut child = Command::new(WBS)
        .args(["--db", db_s, "history", "--user", "10000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = [0u8; 16];
    std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{:?}", text(&o));
    assert!(o.stderr.is_empty(), "{:?}", text(&o));
}

/// `wbs plot` of the user into `out`, which must succeed.
fn plot(db: &str, args: &[&str], out: &Path) {
    let mut all = vec![
        "--db",
        db,
        "plot",
        "--user",
        "10000",
        "--out",
        out.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    let o = common::wbs(&all);
    assert!(o.status.success(), "{:?}", text(&o));
}

/// The circles and the texts of an SVG document (which must parse).
fn parse(doc: &str) -> (usize, Vec<String>) {
    let tree = roxmltree::Document::parse(doc).unwrap();
    let circles = tree
        .descendants()
        .filter(|n| n.has_tag_name("circle"))
        .count();
    let texts = tree
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or("").trim().to_owned())
        .collect();
    (circles, texts)
}

/// Renders the SVG and checks that it is a picture: a good share of the pixels are not
/// the white background, some of them in the series' colour.
fn assert_not_blank(doc: &str) {
    let tree = resvg::usvg::Tree::from_str(doc, &resvg::usvg::Options::default()).unwrap();
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height()).unwrap();
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    let pixels = pixmap.pixels();
    let inked = pixels
        .iter()
        .filter(|p| p.alpha() > 0 && (p.red() < 230 || p.green() < 230 || p.blue() < 230))
        .count();
    let blue = pixels
        .iter()
        .filter(|p| p.alpha() > 0 && p.blue() > 120 && p.red() < 120)
        .count();
    assert!(
        inked > pixels.len() / 200,
        "{inked} of {} pixels inked",
        pixels.len()
    );
    assert!(blue > 100, "{blue} pixels of the series' colour");
    if let Some(png) = std::env::var_os("WBS_KEEP_PLOT") {
        // To look at it: WBS_KEEP_PLOT=/tmp/plot.png cargo test -p wbs-cli --test store
        pixmap.save_png(png).unwrap();
    }
}

/// The same sync, history and resumption against PostgreSQL (when `WBS_TEST_POSTGRES`
/// names a server; CI always does).
#[test]
fn sync_and_history_on_postgres() {
    let Ok(url) = std::env::var("WBS_TEST_POSTGRES") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must give WBS_TEST_POSTGRES"
        );
        eprintln!("note: WBS_TEST_POSTGRES is not set: the PostgreSQL sync test is skipped");
        return;
    };
    // A clean slate for this test's user (its rows cascade from the user's).
    rt().block_on(async {
        let store = Store::open(&url).await.unwrap();
        sqlx::query("DELETE FROM users WHERE userid = 10000")
            .execute(store.pool())
            .await
            .unwrap();
        store.close().await;
    });
    let sim = Sim::start(&["--users", "1", "--groups", "5000", "--seed", "3"]);
    let opts = sim.options(USER);
    let mut args: Vec<&str> = opts.iter().map(String::as_str).collect();
    args.extend_from_slice(&["--db", &url, "sync", "--user", "10000"]);
    // Killed once mid-way, then run to the end.
    common::run_and_kill(&args, Duration::from_millis(300));
    let o = common::wbs(&args);
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(!text(&o).1.contains("password"), "{:?}", text(&o));
    assert_eq!(history_json(&url, &[]), sandbox_json(&opts, &[]));
}
