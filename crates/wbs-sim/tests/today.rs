//! Today's service as its maintained third-party clients call it, over real HTTP: the
//! shapes of aiowithings (Home Assistant), withings-sync and python_withings_api.
//! - A Bearer token names the user (no `userid` sent) and travels in the header, the query
//!   or the form body; the token answers carry the scope asked for.
//! - A subscription needs no comment and its URL may be 255 characters long; a list names
//!   each one's URL and device type, of every type by default.
//! - Every answer is `application/json`; `more` is 0 or 1 with `offset` always; every
//!   group carries `deviceid` (null without a device).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use wbs_proto::http::{self, header, Method};
use wbs_sim::{RunningSim, Sandbox};

const REDIRECT: &str = "http://127.0.0.1:9/callback";
const USER: i64 = 10_000;

/// Sends a request: its content type and its body as JSON.
async fn send(request: http::Request<Vec<u8>>) -> (String, Value) {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let response = client
        .request(request.map(|b| Full::new(Bytes::from(b))))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let kind = response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (kind, serde_json::from_slice(&body).unwrap())
}

fn post(url: &str, form: &str, bearer: Option<&str>) -> http::Request<Vec<u8>> {
    let mut request = http::Request::builder()
        .method(Method::POST)
        .uri(url)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(token) = bearer {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    request.body(form.as_bytes().to_vec()).unwrap()
}

/// What the tests ask for: not the sandbox's default scope.
const SCOPE: &str = "user.info,user.metrics,user.activity";

/// User 10 000's access token, through the browser step and the token request as Home
/// Assistant's OAuth 2 helper sends it; the answers carry the scope asked for (a refresh
/// too: requests_oauthlib refuses a changed scope).
async fn access_token(sim: &RunningSim) -> String {
    let authorize = format!(
        "{}{}?response_type=code&client_id={}&redirect_uri={REDIRECT}&scope={SCOPE}&state=s&userid={USER}",
        sim.base_url(),
        wbs_proto::wbs_oauth2::AUTHORIZE_PATH,
        wbs_sim::CLIENT_ID,
    );
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let response = client.get(authorize.parse().unwrap()).await.unwrap();
    assert_eq!(response.status(), 302);
    let location = response.headers()["location"].to_str().unwrap();
    let code = wbs_proto::wbs_oauth2::parse_redirect(location, "s").unwrap();
    let form = format!(
        "action=requesttoken&grant_type=authorization_code&client_id={}&client_secret={}&code={code}&redirect_uri={REDIRECT}",
        wbs_sim::CLIENT_ID,
        wbs_sim::CLIENT_SECRET,
    );
    let url = format!("{}{}", sim.base_url(), wbs_proto::wbs_oauth2::TOKEN_PATH);
    let (kind, answer) = send(post(&url, &form, None)).await;
    assert!(kind.starts_with("application/json"), "{kind}");
    assert_eq!(answer["status"], 0, "{answer}");
    assert_eq!(answer["body"]["scope"], SCOPE, "{answer}");
    let form = format!(
        "action=requesttoken&grant_type=refresh_token&client_id={}&client_secret={}&refresh_token={}",
        wbs_sim::CLIENT_ID,
        wbs_sim::CLIENT_SECRET,
        answer["body"]["refresh_token"].as_str().unwrap(),
    );
    let (_, answer) = send(post(&url, &form, None)).await;
    assert_eq!(answer["status"], 0, "{answer}");
    assert_eq!(answer["body"]["scope"], SCOPE, "{answer}");
    answer["body"]["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn maintained_clients_of_todays_service_are_served() {
    let sim = RunningSim::loopback(Sandbox::generated(2, 300, 3, 1_700_000_000))
        .await
        .unwrap();
    let token = access_token(&sim).await;
    let measure = format!("{}/measure", sim.base_url());

    // aiowithings: Bearer header, no userid, a page at a time.
    let mut offset = 0;
    let mut pages = 0;
    let mut groups = 0;
    loop {
        let form = format!("action=getmeas&limit=120&offset={offset}");
        let (kind, answer) = send(post(&measure, &form, Some(&token))).await;
        assert!(kind.starts_with("application/json"), "{kind}");
        assert_eq!(answer["status"], 0, "{answer}");
        let body = &answer["body"];
        for group in body["measuregrps"].as_array().unwrap() {
            let group = group.as_object().unwrap();
            for field in ["deviceid", "hash_deviceid", "created", "modified"] {
                assert!(group.contains_key(field), "no {field}: {group:?}");
            }
            groups += 1;
        }
        pages += 1;
        let more = body["more"].as_i64().unwrap();
        assert!(more == 0 || more == 1, "{body}");
        offset = body["offset"].as_u64().unwrap();
        assert_eq!(offset, groups, "offset is where the next page starts");
        if more == 0 {
            break;
        }
    }
    assert_eq!((pages, groups), (3, 300));

    // withings-sync: the token in the form body, the action in the query.
    let form = format!("access_token={token}&category=1&startdate=0&enddate=2000000000");
    let (kind, answer) = send(post(&format!("{measure}?action=getmeas"), &form, None)).await;
    assert!(kind.starts_with("application/json"), "{kind}");
    assert_eq!(answer["status"], 0, "{answer}");
    assert_eq!(answer["body"]["measuregrps"].as_array().unwrap().len(), 300);

    // aiowithings' webhooks (Home Assistant's long webhook ids): subscribe with no comment
    // and no userid to two device types, then list them all, each with its URL and type.
    let notify = format!("{}/notify", sim.base_url());
    let callback = format!("http://127.0.0.1:9/api/webhook/{}", "a".repeat(160));
    for appli in [1, 44] {
        let form = format!("action=subscribe&callbackurl={callback}&appli={appli}");
        let (_, answer) = send(post(&notify, &form, Some(&token))).await;
        assert_eq!(answer["status"], 0, "{answer}");
    }
    let (_, answer) = send(post(&notify, "action=list", Some(&token))).await;
    assert_eq!(answer["status"], 0, "{answer}");
    let profiles = answer["body"]["profiles"].as_array().unwrap();
    let mut listed: Vec<(i64, &str)> = profiles
        .iter()
        .map(|p| {
            (
                p["appli"].as_i64().unwrap(),
                p["callbackurl"].as_str().unwrap(),
            )
        })
        .collect();
    listed.sort_unstable();
    assert_eq!(listed, [(1, callback.as_str()), (44, callback.as_str())]);
    let too_long = format!("http://127.0.0.1:9/{}", "a".repeat(240));
    let form = format!("action=subscribe&callbackurl={too_long}&appli=1");
    let (_, answer) = send(post(&notify, &form, Some(&token))).await;
    assert_ne!(answer["status"], 0, "a 259-character URL: {answer}");

    // Another user's userid with this token is still refused (250).
    let (_, answer) = send(post(&measure, "action=getmeas&userid=1", Some(&token))).await;
    assert_eq!(answer["status"], 250, "{answer}");
    // An unknown token: 401, as JSON.
    let (kind, answer) = send(post(&measure, "action=getmeas", Some("nope"))).await;
    assert!(kind.starts_with("application/json"), "{kind}");
    assert_eq!(answer["status"], 401, "{answer}");
}
