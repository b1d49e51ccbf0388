//! The notification round trip and the three-legged flow, against the sandbox.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;

use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::Full;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::TokioExecutor;
use wbs_hyper::{
    CallbackListener, Client, DeviceType, NotificationListener, OAuthDance, OAuthEndpoints, UserId,
};
use wbs_sim::{RunningSim, Sandbox};

async fn sandbox() -> RunningSim {
    RunningSim::start(Sandbox::with_reference_data(), RunningSim::LOOPBACK)
        .await
        .unwrap()
}

#[tokio::test]
async fn notification_round_trip() {
    let user = UserId::new(29);
    let (sim, client) = common::serve(Sandbox::with_reference_data(), user).await;
    let (listener, notifications) =
        NotificationListener::bind("127.0.0.1:0".parse().unwrap(), "/wbs/notify")
            .await
            .unwrap();
    client
        .subscribe(user, &listener.url(), "round trip", None)
        .await
        .unwrap();

    let group = wbs_testkit::weighing(4242, 1_700_001_000, 81_250);
    sim.with(|s| s.insert_group(user, group.clone(), DeviceType::BODY_SCALE, 1_700_001_001));

    // The listener's stream, followed by what each notification announces.
    let mut fetched = std::pin::pin!(wbs_hyper::fetch_each(client.clone(), notifications));
    let (n, groups) = tokio::time::timeout(Duration::from_secs(10), fetched.next())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (n.userid, n.startdate, n.enddate),
        (user, group.date, group.date)
    );
    let fetched = groups.unwrap();
    assert!(fetched.skipped.is_empty());
    let mut fetched = fetched.groups;
    // The sandbox adds what today's service always sends: when the group was stored.
    let stored = fetched[0].extra.take().unwrap();
    assert!(stored.created.is_some() && stored.modified.is_some());
    assert_eq!(fetched, vec![group]);
    assert_eq!(fetched[0].measures[0].quantity().to_string(), "81.25 kg");
}

#[tokio::test]
async fn the_listener_refuses_malformed_notifications_and_other_paths() {
    let (listener, notifications) =
        NotificationListener::bind("127.0.0.1:0".parse().unwrap(), "/n")
            .await
            .unwrap();
    let http: HyperClient<_, Full<Bytes>> = HyperClient::builder(TokioExecutor::new()).build_http();
    let post = |path: &str, body: &'static str| {
        wbs_proto::http::Request::post(format!("http://{}{path}", listener.addr()))
            .body(Full::new(Bytes::from_static(body.as_bytes())))
            .unwrap()
    };
    for (path, body, status) in [
        ("/n", "userid=x&startdate=1&enddate=2", 400),
        ("/elsewhere", "userid=1&startdate=1&enddate=2", 404),
    ] {
        let reply = http.request(post(path, body)).await.unwrap();
        assert_eq!(reply.status(), status, "{path} {body}");
    }
    // A valid one is answered 200 once the consumer takes it (so a consumer runs now).
    let consumer = tokio::spawn(async move {
        let mut notifications = std::pin::pin!(notifications);
        let first = notifications.next().await.unwrap();
        let second = notifications.next().await.unwrap();
        (first, second)
    });
    assert_eq!(
        http.request(post("/n", "userid=7&startdate=1&enddate=2&appli=1"))
            .await
            .unwrap()
            .status(),
        200
    );
    let (first, second) = consumer.await.unwrap();
    assert!(first.is_err(), "the malformed one is reported");
    assert_eq!(second.unwrap().userid, UserId::new(7));
}

#[tokio::test]
async fn the_three_legged_flow() {
    let sim = sandbox().await;
    let consumer = sim.with(|s| s.consumer().clone());
    let dance =
        OAuthDance::with_endpoints(consumer.clone(), OAuthEndpoints::under(&sim.base_url()))
            .unwrap();
    let callback = CallbackListener::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let request_token = dance.request_token(&callback.url()).await.unwrap();
    callback.expect_token(&request_token.key);
    let authorize = dance.authorize_url(&request_token).unwrap();

    // The user's browser: open the authorize URL, follow the redirect to the callback.
    // (On a blocking thread: the callback listener answers on this test's runtime.)
    let (redirect, landed) = tokio::task::spawn_blocking(move || {
        let redirect = wbs_testkit::send("GET", &authorize, None, wbs_testkit::Body::Untyped, "");
        let landed = wbs_testkit::location(&redirect)
            .map(|l| wbs_testkit::send("GET", &l, None, wbs_testkit::Body::Untyped, ""));
        (redirect, landed)
    })
    .await
    .unwrap();
    assert!(redirect.starts_with("HTTP/1.1 302"), "{redirect}");
    assert!(landed.unwrap().starts_with("HTTP/1.1 200"));

    let approved = callback
        .wait(std::time::Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(approved.token, request_token.key);
    let access = dance
        .access_token(&request_token, &approved.verifier)
        .await
        .unwrap();
    let (token, userid) = (access.token, access.userid);
    assert_eq!(userid, UserId::new(29));
    let client = Client::builder(consumer, token)
        .base_url(sim.base_url())
        .build()
        .unwrap();
    assert_eq!(
        client.user(userid).await.unwrap()[0].firstname.as_deref(),
        Some("John")
    );
    // A spent request token is refused as the service did.
    let err = dance
        .access_token(&request_token, &approved.verifier)
        .await
        .unwrap_err();
    assert_eq!(
        err.token_error(),
        Some(&wbs_hyper::TokenError::UnauthorizedToken)
    );
}

#[tokio::test]
async fn the_callback_listener_waits_past_strays_and_times_out() {
    let http: HyperClient<_, Full<Bytes>> = HyperClient::builder(TokioExecutor::new()).build_http();
    let get = |url: String| {
        let http = http.clone();
        async move {
            http.request(
                wbs_proto::http::Request::get(url)
                    .body(Full::new(Bytes::new()))
                    .unwrap(),
            )
            .await
            .unwrap()
            .status()
            .as_u16()
        }
    };
    let callback = CallbackListener::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    callback.expect_token("rt");
    let base = callback.url();
    let root = base.trim_end_matches(wbs_hyper::CALLBACK_PATH).to_owned();
    assert_eq!(get(format!("{root}/favicon.ico")).await, 404);
    assert_eq!(get(format!("{base}?oauth_token=rt")).await, 400);
    assert_eq!(
        get(format!("{base}?oauth_token=other&oauth_verifier=v")).await,
        400
    );
    assert_eq!(
        get(format!("{base}?oauth_token=rt&oauth_verifier=v&userid=29")).await,
        200
    );
    let approved = callback
        .wait(std::time::Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(
        (approved.token.as_str(), approved.verifier.as_str()),
        ("rt", "v")
    );

    let callback = CallbackListener::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let err = callback
        .wait(std::time::Duration::from_millis(50))
        .await
        .unwrap_err();
    assert!(err.is_timeout());
}
