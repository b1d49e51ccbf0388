//! The sandbox accepts HMAC-SHA1 only (as the service did): a PLAINTEXT request, however
//! well signed, and a replayed HMAC-SHA1 request are answered with status 342.

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
