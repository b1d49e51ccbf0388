//! Incoming notifications, and the getmeas request each one announces.

use proptest::prelude::*;
use wbs_model::{DeviceType, Timestamp, UserId};
use wbs_proto::{parse_notification, GetMeas, NotificationError};

#[test]
fn query_form_or_both() {
    let from_query = parse_notification(
        Some("userid=123456&startdate=1260350649&enddate=1260350650"),
        b"",
    )
    .unwrap();
    let from_form = parse_notification(
        None,
        b"userid=123456&startdate=1260350649&enddate=1260350650&appli=1&date=x&action=y",
    )
    .unwrap();
    assert_eq!(from_query.userid, UserId::new(123456));
    assert_eq!(from_form.appli, Some(DeviceType::BODY_SCALE));
    let both = parse_notification(
        Some("userid=123456"),
        b"startdate=1260350649&enddate=1260350650&deviceid=abc",
    )
    .unwrap();
    assert_eq!(both.startdate, Timestamp::from_secs(1260350649));
}

#[test]
fn malformed_notifications_are_typed_errors() {
    let p = |q: &str| parse_notification(None, q.as_bytes()).unwrap_err();
    assert_eq!(
        p("startdate=1&enddate=2"),
        NotificationError::Missing("userid")
    );
    assert_eq!(
        p("userid=1&enddate=2"),
        NotificationError::Missing("startdate")
    );
    assert_eq!(
        p("userid=x&startdate=1&enddate=2"),
        NotificationError::Invalid("userid")
    );
    assert_eq!(
        p("userid=0&startdate=1&enddate=2"),
        NotificationError::Invalid("userid")
    );
    assert_eq!(
        p("userid=1&startdate=3&enddate=2"),
        NotificationError::DateRange
    );
    // What was wrong is kept as the cause (with where, for an escape).
    let encoding = p("userid=1&startdate=1&enddate=%zz");
    assert!(matches!(encoding, NotificationError::Encoding(_)));
    let cause = std::error::Error::source(&encoding).map(ToString::to_string);
    assert_eq!(
        cause.as_deref(),
        Some("invalid parameter encoding: '%' at byte 0 is not followed by two hex digits")
    );
    assert_eq!(
        p("userid=1&userid=2&startdate=1&enddate=2"),
        NotificationError::Conflict("userid")
    );
    let not_text = parse_notification(None, b"\xff").unwrap_err();
    assert!(matches!(not_text, NotificationError::NotText(_)));
    assert!(std::error::Error::source(&not_text).is_some());
}

#[test]
fn a_notification_becomes_the_getmeas_that_fetches_it() {
    let n = parse_notification(
        None,
        b"userid=29&startdate=1260350649&enddate=1260350650&appli=4",
    )
    .unwrap();
    let q = GetMeas::for_notification(&n);
    assert_eq!(q.userid, UserId::new(29));
    assert_eq!(
        (q.startdate, q.enddate),
        (Some(n.startdate), Some(n.enddate))
    );
    assert_eq!(q.devtype, Some(DeviceType::BLOOD_PRESSURE_MONITOR));
}

/// Today's `appli` codes other than 1 and 4 (2 temperature, 16 activity, 44 sleep, 46 user,
/// 50-58 events) are not getmeas device types: read as a `devtype` bitmask, 46 would ask for
/// blood-pressure groups only and lose the rest, so the fetch takes every device type.
#[test]
fn only_an_appli_that_is_a_device_type_filters_the_fetch() {
    for (appli, devtype) in [
        (1, Some(DeviceType::BODY_SCALE)),
        (4, Some(DeviceType::BLOOD_PRESSURE_MONITOR)),
        (2, None),
        (16, None),
        (44, None),
        (46, None),
        (50, None),
        (54, None),
        (58, None),
    ] {
        let form = format!("userid=29&startdate=10&enddate=20&appli={appli}");
        let n = parse_notification(None, form.as_bytes()).unwrap();
        assert_eq!(n.appli.map(DeviceType::code), Some(appli));
        assert_eq!(
            GetMeas::for_notification(&n).devtype,
            devtype,
            "appli {appli}"
        );
    }
}

proptest! {
    #[test]
    fn any_well_formed_notification_parses_back(user in 1i64..i64::MAX, a in any::<i64>(), b in any::<i64>(), appli in proptest::option::of(0i64..8)) {
        let (start, end) = (a.min(b), a.max(b));
        let mut form = format!("enddate={end}&userid={user}&startdate={start}");
        if let Some(appli) = appli {
            form.push_str(&format!("&appli={appli}"));
        }
        let n = parse_notification(None, form.as_bytes()).unwrap();
        prop_assert_eq!(n.userid, UserId::new(user));
        prop_assert_eq!((n.startdate.secs(), n.enddate.secs()), (start, end));
        prop_assert_eq!(n.appli.map(DeviceType::code), appli);
    }

    #[test]
    fn arbitrary_input_is_a_value_or_an_error(query in any::<String>(), body in any::<Vec<u8>>()) {
        let _ = parse_notification(Some(&query), &body);
    }
}
