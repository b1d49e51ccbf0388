//! `wbs oauth` (the OAuth checker) and `wbs auth login` (the three-legged flow, with a
//! callback or out of band), against `wbs sim` children; never a secret in the output.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Output, Stdio};

use common::{http_get, json_len, location, text, wbs, Sim, WBS};
use serde_json::Value;

/// The credentials of OAuth Core 1.0 Appendix A (the first six: without the token secret).
const PHOTOS: [&str; 8] = [
    "--consumer-key",
    "dpf43f3p2l4k3l03",
    "--consumer-secret",
    "kd94hf93k423kf44",
    "--token",
    "nnch734d00sl2jdk",
    "--token-secret",
    "pfkkdhi9sl3r4s00",
];

/// `wbs CREDENTIALS oauth REST…`.
fn oauth(credentials: &[&str], rest: &[&str]) -> Output {
    let mut args = credentials.to_vec();
    args.push("oauth");
    args.extend_from_slice(rest);
    wbs(&args)
}

/// The signed URL that `wbs oauth sign` printed.
fn signed_url(o: &Output) -> String {
    text(o)
        .0
        .lines()
        .find_map(|l| l.strip_prefix("signed URL:            "))
        .unwrap()
        .to_owned()
}

#[test]
fn oauth_sign_and_verify() {
    let o = oauth(
        &PHOTOS,
        &[
            "sign",
            "--url",
            "http://photos.example.net/photos",
            "--param",
            "file=vacation.jpg",
            "--param",
            "size=original",
            "--nonce",
            "kllo9940pd9333jh",
            "--timestamp",
            "1191242096",
        ],
    );
    let (out, _) = text(&o);
    // OAuth Core 1.0 Appendix A.5, with oauth_version=1.0 as this signs it.
    assert!(out.contains("base string:           GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg"), "{out}");
    assert!(
        out.contains("signature:             tR3+Ty81lMeYAr/Fid0kMTYa/WM="),
        "{out}"
    );
    assert!(!out.contains("kd94hf93k423kf44") && !out.contains("pfkkdhi9sl3r4s00"));
    let url = signed_url(&o);

    let o = oauth(&PHOTOS, &["verify", &url]);
    assert!(o.status.success() && text(&o).0.contains("the signature verifies"));

    // A tampered URL: not verified, with the base string to compare; still no secret.
    let o = oauth(
        &PHOTOS,
        &["verify", &url.replace("size=original", "size=large")],
    );
    let (out, err) = text(&o);
    assert!(
        !o.status.success() && out.contains("does not verify") && out.contains("size%3Dlarge"),
        "{out}{err}"
    );
    assert!(!out.contains("kd94hf93k423kf44") && !err.contains("pfkkdhi9sl3r4s00"));

    // Signed as a POST, or for https: the checker names the part that differs.
    // `wbs oauth sign` with these keys, method and URL, a fixed nonce and timestamp.
    let sign = |keys: &[&str], method: &str, url: &str| {
        let args = [
            "sign",
            "--method",
            method,
            "--url",
            url,
            "--nonce",
            "n",
            "--timestamp",
            "1",
        ];
        signed_url(&oauth(keys, &args))
    };
    let post = sign(&PHOTOS, "POST", "http://e.com/x");
    assert!(text(&oauth(&PHOTOS, &["verify", &post]))
        .0
        .contains("it verifies as a POST request: the method differs"));
    let https = sign(&PHOTOS, "GET", "https://e.com/x");
    let as_http = https.replace("https://", "http://");
    assert!(text(&oauth(&PHOTOS, &["verify", &as_http]))
        .0
        .contains("it verifies as https: the scheme differs"));

    // Signed without the token secret: the checker says so.
    let no_token_secret = sign(&PHOTOS[..6], "GET", "http://e.com/x");
    assert!(text(&oauth(&PHOTOS, &["verify", &no_token_secret]))
        .0
        .contains("without the token secret"));
}

#[test]
fn auth_login_stores_a_private_config() {
    let sim = Sim::start(&[]);
    let dir = std::env::temp_dir().join(format!("wbs-login-{}", std::process::id()));
    let config = dir.join("config.json");
    let (mut child, authorize) = login(&sim, &config, &[]);
    // The user's browser: the authorize URL redirects to the CLI's callback listener.
    let location = http_get(&authorize)
        .lines()
        .find_map(|l| {
            l.strip_prefix("location: ")
                .or_else(|| l.strip_prefix("Location: "))
                .map(str::to_owned)
        })
        .unwrap();
    assert!(http_get(location.trim()).starts_with("HTTP/1.1 200"));
    assert!(child.wait().unwrap().success());
    let saved: Value = serde_json::from_slice(&std::fs::read(&config).unwrap()).unwrap();
    assert_eq!(saved["userid"], 29);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&config).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // The stored credentials work.
    let o = wbs(&["--config", config.to_str().unwrap(), "user", "29"]);
    assert!(text(&o).0.contains("John Doe"), "{:?}", text(&o));
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn auth_login_out_of_band_reads_the_verifier_from_standard_input() {
    let sim = Sim::start(&[]);
    let dir = std::env::temp_dir().join(format!("wbs-oob-{}", std::process::id()));
    let config = dir.join("config.json");
    let (mut child, authorize) = login(&sim, &config, &["--oob"]);
    // The browser elsewhere: no redirect, the page shows the verifier.
    let page = http_get(&authorize);
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    let shown = page.lines().last().unwrap().trim().to_owned();
    assert!(shown.starts_with("oauth_verifier="), "{shown}");
    // The person pastes what the page shows.
    writeln!(child.stdin.take().unwrap(), "{shown}").unwrap();
    assert!(child.wait().unwrap().success());
    let saved: Value = serde_json::from_slice(&std::fs::read(&config).unwrap()).unwrap();
    assert_eq!(saved["userid"], 29);
    let o = wbs(&["--config", config.to_str().unwrap(), "user", "29"]);
    assert!(text(&o).0.contains("John Doe"), "{:?}", text(&o));
    std::fs::remove_dir_all(&dir).ok();
}

/// Starts `wbs auth login` against the sandbox, with stdin and stdout piped; returns it and
/// the authorize URL it printed.
fn login(sim: &Sim, config: &std::path::Path, extra: &[&str]) -> (Child, String) {
    let base = sim.info["base_url"].as_str().unwrap();
    let mut args = vec![
        "--base-url",
        base,
        "--oauth-url",
        base,
        "--consumer-key",
        sim.info["consumer_key"].as_str().unwrap(),
        "--consumer-secret",
        sim.info["consumer_secret"].as_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "auth",
        "login",
    ];
    args.extend_from_slice(extra);
    spawn_login(&args)
}

/// `wbs ARGS` (a login) with stdin, stdout and stderr piped; the child and the first URL
/// it printed (the authorize URL).
fn spawn_login(args: &[&str]) -> (Child, String) {
    let mut child = Command::new(WBS)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = lines
        .find_map(|l| l.ok().filter(|l| l.starts_with("http")))
        .unwrap();
    (child, url)
}

/// `wbs auth login --oauth2` against a `wbs sim` child: the redirect comes back to the
/// local listener, the tokens land in the config file (0600), every command then speaks
/// Bearer; past the expiry (the sandbox's clock moved), a command refreshes once and the
/// rotated tokens are written back before use. Out of band, the pasted redirect works;
/// a forged one (another state) is refused.
#[test]
fn auth_login_oauth2_then_commands_refresh_and_keep_the_rotated_token() {
    let sim = Sim::start(&["--users", "1", "--groups", "50", "--seed", "2"]);
    let base = sim.info["base_url"].as_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.json");
    let config_s = config.to_str().unwrap();
    let mut app = sim.flags(&[
        ("--base-url", "base_url"),
        ("--oauth-url", "base_url"),
        ("--client-id", "client_id"),
        ("--client-secret", "client_secret"),
    ]);
    app.extend(["--config".to_owned(), config_s.to_owned()]);
    let start = |extra: &[&str]| {
        let mut args: Vec<&str> = app.iter().map(String::as_str).collect();
        args.extend_from_slice(&["auth", "login", "--oauth2"]);
        args.extend_from_slice(extra);
        let (child, url) = spawn_login(&args);
        (child, format!("{url}&userid=10000"))
    };

    let (child, authorize) = start(&[]);
    let redirect = location(&http_get(&authorize)).unwrap();
    // A forged redirect (another state) is refused and waited past.
    let forged = redirect.replace("state=", "state=x");
    assert!(http_get(&forged).starts_with("HTTP/1.1 400"));
    assert!(http_get(&redirect).starts_with("HTTP/1.1 200"));
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let saved: Value = serde_json::from_slice(&std::fs::read(&config).unwrap()).unwrap();
    assert_eq!(saved["userid"], 10_000);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&config).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Every command over Bearer, with nothing but the config file.
    let measures = || {
        wbs(&[
            "--config", config_s, "--format", "json", "measures", "--user", "10000",
        ])
    };
    let o = measures();
    assert!(o.status.success(), "{:?}", text(&o));
    let first: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(first.as_array().unwrap().len(), 50);
    assert!(!text(&o).1.contains(saved["access_token"].as_str().unwrap()));

    // Four hours later by the sandbox's clock: one refresh, the rotated tokens kept.
    let moved = common::http_send("POST", &format!("{base}/admin/clock?advance=14400"), "");
    assert!(moved.contains("\"status\":0"), "{moved}");
    let o = measures();
    assert!(o.status.success(), "{:?}", text(&o));
    assert_eq!(serde_json::from_slice::<Value>(&o.stdout).unwrap(), first);
    let rotated: Value = serde_json::from_slice(&std::fs::read(&config).unwrap()).unwrap();
    assert_ne!(rotated["refresh_token"], saved["refresh_token"]);
    assert_ne!(rotated["access_token"], saved["access_token"]);
    assert_eq!(
        rotated["client_id"], saved["client_id"],
        "the rest of the file kept"
    );
    let stats = http_get(&format!("{base}/admin/stats"));
    assert!(stats.contains("\"oauth2_refreshes\":1"), "{stats}");
    // And again: no refresh needed now.
    assert!(measures().status.success());
    assert!(http_get(&format!("{base}/admin/stats")).contains("\"oauth2_refreshes\":1"));
    // The store over Bearer: a sync, then the history equals the export.
    let db = dir.path().join("h.sqlite");
    let db_s = db.to_str().unwrap();
    let o = wbs(&[
        "--config", config_s, "--db", db_s, "sync", "--user", "10000",
    ]);
    assert!(o.status.success(), "{:?}", text(&o));
    let o = wbs(&[
        "--db", db_s, "--format", "json", "history", "--user", "10000",
    ]);
    assert_eq!(serde_json::from_slice::<Value>(&o.stdout).unwrap(), first);

    // Out of band: paste the redirected URL.
    let oob_config = dir.path().join("oob.json");
    login_oauth2_oob(&sim, &oob_config);
    assert!(std::fs::read_to_string(&oob_config)
        .unwrap()
        .contains("refresh_token"));
}

/// A refresh whose answer is lost (the service rotated the tokens, the answer arrived cut
/// short: what a process killed between receiving and keeping a token set leaves): the
/// set in the config file is untouched, and the refresh is tried again with the old
/// refresh token, which the service honours; the new set is kept and works.
#[test]
fn a_refresh_answer_lost_is_recovered_with_the_old_refresh_token() {
    // The first requesttoken is the login's; the second, the refresh, comes back cut.
    let sim = Sim::start(&[
        "--users",
        "1",
        "--groups",
        "5",
        "--faults",
        "requesttoken#2=truncate",
    ]);
    let base = sim.info["base_url"].as_str().unwrap().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.json");
    let config_s = config.to_str().unwrap();
    login_oauth2_oob(&sim, &config);
    let kept = std::fs::read(&config).unwrap();

    assert!(
        common::http_send("POST", &format!("{base}/admin/clock?advance=14400"), "")
            .contains("\"status\":0")
    );
    let measures = || {
        wbs(&[
            "--config", config_s, "--format", "json", "measures", "--user", "10000",
        ])
    };
    let o = measures();
    assert!(o.status.success(), "{:?}", text(&o));
    assert_eq!(json_len(&o.stdout), 5);
    let now: Value = serde_json::from_slice(&std::fs::read(&config).unwrap()).unwrap();
    let before: Value = serde_json::from_slice(&kept).unwrap();
    assert_ne!(now["refresh_token"], before["refresh_token"]);
    // Two refreshes at the service: the one whose answer was cut, and the retry with the
    // same old refresh token.
    assert!(http_get(&format!("{base}/admin/stats")).contains("\"oauth2_refreshes\":2"));
    // What was kept works, with no refresh more.
    assert!(measures().status.success());
    assert!(http_get(&format!("{base}/admin/stats")).contains("\"oauth2_refreshes\":2"));
}

/// `wbs auth login --oauth2 --oob` for user 10 000 of a `wbs sim` child: the authorize
/// URL opened "elsewhere", the redirected URL pasted; the tokens land in `config`.
fn login_oauth2_oob(sim: &Sim, config: &std::path::Path) {
    let base = sim.info["base_url"].as_str().unwrap();
    let (mut child, url) = spawn_login(&[
        "--base-url",
        base,
        "--oauth-url",
        base,
        "--config",
        config.to_str().unwrap(),
        "--client-id",
        sim.info["client_id"].as_str().unwrap(),
        "--client-secret",
        sim.info["client_secret"].as_str().unwrap(),
        "auth",
        "login",
        "--oauth2",
        "--oob",
        "--redirect-uri",
        "http://127.0.0.1:9/cb",
    ]);
    let pasted = location(&http_get(&format!("{url}&userid=10000"))).unwrap();
    assert!(
        pasted.starts_with("http://127.0.0.1:9/cb?code="),
        "{pasted}"
    );
    writeln!(child.stdin.take().unwrap(), "{pasted}").unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}
