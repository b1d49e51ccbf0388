//! The data subcommands of `wbs` (measures, sync to a file, notify, probe, user), against the
//! embedded sandbox or a `wbs sim` child, including the error exits, and never a secret in
//! the output. `auth.rs` has the OAuth commands, `store.rs` the history store.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

use common::{assert_no_secret, http_request, json_len, text, wbs, with, Sim, WBS};
use serde_json::Value;

#[test]
fn the_quick_start_prints_the_reference_measures() {
    let o = wbs(&["--sandbox", "measures", "--user", "29"]);
    let (out, _) = text(&o);
    assert!(o.status.success());
    for shown in ["79.3 kg", "65.2 kg", "17.8 %", "14.125 kg", "1.73 m"] {
        assert!(out.contains(shown), "{shown} missing from\n{out}");
    }
    assert_no_secret(&o);
}

#[test]
fn measures_formats_filters_and_units() {
    let o = wbs(&["--sandbox", "--format", "json", "measures", "--user", "29"]);
    let groups: Value = serde_json::from_slice(&o.stdout).unwrap();
    let first = &groups[0]["measures"][0];
    assert_eq!(groups.as_array().unwrap().len(), 2);
    assert_eq!(
        (
            first["type"].as_i64(),
            first["value"].as_i64(),
            first["unit"].as_i64()
        ),
        (Some(1), Some(79_300), Some(-3))
    );
    assert_eq!(
        (first["scaled"].as_str(), first["unit_name"].as_str()),
        (Some("79.3"), Some("kg"))
    );
    let o = wbs(&[
        "--sandbox",
        "--format",
        "csv",
        "measures",
        "--user",
        "29",
        "--type",
        "weight",
        "--units",
        "imperial",
    ]);
    let (out, _) = text(&o);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "date,grpid,attrib,category,type,value,unit,scaled,unit_name",
            "2008-10-02T07:02:48Z,2909,0,1,1,79300,-3,174.8266,lb"
        ]
    );
    // User 29's measures as JSON, with these further arguments: how many groups.
    let groups = |more: &[&str]| {
        let mut args = vec!["--sandbox", "--format", "json", "measures", "--user", "29"];
        args.extend_from_slice(more);
        json_len(&wbs(&args).stdout)
    };
    assert_eq!(groups(&["--since", "2008-10-03"]), 0);
    let window = [
        "--since",
        "2008-10-01",
        "--until",
        "1223190167",
        "--limit",
        "1",
    ];
    assert_eq!(groups(&window), 1);
}

#[test]
fn probe_user_and_errors() {
    let o = wbs(&["--sandbox", "probe"]);
    assert_eq!((o.status.success(), text(&o).0.trim()), (true, "ok"));
    let o = wbs(&["--sandbox", "user", "29"]);
    assert!(text(&o).0.contains("John Doe"));
    // A user the sandbox lacks: which users it has.
    let o = wbs(&["--sandbox", "measures", "--user", "4242"]);
    assert!(!o.status.success());
    assert!(
        text(&o)
            .1
            .contains("the sandbox has no user 4242; it has users 29, 1229"),
        "{:?}",
        text(&o)
    );
    // Another user's data with user 29's token: the API status and its meaning, one line.
    let sim = Sim::start(&[]);
    let o = with(
        &sim.options(29),
        &["--format", "json", "measures", "--user", "1229"],
    );
    let (out, err) = text(&o);
    assert!(!o.status.success() && out.is_empty(), "{out}{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("250") && err.contains("do not match") && err.contains("hint:"),
        "{err}"
    );
    assert_no_secret(&o);
    // No credentials at all: what is missing and where to give it.
    let o = wbs(&["--base-url", "http://127.0.0.1:9", "probe"]);
    let (_, err) = text(&o);
    assert!(
        !o.status.success() && err.starts_with("wbs: no consumer key and secret (hint:"),
        "{err}"
    );
    // Nothing listening: a connect error with a hint, no backtrace.
    let o = wbs(&[
        "--base-url",
        "http://127.0.0.1:9",
        "--consumer-key",
        "k",
        "--consumer-secret",
        "SECRET-X",
        "--token",
        "t",
        "--token-secret",
        "SECRET-Y",
        "probe",
    ]);
    let (out, err) = text(&o);
    assert!(
        !o.status.success() && err.lines().count() == 1 && !err.contains("panicked"),
        "{err}"
    );
    assert!(!err.contains("SECRET-X") && !err.contains("SECRET-Y") && !out.contains("SECRET"));
    // Bad input: clap's usage error, exit 2.
    let o = wbs(&[
        "--sandbox",
        "measures",
        "--user",
        "29",
        "--since",
        "yesterday",
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn sync_is_incremental_and_survives_a_rerun() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = dir.join("data.json");
    let out_s = out.to_str().unwrap();
    let sim = Sim::start(&["--users", "1", "--groups", "300", "--seed", "4"]);
    let opts = sim.options(10_000);
    let o = with(&opts, &["sync", "--user", "10000", "--out", out_s]);
    assert!(o.status.success(), "{:?}", text(&o));
    let first: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(first.as_array().unwrap().len(), 300);
    assert!(dir.join("data.json.cursor.json").exists());
    // Run again: nothing new, nothing doubled.
    let o = with(&opts, &["sync", "--user", "10000", "--out", out_s]);
    assert!(
        text(&o).1.contains("0 new or changed groups; 300 in"),
        "{:?}",
        text(&o)
    );
    // An interrupted run (the cursor lost) fetches again but never doubles.
    std::fs::remove_file(dir.join("data.json.cursor.json")).unwrap();
    let o = with(&opts, &["sync", "--user", "10000", "--out", out_s]);
    assert!(
        text(&o).1.contains("300 new or changed groups; 300 in"),
        "{:?}",
        text(&o)
    );
    // A data file that is not ours is never replaced: an error naming it, bytes unchanged.
    let corrupt = b"[{\"grpid\": 1, truncated";
    std::fs::write(&out, corrupt).unwrap();
    let o = with(&opts, &["sync", "--user", "10000", "--out", out_s]);
    assert!(!o.status.success());
    assert!(
        text(&o).1.contains("is not a wbs sync file"),
        "{:?}",
        text(&o)
    );
    assert_eq!(std::fs::read(&out).unwrap(), corrupt);
}

#[test]
fn notify_subcommands_and_listen() {
    let sim = Sim::start(&[]);
    let opts = sim.options(29);
    let url = "http://127.0.0.1:9/cli-hook";
    assert!(with(
        &opts,
        &[
            "notify",
            "subscribe",
            "--user",
            "29",
            "--url",
            url,
            "--comment",
            "from the CLI"
        ]
    )
    .status
    .success());
    assert!(text(&with(
        &opts,
        &["notify", "get", "--user", "29", "--url", url]
    ))
    .0
    .contains("from the CLI"));
    let list: Value = serde_json::from_slice(
        &with(
            &opts,
            &["--format", "json", "notify", "list", "--user", "29"],
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(list[0]["expires"], 2_147_483_647);
    assert!(
        with(&opts, &["notify", "revoke", "--user", "29", "--url", url])
            .status
            .success()
    );
    let o = with(&opts, &["notify", "revoke", "--user", "29", "--url", url]);
    assert!(
        !o.status.success() && text(&o).1.contains("294"),
        "{:?}",
        text(&o)
    );

    // listen: a notification POSTed to it is printed.
    let addr = format!("127.0.0.1:{}", common::free_port());
    let mut listener = Command::new(WBS)
        .args(["--format", "json", "notify", "listen", "--addr", &addr])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stream = None;
    for _ in 0..50 {
        if let Ok(s) = TcpStream::connect(&addr) {
            stream = Some(s);
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let mut stream = stream.expect("the listener started");
    let body = "userid=29&startdate=1260350649&enddate=1260350650&appli=1";
    write!(stream, "POST /wbs/notify HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let mut line = String::new();
    BufReader::new(listener.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = listener.kill();
    let _ = listener.wait();
    let n: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        (n["userid"].as_i64(), n["startdate"].as_i64()),
        (Some(29), Some(1_260_350_649))
    );
}

#[test]
fn measures_against_a_failing_server_prints_every_group_once() {
    let sim = Sim::start(&[
        "--users",
        "1",
        "--groups",
        "3000",
        "--seed",
        "8",
        "--faults",
        "rate=0.2,kinds=drop+500+503+2555+truncate,seed=13",
    ]);
    let o = with(
        &sim.options(10_000),
        &["--format", "json", "measures", "--user", "10000"],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let groups: Value = serde_json::from_slice(&o.stdout).unwrap();
    let ids: std::collections::HashSet<i64> = groups
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["grpid"].as_i64().unwrap())
        .collect();
    assert_eq!((groups.as_array().unwrap().len(), ids.len()), (3000, 3000));
}

#[test]
fn a_bad_config_file_is_an_error_and_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let path = dir.join("config.json");
    for bad in [
        &b"{\"consumer_key\": \"k\", "[..],
        &b"[\"not\", \"an object\"]"[..],
        &b"{\"consumer_key\": \"k\", \"tokn_secret\": \"misspelt\"}"[..],
    ] {
        std::fs::write(&path, bad).unwrap();
        let o = wbs(&["--config", path.to_str().unwrap(), "probe"]);
        let (_, err) = text(&o);
        assert!(!o.status.success());
        assert!(
            err.contains("config.json is not a wbs config file"),
            "{err}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), bad);
    }
}

#[test]
fn a_malformed_group_is_named_and_the_exit_code_says_so() {
    let sim = Sim::start(&[]);
    let opts = sim.options(29);
    let base = sim.info["base_url"].as_str().unwrap().to_owned();
    let admin = |on: u8| {
        let reply = http_request(
            "POST",
            &format!("{base}/admin/malformed?userid=29&grpid=2908&malformed={on}"),
        );
        assert!(reply.contains("\"status\":0"), "{reply}");
    };
    admin(1);
    let o = with(&opts, &["measures", "--user", "29"]);
    let (out, err) = text(&o);
    assert_eq!(o.status.code(), Some(3), "{out}{err}");
    assert!(
        err.contains("warning: measure group 2908 was malformed"),
        "{err}"
    );
    assert!(out.contains("79.3"), "the rest is printed: {out}");

    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out_path = dir.join("data.json");
    let out_s = out_path.to_str().unwrap();
    let o = with(&opts, &["sync", "--user", "29", "--out", out_s]);
    assert_eq!(o.status.code(), Some(3), "{:?}", text(&o));
    assert!(text(&o).1.contains("measure group 2908 was malformed"));
    let kept: Value = serde_json::from_slice(&std::fs::read(&out_path).unwrap()).unwrap();
    assert_eq!(kept.as_array().unwrap().len(), 1);
    // Repaired: the next sync fetches it.
    admin(0);
    let o = with(&opts, &["sync", "--user", "29", "--out", out_s]);
    assert!(o.status.success(), "{:?}", text(&o));
    let kept: Value = serde_json::from_slice(&std::fs::read(&out_path).unwrap()).unwrap();
    assert_eq!(kept.as_array().unwrap().len(), 2);
}

/// `wbs sync` killed (SIGKILL) at 20 moments against a 20,000-group history: the data file
/// always parses (the old or the new one, never a torn one), and a run to the end is exact.
#[test]
fn sync_killed_at_random_moments_never_tears_the_file() {
    let sim = Sim::start(&["--users", "1", "--groups", "20000", "--seed", "9"]);
    let opts = sim.options(10_000);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = dir.join("data.json");
    let out_s = out.to_str().unwrap();
    let mut args: Vec<&str> = opts.iter().map(String::as_str).collect();
    args.extend_from_slice(&["sync", "--user", "10000", "--out", out_s]);
    let mut finished = 0;
    for i in 0..20u64 {
        // Spread over a run's length (a cursor removed now and then forces full runs).
        if i % 4 == 0 {
            std::fs::remove_file(dir.join("data.json.cursor.json")).ok();
        }
        let after = std::time::Duration::from_millis(i * 151 % 2_000);
        if common::run_and_kill(&args, after) {
            finished += 1;
        }
        if out.exists() {
            let bytes = std::fs::read(&out).unwrap();
            let parsed: Result<Vec<Value>, _> = serde_json::from_slice(&bytes);
            assert!(parsed.is_ok(), "kill {i}: the data file is torn");
        }
    }
    eprintln!("{finished} of 20 runs finished before their kill");
    assert!(finished < 20, "at least one run must be killed mid-way");
    let o = wbs(&args);
    assert!(o.status.success(), "{:?}", text(&o));
    let data: Vec<Value> = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    let ids: std::collections::HashSet<i64> =
        data.iter().map(|g| g["grpid"].as_i64().unwrap()).collect();
    assert_eq!(
        (data.len(), ids.len()),
        (20_000, 20_000),
        "{finished} runs finished"
    );
}
