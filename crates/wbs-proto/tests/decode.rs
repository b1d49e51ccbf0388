//! Responses decode to typed results or typed errors; the reference's examples verbatim.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use http::StatusCode;
use wbs_model::{Gender, GroupId, MeasureType, More, Status, Timestamp, UserId};
use wbs_proto::{
    Call, GetMeas, GetSubscription, GetUser, ListSubscriptions, Probe, ResponseError, Revoke,
    Subscribe,
};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

const OK: StatusCode = StatusCode::OK;

#[test]
fn reference_getbyuserid_decodes_verbatim_trailing_comma_and_all() {
    let body = fixture("getbyuserid.json");
    assert!(
        serde_json::from_slice::<serde_json::Value>(&body).is_err(),
        "the reference's text is not strict JSON"
    );
    let users = GetUser::decode(OK, &body).unwrap();
    assert_eq!(users.len(), 1);
    let john = &users[0];
    assert_eq!(john.id, UserId::new(29));
    assert_eq!(
        (john.firstname.as_deref(), john.lastname.as_deref()),
        (Some("John"), Some("Doe"))
    );
    assert_eq!(john.shortname.as_deref(), Some("JON"));
    assert_eq!(john.gender, Some(Gender::MALE));
    assert_eq!(john.birthdate, Some(Timestamp::from_secs(211629600)));
}

#[test]
fn reference_getmeas_decodes_verbatim() {
    let decoded = GetMeas::decode(OK, &fixture("getmeas.json")).unwrap();
    assert!(decoded.skipped.is_empty());
    let page = decoded.page;
    assert_eq!(page.updatetime, Timestamp::from_secs(1249409679));
    assert_eq!(page.more, More::Remaining(0));
    let ids: Vec<GroupId> = page.measuregrps.iter().map(|g| g.grpid).collect();
    assert_eq!(ids, [GroupId::new(2909), GroupId::new(2908)]);
    let shown: Vec<String> = page.measures().map(|m| m.quantity().to_string()).collect();
    assert_eq!(
        shown,
        ["79.3 kg", "65.2 kg", "17.8 %", "14.125 kg", "1.73 m"]
    );
    assert_eq!(
        page.measuregrps[1].measures[0].measure_type,
        MeasureType::HEIGHT
    );
}

#[test]
fn reference_notify_examples_decode_verbatim() {
    let s = GetSubscription::decode(OK, &fixture("notify_get.json")).unwrap();
    assert_eq!(s.expires, Timestamp::from_secs(2147483647));
    assert_eq!(s.comment, "Your Own Application Description");
    let list = ListSubscriptions::decode(OK, &fixture("notify_list.json")).unwrap();
    let comments: Vec<&str> = list.iter().map(|s| s.comment.as_str()).collect();
    assert_eq!(
        comments,
        ["http://www.withings.com", "http://www.corp.withings.com"]
    );
    Revoke::decode(OK, &fixture("notify_revoke.json")).unwrap();
    Subscribe::decode(OK, &fixture("notify_revoke.json")).unwrap();
    Probe::decode(OK, &fixture("probe.json")).unwrap();
}

#[test]
fn every_reference_status_maps_to_its_typed_error() {
    let codes = [247, 250, 286, 293, 294, 304, 305, 342, 2555, 601, 12345];
    for code in codes {
        let body = format!(r#"{{"status":{code}}}"#);
        let err = GetMeas::decode(OK, body.as_bytes()).unwrap_err();
        assert_eq!(err, ResponseError::Api(Status::from_code(code)));
        assert_eq!(err.api_status().map(Status::code), Some(code));
        if code != 12345 {
            let description = Status::from_code(code).description().unwrap();
            assert!(err.to_string().contains(description), "{err}");
        }
    }
    // A bad signature came as HTTP 200, text/plain: Content-Type is not consulted.
    assert_eq!(
        Probe::decode(OK, br#"{"status":342}"#),
        Err(ResponseError::Api(Status::INVALID_SIGNATURE))
    );
    // The status wins even when a body precedes it.
    let late = br#"{"body":{"nonsense":true},"status":250}"#;
    assert_eq!(
        GetMeas::decode(OK, late),
        Err(ResponseError::Api(Status::CREDENTIALS_MISMATCH))
    );
    // Transient ones say so.
    assert!(ResponseError::Api(Status::UNKNOWN_ERROR).is_transient());
    assert!(ResponseError::Api(Status::RATE_LIMITED).is_transient());
    assert!(!ResponseError::Api(Status::INVALID_SIGNATURE).is_transient());
}

#[test]
fn transport_and_format_failures_are_distinct() {
    let http = Probe::decode(StatusCode::SERVICE_UNAVAILABLE, b"<html>down</html>").unwrap_err();
    assert!(
        matches!(&http, ResponseError::Http { status: 503, excerpt } if excerpt.contains("down"))
    );
    assert!(http.is_transient());
    let truncated = GetMeas::decode(
        OK,
        br#"{"status":0,"body":{"updatetime":1,"measuregrps":[{"grp"#,
    )
    .unwrap_err();
    assert!(
        matches!(truncated, ResponseError::Truncated { .. }),
        "{truncated:?}"
    );
    let text = GetUser::decode(OK, b"unauthorized token").unwrap_err();
    assert!(matches!(&text, ResponseError::NotJson { excerpt } if excerpt == "unauthorized token"));
    assert_eq!(
        GetMeas::decode(OK, br#"{"body":{}}"#),
        Err(ResponseError::MissingField("status"))
    );
    assert_eq!(
        GetMeas::decode(OK, br#"{"status":0}"#),
        Err(ResponseError::MissingField("body"))
    );
    assert_eq!(
        GetMeas::decode(OK, br#"{"status":0,"body":{"measuregrps":[]}}"#),
        Err(ResponseError::MissingField("updatetime"))
    );
    let wrong = GetUser::decode(OK, br#"{"status":0,"body":{"users":"none"}}"#).unwrap_err();
    assert!(
        matches!(wrong, ResponseError::InvalidField { field: "body", .. }),
        "{wrong:?}"
    );
    let status_text = Probe::decode(OK, br#"{"status":"ok"}"#).unwrap_err();
    assert!(matches!(
        status_text,
        ResponseError::InvalidField {
            field: "status",
            ..
        }
    ));
    assert!(matches!(
        Probe::decode(OK, b"[1,2]").unwrap_err(),
        ResponseError::InvalidField { .. } | ResponseError::NotJson { .. }
    ));
    assert!(matches!(
        Probe::decode(OK, br#"{"status":0} trailing"#).unwrap_err(),
        ResponseError::NotJson { .. }
    ));
}

#[test]
fn excerpts_are_short_and_never_hold_a_token_secret() {
    let long = "x".repeat(10_000);
    let e = Probe::decode(StatusCode::BAD_GATEWAY, long.as_bytes()).unwrap_err();
    assert!(e.to_string().len() < 200);
    let secret = Probe::decode(
        StatusCode::BAD_REQUEST,
        b"oauth_token=a&oauth_token_secret=SECRET",
    )
    .unwrap_err();
    assert!(!secret.to_string().contains("SECRET"));
    let control = Probe::decode(StatusCode::BAD_REQUEST, b"\x1b[31mred\x00").unwrap_err();
    assert!(!control.to_string().contains('\u{1b}'));
}

#[test]
fn one_malformed_group_never_loses_its_page() {
    let body = br#"{"status":0,"body":{"updatetime":100,"more":true,"offset":4,"measuregrps":[
        {"grpid":4,"attrib":0,"date":40,"category":1,"measures":[{"value":1,"type":1,"unit":0}]},
        {"grpid":3,"attrib":0,"date":30,"category":1,"measures":[{"value":"heavy","type":1,"unit":0}]},
        "not a group",
        {"attrib":0,"date":20,"category":1,"measures":[]},
        {"grpid":"1","attrib":17,"date":"10","category":1,"deviceid":null,"model":6,"extra":{"deep":[1,{"x":2}]},
         "measures":[{"value":5,"type":9999,"unit":-1,"position":null}]}]}}"#;
    let decoded = GetMeas::decode(OK, body).unwrap();
    let ids: Vec<i64> = decoded
        .page
        .measuregrps
        .iter()
        .map(|g| g.grpid.get())
        .collect();
    assert_eq!(ids, [4, 1]);
    assert_eq!(decoded.page.more, More::Flag(true));
    assert_eq!(decoded.page.offset, Some(4));
    let skipped: Vec<(usize, Option<i64>)> = decoded
        .skipped
        .iter()
        .map(|s| (s.index, s.grpid.map(GroupId::get)))
        .collect();
    assert_eq!(skipped, [(1, Some(3)), (2, None), (3, None)]);
    assert!(
        decoded.skipped[0].reason.contains("value"),
        "{}",
        decoded.skipped[0].reason
    );
    assert!(
        decoded.skipped[2].reason.contains("grpid"),
        "{}",
        decoded.skipped[2].reason
    );
    let kept = &decoded.page.measuregrps[1];
    assert_eq!(
        (
            kept.attrib.code(),
            kept.model(),
            kept.measures[0].measure_type.code()
        ),
        (17, Some("6"), 9999)
    );
}

/// Text that is not UTF-8, or a surrogate escape cut from its pair, costs neither its
/// group nor the page: it is read with U+FFFD in its place (the measures are kept).
#[test]
fn broken_text_in_a_group_costs_neither_the_group_nor_the_page() {
    let mut body = br#"{"status":0,"body":{"updatetime":100,"more":0,"measuregrps":[
        {"grpid":2,"attrib":0,"date":20,"category":1,"comment":"ok \ud83d\ude00 \\ud800 \ud83d","measures":[{"value":1,"type":1,"unit":0}]},
        {"grpid":1,"attrib":0,"date":10,"category":1,"model":"MODEL"#
        .to_vec();
    body.extend_from_slice(b"\xff\xfe");
    body.extend_from_slice(br#"","measures":[{"value":2,"type":1,"unit":0}]}]}}"#);
    assert!(serde_json::from_slice::<serde_json::Value>(&body).is_err());
    let decoded = GetMeas::decode(OK, &body).unwrap();
    assert!(decoded.skipped.is_empty(), "{:?}", decoded.skipped);
    let groups = &decoded.page.measuregrps;
    assert_eq!(groups.len(), 2);
    assert_eq!(
        groups[0].extra.as_ref().and_then(|x| x.comment.as_deref()),
        Some("ok \u{1f600} \\ud800 \u{fffd}")
    );
    assert_eq!(groups[1].model(), Some("MODEL\u{fffd}\u{fffd}"));
    assert_eq!(groups[1].measures[0].value, 2);
}

/// A negative count of groups still to come, or a negative offset, is a malformed page,
/// not "nothing more" (which would end a pager early, losing the rest).
#[test]
fn a_negative_more_or_offset_is_refused_not_read_as_zero() {
    for (more, offset) in [("-1", "0"), ("-1.0", "0"), ("true", "-3")] {
        let body = format!(
            r#"{{"status":0,"body":{{"updatetime":1,"more":{more},"offset":{offset},"measuregrps":[]}}}}"#
        );
        let err = GetMeas::decode(OK, body.as_bytes()).unwrap_err();
        assert!(
            matches!(&err, ResponseError::InvalidField { detail, .. } if detail.contains("negative")),
            "{more} {offset}: {err:?}"
        );
    }
}

/// Today's getmeas answer, as `oauth2-notes.md` describes it: every field kept, `model` as
/// text or a number, `model_id` or `modelid`, `more` and `offset`, `position`, `algo`, `fm`.
#[test]
fn todays_getmeas_fields_are_kept() {
    for (model, id_key) in [(r#""Body+""#, "model_id"), ("6", "modelid")] {
        let body = format!(
            r#"{{"status":0,"body":{{"updatetime":1700000000,"timezone":"Europe/Paris","more":1,"offset":1,
            "measuregrps":[{{"grpid":12,"attrib":0,"date":1699990000,"created":1699990005,"modified":1699990010,
            "category":1,"deviceid":null,"hash_deviceid":"abc","model":{model},"{id_key}":6,"comment":null,
            "measures":[{{"value":7123,"type":1,"unit":-2,"algo":3,"fm":131,"position":12}}]}}]}}}}"#
        );
        let page = GetMeas::decode(OK, body.as_bytes()).unwrap();
        assert!(page.skipped.is_empty(), "{:?}", page.skipped);
        let g = &page.page.measuregrps[0];
        assert_eq!(g.created(), Some(Timestamp::from_secs(1_699_990_005)));
        assert_eq!(g.modified(), Some(Timestamp::from_secs(1_699_990_010)));
        let x = g.extra.as_deref().unwrap();
        assert_eq!(x.modelid, Some(6), "{id_key}");
        assert_eq!(x.hash_deviceid.as_deref(), Some("abc"));
        assert_eq!(x.deviceid, None);
        assert_eq!(x.model.as_deref(), Some(model.trim_matches('"')));
        let m = &g.measures[0];
        assert_eq!((m.value, m.unit, m.position()), (7123, -2, Some(12)));
        assert_eq!(page.page.timezone.as_deref(), Some("Europe/Paris"));
        assert!(page.page.more.has_more());
    }
}
