//! What the `wbs` command's tests share: running it, a `wbs sim` child, raw HTTP.
#![allow(dead_code)] // each test file uses its part

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

pub const WBS: &str = env!("CARGO_BIN_EXE_wbs");
pub const SECRETS: [&str; 2] = ["wbs-sandbox-consumer-secret", "wbs-sandbox-token-secret-29"];

pub fn assert_no_secret(o: &Output) {
    let (out, err) = text(o);
    for s in SECRETS {
        assert!(
            !out.contains(s) && !err.contains(s),
            "a secret was printed: {out}{err}"
        );
    }
}

pub fn wbs(args: &[&str]) -> Output {
    Command::new(WBS)
        .args(args)
        .env_remove("WBS_CONSUMER_SECRET")
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .env("XDG_DATA_HOME", "/nonexistent")
        .output()
        .unwrap()
}

pub fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Runs `wbs ARGS` quietly and SIGKILLs it after `after`; whether it had finished by then.
pub fn run_and_kill(args: &[&str], after: std::time::Duration) -> bool {
    let mut child = quiet(args);
    std::thread::sleep(after);
    let finished = child.try_wait().unwrap().is_some();
    child.kill().ok();
    child.wait().unwrap();
    finished
}

/// A `wbs sim` child and its JSON line.
pub struct Sim {
    pub child: Child,
    pub info: Value,
}

impl Sim {
    pub fn start(extra: &[&str]) -> Self {
        let mut child = Command::new(WBS)
            .arg("sim")
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        Self {
            child,
            info: serde_json::from_str(&line).unwrap(),
        }
    }

    /// Global options for a user of this sandbox.
    pub fn options(&self, userid: i64) -> Vec<String> {
        let user = self.info["users"]
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["userid"] == userid)
            .unwrap();
        let mut options = self.flags(&[
            ("--base-url", "base_url"),
            ("--oauth-url", "base_url"),
            ("--consumer-key", "consumer_key"),
            ("--consumer-secret", "consumer_secret"),
        ]);
        for (flag, key) in [("--token", "token"), ("--token-secret", "token_secret")] {
            options.extend([flag.to_owned(), user[key].as_str().unwrap().to_owned()]);
        }
        options
    }

    /// Each flag followed by the value of its key in the sandbox's JSON line.
    pub fn flags(&self, flags: &[(&str, &str)]) -> Vec<String> {
        flags
            .iter()
            .flat_map(|(flag, key)| {
                let value = self.info[*key]
                    .as_str()
                    .unwrap_or_else(|| panic!("no {key}"));
                [(*flag).to_owned(), value.to_owned()]
            })
            .collect()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn with(opts: &[String], args: &[&str]) -> Output {
    let mut all: Vec<&str> = opts.iter().map(String::as_str).collect();
    all.extend_from_slice(args);
    wbs(&all)
}

// Each test binary uses some of them.
#[allow(unused_imports)]
pub use wbs_testkit::{free_port, location, try_send as try_http};

/// A GET on a fresh connection; the whole reply.
pub fn http_get(url: &str) -> String {
    http_request("GET", url)
}

/// A request with no body on a fresh connection; the whole reply.
pub fn http_request(method: &str, url: &str) -> String {
    http_send(method, url, "")
}

/// A request with a body, on a fresh connection; the whole reply.
pub fn http_send(method: &str, url: &str, body: &str) -> String {
    wbs_testkit::send(method, url, None, wbs_testkit::Body::Untyped, body)
}

/// `wbs ARGS` as a quiet child process, once it accepts connections on `port`.
pub fn spawn_listening<S: AsRef<std::ffi::OsStr>>(args: &[S], port: u16) -> Child {
    let child = quiet(args);
    wait_listening(port, std::time::Duration::from_secs(30), || {
        format!("wbs {:?}", args.first().map(|a| a.as_ref().to_owned()))
    });
    child
}

/// Waits until something accepts connections on 127.0.0.1:`port`; fails the test, naming
/// `what`, after `within`.
pub fn wait_listening(port: u16, within: std::time::Duration, what: impl Fn() -> String) {
    let deadline = std::time::Instant::now() + within;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "{} did not start",
            what()
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// `wbs ARGS` as a child with no output and no configuration or data of the user's.
pub fn quiet<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Child {
    Command::new(WBS)
        .args(args)
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .env("XDG_DATA_HOME", "/nonexistent")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// The length of the JSON array a command printed.
pub fn json_len(stdout: &[u8]) -> usize {
    serde_json::from_slice::<Value>(stdout)
        .unwrap()
        .as_array()
        .unwrap()
        .len()
}
