//! The client against the sandbox on 127.0.0.1.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::collections::HashSet;
use std::time::Duration;

use futures_util::StreamExt;
use wbs_hyper::{Client, Credentials, GetMeas, RetryPolicy, Status, SyncCursor, Timestamp, UserId};
use wbs_sim::{Fault, Faults, RunningSim, Sandbox, FIRST_GENERATED_USER};

fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 12,
        initial_backoff: Duration::from_millis(5),
        max_backoff: Duration::from_millis(50),
        max_total: Duration::from_secs(60),
        rate_limit_pause: Duration::from_millis(20),
    }
}

async fn sim_with(groups: u32, faults: Faults) -> (RunningSim, Client, UserId) {
    let mut sandbox = Sandbox::with_reference_data();
    let now = wbs_proto::wbs_oauth::unix_timestamp() as i64;
    if groups > 0 {
        sandbox.generate(1, groups, 11, now);
    }
    let sim = RunningSim::start_with_faults(sandbox, RunningSim::LOOPBACK, faults)
        .await
        .unwrap();
    let user = if groups > 0 {
        UserId::new(FIRST_GENERATED_USER)
    } else {
        UserId::new(29)
    };
    let (consumer, token) =
        sim.with(|s| (s.consumer().clone(), s.user(user).unwrap().token.clone()));
    let client = Client::builder(consumer, token)
        .base_url(sim.base_url())
        .request_timeout(Duration::from_millis(500))
        .retry(fast_retries())
        .build()
        .unwrap();
    (sim, client, user)
}

#[tokio::test]
async fn every_action() {
    let (_sim, client, user) = sim_with(0, Faults::none()).await;
    client.probe().await.unwrap();
    assert_eq!(
        client.user(user).await.unwrap()[0].lastname.as_deref(),
        Some("Doe")
    );
    let page = client.measures(&GetMeas::new(user)).await.unwrap();
    assert_eq!(page.page.measuregrps.len(), 2);
    let hook = "http://127.0.0.1:9/hook";
    client
        .subscribe(user, hook, "client test", None)
        .await
        .unwrap();
    assert_eq!(
        client.subscription(user, hook, None).await.unwrap().comment,
        "client test"
    );
    assert_eq!(client.subscriptions(user, None).await.unwrap().len(), 1);
    client.revoke(user, hook, None).await.unwrap();
    let err = client.revoke(user, hook, None).await.unwrap_err();
    assert_eq!(err.api_status(), Some(Status::SUBSCRIPTION_NOT_DELETED));
    assert!(!err.is_transient() && !err.is_decode());
    // Another user's data: the API's own refusal, kept apart from transport failures.
    let err = client.user(UserId::new(1229)).await.unwrap_err();
    assert_eq!(err.api_status(), Some(Status::CREDENTIALS_MISMATCH));
    // Refused before sending.
    assert!(client
        .subscribe(user, "ftp://x", "c", None)
        .await
        .unwrap_err()
        .is_invalid_request());
}

#[tokio::test]
async fn five_thousand_groups_stream_each_exactly_once() {
    let (_sim, client, user) = sim_with(5_000, Faults::none()).await;
    let mut seen = HashSet::new();
    let mut stream = std::pin::pin!(client.measures_all(GetMeas::new(user)));
    let mut last_date = Timestamp::from_secs(i64::MAX);
    while let Some(group) = stream.next().await {
        let group = group.unwrap();
        assert!(group.date <= last_date, "newest first");
        last_date = group.date;
        assert!(seen.insert(group.grpid), "{:?} twice", group.grpid);
    }
    assert_eq!(seen.len(), 5_000);
}

#[tokio::test]
async fn a_full_sync_survives_a_fifth_of_requests_failing() {
    let kinds = vec![
        Fault::Drop,
        Fault::Http503,
        Fault::Http500,
        Fault::Status2555,
        Fault::Truncate,
        Fault::RateLimit,
        Fault::Delay(Duration::from_secs(2)),
    ];
    let (sim, client, user) = sim_with(3_000, Faults::random(0.2, kinds, 3)).await;
    // Small pages, so that many requests meet faults.
    let mut pager_client_groups = HashSet::new();
    let mut stream = std::pin::pin!(client.measures_all(GetMeas::new(user).limit(200)));
    while let Some(group) = stream.next().await {
        assert!(pager_client_groups.insert(group.unwrap().grpid));
    }
    assert_eq!(pager_client_groups.len(), 3_000);
    // And an incremental sync returns exactly the sandbox's data.
    let synced = client.sync(&SyncCursor::new(user)).await.unwrap();
    let (groups, cursor) = (synced.groups, synced.cursor);
    let ids: HashSet<_> = groups.iter().map(|g| g.grpid).collect();
    assert_eq!((groups.len(), ids), (3_000, pager_client_groups));
    assert!(cursor.lastupdate.is_some());
    let again = client.sync(&cursor).await.unwrap().groups;
    assert!(again.is_empty(), "nothing changed since");
    drop(sim);
}

#[tokio::test]
async fn transport_failures_are_typed() {
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let client = Client::builder(Credentials::new("k", "s"), Credentials::new("t", "u"))
        .base_url(format!("http://{closed}"))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let err = client.probe().await.unwrap_err();
    assert!(err.is_connect() && err.is_transient(), "{err:?}");

    // The sandbox delays the first probe past a 500 ms timeout.
    let (sim, _, user) = sim_with(
        0,
        Faults::none().script("probe", 1, Fault::Delay(Duration::from_secs(3))),
    )
    .await;
    let (consumer, token) =
        sim.with(|s| (s.consumer().clone(), s.user(user).unwrap().token.clone()));
    let once = Client::builder(consumer, token)
        .base_url(sim.base_url())
        .request_timeout(Duration::from_millis(500))
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = once.probe().await.unwrap_err();
    assert!(err.is_timeout() && err.is_transient(), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "the client stopped at its own timeout"
    );
    // The next probe is not delayed.
    once.probe().await.unwrap();
}

#[tokio::test]
async fn state_changing_calls_are_retried_only_when_unprocessed() {
    let plan = Faults::none()
        .script("subscribe", 1, Fault::Http503)
        .script("subscribe", 2, Fault::RateLimit);
    let (_sim, client, user) = sim_with(0, plan).await;
    let hook = "http://127.0.0.1:9/retry";
    // 503 after sending: the subscription may or may not exist, so no blind retry.
    let err = client.subscribe(user, hook, "c", None).await.unwrap_err();
    assert!(matches!(
        err.response_error(),
        Some(wbs_proto::ResponseError::Http { status: 503, .. })
    ));
    // 601 means refused: retried after the pause, and it succeeds.
    client.subscribe(user, hook, "c", None).await.unwrap();
    assert_eq!(client.subscriptions(user, None).await.unwrap().len(), 1);
}
