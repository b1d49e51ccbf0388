//! The getmeas fast path answers for every page a server of the usual shape sends, and
//! whenever it answers, its result equals the general decoder's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use http::StatusCode;
use proptest::prelude::*;
use wbs_model::{
    GroupExtra, Measure, MeasureExtra, MeasureGroup, MeasurePage, MeasureType, More, Timestamp,
};
use wbs_proto::internal::{getmeas_fast, getmeas_general};

fn text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(prop_oneof!["[a-zA-Z0-9 /_+.-]{0,12}", any::<String>()])
}

fn measure() -> impl Strategy<Value = Measure> {
    (
        any::<i64>(),
        any::<i32>(),
        any::<i64>(),
        proptest::option::of((
            any::<Option<i64>>(),
            any::<Option<i64>>(),
            any::<Option<i64>>(),
        )),
    )
        .prop_map(|(value, unit, code, extra)| {
            let mut m = Measure::new(MeasureType::from_code(code), value, unit);
            if let Some((position, algo, fm)) = extra {
                let x = MeasureExtra { position, algo, fm };
                if !x.is_empty() {
                    m.extra = Some(Box::new(x));
                }
            }
            m
        })
}

fn group() -> impl Strategy<Value = MeasureGroup> {
    (
        (any::<i64>(), any::<i64>(), any::<i64>(), any::<i64>()),
        prop::collection::vec(measure(), 0..5),
        proptest::option::of((
            any::<Option<i64>>(),
            any::<Option<i64>>(),
            any::<Option<i64>>(),
            text(),
            text(),
            text(),
            text(),
            text(),
        )),
    )
        .prop_map(|((id, attrib, date, category), measures, extra)| {
            let extra = extra.map_or_else(GroupExtra::default, |x| GroupExtra {
                created: x.0.map(Timestamp::from_secs),
                modified: x.1.map(Timestamp::from_secs),
                modelid: x.2,
                deviceid: x.3,
                hash_deviceid: x.4,
                model: x.5,
                timezone: x.6,
                comment: x.7,
            });
            MeasureGroup::from_wire(id, attrib, date, category, measures, extra)
        })
}

fn page() -> impl Strategy<Value = MeasurePage> {
    (
        any::<i64>(),
        prop_oneof![
            (0u64..=i64::MAX as u64).prop_map(More::Remaining),
            any::<bool>().prop_map(More::Flag)
        ],
        proptest::option::of(0u64..=i64::MAX as u64),
        text(),
        prop::collection::vec(group(), 0..6),
    )
        .prop_map(|(t, more, offset, timezone, groups)| MeasurePage {
            updatetime: Timestamp::from_secs(t),
            more,
            offset,
            timezone,
            measuregrps: groups,
        })
}

fn agree(body: &[u8]) {
    if let Some(fast) = getmeas_fast(body) {
        let general = getmeas_general(StatusCode::OK, body)
            .expect("the general decoder accepts what the fast path does");
        assert_eq!(
            fast,
            general,
            "fast and general paths differ on {}",
            String::from_utf8_lossy(body)
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]

    #[test]
    fn fast_path_takes_every_plain_page_and_agrees(page in page(), pretty in any::<bool>(), body_first in any::<bool>()) {
        let body = serde_json::to_string(&page).unwrap();
        let envelope = if body_first {
            format!(r#"{{"body":{body},"status":0}}"#)
        } else {
            format!(r#"{{"status":0,"body":{body}}}"#)
        };
        let envelope = if pretty {
            serde_json::to_string_pretty(&serde_json::from_str::<serde_json::Value>(&envelope).unwrap()).unwrap()
        } else {
            envelope
        };
        // Strings with escapes (quotes, backslashes, control characters) go the general way.
        let has_escapes = envelope.contains('\\');
        let fast = getmeas_fast(envelope.as_bytes());
        prop_assert!(fast.is_some() || has_escapes, "the fast path declined a plain page");
        agree(envelope.as_bytes());
        let general = getmeas_general(StatusCode::OK, envelope.as_bytes()).unwrap();
        prop_assert_eq!(general.page, page);
    }

    #[test]
    fn fast_path_never_disagrees_on_mutated_bodies(page in page(), cut in any::<prop::sample::Index>(), byte in any::<u8>()) {
        let mut body = format!(r#"{{"status":0,"body":{}}}"#, serde_json::to_string(&page).unwrap()).into_bytes();
        let i = cut.index(body.len());
        body[i] = byte;
        agree(&body);
        agree(&body[..i]);
    }
}

#[test]
fn fast_path_defers_on_what_it_does_not_handle() {
    let cases: [&[u8]; 10] = [
        br#"{"status":342}"#,
        br#"{"status":0,"body":{"updatetime":1,"measuregrps":[],"new_field":1}}"#,
        br#"{"status":0,"body":{"updatetime":1.0,"measuregrps":[]}}"#,
        br#"{"status":0,"body":{"updatetime":"1","measuregrps":[]}}"#,
        br#"{"status":0,"body":{"updatetime":1,"measuregrps":[],}}"#,
        br#"{"status":0,"body":{"updatetime":1,"timezone":"a\"b","measuregrps":[]}}"#,
        br#"{"status":0,"body":{"updatetime":1,"updatetime":2,"measuregrps":[]}}"#,
        br#"{"status":0,"body":{"updatetime":01,"measuregrps":[]}}"#,
        br#"{"status":0,"body":{"updatetime":1,"measuregrps":[{"grpid":1}]}}"#,
        br#"{"status":0,"body":{"updatetime":1,"measuregrps":[]}} x"#,
    ];
    for body in cases {
        assert!(
            getmeas_fast(body).is_none(),
            "{}",
            String::from_utf8_lossy(body)
        );
        agree(body);
    }
    assert!(getmeas_fast(
        br#" { "status" : 0 , "body" : { "updatetime" : 1 , "measuregrps" : [ ] } } "#
    )
    .is_some());
}
