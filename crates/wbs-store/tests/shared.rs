//! What instances share through the store besides the queue, on SQLite and PostgreSQL:
//! rate-limit slots booked one after another, and logins waiting for their callback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;

use common::rt;

use std::time::Duration;

use wbs_proto::wbs_oauth::Credentials;
use wbs_store::Store;

async fn slots_and_logins(stores: [Store; 2]) {
    // Twenty slots a second apart, booked at once through two pools: distinct, spaced by
    // the interval less the time between two bookings (more by the few milliseconds a
    // booking that started first waited for one that took the row before it).
    let mut booked = Vec::new();
    for i in 0..20 {
        let store = stores[i % 2].clone();
        booked.push(tokio::spawn(async move {
            store
                .book_slot("app", Duration::from_secs(1))
                .await
                .unwrap()
        }));
    }
    let mut waits = Vec::new();
    for b in booked {
        waits.push(b.await.unwrap());
    }
    waits.sort();
    assert!(waits[0] < Duration::from_millis(500), "{waits:?}");
    for pair in waits.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap > Duration::from_millis(500) && gap <= Duration::from_millis(1050),
            "{waits:?}"
        );
    }
    // Another consumer's slots are its own.
    assert!(
        stores[0]
            .book_slot("other", Duration::from_secs(1))
            .await
            .unwrap()
            < Duration::from_millis(500)
    );
    // After a 601: nothing before the pause ends.
    stores[1]
        .hold_slots("other", Duration::from_secs(120))
        .await
        .unwrap();
    let wait = stores[0]
        .book_slot("other", Duration::from_secs(1))
        .await
        .unwrap();
    assert!(
        wait > Duration::from_secs(110) && wait <= Duration::from_secs(120),
        "{wait:?}"
    );

    // A login kept by one instance is taken by the other, once.
    let ttl = Duration::from_secs(600);
    let token = Credentials::new("request-token", "request-secret");
    assert!(stores[0].keep_login(&token, 2, ttl).await.unwrap());
    assert_eq!(
        stores[1].take_login("request-token", ttl).await.unwrap(),
        Some(token.clone())
    );
    assert_eq!(
        stores[0].take_login("request-token", ttl).await.unwrap(),
        None
    );
    assert_eq!(
        stores[0].take_login("never-asked", ttl).await.unwrap(),
        None
    );
    // Bounded: with two waiting, a third is refused and nothing is kept.
    for key in ["a", "b"] {
        assert!(stores[0]
            .keep_login(&Credentials::new(key, "s"), 2, ttl)
            .await
            .unwrap());
    }
    assert!(!stores[1]
        .keep_login(&Credentials::new("c", "s"), 2, ttl)
        .await
        .unwrap());
    assert_eq!(stores[1].take_login("c", ttl).await.unwrap(), None);
    // Expired: not given.
    assert_eq!(
        stores[1].take_login("a", Duration::ZERO).await.unwrap(),
        None
    );
    // A refused login still deletes the expired ones: "old" is 2 s old, "b" and "fresh"
    // are new, and at most two may wait.
    stores[0].take_login("b", ttl).await.unwrap();
    assert!(stores[0]
        .keep_login(&Credentials::new("old", "s"), 2, ttl)
        .await
        .unwrap());
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    for key in ["b", "fresh"] {
        assert!(stores[0]
            .keep_login(&Credentials::new(key, "s"), 3, ttl)
            .await
            .unwrap());
    }
    let two_seconds = Duration::from_secs(2);
    assert_eq!(stores[1].logins_waiting(ttl).await.unwrap(), 3);
    assert_eq!(stores[1].logins_waiting(two_seconds).await.unwrap(), 2);
    assert!(!stores[1]
        .keep_login(&Credentials::new("d", "s"), 2, two_seconds)
        .await
        .unwrap());
    assert_eq!(stores[1].take_login("old", ttl).await.unwrap(), None);
    assert!(stores[1].take_login("fresh", ttl).await.unwrap().is_some());
    // Exact when instances keep logins at once: twenty through both pools, with room for
    // five, keep five.
    let waiting = stores[0].logins_waiting(ttl).await.unwrap();
    let mut keeping = Vec::new();
    for i in 0..20 {
        let store = stores[i % 2].clone();
        keeping.push(tokio::spawn(async move {
            let token = Credentials::new(format!("at-once-{i}"), "s");
            store.keep_login(&token, waiting + 5, ttl).await.unwrap()
        }));
    }
    let mut kept = 0;
    for k in keeping {
        kept += u64::from(k.await.unwrap());
    }
    assert_eq!(kept, 5);
    assert_eq!(stores[1].logins_waiting(ttl).await.unwrap(), waiting + 5);
}

#[test]
fn shared_state_on_sqlite() {
    rt().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        let one = Store::open_sqlite(&path).await.unwrap();
        let two = Store::open_sqlite(&path).await.unwrap();
        slots_and_logins([one, two]).await;
    });
}

#[test]
fn shared_state_on_postgres() {
    common::on_postgres("the PostgreSQL shared-state test", |url| async move {
        let url = common::fresh_postgres(&url, "shared_state").await;
        let one = Store::open(&url).await.unwrap();
        let two = Store::open(&url).await.unwrap();
        slots_and_logins([one, two]).await;
    });
}
