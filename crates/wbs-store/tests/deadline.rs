//! A database that stops answering: PostgreSQL behind a relay on 127.0.0.1 that, told to,
//! holds every byte in both directions with its sockets open (a partition: no reset, no
//! close). Each call then fails with `Error::Timeout` at the store's deadline instead of
//! waiting without end, and the store works again once the relay passes bytes again.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wbs_proto::wbs_model::{Notification, Timestamp, UserId};
use wbs_store::{Error, Store};

/// A relay to `target` on 127.0.0.1; while `held` is set it passes nothing on (what it
/// has read waits, as a partition's segments wait for retransmission).
async fn relay(target: String, held: Arc<AtomicBool>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let server = TcpStream::connect(&target).await.unwrap();
            let (cr, cw) = client.into_split();
            let (sr, sw) = server.into_split();
            tokio::spawn(pass(cr, sw, held.clone()));
            tokio::spawn(pass(sr, cw, held.clone()));
        }
    });
    addr
}

async fn pass(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    held: Arc<AtomicBool>,
) {
    let mut buf = vec![0; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        while held.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

/// `url` with its `host:port` replaced by `addr`.
fn through(url: &str, addr: &str) -> (String, String) {
    let (scheme, rest) = url.split_once("://").unwrap();
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    let (user, host) = match authority.rsplit_once('@') {
        Some((user, host)) => (format!("{user}@"), host),
        None => (String::new(), authority),
    };
    (format!("{scheme}://{user}{addr}{path}"), host.to_owned())
}

#[test]
fn a_database_that_stops_answering_fails_each_call_at_the_deadline() {
    common::on_postgres("the call deadline", |url| async move {
        let db = common::fresh_postgres(&url, "deadline").await;
        let held = Arc::new(AtomicBool::new(false));
        let (_, target) = through(&db, "");
        let (proxied, _) = through(&db, &relay(target, held.clone()).await);
        let store = Store::open(&proxied)
            .await
            .unwrap()
            .with_deadline(Duration::from_secs(2));
        assert_eq!(store.deadline(), Duration::from_secs(2));
        let n = Notification {
            userid: UserId::new(7),
            startdate: Timestamp::from_secs(1_000),
            enddate: Timestamp::from_secs(2_000),
            appli: None,
        };
        store.enqueue(&n).await.unwrap();
        assert_eq!(store.queue_depth().await.unwrap(), 1);

        held.store(true, Ordering::SeqCst);
        let guard = Duration::from_secs(60); // a hang fails the test instead of stalling it
        for call in 0..3 {
            let depth = tokio::time::timeout(guard, store.queue_depth())
                .await
                .expect("a call waited past the deadline");
            assert!(
                matches!(depth, Err(Error::Timeout { after }) if after == Duration::from_secs(2)),
                "call {call}: {depth:?}"
            );
        }
        let claim = tokio::time::timeout(
            guard,
            store.claim("w", Duration::from_secs(30), Duration::from_secs(2)),
        )
        .await
        .expect("a claim waited past the deadline");
        assert!(matches!(claim, Err(Error::Timeout { .. })), "{claim:?}");

        // The partition heals: the store answers again (a connection left mid-call is
        // mended or replaced by the pool), and the queued notification is still there.
        held.store(false, Ordering::SeqCst);
        let mut depth = Err(Error::LeaseLost);
        for _ in 0..5 {
            depth = tokio::time::timeout(guard, store.queue_depth())
                .await
                .expect("no answer after the partition healed");
            if depth.is_ok() {
                break;
            }
        }
        assert_eq!(depth.unwrap(), 1);
        store.close().await;
    });
}
