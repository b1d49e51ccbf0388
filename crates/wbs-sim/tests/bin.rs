//! The `wbs-sim` binary prints one JSON line that is enough to call it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use serde_json::Value;
use wbs_proto::wbs_model::UserId;
use wbs_proto::wbs_oauth::Credentials;
use wbs_proto::{Call, GetMeas, Session};

mod common;
use common::{now, send};

struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_binary_prints_its_credentials_and_serves() {
    let child = Command::new(env!("CARGO_BIN_EXE_wbs-sim"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--users",
            "2",
            "--groups",
            "30",
            "--seed",
            "9",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut child = Killed(child);
    let mut line = String::new();
    BufReader::new(child.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let info: Value = serde_json::from_str(&line).unwrap();
    let base_url = info["base_url"].as_str().unwrap();
    assert!(base_url.starts_with("http://127.0.0.1:"));
    let users = info["users"].as_array().unwrap();
    assert_eq!(users.len(), 4, "the reference's two and two generated");
    let generated = users.iter().find(|u| u["userid"] == 10_001).unwrap();

    let session = Session::new(
        Credentials::new(
            info["consumer_key"].as_str().unwrap(),
            info["consumer_secret"].as_str().unwrap(),
        ),
        Credentials::new(
            generated["token"].as_str().unwrap(),
            generated["token_secret"].as_str().unwrap(),
        ),
    )
    .with_base_url(base_url)
    .unwrap();
    let request = session
        .request(&GetMeas::new(UserId::new(10_001)), "bin-test-nonce", now())
        .unwrap();
    let (status, body) = send(request).await;
    let page = GetMeas::decode(status, &body).unwrap().page;
    assert_eq!(page.measuregrps.len(), 30);
    // A weighing's fat mass and fat-free mass add up to its weight.
    for g in &page.measuregrps {
        let get = |t| g.get(t).map(|m| m.decimal());
        use wbs_proto::wbs_model::MeasureType as T;
        if let (Some(w), Some(fm), Some(ffm)) = (
            get(T::WEIGHT),
            get(T::FAT_MASS_WEIGHT),
            get(T::FAT_FREE_MASS),
        ) {
            assert_eq!(fm.checked_add(ffm).unwrap(), w);
        }
    }
}
