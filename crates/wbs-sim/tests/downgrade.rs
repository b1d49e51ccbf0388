//! The sandbox accepts HMAC-SHA1 only (as the service did): a PLAINTEXT request, however
//! well signed, and a replayed HMAC-SHA1 request are answered with status 342.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use wbs_proto::http;
use wbs_proto::wbs_model::UserId;
use wbs_proto::wbs_oauth::{OAuthParams, SignatureMethod, Signer};
use wbs_proto::{Call, GetUser, Session};
use wbs_sim::Sandbox;

const NOW: u64 = 1_700_000_000;

fn status(response: &http::Response<Vec<u8>>) -> i64 {
    let v: serde_json::Value = serde_json::from_slice(response.body()).unwrap();
    v["status"].as_i64().unwrap()
}

#[test]
fn plaintext_and_replays_are_refused() {
    let mut sim = Sandbox::with_reference_data();
    let consumer = sim.consumer().clone();
    let token = sim.user(UserId::new(29)).unwrap().token.clone();
    let url = "http://127.0.0.1:1/user?action=getbyuserid&userid=29";

    let ts = NOW.to_string();
    let oauth = OAuthParams::new(&consumer.key, "n-plain", &ts).token(&token.key);
    let plain = Signer::new(
        SignatureMethod::Plaintext,
        &consumer.secret,
        Some(&token.secret),
    )
    .sign::<&str, &str>("GET", url, &[], &oauth)
    .unwrap()
    .query_url();
    let request = http::Request::get(plain).body(Vec::new()).unwrap();
    assert_eq!(
        status(&sim.handle(&request, NOW)),
        342,
        "PLAINTEXT is a downgrade"
    );

    let session = Session::new(consumer, token)
        .with_base_url("http://127.0.0.1:1")
        .unwrap();
    let request = session
        .request(
            &GetUser {
                userid: UserId::new(29),
            },
            "n-hmac",
            NOW,
        )
        .unwrap();
    let first = sim.handle(&request, NOW);
    assert_eq!(status(&first), 0);
    assert!(GetUser::decode(first.status(), first.body()).is_ok());
    assert_eq!(status(&sim.handle(&request, NOW)), 342, "a replay");
}

/// Clients of the API's era sent no `oauth_callback`, and RFC 5849's send `oob` (what an
/// empty callback is sent as): either way the request token is granted and the authorize
/// page shows the verifier (machine-readable) instead of redirecting.
#[test]
fn a_request_token_without_callback_is_out_of_band() {
    use wbs_proto::{decode_token_response, AccessToken, OAuthEndpoints};
    let mut sim = Sandbox::with_reference_data();
    let consumer = sim.consumer().clone();
    let endpoints = OAuthEndpoints::under("http://127.0.0.1:1");
    let oob = endpoints.request_token(&consumer, "", "n1", NOW).unwrap();
    assert!(oob.uri().to_string().contains("oauth_callback=oob"));
    let ts = NOW.to_string();
    let none = Signer::hmac_sha1(&consumer.secret, None)
        .sign::<&str, &str>(
            "GET",
            "http://127.0.0.1:1/account/request_token",
            &[],
            &OAuthParams::new(&consumer.key, "n2", &ts),
        )
        .unwrap()
        .query_url();
    assert!(!none.contains("oauth_callback"));
    let none = http::Request::get(none).body(Vec::new()).unwrap();
    for (i, request) in [oob, none].into_iter().enumerate() {
        let response = sim.handle(&request, NOW);
        let token = decode_token_response(response.status(), response.body())
            .unwrap()
            .token;
        let authorize = endpoints.authorize_url(&token.key).unwrap();
        let page = sim.handle(
            &http::Request::get(authorize).body(Vec::new()).unwrap(),
            NOW,
        );
        assert_eq!(page.status(), http::StatusCode::OK);
        let shown = String::from_utf8(page.body().clone()).unwrap();
        let verifier = wbs_proto::wbs_oauth::form_pairs(&shown)
            .find("oauth_verifier")
            .unwrap()
            .into_owned();
        let request = endpoints
            .access_token(&consumer, &token, &verifier, &format!("n-access-{i}"), NOW)
            .unwrap();
        let response = sim.handle(&request, NOW);
        let access = AccessToken::decode(response.status(), response.body()).unwrap();
        assert_eq!(access.userid.get(), 29);
    }
}
