//! The notification queue on SQLite (and PostgreSQL when `WBS_TEST_POSTGRES` names a
//! server): durable, one claim per user holding all its pending notifications, leases that
//! end, completion written with the groups or not at all, and workers racing for it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;

use common::rt;

use std::collections::HashMap;
use std::time::Duration;

use wbs_proto::wbs_model::{
    Attribution, Category, GroupId, Measure, MeasureGroup, MeasureType, Notification, Timestamp,
    UserId,
};
use wbs_store::{Claim, Error, HistoryQuery, Store, StoredToken};

fn note(user: i64, start: i64, end: i64) -> Notification {
    serde_json::from_value(
        serde_json::json!({"userid": user, "startdate": start, "enddate": end, "appli": 1}),
    )
    .unwrap()
}

fn group(id: i64) -> MeasureGroup {
    MeasureGroup::new(
        GroupId::new(id),
        Attribution::DEVICE,
        Timestamp::from_secs(id),
        Category::MEASURE,
        vec![Measure::new(MeasureType::WEIGHT, 80_000, -3)],
    )
}

fn token(secret: &str) -> StoredToken {
    StoredToken::OAuth1(wbs_proto::wbs_oauth::Credentials::new("k", secret))
}

/// Users whose credentials are kept (only they are claimed).
async fn with_credentials(store: &Store, users: impl IntoIterator<Item = i64>) {
    for u in users {
        store.save_token(UserId::new(u), &token("s")).await.unwrap();
    }
}

/// The queue's rules, for users `base..=base + 4` of a store of the caller's.
async fn claims_lease_coalesce_and_complete(store: &Store, base: i64) {
    let (a, b) = (base, base + 1);
    with_credentials(store, [a, b]).await;
    let before = store.queue_depth().await.unwrap();
    for (u, s, e) in [(a, 100, 200), (b, 10, 20), (a, 50, 60), (a, 300, 400)] {
        store.enqueue(&note(u, s, e)).await.unwrap();
    }
    assert_eq!(store.queue_depth().await.unwrap(), before + 4);
    // A repeat inside a pending window is already kept: the same entry, nothing written.
    assert_eq!(store.enqueue(&note(a, 100, 200)).await.unwrap(), None);
    assert_eq!(store.enqueue(&note(a, 120, 180)).await.unwrap(), None);
    assert_eq!(store.queue_depth().await.unwrap(), before + 4);
    let lease = Duration::from_secs(60);
    // Oldest first, all of that user's, the union of the windows.
    let one = claimed(store, "w1", lease).await;
    assert_eq!(one.userid, UserId::new(a));
    assert_eq!(one.ids.len(), 3);
    assert_eq!((one.startdate.secs(), one.enddate.secs()), (50, 400));
    let two = claimed(store, "w2", lease).await;
    assert_eq!((two.userid, two.ids.len()), (UserId::new(b), 1));
    // A new notification for a user under a live lease waits for it.
    store.enqueue(&note(a, 500, 500)).await.unwrap();
    assert_eq!(
        store.claim("w3", lease, Duration::ZERO).await.unwrap(),
        None
    );
    // Completed with its groups, in one transaction.
    store
        .complete(&one, &[group(150), group(350)], &[], None)
        .await
        .unwrap();
    let kept = store
        .groups(&HistoryQuery::new(UserId::new(a)))
        .await
        .unwrap();
    assert_eq!(kept.len(), 2);
    // A user fetched within the pause waits for it; the others do not.
    assert_eq!(
        store
            .claim("w3", lease, Duration::from_secs(3600))
            .await
            .unwrap(),
        None
    );
    // Now the new one is claimable; given back, it waits for its retry time.
    let three = claimed(store, "w3", lease).await;
    assert_eq!(
        (three.userid, three.ids.len(), three.attempts),
        (UserId::new(a), 1, 0)
    );
    store
        .release(&three, Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(
        store.claim("w4", lease, Duration::ZERO).await.unwrap(),
        None
    );
    // A lease lost (taken over after it ended): completing it writes nothing.
    store.release(&two, Duration::from_secs(0)).await.unwrap();
    let retaken = claimed(store, "w5", Duration::from_secs(1)).await;
    assert_eq!((retaken.userid, retaken.attempts), (UserId::new(b), 1));
    let stale = retaken.clone();
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let thief = claimed(store, "w6", lease).await;
    assert_eq!(thief.userid, UserId::new(b));
    assert!(matches!(
        store.complete(&stale, &[group(15)], &[], None).await,
        Err(Error::LeaseLost)
    ));
    assert!(store
        .groups(&HistoryQuery::new(UserId::new(b)))
        .await
        .unwrap()
        .is_empty());
    store
        .complete(&thief, &[group(15)], &[], None)
        .await
        .unwrap();
    assert_eq!(
        store
            .groups(&HistoryQuery::new(UserId::new(b)))
            .await
            .unwrap()
            .len(),
        1
    );

    // Credentials refused: the user's notifications wait until new ones are saved.
    let c = UserId::new(base + 2);
    store.save_token(c, &token("old")).await.unwrap();
    // Refused credentials that were replaced meanwhile are not marked.
    assert!(!store.mark_needs_reauth(c, &token("older")).await.unwrap());
    assert!(!store.users_needing_reauth().await.unwrap().contains(&c));
    assert!(store.mark_needs_reauth(c, &token("old")).await.unwrap());
    assert!(store.users_needing_reauth().await.unwrap().contains(&c));
    store.enqueue(&note(c.get(), 1, 2)).await.unwrap();
    assert_eq!(
        store.claim("w7", lease, Duration::ZERO).await.unwrap(),
        None
    );
    store.save_token(c, &token("new")).await.unwrap();
    assert!(!store.users_needing_reauth().await.unwrap().contains(&c));
    claim_and_complete(store, "w7", lease, c).await;

    // No credentials kept: the notification waits, kept, until there are.
    let d = UserId::new(base + 3);
    store.enqueue(&note(d.get(), 1, 2)).await.unwrap();
    assert_eq!(
        store.claim("w8", lease, Duration::ZERO).await.unwrap(),
        None
    );
    store.save_token(d, &token("s")).await.unwrap();
    claim_and_complete(store, "w8", lease, d).await;

    // A fetch that left malformed groups out: what it fetched is kept, and the
    // notification comes back, tried once more; a stale claim's retry writes nothing.
    let e = UserId::new(base + 4);
    store.save_token(e, &token("s")).await.unwrap();
    store.enqueue(&note(e.get(), 1, 2)).await.unwrap();
    let first = claimed(store, "w9", lease).await;
    assert_eq!((first.userid, first.attempts), (e, 0));
    store
        .complete_and_retry(&first, &[group(1)], &[], Duration::from_secs(1))
        .await
        .unwrap();
    assert!(matches!(
        store
            .complete_and_retry(&first, &[group(2)], &[], Duration::ZERO)
            .await,
        Err(Error::LeaseLost)
    ));
    let kept = store.groups(&HistoryQuery::new(e)).await.unwrap();
    assert_eq!(kept.len(), 1);
    // The wait holds the user: a notification inside the window is already covered, one
    // outside it waits too, and both are fetched with the retry.
    assert_eq!(store.enqueue(&note(e.get(), 1, 2)).await.unwrap(), None);
    let later = store
        .enqueue(&note(e.get(), 10, 20))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store.claim("w9", lease, Duration::ZERO).await.unwrap(),
        None
    );
    tokio::time::sleep(Duration::from_millis(2_100)).await;
    let again = claimed(store, "w9", lease).await;
    let mut ids = first.ids.clone();
    ids.push(later);
    assert_eq!((again.userid, &again.ids, again.attempts), (e, &ids, 1));
    assert_eq!((again.startdate.secs(), again.enddate.secs()), (1, 20));
    store.complete(&again, &[], &[], None).await.unwrap();
}

/// What `worker` claims (there must be something to claim).
async fn claimed(store: &Store, worker: &str, lease: Duration) -> Claim {
    store
        .claim(worker, lease, Duration::ZERO)
        .await
        .unwrap()
        .expect("a notification to claim")
}

/// `worker` claims the next notification, which must be `user`'s, and completes it.
async fn claim_and_complete(store: &Store, worker: &str, lease: Duration, user: UserId) {
    let claim = claimed(store, worker, lease).await;
    assert_eq!(claim.userid, user);
    store.complete(&claim, &[], &[], None).await.unwrap();
}

#[test]
fn the_queue_on_sqlite() {
    rt().block_on(async {
        let (dir, store) = wbs_testkit::temp_sqlite("q.sqlite").await;
        claims_lease_coalesce_and_complete(&store, 1).await;
        // Reopened: what was not done is still there (one notification, given back).
        store.close().await;
        let again = Store::open_sqlite(&dir.path().join("q.sqlite"))
            .await
            .unwrap();
        assert_eq!(again.queue_depth().await.unwrap(), 1);
    });
}

/// Four workers racing over 60 users' 300 notifications: every notification done once,
/// and never two claims on one user at a time.
#[test]
fn racing_workers_never_share_a_user() {
    rt().block_on(async {
        let (_dir, store) = wbs_testkit::temp_sqlite("r.sqlite").await;
        race(&[store.clone(), store], 4, 1).await;
    });
}

/// The same race on PostgreSQL, between two stores (two instances' pools) on one database
/// of its own, with new notifications arriving while they claim.
#[test]
fn racing_instances_never_share_a_user_on_postgres() {
    common::on_postgres("the PostgreSQL claim race", |url| async move {
        let url = common::fresh_postgres(&url, "claim_race").await;
        let (one, two) = (
            Store::open(&url).await.unwrap(),
            Store::open(&url).await.unwrap(),
        );
        race(&[one, two], 8, 1).await;
    });
}

/// `workers` workers over `stores` (taking turns) race through 300 notifications of 60
/// users (ids from `base`), half queued before they start and half while they run.
async fn race(stores: &[Store], workers: usize, base: i64) {
    let store = &stores[0];
    with_credentials(store, base..base + 60).await;
    for i in 0..150 {
        store.enqueue(&note(base + i % 60, i, i)).await.unwrap();
    }
    let late = {
        let store = store.clone();
        tokio::spawn(async move {
            for i in 150..300 {
                store.enqueue(&note(base + i % 60, i, i)).await.unwrap();
                tokio::task::yield_now().await;
            }
        })
    };
    {
        let busy = std::sync::Arc::new(std::sync::Mutex::new(HashMap::<UserId, String>::new()));
        let mut handles = Vec::new();
        for w in 0..workers {
            let (store, busy) = (stores[w % stores.len()].clone(), busy.clone());
            handles.push(tokio::spawn(async move {
                let owner = format!("w{w}");
                let mut done = 0;
                while let Some(claim) = store
                    .claim(&owner, Duration::from_secs(60), Duration::ZERO)
                    .await
                    .unwrap()
                {
                    let previous = busy.lock().unwrap().insert(claim.userid, owner.clone());
                    assert!(previous.is_none(), "two claims on user {}", claim.userid);
                    tokio::task::yield_now().await;
                    busy.lock().unwrap().remove(&claim.userid);
                    store.complete(&claim, &[], &[], None).await.unwrap();
                    done += claim.ids.len();
                }
                done
            }));
        }
        let mut total = 0;
        for h in handles {
            total += h.await.unwrap();
        }
        late.await.unwrap();
        // Workers that found nothing while the late ones came: one more pass takes the rest.
        while let Some(claim) = store
            .claim("last", Duration::from_secs(60), Duration::ZERO)
            .await
            .unwrap()
        {
            store.complete(&claim, &[], &[], None).await.unwrap();
            total += claim.ids.len();
        }
        assert_eq!(total, 300);
        assert_eq!(store.queue_depth().await.unwrap(), 0);
    }
}

#[test]
fn the_queue_on_postgres() {
    common::on_postgres("the PostgreSQL queue test", |url| async move {
        let store = Store::open(&url).await.unwrap();
        // A database of its own would be cleaner; users of this run's own, and a queue
        // emptied of them at the end, do.
        let base = 2_000_000 + 10 * i64::from(std::process::id());
        sqlx::query("DELETE FROM notifications WHERE done_at IS NULL")
            .execute(store.pool())
            .await
            .unwrap();
        claims_lease_coalesce_and_complete(&store, base).await;
        common::forget_users(&store, base).await;
    });
}
