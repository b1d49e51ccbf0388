//! The sandbox over real HTTP on 127.0.0.1: every action in every placement, and every way
//! a request is refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use wbs_proto::http::{self, header, StatusCode};
use wbs_proto::wbs_model::{
    Attribution, Category, DeviceType, GroupId, Measure, MeasureGroup, MeasureType, Status,
    Timestamp, UserId,
};
use wbs_proto::wbs_oauth::{Credentials, OAuthParams, Placement, Signer};
use wbs_proto::{
    Call, GetMeas, GetSubscription, GetUser, HttpMethod, ListSubscriptions, MeasurePager, Probe,
    ResponseError, Revoke, Session, Subscribe,
};
use wbs_sim::{RunningSim, Sandbox};

mod common;
use common::{nonce, now, send};

async fn start() -> RunningSim {
    RunningSim::start(Sandbox::with_reference_data(), RunningSim::LOOPBACK)
        .await
        .unwrap()
}

fn session(sim: &RunningSim, userid: i64) -> Session {
    let (consumer, token) = sim.with(|s| {
        (
            s.consumer().clone(),
            s.user(UserId::new(userid)).unwrap().token.clone(),
        )
    });
    Session::new(consumer, token)
        .with_base_url(&sim.base_url())
        .unwrap()
}

async fn call<C: Call>(session: &Session, c: &C) -> Result<C::Output, ResponseError> {
    let (status, body) = send(session.request(c, &nonce(), now()).unwrap()).await;
    C::decode(status, &body)
}

/// The user `userid` as the session reads it (getbyuserid's first user).
async fn user(session: &Session, userid: i64) -> Result<wbs_proto::wbs_model::User, ResponseError> {
    let mut users = call(
        session,
        &GetUser {
            userid: UserId::new(userid),
        },
    )
    .await?;
    assert_eq!(users.len(), 1, "one user per id");
    Ok(users.remove(0))
}

fn callback(n: usize) -> String {
    format!("http://127.0.0.1:9/hook/{n}")
}

#[tokio::test]
async fn every_action_succeeds_in_every_placement() {
    let sim = start().await;
    for method in [HttpMethod::Get, HttpMethod::Post] {
        let s = session(&sim, 29).with_method(method);
        call(&s, &Probe).await.unwrap();
        assert_eq!(
            user(&s, 29).await.unwrap().firstname.as_deref(),
            Some("John")
        );
        let page = call(&s, &GetMeas::new(UserId::new(29))).await.unwrap().page;
        let shown: Vec<String> = page.measures().map(|m| m.quantity().to_string()).collect();
        let mut sorted = shown.clone();
        sorted.sort();
        assert_eq!(
            sorted,
            ["1.73 m", "14.125 kg", "17.8 %", "65.2 kg", "79.3 kg"]
        );
        let sub = Subscribe {
            userid: UserId::new(29),
            callbackurl: callback(1),
            comment: "sandbox".into(),
            appli: None,
        };
        call(&s, &sub).await.unwrap();
        let got = call(
            &s,
            &GetSubscription {
                userid: UserId::new(29),
                callbackurl: callback(1),
                appli: None,
            },
        )
        .await
        .unwrap();
        assert_eq!(
            (got.expires, got.comment.as_str()),
            (Timestamp::from_secs(2_147_483_647), "sandbox")
        );
        // How many subscriptions user 29 has.
        let listed = || async {
            let all = ListSubscriptions {
                userid: UserId::new(29),
                appli: None,
            };
            call(&s, &all).await.unwrap().len()
        };
        assert_eq!(listed().await, 1);
        call(
            &s,
            &Revoke {
                userid: UserId::new(29),
                callbackurl: callback(1),
                appli: None,
            },
        )
        .await
        .unwrap();
        assert_eq!(listed().await, 0);
    }
    // The Authorization header placement.
    let (consumer, token) = sim.with(|s| {
        (
            s.consumer().clone(),
            s.user(UserId::new(29)).unwrap().token.clone(),
        )
    });
    let url = format!("{}/measure", sim.base_url());
    let ts = now().to_string();
    let n = nonce();
    let signed = Signer::hmac_sha1(&consumer.secret, Some(&token.secret))
        .sign(
            "GET",
            &url,
            &[("action", "getmeas"), ("userid", "29")],
            &OAuthParams::new(&consumer.key, &n, &ts).token(&token.key),
        )
        .unwrap();
    let rendered = signed.render(Placement::Header { realm: Some("WBS") });
    let request = http::Request::get(rendered.url)
        .header(header::AUTHORIZATION, rendered.authorization.unwrap())
        .body(Vec::new())
        .unwrap();
    let (status, body) = send(request).await;
    assert_eq!(
        GetMeas::decode(status, &body)
            .unwrap()
            .page
            .measuregrps
            .len(),
        2
    );
}

#[tokio::test]
async fn changing_any_signed_parameter_gives_342() {
    let sim = start().await;
    let s = session(&sim, 29);
    let request = s
        .request(
            &GetMeas::new(UserId::new(29))
                .startdate(Timestamp::from_secs(1))
                .limit(5),
            &nonce(),
            now(),
        )
        .unwrap();
    let uri = request.uri().to_string();
    let (base, query) = uri.split_once('?').unwrap();
    let pairs: Vec<&str> = query.split('&').collect();
    for (i, pair) in pairs.iter().enumerate() {
        let (name, value) = pair.split_once('=').unwrap();
        if name == "oauth_signature" {
            continue;
        }
        let mut changed = pairs.clone();
        let altered = format!(
            "{name}={}",
            if value.ends_with('1') {
                format!("{value}2")
            } else {
                format!("{value}1")
            }
        );
        changed[i] = &altered;
        let tampered = http::Request::get(format!("{base}?{}", changed.join("&")))
            .body(Vec::new())
            .unwrap();
        let (status, body) = send(tampered).await;
        let err = GetMeas::decode(status, &body).unwrap_err();
        let expected = if name == "oauth_consumer_key" || name == "oauth_token" {
            Status::CREDENTIALS_MISMATCH
        } else {
            Status::INVALID_SIGNATURE
        };
        assert_eq!(err, ResponseError::Api(expected), "{name}");
    }
    // The untouched request still works, once.
    let (status, body) = send(http::Request::get(uri.clone()).body(Vec::new()).unwrap()).await;
    GetMeas::decode(status, &body).unwrap();
    let (status, body) = send(http::Request::get(uri).body(Vec::new()).unwrap()).await;
    assert_eq!(
        GetMeas::decode(status, &body),
        Err(ResponseError::Api(Status::INVALID_SIGNATURE)),
        "a replay"
    );
}

#[tokio::test]
async fn wrong_credentials_window_and_userid() {
    let sim = start().await;
    let consumer = sim.with(|s| s.consumer().clone());
    let stranger = Session::new(consumer.clone(), Credentials::new("no-such-token", "x"))
        .with_base_url(&sim.base_url())
        .unwrap();
    assert_eq!(
        call(&stranger, &Probe).await,
        Err(ResponseError::Api(Status::CREDENTIALS_MISMATCH))
    );
    let token = sim.with(|s| s.user(UserId::new(29)).unwrap().token.clone());
    let bad_secret = Session::new(
        consumer.clone(),
        Credentials::new(token.key.clone(), "wrong"),
    )
    .with_base_url(&sim.base_url())
    .unwrap();
    assert_eq!(
        call(&bad_secret, &Probe).await,
        Err(ResponseError::Api(Status::INVALID_SIGNATURE))
    );
    let other_app = Session::new(Credentials::new("other-app", "x"), token)
        .with_base_url(&sim.base_url())
        .unwrap();
    assert_eq!(
        call(&other_app, &Probe).await,
        Err(ResponseError::Api(Status::CREDENTIALS_MISMATCH))
    );
    let s = session(&sim, 29);
    let stale = s.request(&Probe, &nonce(), now() - 3_600).unwrap();
    let (status, body) = send(stale).await;
    assert_eq!(
        Probe::decode(status, &body),
        Err(ResponseError::Api(Status::INVALID_SIGNATURE))
    );
    // Another user's data with this user's token: 250; no userid: 247.
    assert_eq!(
        user(&s, 1229).await.map(|_| ()),
        Err(ResponseError::Api(Status::CREDENTIALS_MISMATCH))
    );
    assert!(call(&s, &GetMeas::new(UserId::new(29))).await.is_ok());
}

#[tokio::test]
async fn subscription_status_codes() {
    let sim = start().await;
    let s = session(&sim, 1229);
    let user = UserId::new(1229);
    for n in 0..16 {
        let sub = Subscribe {
            userid: user,
            callbackurl: callback(n),
            comment: format!("hook {n}"),
            appli: None,
        };
        call(&s, &sub).await.unwrap();
    }
    let seventeenth = Subscribe {
        userid: user,
        callbackurl: callback(16),
        comment: "one too many".into(),
        appli: None,
    };
    assert_eq!(
        call(&s, &seventeenth).await,
        Err(ResponseError::Api(Status::TOO_MANY_NOTIFICATIONS))
    );
    // Re-subscribing an existing URL updates it rather than counting again.
    let again = Subscribe {
        userid: user,
        callbackurl: callback(3),
        comment: "renamed".into(),
        appli: None,
    };
    call(&s, &again).await.unwrap();
    assert_eq!(
        call(
            &s,
            &GetSubscription {
                userid: user,
                callbackurl: callback(3),
                appli: None
            }
        )
        .await
        .unwrap()
        .comment,
        "renamed"
    );
    // A URL never subscribed: not found, and not deleted.
    let missing = GetSubscription {
        userid: user,
        callbackurl: callback(99),
        appli: None,
    };
    let revoke = Revoke {
        userid: missing.userid,
        callbackurl: missing.callbackurl.clone(),
        appli: missing.appli,
    };
    assert_eq!(
        call(&s, &missing).await,
        Err(ResponseError::Api(Status::NO_SUCH_SUBSCRIPTION))
    );
    assert_eq!(
        call(&s, &revoke).await,
        Err(ResponseError::Api(Status::SUBSCRIPTION_NOT_DELETED))
    );
    // The sandbox enforces the rules too, for clients that do not validate first.
    let (consumer, token) =
        sim.with(|s| (s.consumer().clone(), s.user(user).unwrap().token.clone()));
    for (params, expected) in [
        (
            vec![("callbackurl", "ftp://x/y"), ("comment", "c")],
            Status::INVALID_CALLBACK_URL,
        ),
        (vec![("comment", "c")], Status::INVALID_CALLBACK_URL),
        (
            vec![("callbackurl", "http://127.0.0.1:9/x"), ("comment", " ")],
            Status::INVALID_COMMENT,
        ),
    ] {
        let url = format!("{}/notify", sim.base_url());
        let ts = now().to_string();
        let n = nonce();
        let mut all = vec![("action", "subscribe"), ("userid", "1229")];
        all.extend(params);
        let signed = Signer::hmac_sha1(&consumer.secret, Some(&token.secret))
            .sign(
                "GET",
                &url,
                &all,
                &OAuthParams::new(&consumer.key, &n, &ts).token(&token.key),
            )
            .unwrap();
        let (status, body) = send(
            http::Request::get(signed.query_url())
                .body(Vec::new())
                .unwrap(),
        )
        .await;
        assert_eq!(
            Subscribe::decode(status, &body),
            Err(ResponseError::Api(expected))
        );
    }
}

#[tokio::test]
async fn the_pager_reads_a_long_history_exactly_once() {
    let sim = start().await;
    sim.with(|s| {
        for i in 0..5_000i64 {
            let g = MeasureGroup::new(
                GroupId::new(10_000 + i),
                Attribution::DEVICE,
                Timestamp::from_secs(1_600_000_000 + i * 3_600),
                Category::MEASURE,
                vec![Measure::new(MeasureType::WEIGHT, 70_000 + i % 500, -3)],
            );
            assert!(s.insert_group(UserId::new(29), g, DeviceType::BODY_SCALE, 1_700_000_000));
        }
    });
    let s = session(&sim, 29);
    let mut pager = MeasurePager::new(GetMeas::new(UserId::new(29)));
    let mut seen = std::collections::HashSet::new();
    let mut requests = 0;
    while let Some(c) = pager.next_call() {
        requests += 1;
        let (status, body) = send(s.request(&c, &nonce(), now()).unwrap()).await;
        for g in pager.handle_response(status, &body).unwrap() {
            assert!(seen.insert(g.grpid), "{:?} twice", g.grpid);
        }
    }
    assert_eq!(seen.len(), 5_002);
    assert_eq!(requests, 3, "2048 a page, overlapping by one");
    // The reference's paging fields: a limited page says how many remain and where next.
    let page = call(&s, &GetMeas::new(UserId::new(29)).limit(100).offset(4_900))
        .await
        .unwrap()
        .page;
    assert_eq!(page.measuregrps.len(), 100);
    assert_eq!((page.more.remaining(), page.offset), (Some(2), Some(5_000)));
}

#[tokio::test]
async fn the_server_listens_on_loopback_only() {
    let err = RunningSim::start(Sandbox::with_reference_data(), "0.0.0.0:0".parse().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
}

/// A one-shot local listener that records the POSTs it receives.
async fn listener() -> (String, tokio::sync::mpsc::Receiver<(String, String)>) {
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/wbs-notify", tcp.local_addr().unwrap());
    let (tx, rx) = tokio::sync::mpsc::channel(16);
    tokio::spawn(async move {
        loop {
            let (stream, _) = tcp.accept().await.unwrap();
            let tx = tx.clone();
            tokio::spawn(async move {
                let service = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let tx = tx.clone();
                    async move {
                        let path = req.uri().path().to_owned();
                        let body = req.into_body().collect().await.unwrap().to_bytes();
                        tx.send((path, String::from_utf8(body.to_vec()).unwrap()))
                            .await
                            .unwrap();
                        Ok::<_, std::convert::Infallible>(http::Response::new(Full::new(
                            Bytes::new(),
                        )))
                    }
                });
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (url, rx)
}

#[tokio::test]
async fn a_new_group_notifies_the_subscriber() {
    let sim = start().await;
    let (url, mut received) = listener().await;
    let s = session(&sim, 29);
    call(
        &s,
        &Subscribe {
            userid: UserId::new(29),
            callbackurl: url,
            comment: "local".into(),
            appli: None,
        },
    )
    .await
    .unwrap();

    // Through the library API …
    let (user, group) = (
        UserId::new(29),
        wbs_testkit::weighing(77, 1_700_000_123, 80_100),
    );
    sim.with(|s| s.insert_group(user, group, DeviceType::BODY_SCALE, 1_700_000_200));
    let (path, body) = tokio::time::timeout(std::time::Duration::from_secs(10), received.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(path, "/wbs-notify");
    // Counted as delivered once the listener has answered.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while sim.notifications().0 != 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "{:?}",
            sim.notifications()
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let n = wbs_proto::parse_notification(None, body.as_bytes()).unwrap();
    assert_eq!(
        (n.userid, n.startdate, n.enddate),
        (
            UserId::new(29),
            Timestamp::from_secs(1_700_000_123),
            Timestamp::from_secs(1_700_000_123)
        )
    );
    // … and the notification leads to the group.
    let page = call(&s, &GetMeas::for_notification(&n)).await.unwrap().page;
    assert_eq!(
        page.measuregrps
            .iter()
            .map(|g| g.grpid.get())
            .collect::<Vec<_>>(),
        [77]
    );

    // Through the admin path: a blood-pressure group does not concern an appli=1 subscriber;
    // a weight group does.
    let admin = |group: serde_json::Value, devtype: i64| {
        http::Request::post(format!("{}/admin/groups", sim.base_url()))
            .body(
                serde_json::to_vec(
                    &serde_json::json!({"userid": 29, "devtype": devtype, "group": group}),
                )
                .unwrap(),
            )
            .unwrap()
    };
    let bp = serde_json::json!({"attrib":0,"date":1_700_000_300,"category":1,"measures":[{"value":120,"type":10,"unit":0}]});
    let (status, _) = send(admin(bp, 4)).await;
    assert_eq!(status, StatusCode::OK);
    let weight = serde_json::json!({"attrib":0,"date":1_700_000_400,"category":1,"measures":[{"value":80_000,"type":1,"unit":-3}]});
    let (status, body) = send(admin(weight, 1)).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let weight_reply: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let (_, body) = tokio::time::timeout(std::time::Duration::from_secs(10), received.recv())
        .await
        .unwrap()
        .unwrap();
    let n = wbs_proto::parse_notification(None, body.as_bytes()).unwrap();
    assert_eq!(
        n.startdate,
        Timestamp::from_secs(1_700_000_400),
        "the blood-pressure change was not sent to appli 1"
    );
    // Changes are visible through lastupdate.
    let changed = call(
        &s,
        &GetMeas::new(UserId::new(29)).lastupdate(Timestamp::from_secs(1_700_000_000)),
    )
    .await
    .unwrap()
    .page;
    assert!(changed.measuregrps.len() >= 3);
    // The admin path reads ids by the model's tolerant policy: a grpid and userid sent as
    // text replace that group, rather than adding a fresh one.
    let grpid = weight_reply["body"]["grpid"].as_i64().unwrap();
    let again = serde_json::json!({"userid": "29", "devtype": "1", "group": {"grpid": grpid.to_string(),
        "attrib":0,"date":1_700_000_400,"category":1,"measures":[{"value":81_000,"type":1,"unit":-3}]}});
    let request = http::Request::post(format!("{}/admin/groups", sim.base_url()))
        .body(serde_json::to_vec(&again).unwrap())
        .unwrap();
    let (_, replaced) = send(request).await;
    // A group that is not an object is refused, not a dropped connection.
    let request = http::Request::post(format!("{}/admin/groups", sim.base_url()))
        .body(br#"{"userid":29,"group":5}"#.to_vec())
        .unwrap();
    assert_eq!(send(request).await.0, StatusCode::BAD_REQUEST);
    let replaced: serde_json::Value = serde_json::from_slice(&replaced).unwrap();
    assert_eq!(replaced["body"]["grpid"], grpid, "{replaced}");
    let page = call(&s, &GetMeas::new(UserId::new(29))).await.unwrap().page;
    let same: Vec<_> = page
        .measuregrps
        .iter()
        .filter(|g| g.grpid.get() == grpid)
        .collect();
    assert_eq!(same.len(), 1);
    assert_eq!(same[0].measures[0].value, 81_000);
}

#[tokio::test]
async fn the_three_legged_flow() {
    use wbs_proto::wbs_oauth::flow::AuthorizationCallback;
    use wbs_proto::{decode_token_response, OAuthEndpoints, TokenError};

    let sim = start().await;
    let consumer = sim.with(|s| s.consumer().clone());
    let endpoints = OAuthEndpoints::under(&sim.base_url());

    let (status, body) = send(
        endpoints
            .request_token(&consumer, "http://127.0.0.1:9/done", &nonce(), now())
            .unwrap(),
    )
    .await;
    let request_token = decode_token_response(status, &body).unwrap();
    assert!(
        request_token.get("oauth_callback_confirmed").is_none(),
        "as the service: not sent"
    );
    // A callback that is neither `oob` nor an http(s) URL with a host is refused.
    for bad in ["javascript:alert(1)", "http://"] {
        let refused = endpoints
            .request_token(&consumer, bad, &nonce(), now())
            .unwrap();
        assert_eq!(
            send(refused).await.0,
            StatusCode::INTERNAL_SERVER_ERROR,
            "{bad}"
        );
    }

    let authorize = endpoints.authorize_url(&request_token.token.key).unwrap();
    let (status, _) = {
        let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
        let response = client
            .request(
                http::Request::get(authorize.as_str())
                    .body(Full::new(Bytes::new()))
                    .unwrap(),
            )
            .await
            .unwrap();
        let location = response.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            location.starts_with("http://127.0.0.1:9/done?"),
            "{location}"
        );
        let callback = AuthorizationCallback::parse(location.split_once('?').unwrap().1).unwrap();
        assert_eq!(callback.token, request_token.token.key);
        assert_eq!(callback.get("userid"), Some("29"));
        // The access-token exchange, signed afresh each time.
        let exchange = || {
            endpoints
                .access_token(
                    &consumer,
                    &request_token.token,
                    &callback.verifier,
                    &nonce(),
                    now(),
                )
                .unwrap()
        };
        let (status, body) = send(exchange()).await;
        let access = wbs_proto::AccessToken::decode(status, &body).unwrap();
        assert_eq!(access.userid.get(), 29);
        // The access token works for data calls.
        let s = Session::new(consumer.clone(), access.token.clone())
            .with_base_url(&sim.base_url())
            .unwrap();
        assert_eq!(user(&s, 29).await.unwrap().id, UserId::new(29));
        // A request token is good for one exchange.
        let (status, body) = send(exchange()).await;
        assert_eq!(
            decode_token_response(status, &body),
            Err(TokenError::UnauthorizedToken)
        );
        (response.status(), ())
    };
    assert_eq!(status, StatusCode::FOUND);

    // Bad consumer credentials: HTTP 500 and an empty body, as the service answered.
    let stranger = Credentials::new(consumer.key.clone(), "wrong-secret");
    let (status, body) = send(
        endpoints
            .request_token(&stranger, "oob", &nonce(), now())
            .unwrap(),
    )
    .await;
    assert_eq!(
        decode_token_response(status, &body),
        Err(TokenError::BadConsumer)
    );
    // A made-up request token: "unauthorized token".
    let fake = Credentials::new("made-up", "x");
    let (status, body) = send(
        endpoints
            .access_token(&consumer, &fake, "v", &nonce(), now())
            .unwrap(),
    )
    .await;
    assert_eq!(
        decode_token_response(status, &body),
        Err(TokenError::UnauthorizedToken)
    );
}

#[tokio::test]
async fn every_action_in_the_authorization_header() {
    let sim = start().await;
    let (consumer, token) = sim.with(|s| {
        (
            s.consumer().clone(),
            s.user(UserId::new(29)).unwrap().token.clone(),
        )
    });
    let hook = callback(5);
    let actions: [(&str, Vec<(&str, &str)>); 7] = [
        ("once", vec![("action", "probe")]),
        ("user", vec![("action", "getbyuserid"), ("userid", "29")]),
        (
            "measure",
            vec![("action", "getmeas"), ("userid", "29"), ("limit", "1")],
        ),
        (
            "notify",
            vec![
                ("action", "subscribe"),
                ("userid", "29"),
                ("callbackurl", &hook),
                ("comment", "header"),
            ],
        ),
        (
            "notify",
            vec![("action", "get"), ("userid", "29"), ("callbackurl", &hook)],
        ),
        ("notify", vec![("action", "list"), ("userid", "29")]),
        (
            "notify",
            vec![
                ("action", "revoke"),
                ("userid", "29"),
                ("callbackurl", &hook),
            ],
        ),
    ];
    for (service, params) in actions {
        for method in ["GET", "POST"] {
            let url = format!("{}/{service}", sim.base_url());
            let (ts, n) = (now().to_string(), nonce());
            let signed = Signer::hmac_sha1(&consumer.secret, Some(&token.secret))
                .sign(
                    method,
                    &url,
                    &params,
                    &OAuthParams::new(&consumer.key, &n, &ts).token(&token.key),
                )
                .unwrap();
            let r = signed.render(Placement::Header { realm: None });
            let mut builder = http::Request::builder()
                .method(method)
                .uri(r.url)
                .header(header::AUTHORIZATION, r.authorization.unwrap());
            if r.body.is_some() {
                builder = builder.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
            }
            let (status, body) = send(
                builder
                    .body(r.body.unwrap_or_default().into_bytes())
                    .unwrap(),
            )
            .await;
            let reply: serde_json::Value = serde_json::from_slice(&body).unwrap();
            // subscribe/revoke run twice (GET, POST): the second revoke finds nothing, 294.
            let expected = if params[0].1 == "revoke" && method == "POST" {
                294
            } else {
                0
            };
            assert_eq!(
                (status, reply["status"].as_i64()),
                (StatusCode::OK, Some(expected)),
                "{service} {params:?} {method}"
            );
        }
    }
}

/// With a latency, two getmeas for one user answered at once are counted; one after the
/// other, they are not.
#[tokio::test]
async fn reads_of_one_user_at_once_are_counted() {
    let sim = start().await;
    sim.set_latency(std::time::Duration::from_millis(200));
    let john = session(&sim, 29);
    let query = GetMeas::new(UserId::new(29));
    call(&john, &query).await.unwrap();
    call(&john, &query).await.unwrap();
    assert_eq!(sim.overlapping_reads(), 0, "one after the other");
    let (a, b) = tokio::join!(call(&john, &query), call(&john, &query));
    a.unwrap();
    b.unwrap();
    assert_eq!(sim.overlapping_reads(), 1, "two at once");
}
