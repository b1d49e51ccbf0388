//! The notification listener over real sockets: idle and slow clients cannot block it, and
//! a 200 means the consumer took the notification.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use wbs_hyper::NotificationListener;

type Http = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

async fn post(client: &Http, url: &str, userid: u32) -> u16 {
    let request = hyper::Request::post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Full::new(Bytes::from(format!(
            "userid={userid}&startdate=1700000000&enddate=1700000001&appli=1"
        ))))
        .unwrap();
    match client.request(request).await {
        Ok(r) => r.status().as_u16(),
        Err(_) => 0,
    }
}

/// Takes every notification, pausing `pause` after each; counts what it took.
fn consume(
    notifications: impl futures_util::Stream<Item = wbs_hyper::Received> + Send + 'static,
    pause: Duration,
) -> Arc<AtomicU64> {
    let delivered = Arc::new(AtomicU64::new(0));
    let seen = delivered.clone();
    tokio::spawn(async move {
        let mut notifications = std::pin::pin!(notifications);
        while let Some(n) = notifications.next().await {
            assert!(n.is_ok());
            seen.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(pause).await;
        }
    });
    delivered
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_slow_clients_do_not_block_a_notification() {
    let (listener, notifications) =
        NotificationListener::bind("127.0.0.1:0".parse().unwrap(), "/wbs")
            .await
            .unwrap();
    let delivered = consume(notifications, Duration::ZERO);
    let mut idle = Vec::new();
    for _ in 0..64 {
        idle.push(TcpStream::connect(listener.addr()).await.unwrap());
    }
    let mut slow = TcpStream::connect(listener.addr()).await.unwrap();
    slow.write_all(b"POST /wbs HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let client: Http = Client::builder(TokioExecutor::new()).build_http();
    let started = Instant::now();
    let status = tokio::time::timeout(Duration::from_secs(2), post(&client, &listener.url(), 7))
        .await
        .expect("answered within 2 s");
    assert_eq!(status, 200);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(delivered.load(Ordering::SeqCst), 1);
    drop((idle, slow));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_200_is_a_delivered_notification() {
    let (listener, notifications) = NotificationListener::bind_with_ack_timeout(
        "127.0.0.1:0".parse().unwrap(),
        "/wbs",
        Duration::from_millis(20),
    )
    .await
    .unwrap();
    // A consumer slower than the senders.
    let delivered = consume(notifications, Duration::from_millis(2));
    let url = listener.url();
    let (ok, unavailable) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut senders = Vec::new();
    for s in 0..32u32 {
        let (url, ok, unavailable) = (url.clone(), ok.clone(), unavailable.clone());
        senders.push(tokio::spawn(async move {
            let client: Http = Client::builder(TokioExecutor::new()).build_http();
            for i in 0..10_000 / 32 + 1 {
                if s * (10_000 / 32 + 1) + i >= 10_000 {
                    break;
                }
                match post(&client, &url, s * 100_000 + i + 1).await {
                    200 => ok.fetch_add(1, Ordering::SeqCst),
                    503 => unavailable.fetch_add(1, Ordering::SeqCst),
                    other => panic!("answered {other}"),
                };
            }
        }));
    }
    for s in senders {
        s.await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (ok, unavailable) = (
        ok.load(Ordering::SeqCst),
        unavailable.load(Ordering::SeqCst),
    );
    assert_eq!(ok + unavailable, 10_000);
    assert!(
        ok > 0 && unavailable > 0,
        "{ok} acknowledged, {unavailable} refused"
    );
    assert_eq!(
        delivered.load(Ordering::SeqCst),
        ok,
        "acknowledged == delivered"
    );
}
