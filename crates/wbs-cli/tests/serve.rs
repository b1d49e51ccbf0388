//! `wbs serve` as a real process against a `wbs sim` child: healthy, the admin API closed
//! without its token, a user added through it synced into the store, and a group the
//! sandbox notifies afterwards arriving through the webhook.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;

use std::time::{Duration, Instant};

use common::{http_get, text, wbs, Sim};

fn request(url: &str, method: &str, token: Option<&str>, body: &str) -> String {
    common::try_http(method, url, token, body).unwrap()
}

fn history_len(db: &str) -> usize {
    let o = wbs(&["--db", db, "--format", "json", "history", "--user", "10000"]);
    serde_json::from_slice::<Vec<serde_json::Value>>(&o.stdout).map_or(0, |v| v.len())
}

#[test]
fn wbs_serve_takes_users_and_notifications_into_the_store() {
    let sim = Sim::start(&["--users", "1", "--groups", "40", "--seed", "5"]);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("serve.sqlite");
    let db_s = db.to_str().unwrap();
    let port = common::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let listen = format!("127.0.0.1:{port}");
    let mut args = sim.flags(&[
        ("--base-url", "base_url"),
        ("--consumer-key", "consumer_key"),
        ("--consumer-secret", "consumer_secret"),
    ]);
    args.extend(
        [
            "--db",
            db_s,
            "serve",
            "--listen",
            &listen,
            "--admin-token",
            "adm1n",
            "--workers",
            "2",
            "--rate-limit",
            "6000",
        ]
        .map(String::from),
    );
    let mut serve = common::spawn_listening(&args, port);
    let deadline = Instant::now() + Duration::from_secs(30);
    assert!(http_get(&format!("{base}/healthz")).starts_with("HTTP/1.1 200"));
    let reply = request(&format!("{base}/admin/users"), "GET", None, "");
    assert!(
        reply.starts_with("HTTP/1.1 401") && reply.ends_with("\r\n\r\n"),
        "{reply}"
    );

    let user = &sim.info["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["userid"] == 10_000)
        .unwrap()
        .clone();
    let body = format!(
        r#"{{"userid":10000,"token":{},"token_secret":{}}}"#,
        user["token"], user["token_secret"]
    );
    let reply = request(&format!("{base}/admin/users"), "POST", Some("adm1n"), &body);
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    while history_len(db_s) < 40 {
        assert!(Instant::now() < deadline, "the first sync did not finish");
        std::thread::sleep(Duration::from_millis(100));
    }
    // A new group in the sandbox: notified to the service, fetched, stored.
    let added = common::http_send(
        "POST",
        &format!("{}/admin/groups", sim.info["base_url"].as_str().unwrap()),
        r#"{"userid":10000,"devtype":1,"group":{"grpid":0,"attrib":0,"date":1650000000,"category":1,"measures":[{"value":81000,"type":1,"unit":-3}]}}"#,
    );
    assert!(added.contains("\"status\":0"), "{added}");
    while history_len(db_s) < 41 {
        assert!(
            Instant::now() < deadline,
            "the notified group did not arrive"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let metrics = http_get(&format!("{base}/metrics"));
    assert!(
        metrics.contains("wbs_notifications_total{outcome=\"queued\"} "),
        "{metrics}"
    );
    serve.kill().ok();
    serve.wait().unwrap();
    let o = wbs(&["--db", db_s, "history", "--user", "10000"]);
    assert!(o.status.success(), "{:?}", text(&o));
}
