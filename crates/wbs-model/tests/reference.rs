//! The API reference's own examples give exactly what the reference says.

use wbs_model::{
    Attribution, Category, Decimal, DeviceType, Gender, GroupId, Measure, MeasureGroup,
    MeasurePage, MeasureType, More, Notification, Status, Subscription, Timestamp, Unit, User,
    UserId,
};

fn measure(value: i64, unit: i32, code: i64) -> Measure {
    Measure::new(MeasureType::from_code(code), value, unit)
}

#[test]
fn reference_measures_scale_exactly() {
    let cases = [
        (79300, -3, 1, "79.3 kg"),
        (652, -1, 5, "65.2 kg"),
        (178, -1, 6, "17.8 %"),
        (14125, -3, 8, "14.125 kg"),
        (173, -2, 4, "1.73 m"),
    ];
    for (value, unit, code, expected) in cases {
        assert_eq!(measure(value, unit, code).quantity().to_string(), expected);
    }
    assert_eq!(
        measure(79300, -3, 1).decimal(),
        "79.3".parse::<Decimal>().unwrap()
    );
    // The float artefact other clients show is impossible here.
    assert_eq!(measure(326, -2, 88).quantity().to_string(), "3.26 kg");
}

/// The reference's getmeas example, verbatim.
const GETMEAS: &str = r#"{
    "updatetime": 1249409679,
    "measuregrps": [
        { "grpid": 2909, "attrib": 0, "date": 1222930968, "category": 1,
          "measures": [ { "value": 79300, "type": 1, "unit": -3 }, { "value": 652, "type": 5, "unit": -1 },
                        { "value": 178, "type": 6, "unit": -1 }, { "value": 14125, "type": 8, "unit": -3 } ] },
        { "grpid": 2908, "attrib": 0, "date": 1222930968, "category": 1,
          "measures": [ { "value": 173, "type": 4, "unit": -2 } ] }
    ]
}"#;

#[test]
fn reference_getmeas_body_decodes() {
    let page: MeasurePage = serde_json::from_str(GETMEAS).unwrap();
    assert_eq!(page.updatetime, Timestamp::from_secs(1249409679));
    assert_eq!(page.more, More::Remaining(0));
    assert_eq!(page.measuregrps.len(), 2);
    let g = &page.measuregrps[0];
    assert_eq!(g.grpid, GroupId::new(2909));
    assert_eq!(g.attrib, Attribution::DEVICE);
    assert_eq!(g.category, Category::MEASURE);
    assert_eq!(g.date, Timestamp::from_secs(1222930968));
    let shown: Vec<String> = g
        .measures
        .iter()
        .map(|m| m.quantity().to_string())
        .collect();
    assert_eq!(shown, ["79.3 kg", "65.2 kg", "17.8 %", "14.125 kg"]);
    assert_eq!(
        page.measuregrps[1].measures[0].quantity().to_string(),
        "1.73 m"
    );
}

#[test]
fn reference_user_decodes_to_john_doe() {
    // The reference's user object; its text has a trailing comma after birthdate, which is
    // not JSON: wbs-proto's response decoder accepts that verbatim, this crate takes JSON.
    let user: User = serde_json::from_str(
        r#"{ "id": 29, "firstname": "John", "lastname": "Doe", "shortname": "JON",
             "gender": 0, "fatmethod": 0, "birthdate": 211629600 }"#,
    )
    .unwrap();
    assert_eq!(user.id, UserId::new(29));
    assert_eq!(user.firstname.as_deref(), Some("John"));
    assert_eq!(user.lastname.as_deref(), Some("Doe"));
    assert_eq!(user.shortname.as_deref(), Some("JON"));
    assert_eq!(user.gender, Some(Gender::MALE));
    assert_eq!(user.fatmethod, Some(0));
    assert_eq!(user.birthdate, Some(Timestamp::from_secs(211629600)));
    // An anonymous user yields only id and firstname.
    let anon: User = serde_json::from_str(r#"{"id":"30","firstname":"Guest"}"#).unwrap();
    assert_eq!((anon.id, anon.lastname), (UserId::new(30), None));
}

#[test]
fn subscription_and_notification() {
    let s: Subscription = serde_json::from_str(
        r#"{"expires":2147483647,"comment":"Your Own Application Description"}"#,
    )
    .unwrap();
    assert_eq!(s.expires, Timestamp::from_secs(2147483647));
    let n: Notification = serde_json::from_str(
        r#"{"userid":"123456","startdate":1260350649,"enddate":1260350650,"appli":1,"extra":true}"#,
    )
    .unwrap();
    assert_eq!(n.userid, UserId::new(123456));
    assert_eq!(n.appli, Some(DeviceType::BODY_SCALE));
}

#[test]
fn every_reference_status_has_its_description() {
    let table = [
        (0, "Operation was successful"),
        (247, "The userid provided is absent, or incorrect"),
        (
            250,
            "The provided userid and/or Oauth credentials do not match.",
        ),
        (286, "No such subscription was found"),
        (293, "The callback URL is either absent or incorrect"),
        (294, "No such subscription could be deleted"),
        (304, "The comment is either absent or incorrect"),
        (305, "Too many notifications are already set"),
        (342, "The signature (using Oauth) is invalid."),
        (2555, "An unknown error occurred"),
    ];
    for (code, description) in table {
        assert_eq!(
            Status::from_code(code).description(),
            Some(description),
            "{code}"
        );
    }
    assert!(Status::from_code(601).is_rate_limited());
    let unknown = Status::from_code(9999);
    assert_eq!((unknown.description(), unknown.code()), (None, 9999));
    assert!(
        Status::INVALID_SIGNATURE.is_auth_failure() && !Status::INVALID_SIGNATURE.is_transient()
    );
    assert!(Status::UNKNOWN_ERROR.is_transient());
}

#[test]
fn newer_fields_codes_and_shapes_are_kept_or_ignored() {
    let body = r#"{"updatetime":"1700000000","more":true,"offset":2048,"timezone":"Europe/Paris","unknown":[1,2],
        "measuregrps":[{"grpid":"17","attrib":10000,"date":1700000000,"created":1700000001,"modified":1700000002,
        "category":1,"deviceid":null,"hash_deviceid":"abc","model":"Body+","modelid":5,"comment":null,"new_field":{"x":1},
        "measures":[{"value":700,"type":229,"unit":-2,"algo":3,"fm":131,"position":2},{"value":1,"type":9999,"unit":0}]}]}"#;
    let page: MeasurePage = serde_json::from_str(body).unwrap();
    assert_eq!(page.more, More::Flag(true));
    assert!(page.more.has_more());
    let g = &page.measuregrps[0];
    assert_eq!(
        (g.grpid, g.attrib.code(), g.deviceid()),
        (GroupId::new(17), 10000, None)
    );
    assert_eq!(
        g.measures[0].measure_type,
        MeasureType::ELECTROCHEMICAL_SKIN_CONDUCTANCE
    );
    assert_eq!(g.measures[0].quantity().unit, Unit::Microsiemens);
    assert_eq!(g.modified(), Some(Timestamp::from_secs(1700000002)));
    assert_eq!(g.measures[0].position(), Some(2));
    assert_eq!(g.measures[1].measure_type.code(), 9999);
    assert!(!g.measures[1].measure_type.is_known());
    // Round trip keeps every known field and code.
    let again: MeasurePage = serde_json::from_str(&serde_json::to_string(&page).unwrap()).unwrap();
    assert_eq!(again, page);
    // A model sent as a number is kept as its text.
    let g: MeasureGroup = serde_json::from_str(
        r#"{"grpid":1,"attrib":0,"date":0,"category":1,"measures":[],"model":6}"#,
    )
    .unwrap();
    assert_eq!(g.model(), Some("6"));
    // No newer field sent: nothing is allocated for them.
    let plain: MeasureGroup = serde_json::from_str(
        r#"{"grpid":1,"attrib":0,"date":0,"category":1,"measures":[{"value":1,"type":1,"unit":0}]}"#,
    )
    .unwrap();
    assert!(plain.extra.is_none() && plain.measures[0].extra.is_none());
}

#[test]
fn every_known_measure_type_has_a_name_and_unit_and_parses_back() {
    let codes: Vec<i64> = MeasureType::all().map(MeasureType::code).collect();
    assert_eq!(
        codes,
        [
            1, 4, 5, 6, 8, 9, 10, 11, 12, 54, 71, 73, 76, 77, 88, 91, 123, 130, 135, 136, 137, 138,
            139, 155, 167, 168, 169, 170, 173, 174, 175, 196, 226, 227, 229
        ]
    );
    for t in MeasureType::all() {
        assert_ne!(t.name(), "Unknown");
        assert_eq!(t.slug().unwrap().parse::<MeasureType>().unwrap(), t);
        assert_eq!(t.name().parse::<MeasureType>().unwrap(), t);
    }
    assert!(MeasureType::AFIB_CLASSIFICATION.is_category());
    assert_eq!(MeasureType::AFIB_CLASSIFICATION.unit(), Unit::None);
    assert!("nonsense".parse::<MeasureType>().is_err());
}

/// One policy: what the response decoder accepts, a group or measure read alone accepts too
/// (the sync file and the sandbox's admin path read them that way).
#[test]
fn one_tolerant_policy_for_groups_read_alone() {
    let m: wbs_model::Measure =
        serde_json::from_str(r#"{"value":"79300","unit":"-3","type":"1"}"#).unwrap();
    assert_eq!(m.quantity().to_string(), "79.3 kg");
    let g: wbs_model::MeasureGroup = serde_json::from_str(
        r#"{"grpid":"2909","attrib":"0","date":1222930968.0,"category":1,"modelid":"5",
            "deviceid":null,"measures":[{"value":79300,"type":1,"unit":-3}]}"#,
    )
    .unwrap();
    assert_eq!(g.attrib, wbs_model::Attribution::DEVICE);
    assert_eq!(g.extra.as_ref().and_then(|x| x.modelid), Some(5));
    let bad = serde_json::from_str::<wbs_model::MeasureGroup>(
        r#"{"grpid":1,"attrib":0,"category":1,"measures":[]}"#,
    )
    .unwrap_err();
    assert!(bad.to_string().contains("no date"), "{bad}");
    let bad = serde_json::from_str::<wbs_model::Measure>(r#"{"value":1.5,"unit":0,"type":1}"#)
        .unwrap_err();
    assert!(
        bad.to_string().contains("value is a fractional number"),
        "{bad}"
    );
}

/// A user's and a subscription's fields follow the one tolerant policy, as a group's do:
/// an integer as a string, a name as a number, `null` for absent.
#[test]
fn user_and_subscription_fields_follow_the_tolerant_policy() {
    let u: User = serde_json::from_str(
        r#"{"id":"29","firstname":null,"lastname":42,"shortname":"JON","gender":false,
            "fatmethod":"131","birthdate":"211629600"}"#,
    )
    .unwrap();
    assert_eq!(
        (u.id, u.firstname.as_deref(), u.lastname.as_deref()),
        (UserId::new(29), None, Some("42"))
    );
    assert_eq!(
        (u.fatmethod, u.gender, u.birthdate),
        (
            Some(131),
            Some(Gender::MALE),
            Some(Timestamp::from_secs(211629600))
        )
    );
    let s: Subscription =
        serde_json::from_str(r#"{"expires":"2147483647","comment":null}"#).unwrap();
    assert_eq!((s.expires.secs(), s.comment.as_str()), (2147483647, ""));
    // Another shape is still a described problem, never a panic.
    let err = serde_json::from_str::<User>(r#"{"id":29,"fatmethod":[0]}"#).unwrap_err();
    assert!(err.to_string().contains("not an integer"), "{err}");
}
