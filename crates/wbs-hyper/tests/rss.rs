//! Streaming 200,000 groups keeps the client's peak RSS under 64 MB.
//!
//! The sandbox holding the history runs in a child process (this test binary again, with
//! `WBS_RSS_CHILD` set), so that only the client's memory is measured.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use futures_util::StreamExt;
use wbs_hyper::{Client, Credentials, GetMeas, UserId};

const GROUPS: u32 = 200_000;
const LIMIT_BYTES: u64 = 64 * 1024 * 1024;

/// The child: serve a sandbox with the history, print its URL and credentials, and wait
/// to be killed. Does nothing unless `WBS_RSS_CHILD` is set.
#[tokio::test]
async fn rss_sandbox_child() {
    if std::env::var_os("WBS_RSS_CHILD").is_none() {
        return;
    }
    let mut sandbox = wbs_sim::Sandbox::with_reference_data();
    sandbox.generate(1, GROUPS, 3, 1_700_000_000);
    let sim = wbs_sim::RunningSim::start(sandbox, wbs_sim::RunningSim::LOOPBACK)
        .await
        .unwrap();
    let user = UserId::new(wbs_sim::FIRST_GENERATED_USER);
    let (consumer, token) =
        sim.with(|s| (s.consumer().clone(), s.user(user).unwrap().token.clone()));
    println!(
        "WBS-SANDBOX {} {} {} {} {}",
        sim.base_url(),
        consumer.key,
        consumer.secret.expose(),
        token.key,
        token.secret.expose()
    );
    tokio::time::sleep(std::time::Duration::from_secs(600)).await;
}

fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[cfg(target_os = "linux")]
#[tokio::test]
async fn streaming_200k_groups_keeps_peak_rss_under_64_mb() {
    if std::env::var_os("WBS_RSS_CHILD").is_some() {
        return;
    }
    let child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "rss_sandbox_child",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("WBS_RSS_CHILD", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = Killed(child);
    let stdout = child.0.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    // libtest prints "test rss_sandbox_child ... " before the child's own output, on
    // the same line: look for the marker anywhere.
    let line = lines
        .find_map(|l| {
            l.ok()
                .and_then(|l| l.find("WBS-SANDBOX ").map(|at| l[at..].to_owned()))
        })
        .expect("the child sandbox started");
    let parts: Vec<&str> = line.split_whitespace().collect();
    let client = Client::builder(
        Credentials::new(parts[2], parts[3]),
        Credentials::new(parts[4], parts[5]),
    )
    .base_url(parts[1])
    .request_timeout(std::time::Duration::from_secs(60))
    .build()
    .unwrap();

    let mut count = 0u32;
    let mut stream = std::pin::pin!(
        client.measures_all(GetMeas::new(UserId::new(wbs_sim::FIRST_GENERATED_USER)))
    );
    while let Some(group) = stream.next().await {
        group.unwrap();
        count += 1;
    }
    assert_eq!(count, GROUPS);
    let peak = peak_rss_bytes().expect("VmHWM in /proc/self/status");
    eprintln!(
        "peak RSS while streaming {GROUPS} groups: {:.1} MB",
        peak as f64 / 1_048_576.0
    );
    assert!(peak < LIMIT_BYTES, "peak RSS {peak} bytes");
}
