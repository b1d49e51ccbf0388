//! What the `wbs` command's tests share: running it, a `wbs sim` child, raw HTTP.
#![allow(dead_code)] // each test file uses its part

use std::io::{BufRead, BufReader, Read, Write};
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
        vec![
            "--base-url".into(),
            self.info["base_url"].as_str().unwrap().into(),
            "--oauth-url".into(),
            self.info["base_url"].as_str().unwrap().into(),
            "--consumer-key".into(),
            self.info["consumer_key"].as_str().unwrap().into(),
            "--consumer-secret".into(),
            self.info["consumer_secret"].as_str().unwrap().into(),
            "--token".into(),
            user["token"].as_str().unwrap().into(),
            "--token-secret".into(),
            user["token_secret"].as_str().unwrap().into(),
        ]
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

/// A minimal HTTP/1.1 GET over a TcpStream (the tests need no HTTP client).
pub fn http_get(url: &str) -> String {
    http_request("GET", url)
}

pub fn http_request(method: &str, url: &str) -> String {
    http_send(method, url, "")
}

/// A request with a body, on a fresh connection; the whole reply.
pub fn http_send(method: &str, url: &str, body: &str) -> String {
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let mut s = TcpStream::connect(host).unwrap();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    reply
}

/// A request with an optional bearer token and a body, on a fresh connection, with
/// timeouts; the whole reply, or `None` if the connection failed (a server being killed).
pub fn try_http(method: &str, url: &str, bearer: Option<&str>, body: &str) -> Option<String> {
    use std::time::Duration;
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let addr: std::net::SocketAddr = host.parse().ok()?;
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(60))).ok()?;
    let auth = bearer
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut reply = String::new();
    s.read_to_string(&mut reply).ok()?;
    (!reply.is_empty()).then_some(reply)
}

/// A free TCP port on 127.0.0.1 (for a child that must be told where to listen).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
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

/// The `Location` of a redirect reply, if it has one.
pub fn location(reply: &str) -> Option<String> {
    reply.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("location")
            .then(|| value.trim().to_owned())
    })
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
