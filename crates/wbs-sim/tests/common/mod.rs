//! What the sandbox's tests share: the clock, nonces, and one request sent over real HTTP.
#![allow(dead_code)]

use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use wbs_proto::http::{self, StatusCode};

/// Now, in seconds since the epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A fresh nonce from the OS.
pub fn nonce() -> String {
    wbs_proto::wbs_oauth::random_nonce().unwrap()
}

/// Sends a request on a new connection: its status and whole body.
pub async fn send(request: http::Request<Vec<u8>>) -> (StatusCode, Vec<u8>) {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let response = client
        .request(request.map(|b| Full::new(Bytes::from(b))))
        .await
        .unwrap();
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, body.to_vec())
}
