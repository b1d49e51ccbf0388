//! The pipeline end to end on real sockets: the sandbox notifies the service's webhook for
//! many users; the service queues, claims, fetches with each user's credentials and
//! stores; once the queue drains the store equals the sandbox. A notification for a user
//! the service does not know costs nothing but its 200.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

/// The client's test helpers (a counted book of rate-limit slots).
#[path = "../../wbs-hyper/tests/common/mod.rs"]
mod client_common;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use wbs_hyper::{
    Attribution, Category, Client, DeviceType, GetMeas, GroupId, Measure, MeasureGroup,
    MeasureType, RateLimiter, Timestamp, UserId,
};
use wbs_service::{Running, Service};
use wbs_sim::{RunningSim, Sandbox};
use wbs_store::{HistoryQuery, Store, StoredToken};
use wbs_testkit::{free_addr, send, Body};

/// The reference data and `users` generated users with `groups` groups each.
async fn sandbox(users: u32, groups: u32, seed: u64) -> RunningSim {
    let mut sandbox = Sandbox::with_reference_data();
    sandbox.generate(users, groups, seed, 1_700_000_000);
    RunningSim::start(sandbox, RunningSim::LOOPBACK)
        .await
        .unwrap()
}

/// The application's client on the sandbox (no user of its own: each user's is made from
/// it), and the sandbox's consumer.
fn app_client(sim: &RunningSim) -> (wbs_hyper::Credentials, Client) {
    app_client_limited(sim, None)
}

/// As [`app_client`], with this rate limit.
fn app_client_limited(
    sim: &RunningSim,
    limit: Option<RateLimiter>,
) -> (wbs_hyper::Credentials, Client) {
    let consumer = sim.with(|s| s.consumer().clone());
    let mut builder = Client::builder(consumer.clone(), wbs_hyper::Credentials::new("", ""))
        .base_url(sim.base_url());
    if let Some(limit) = limit {
        builder = builder.rate_limit(limit);
    }
    (consumer, builder.build().unwrap())
}

/// User 10 000's access token.
fn user_token(sim: &RunningSim) -> wbs_hyper::Credentials {
    sim.with(|s| s.user(UserId::new(10_000)).unwrap().token.clone())
}

/// Waits until user 10 000 has `n` groups in the store; fails with `what` at `deadline`.
async fn wait_for_groups(store: &Store, n: u64, deadline: Instant, what: &str) {
    while store
        .count_groups(&HistoryQuery::new(UserId::new(10_000)))
        .await
        .unwrap()
        < n
    {
        assert!(Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A new SQLite store (and the directory it lives in).
async fn store() -> (tempfile::TempDir, Store) {
    wbs_testkit::temp_sqlite("service.sqlite").await
}

/// A form POST to the service; the whole reply.
fn post(addr: std::net::SocketAddr, path: &str, body: &str) -> String {
    let url = format!("http://{addr}{path}");
    send("POST", &url, None, Body::Form, body)
}

/// A GET of the service; the whole reply.
fn get(addr: std::net::SocketAddr, path: &str) -> String {
    request(addr, "GET", path, None, "")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_for_many_users_end_in_the_store_exactly() {
    let sim = sandbox(20, 0, 6).await;
    let users: Vec<(UserId, wbs_hyper::Credentials)> = sim.with(|s| {
        s.users()
            .filter(|u| u.user.id.get() >= 10_000)
            .map(|u| (u.user.id, u.token.clone()))
            .collect()
    });
    assert_eq!(users.len(), 20);
    let (_dir, store) = store().await;
    let consumer = sim.with(|s| s.consumer().clone());
    let client = Client::builder(consumer, users[0].1.clone())
        .base_url(sim.base_url())
        .rate_limit(RateLimiter::per_minute(60_000))
        .build()
        .unwrap();
    let running = Service::new(store.clone(), client.clone())
        .start("127.0.0.1:0".parse().unwrap(), 4)
        .await
        .unwrap();
    for (user, token) in &users {
        store
            .save_token(*user, &StoredToken::OAuth1(token.clone()))
            .await
            .unwrap();
        client
            .for_user(token.clone())
            .unwrap()
            .subscribe(*user, &running.notify_url(), "wbs-service test", None)
            .await
            .unwrap();
    }
    // 300 groups at random across the users, each notified by the sandbox.
    let mut rng = fastrand::Rng::with_seed(11);
    for k in 0..300i64 {
        let (user, _) = &users[rng.usize(..users.len())];
        let group = MeasureGroup::new(
            GroupId::new(50_000_000 + k),
            Attribution::DEVICE,
            Timestamp::from_secs(1_600_000_000 + rng.i64(0..10_000_000)),
            Category::MEASURE,
            vec![Measure::new(
                MeasureType::WEIGHT,
                rng.i64(50_000..120_000),
                -3,
            )],
        );
        let now = 1_700_000_000 + k;
        sim.with(|s| s.insert_group(*user, group, DeviceType::BODY_SCALE, now));
    }
    // A notification for a user the service does not know: a 200, nothing queued.
    let forged = post(
        running.addr(),
        "/notify",
        "userid=424242&startdate=1&enddate=2&appli=1",
    );
    assert!(forged.starts_with("HTTP/1.1 200"), "{forged}");
    assert!(post(running.addr(), "/notify", "userid=x").starts_with("HTTP/1.1 400"));

    // Drained: every group in the store.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut stored = 0;
    while Instant::now() < deadline {
        stored = 0;
        for (user, _) in &users {
            stored += store.count_groups(&HistoryQuery::new(*user)).await.unwrap();
        }
        if stored == 300 && store.queue_depth().await.unwrap() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(stored, 300);
    for (user, token) in &users {
        let theirs: Vec<MeasureGroup> = client
            .for_user(token.clone())
            .unwrap()
            .measures_all(GetMeas::new(*user))
            .map(|g| g.unwrap())
            .collect()
            .await;
        assert_eq!(
            store.groups(&HistoryQuery::new(*user)).await.unwrap(),
            theirs,
            "user {user}"
        );
    }
    assert!(get(running.addr(), "/healthz").starts_with("HTTP/1.1 200"));
    let metrics = get(running.addr(), "/metrics");
    assert!(metrics.contains("wbs_queue_depth 0"), "{metrics}");
    assert!(
        metrics.contains("wbs_notifications_total{outcome=\"unknown_user\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("# TYPE wbs_fetches_total counter"),
        "{metrics}"
    );
}

/// A request to the service with an optional bearer token; the whole reply.
fn request(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    auth: Option<&str>,
    body: &str,
) -> String {
    send(
        method,
        &format!("http://{addr}{path}"),
        auth,
        Body::Untyped,
        body,
    )
}

/// The service on a free port, with the admin token `s3cret-admin` and its public URL,
/// and the admin API's body that adds user 10 000 with `token`.
async fn with_admin(
    sim: &RunningSim,
    store: &Store,
    token: &wbs_hyper::Credentials,
) -> (Running, String) {
    let (_, client) = app_client(sim);
    let addr = free_addr();
    let running = Service::new(store.clone(), client)
        .admin_token(wbs_hyper::Secret::new("s3cret-admin"))
        .public_url(&format!("http://{addr}"))
        .start(addr, 2)
        .await
        .unwrap();
    let new_user = format!(
        r#"{{"userid":10000,"token":"{}","token_secret":"{}"}}"#,
        token.key,
        token.secret.expose()
    );
    (running, new_user)
}

/// The admin API's reply to adding a user (`new_user`, from [`with_admin`]).
fn add_user(running: &Running, new_user: &str) -> String {
    request(
        running.addr(),
        "POST",
        "/admin/users",
        Some("s3cret-admin"),
        new_user,
    )
}

/// The admin API: without the token (or with another), 401 and nothing else; with it, a
/// user added (subscribed, a first full sync queued and done), listed, and their history.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_admin_api_is_behind_its_token() {
    let sim = sandbox(1, 30, 8).await;
    let token = user_token(&sim);
    let (_dir, store) = store().await;
    let (running, new_user) = with_admin(&sim, &store, &token).await;
    for (method, path, auth, body) in [
        ("GET", "/admin/users", None, ""),
        ("GET", "/admin/users", Some("wrong"), ""),
        ("GET", "/admin/users/10000/history", None, ""),
        ("POST", "/admin/users", None, new_user.as_str()),
        (
            "POST",
            "/admin/users",
            Some("s3cret-admi"),
            new_user.as_str(),
        ),
    ] {
        let reply = request(running.addr(), method, path, auth, body);
        assert!(
            reply.starts_with("HTTP/1.1 401"),
            "{method} {path}: {reply}"
        );
        assert!(
            reply.ends_with("\r\n\r\n"),
            "a body came with the 401: {reply}"
        );
    }
    assert!(store.users().await.unwrap().is_empty(), "nothing was added");

    let reply = add_user(&running, &new_user);
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    let deadline = Instant::now() + Duration::from_secs(30);
    wait_for_groups(&store, 30, deadline, "the first sync did not finish").await;
    let users = request(
        running.addr(),
        "GET",
        "/admin/users",
        Some("s3cret-admin"),
        "",
    );
    assert!(
        users.ends_with(r#"[{"needs_reauth":false,"userid":10000}]"#),
        "{users}"
    );
    let history = request(
        running.addr(),
        "GET",
        "/admin/users/10000/history",
        Some("s3cret-admin"),
        "",
    );
    let body = history.split("\r\n\r\n").nth(1).unwrap();
    let groups: Vec<serde_json::Value> = serde_json::from_str(body).unwrap();
    assert_eq!(groups.len(), 30);
    // Subscribed to the service's webhook: a new group arrives through it.
    let (user, group) = (
        UserId::new(10_000),
        wbs_testkit::weighing(77_000_000, 1_650_000_000, 81_000),
    );
    sim.with(|s| s.insert_group(user, group, DeviceType::BODY_SCALE, 1_700_000_000));
    wait_for_groups(&store, 31, deadline, "the notified group did not arrive").await;
}

/// A user the service cannot subscribe (their 16 subscriptions are taken) still gets
/// their history: the first sync is queued whatever the subscription's outcome, and the
/// admin API says the subscription failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_subscription_still_brings_the_history() {
    let sim = sandbox(1, 12, 9).await;
    let token = user_token(&sim);
    let user = UserId::new(10_000);
    let consumer = sim.with(|s| s.consumer().clone());
    let theirs = Client::builder(consumer, token.clone())
        .base_url(sim.base_url())
        .build()
        .unwrap();
    for i in 0..16 {
        let url = format!("http://127.0.0.1:9/other-service/{i}");
        theirs
            .subscribe(user, &url, "another service", None)
            .await
            .unwrap();
    }
    let (_dir, store) = store().await;
    let (running, new_user) = with_admin(&sim, &store, &token).await;
    let reply = add_user(&running, &new_user);
    assert!(reply.starts_with("HTTP/1.1 502"), "{reply}");
    let deadline = Instant::now() + Duration::from_secs(30);
    wait_for_groups(&store, 12, deadline, "the history did not come").await;
}

/// A group the service sent malformed is kept pending and fetched again, backing off: once
/// the service sends it whole, it is stored and pending no more.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_group_is_fetched_again_until_it_comes_whole() {
    let sim = sandbox(1, 10, 12).await;
    let user = UserId::new(10_000);
    let broken = sim.with(|s| s.group_ids(user))[3];
    assert!(sim.with(|s| s.set_malformed(user, broken, true)));
    let (_dir, store) = store().await;
    store
        .save_token(user, &StoredToken::OAuth1(user_token(&sim)))
        .await
        .unwrap();
    let (_, client) = app_client(&sim);
    let running = Service::new(store.clone(), client)
        .start("127.0.0.1:0".parse().unwrap(), 2)
        .await
        .unwrap();
    let all = format!("userid=10000&startdate=0&enddate={}", u32::MAX);
    assert!(post(running.addr(), "/notify", &all).starts_with("HTTP/1.1 200"));
    let deadline = Instant::now() + Duration::from_secs(30);
    wait_for_groups(&store, 9, deadline, "the whole groups did not come").await;
    let pending = store.malformed(user).await.unwrap();
    assert_eq!(pending.len(), 1, "{pending:?}");
    sim.with(|s| s.set_malformed(user, broken, false));
    wait_for_groups(
        &store,
        10,
        deadline,
        "the mended group was not fetched again",
    )
    .await;
    while !store.malformed(user).await.unwrap().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the mended group is still pending"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(store.queue_depth().await.unwrap(), 0);
}

/// A GET of an absolute `http://` URL; the whole reply.
fn get_url(url: &str) -> String {
    send("GET", url, None, Body::Untyped, "")
}

/// A redirect's target.
fn location(reply: &str) -> String {
    wbs_testkit::location(reply).unwrap_or_else(|| panic!("no redirect: {reply}"))
}

/// The service on a free port, running the OAuth 1 login against the sandbox (with this
/// rate limit for all it sends).
async fn login_service(sim: &RunningSim, store: &Store, limit: Option<RateLimiter>) -> Running {
    let (consumer, client) = app_client_limited(sim, limit);
    let dance = wbs_hyper::OAuthDance::with_endpoints(
        consumer,
        wbs_hyper::OAuthEndpoints::under(&sim.base_url()),
    )
    .unwrap();
    let addr = free_addr();
    Service::new(store.clone(), client)
        .public_url(&format!("http://{addr}"))
        .oauth1_login(dance)
        .start(addr, 2)
        .await
        .unwrap()
}

/// `/connect` and `/callback` over HTTP: the user authorizes at the sandbox, comes back,
/// is kept, subscribed and synced; a forged callback is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_connects_through_the_service() {
    let sim = sandbox(1, 25, 9).await;
    let (_dir, store) = store().await;
    // Slots booked in this process, counted: every request the service sends books one.
    let book = Arc::new(client_common::CountedSlots::default());
    let limit = RateLimiter::shared(60_000, book.clone());
    let running = login_service(&sim, &store, Some(limit)).await;
    let addr = running.addr();
    let forged = get(
        running.addr(),
        "/callback?oauth_token=nope&oauth_verifier=v&userid=10000",
    );
    assert!(forged.starts_with("HTTP/1.1 400"), "{forged}");

    let authorize = location(&get(running.addr(), "/connect"));
    let back = location(&get_url(&format!("{authorize}&userid=10000")));
    assert!(
        back.starts_with(&format!("http://{addr}/callback?")),
        "{back}"
    );
    let done = get_url(&back);
    assert!(done.starts_with("HTTP/1.1 200"), "{done}");
    // The same callback again: the login is spent.
    assert!(get_url(&back).starts_with("HTTP/1.1 400"));
    let deadline = Instant::now() + Duration::from_secs(30);
    wait_for_groups(&store, 25, deadline, "the first sync did not finish").await;
    assert!(matches!(
        store.token(UserId::new(10_000)).await.unwrap(),
        Some(StoredToken::OAuth1(_))
    ));
    // The flow's token requests kept the consumer's limit with its API calls: each request
    // the sandbox saw but this test's own authorize page had booked its slot first.
    let seen = sim.requests_seen();
    let booked = book.booked.load(Ordering::Relaxed);
    assert!(
        seen >= 4,
        "request and access token, subscribe, getmeas: {seen}"
    );
    assert!(
        booked + 1 >= seen,
        "{booked} slots booked for {seen} requests"
    );
}

/// A callback whose access-token request fails on the way (the connection drops before
/// the sandbox reads it; then the service is busy) keeps the login: the user reloads the
/// page and is connected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_callback_lost_on_the_way_can_be_reloaded() {
    let mut sandbox = Sandbox::with_reference_data();
    sandbox.generate(1, 3, 9, 1_700_000_000);
    let faults = wbs_sim::Faults::none()
        .script("account/access_token", 1, wbs_sim::Fault::Drop)
        .script("account/access_token", 2, wbs_sim::Fault::Http503);
    let sim = RunningSim::start_with_faults(sandbox, RunningSim::LOOPBACK, faults)
        .await
        .unwrap();
    let (_dir, store) = store().await;
    let running = login_service(&sim, &store, None).await;
    let authorize = location(&get(running.addr(), "/connect"));
    let back = location(&get_url(&format!("{authorize}&userid=10000")));
    // Dropped, then a busy service (HTTP 503): each time the page says to reload.
    for _ in 0..2 {
        let lost = get_url(&back);
        assert!(lost.starts_with("HTTP/1.1 503"), "{lost}");
        assert!(lost.contains("reload this page"), "{lost}");
    }
    assert_eq!(store.token(UserId::new(10_000)).await.unwrap(), None);
    let done = get_url(&back);
    assert!(done.starts_with("HTTP/1.1 200"), "{done}");
    assert!(store.token(UserId::new(10_000)).await.unwrap().is_some());
}

/// Credentials the service refuses (a wrong secret: 342) are marked as needing a new
/// authorization, and the user's notification waits, kept; new credentials clear the mark
/// and the notification is fetched.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_credentials_wait_for_new_ones() {
    let sim = sandbox(1, 4, 5).await;
    let (_dir, store) = store().await;
    let (_, client) = app_client(&sim);
    let running = Service::new(store.clone(), client)
        .start(RunningSim::LOOPBACK, 2)
        .await
        .unwrap();
    let user = UserId::new(10_000);
    let good = user_token(&sim);
    let wrong = wbs_hyper::Credentials::new(good.key.clone(), "not-the-secret");
    store
        .save_token(user, &StoredToken::OAuth1(wrong))
        .await
        .unwrap();
    let body = "userid=10000&startdate=1000000000&enddate=2000000000";
    assert!(post(running.addr(), "/notify", body).starts_with("HTTP/1.1 200"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while !store.users_needing_reauth().await.unwrap().contains(&user) {
        assert!(
            Instant::now() < deadline,
            "the refused credentials were not marked"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        store.queue_depth().await.unwrap(),
        1,
        "the notification waits"
    );
    store
        .save_token(user, &StoredToken::OAuth1(good))
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    wait_for_groups(&store, 4, deadline, "the notification was not fetched").await;
}
