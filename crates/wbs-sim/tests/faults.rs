//! Fault injection: scripted faults hit exactly their request; with a fifth of requests
//! failing in every way, a retrying client still reads every group exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::collections::HashSet;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use wbs_proto::http::StatusCode;
use wbs_proto::wbs_model::{Status, UserId};
use wbs_proto::{Call, GetMeas, MeasurePager, PagerError, ResponseError, Session};
use wbs_sim::{Fault, Faults, RunningSim, Sandbox, FIRST_GENERATED_USER};

mod common;
use common::now;

async fn start(faults: Faults) -> (RunningSim, Session) {
    let mut sandbox = Sandbox::with_reference_data();
    sandbox.generate(1, 3_000, 42, now() as i64);
    let sim = RunningSim::start_with_faults(sandbox, RunningSim::LOOPBACK, faults)
        .await
        .unwrap();
    let user = UserId::new(FIRST_GENERATED_USER);
    let (consumer, token) =
        sim.with(|s| (s.consumer().clone(), s.user(user).unwrap().token.clone()));
    let session = Session::new(consumer, token)
        .with_base_url(&sim.base_url())
        .unwrap();
    (sim, session)
}

/// One attempt: the response, or None when the transport failed or timed out.
async fn attempt(session: &Session, call: &GetMeas) -> Option<(StatusCode, Vec<u8>)> {
    attempt_within(session, call, Duration::from_millis(200)).await
}

/// As [`attempt`], with another client timeout.
async fn attempt_within(
    session: &Session,
    call: &GetMeas,
    timeout: Duration,
) -> Option<(StatusCode, Vec<u8>)> {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let nonce = wbs_proto::wbs_oauth::random_nonce().unwrap();
    let request = session
        .request(call, &nonce, now())
        .unwrap()
        .map(|b| Full::new(Bytes::from(b)));
    let response = tokio::time::timeout(timeout, client.request(request))
        .await
        .ok()?
        .ok()?;
    let status = response.status();
    let body = tokio::time::timeout(timeout, response.into_body().collect())
        .await
        .ok()?
        .ok()?;
    Some((status, body.to_bytes().to_vec()))
}

#[tokio::test]
async fn a_scripted_fault_hits_exactly_its_request() {
    let plan = Faults::none()
        .script("getmeas", 2, Fault::Http503)
        .script("getmeas", 3, Fault::RateLimit)
        .script("getmeas", 4, Fault::Delay(Duration::from_secs(5)))
        .script("getmeas", 5, Fault::Drop)
        .script("getmeas", 6, Fault::Truncate);
    let (_sim, session) = start(plan).await;
    let call = GetMeas::new(UserId::new(FIRST_GENERATED_USER)).limit(1);
    let decode = |r: Option<(StatusCode, Vec<u8>)>| {
        let (status, body) = r.unwrap();
        GetMeas::decode(status, &body).map(|p| p.page.measuregrps.len())
    };
    assert_eq!(
        decode(attempt_within(&session, &call, Duration::from_secs(2)).await),
        Ok(1)
    );
    assert!(matches!(
        decode(attempt_within(&session, &call, Duration::from_secs(2)).await),
        Err(ResponseError::Http { status: 503, .. })
    ));
    assert_eq!(
        decode(attempt_within(&session, &call, Duration::from_secs(2)).await),
        Err(ResponseError::Api(Status::RATE_LIMITED))
    );
    let started = std::time::Instant::now();
    assert!(
        attempt_within(&session, &call, Duration::from_secs(2))
            .await
            .is_none(),
        "a delay past the client's timeout"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "the client waited for its timeout"
    );
    assert!(
        attempt_within(&session, &call, Duration::from_secs(2))
            .await
            .is_none(),
        "a dropped connection"
    );
    assert!(matches!(
        decode(attempt_within(&session, &call, Duration::from_secs(2)).await),
        Err(ResponseError::Truncated { .. })
    ));
    assert_eq!(
        decode(attempt_within(&session, &call, Duration::from_secs(2)).await),
        Ok(1)
    );
}

#[tokio::test]
async fn a_fifth_of_requests_failing_loses_nothing() {
    let kinds = vec![
        Fault::Drop,
        Fault::Delay(Duration::from_millis(600)),
        Fault::Http500,
        Fault::Http503,
        Fault::Status2555,
        Fault::Truncate,
        Fault::RateLimit,
    ];
    let (_sim, session) = start(Faults::random(0.2, kinds, 7)).await;
    let mut pager = MeasurePager::new(GetMeas::new(UserId::new(FIRST_GENERATED_USER)).limit(250));
    let mut seen = HashSet::new();
    let (mut attempts, mut failures) = (0, 0);
    while let Some(call) = pager.next_call() {
        attempts += 1;
        assert!(attempts < 400, "runaway");
        let Some((status, body)) = attempt(&session, &call).await else {
            failures += 1;
            continue;
        };
        match pager.handle_response(status, &body) {
            Ok(groups) => {
                for g in groups {
                    assert!(seen.insert(g.grpid), "{:?} twice", g.grpid);
                }
            }
            Err(PagerError::Response(e)) => {
                assert!(e.is_transient(), "{e}");
                failures += 1;
            }
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(seen.len(), 3_000);
    assert!(failures > 0, "the faults were injected");
}

#[test]
fn fault_specifications() {
    assert!(
        "rate=0.2,kinds=drop+503+2555+truncate+601+delay250,seed=7,getmeas#3=503"
            .parse::<Faults>()
            .is_ok()
    );
    assert!("".parse::<Faults>().is_ok());
    for bad in [
        "rate=2",
        "kinds=explode",
        "getmeas#x=503",
        "nonsense",
        "getmeas#1=teapot",
    ] {
        assert!(bad.parse::<Faults>().is_err(), "{bad}");
    }
}

/// The consumer's limit: above it in a minute, 601; `/admin/stats` counts every request,
/// the refused ones, and the most admitted in one window.
#[tokio::test]
async fn above_the_limit_the_answer_is_601() {
    let (sim, session) = start(Faults::none()).await;
    sim.set_rate_limit(Some(5));
    let call = GetMeas::new(UserId::new(FIRST_GENERATED_USER)).limit(1);
    let mut statuses = Vec::new();
    for _ in 0..7 {
        let (_, body) = attempt_within(&session, &call, Duration::from_secs(5))
            .await
            .unwrap();
        let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
        statuses.push(doc["status"].as_i64().unwrap());
    }
    assert_eq!(statuses, [0, 0, 0, 0, 0, 601, 601]);
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let stats = client
        .get(format!("{}/admin/stats", sim.base_url()).parse().unwrap())
        .await
        .unwrap()
        .into_body()
        .collect()
        .await
        .unwrap()
        .to_bytes();
    let stats: serde_json::Value = serde_json::from_slice(&stats).unwrap();
    assert_eq!(stats["requests"], 7, "{stats}");
    assert_eq!(stats["rate_limited"], 2, "{stats}");
    assert_eq!(stats["max_per_minute"], 5, "{stats}");
}
