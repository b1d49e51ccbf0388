//! Arbitrary bytes as the response to each action, with an arbitrary HTTP status: a value
//! or a typed error, never a panic. A decoded getmeas page, encoded again in an envelope,
//! decodes to the same page; a pager fed the bytes never panics either.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wbs_model::UserId;
use wbs_proto::http::StatusCode;
use wbs_proto::{Call, GetMeas, GetSubscription, GetUser, ListSubscriptions, MeasurePager, Probe};

fuzz_target!(|input: (u16, &[u8])| {
    let (code, body) = input;
    let status = StatusCode::from_u16(100 + code % 500).unwrap_or(StatusCode::OK);
    let _ = Probe::decode(status, body);
    let _ = GetUser::decode(status, body);
    let _ = GetSubscription::decode(status, body);
    let _ = ListSubscriptions::decode(status, body);
    let mut pager = MeasurePager::new(GetMeas::new(UserId::new(1)));
    let _ = pager.handle_response(status, body);
    let _ = pager.next_call();
    if let Ok(decoded) = GetMeas::decode(StatusCode::OK, body) {
        let envelope = serde_json::json!({"status": 0, "body": decoded.page});
        let text = serde_json::to_vec(&envelope).expect("a page encodes");
        let again = GetMeas::decode(StatusCode::OK, &text).expect("an encoded page decodes");
        assert!(again.skipped.is_empty());
        assert_eq!(again.page, decoded.page);
    }
});
