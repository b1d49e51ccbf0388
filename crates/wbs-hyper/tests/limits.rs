//! A server that streams an endless answer: the client stops at its body limit with an
//! error naming the limit, having read about that much and no more.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wbs_hyper::{Client, Credentials, RetryPolicy};

#[tokio::test]
async fn an_endless_body_stops_at_the_limit() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let written = Arc::new(AtomicU64::new(0));
    let counter = written.clone();
    tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).await.unwrap_or(0) == 1 {
            head.push(byte[0]);
        }
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n")
            .await;
        let chunk = format!("10000\r\n{}\r\n", "x".repeat(0x10000));
        // Bounded: at most 1 GiB, or until the client hangs up.
        for _ in 0..16_384 {
            if stream.write_all(chunk.as_bytes()).await.is_err() {
                return;
            }
            counter.fetch_add(0x10000, Ordering::Relaxed);
        }
    });
    let client = Client::builder(Credentials::new("ck", "cs"), Credentials::new("tk", "ts"))
        .base_url(format!("http://{addr}"))
        .max_body(1 << 20)
        .request_timeout(Duration::from_secs(30))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let err = client.probe().await.unwrap_err();
    assert_eq!(err.body_limit(), Some(1 << 20), "{err}");
    assert!(err.to_string().contains("1048576 bytes"), "{err}");
    assert!(!err.is_transient());
    // The client hung up soon after the limit: the server could not push much more
    // (socket buffers hold a few MiB at most).
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = written.load(Ordering::Relaxed);
    assert!(sent < 64 << 20, "the server wrote {sent} bytes");
}
