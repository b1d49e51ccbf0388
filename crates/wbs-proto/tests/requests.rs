//! Every request type gives its exact URL or body for a pinned nonce and timestamp. Each
//! expected signature was checked with an independent HMAC-SHA1 implementation (Python's
//! hmac module over a base string built with urllib) before it was pinned here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use wbs_model::{Category, DeviceType, MeasureType, Timestamp, UserId};
use wbs_oauth::Credentials;
use wbs_proto::{
    AnyCall, Call, GetMeas, GetSubscription, GetUser, HttpMethod, InvalidRequest,
    ListSubscriptions, OAuthEndpoints, Params, Probe, Revoke, Session, Subscribe,
};

const NONCE: &str = "f22d74f2209ddf0c6558a47c02841fb1";
const TIMESTAMP: u64 = 1309783586;
const CALLBACK: &str = "http://www.yourdomain.net/yourCustomApplication.php";

const PROBE: &str = "http://wbsapi.withings.net/once?action=probe&oauth_consumer_key=7e563166232c6821742b4c277350494a455f392b353e5d49712a34762a&oauth_nonce=f22d74f2209ddf0c6558a47c02841fb1&oauth_signature=z5Zc50iiTrfYgMLFCdqjuaKHHOk%3D&oauth_signature_method=HMAC-SHA1&oauth_timestamp=1309783586&oauth_token=c68567f1760552958d713e92088db9f5c5189754dfe4e92068971f4e25d64&oauth_version=1.0";
const GET_USER: &str = "http://wbsapi.withings.net/user?action=getbyuserid&oauth_consumer_key=7e563166232c6821742b4c277350494a455f392b353e5d49712a34762a&oauth_nonce=f22d74f2209ddf0c6558a47c02841fb1&oauth_signature=e7RBh9QsUNCo89QnqECJuQ%2FOM84%3D&oauth_signature_method=HMAC-SHA1&oauth_timestamp=1309783586&oauth_token=c68567f1760552958d713e92088db9f5c5189754dfe4e92068971f4e25d64&oauth_version=1.0&userid=29";
const GETMEAS_REFERENCE: &str = "http://wbsapi.withings.net/measure?action=getmeas&enddate=1223190167&oauth_consumer_key=7e563166232c6821742b4c277350494a455f392b353e5d49712a34762a&oauth_nonce=f22d74f2209ddf0c6558a47c02841fb1&oauth_signature=OlwR%2BVbp%2Bqyi8MXT%2B2fw4QMExvc%3D&oauth_signature_method=HMAC-SHA1&oauth_timestamp=1309783586&oauth_token=c68567f1760552958d713e92088db9f5c5189754dfe4e92068971f4e25d64&oauth_version=1.0&startdate=1222819200&userid=29";
const GETMEAS_ALL_FILTERS: &str = "http://wbsapi.withings.net/measure?action=getmeas&category=2&devtype=5&lastupdate=1300000000&limit=10&meastype=1&oauth_consumer_key=7e563166232c6821742b4c277350494a455f392b353e5d49712a34762a&oauth_nonce=f22d74f2209ddf0c6558a47c02841fb1&oauth_signature=OqgMdY8%2By2kf9HnI%2BPAHjdAsODc%3D&oauth_signature_method=HMAC-SHA1&oauth_timestamp=1309783586&oauth_token=c68567f1760552958d713e92088db9f5c5189754dfe4e92068971f4e25d64&oauth_version=1.0&offset=20&userid=29";
const SUBSCRIBE: &str = "http://wbsapi.withings.net/notify?action=subscribe&appli=1&callbackurl=http%3A%2F%2Fwww.yourdomain.net%2FyourCustomApplication.php&comment=Your%20Own%20Application%20Description&oauth_consumer_key=7e563166232c6821742b4c277350494a455f392b353e5d49712a34762a&oauth_nonce=f22d74f2209ddf0c6558a47c02841fb1&oauth_signature=UiLaQT9RfuDsCJWRz%2B1lvlxVF6g%3D&oauth_signature_method=HMAC-SHA1&oauth_timestamp=1309783586&oauth_token=c68567f1760552958d713e92088db9f5c5189754dfe4e92068971f4e25d64&oauth_version=1.0&userid=29";
const NOTIFY_GET: &str = "http://wbsapi.withings.net/notify?action=get&callbackurl=http%3A%2F%2Fwww.yourdomain.net%2FyourCustomApplication.php&oauth_consumer_key=7e563166232c6821742b4c277350494a455f392b353e5d49712a34762a&oauth_nonce=f22d74f2209ddf0c6558a47c02841fb1&oauth_signature=vPWELqFZQd7R426Zo6Grcs21SRs%3D&oauth_signature_method=HMAC-SHA1&oauth_timestamp=1309783586&oauth_token=c68567f1760552958d713e92088db9f5c5189754dfe4e92068971f4e25d64&oauth_version=1.0&userid=29";
const NOTIFY_LIST: &str = "http://wbsapi.withings.net/notify?action=list&oauth_consumer_key=7e563166232c6821742b4c277350494a455f392b353e5d49712a34762a&oauth_nonce=f22d74f2209ddf0c6558a47c02841fb1&oauth_signature=QRLDLtkL9pmNi%2FYY6zsVB268psw%3D&oauth_signature_method=HMAC-SHA1&oauth_timestamp=1309783586&oauth_token=c68567f1760552958d713e92088db9f5c5189754dfe4e92068971f4e25d64&oauth_version=1.0&userid=1229";
const REVOKE: &str = "http://wbsapi.withings.net/notify?action=revoke&callbackurl=http%3A%2F%2Fwww.yourdomain.net%2FyourCustomApplication.php&oauth_consumer_key=7e563166232c6821742b4c277350494a455f392b353e5d49712a34762a&oauth_nonce=f22d74f2209ddf0c6558a47c02841fb1&oauth_signature=MykThE4OqHTLBe1PXqvEZlVuFLM%3D&oauth_signature_method=HMAC-SHA1&oauth_timestamp=1309783586&oauth_token=c68567f1760552958d713e92088db9f5c5189754dfe4e92068971f4e25d64&oauth_version=1.0&userid=29";
const POST_URL: &str = "http://wbsapi.withings.net/measure";
const POST_BODY: &str = "action=getmeas&limit=1&oauth_consumer_key=7e563166232c6821742b4c277350494a455f392b353e5d49712a34762a&oauth_nonce=f22d74f2209ddf0c6558a47c02841fb1&oauth_signature=baA5ZzN3ckMtAmQl0lys9JIrZSE%3D&oauth_signature_method=HMAC-SHA1&oauth_timestamp=1309783586&oauth_token=c68567f1760552958d713e92088db9f5c5189754dfe4e92068971f4e25d64&oauth_version=1.0&userid=29";
const REQUEST_TOKEN: &str = "https://oauth.withings.com/account/request_token?oauth_callback=http%3A%2F%2Fexample.com%2Fget_access_token&oauth_consumer_key=7e563166232c6821742b4c277350494a455f392b353e5d49712a34762a&oauth_nonce=f22d74f2209ddf0c6558a47c02841fb1&oauth_signature=%2BIiU%2BTIcJ%2BAEThEQEs6m%2BGUlJXk%3D&oauth_signature_method=HMAC-SHA1&oauth_timestamp=1309783586&oauth_version=1.0";
/// RFC 5849 §2.2: the user is redirected with the request token; nothing is signed.
const AUTHORIZE: &str = "https://oauth.withings.com/account/authorize?oauth_token=request-token";
const ACCESS_TOKEN: &str = "https://oauth.withings.com/account/access_token?oauth_consumer_key=7e563166232c6821742b4c277350494a455f392b353e5d49712a34762a&oauth_nonce=f22d74f2209ddf0c6558a47c02841fb1&oauth_signature=xwUVeBvb0uafgyq42wwwDwOMOxo%3D&oauth_signature_method=HMAC-SHA1&oauth_timestamp=1309783586&oauth_token=request-token&oauth_verifier=sMh8W8b4cPkxMzwm3eXQ&oauth_version=1.0";

fn consumer() -> Credentials {
    Credentials::new(
        "7e563166232c6821742b4c277350494a455f392b353e5d49712a34762a",
        "consumer-secret",
    )
}

fn session() -> Session {
    Session::new(
        consumer(),
        Credentials::new(
            "c68567f1760552958d713e92088db9f5c5189754dfe4e92068971f4e25d64",
            "token-secret",
        ),
    )
    .with_base_url("http://wbsapi.withings.net/")
    .unwrap()
}

fn uri<C: wbs_proto::Call>(call: &C) -> String {
    let r = session().request(call, NONCE, TIMESTAMP).unwrap();
    assert_eq!(r.method(), http::Method::GET);
    assert!(r.body().is_empty());
    r.uri().to_string()
}

#[test]
fn every_action_as_a_signed_get() {
    assert_eq!(uri(&Probe), PROBE);
    assert_eq!(
        uri(&GetUser {
            userid: UserId::new(29)
        }),
        GET_USER
    );
    let reference = GetMeas::new(UserId::new(29))
        .startdate(Timestamp::from_secs(1222819200))
        .enddate(Timestamp::from_secs(1223190167));
    assert_eq!(uri(&reference), GETMEAS_REFERENCE);
    let filtered = GetMeas::new(UserId::new(29))
        .devtype(DeviceType::BODY_SCALE | DeviceType::BLOOD_PRESSURE_MONITOR)
        .meastype(MeasureType::WEIGHT)
        .lastupdate(Timestamp::from_secs(1300000000))
        .category(Category::TARGET)
        .limit(10)
        .offset(20);
    assert_eq!(uri(&filtered), GETMEAS_ALL_FILTERS);
    let subscribe = Subscribe {
        userid: UserId::new(29),
        callbackurl: CALLBACK.into(),
        comment: "Your Own Application Description".into(),
        appli: Some(DeviceType::BODY_SCALE),
    };
    assert_eq!(uri(&subscribe), SUBSCRIBE);
    assert_eq!(
        uri(&GetSubscription {
            userid: UserId::new(29),
            callbackurl: CALLBACK.into(),
            appli: None
        }),
        NOTIFY_GET
    );
    assert_eq!(
        uri(&ListSubscriptions {
            userid: UserId::new(1229),
            appli: None
        }),
        NOTIFY_LIST
    );
    assert_eq!(
        uri(&Revoke {
            userid: UserId::new(29),
            callbackurl: CALLBACK.into(),
            appli: None
        }),
        REVOKE
    );
}

#[test]
fn post_carries_everything_in_a_form_body() {
    let r = session()
        .with_method(HttpMethod::Post)
        .request(&GetMeas::new(UserId::new(29)).limit(1), NONCE, TIMESTAMP)
        .unwrap();
    assert_eq!(r.method(), http::Method::POST);
    assert_eq!(r.uri().to_string(), POST_URL);
    assert_eq!(
        r.headers()["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(String::from_utf8(r.body().clone()).unwrap(), POST_BODY);
}

#[test]
fn oauth_endpoints() {
    let e = OAuthEndpoints::default();
    let rt = Credentials::new("request-token", "request-secret");
    assert_eq!(
        e.request_token(
            &consumer(),
            "http://example.com/get_access_token",
            NONCE,
            TIMESTAMP
        )
        .unwrap()
        .uri()
        .to_string(),
        REQUEST_TOKEN
    );
    assert_eq!(e.authorize_url(&rt.key).unwrap(), AUTHORIZE);
    assert_eq!(
        e.access_token(&consumer(), &rt, "sMh8W8b4cPkxMzwm3eXQ", NONCE, TIMESTAMP)
            .unwrap()
            .uri()
            .to_string(),
        ACCESS_TOKEN
    );
    assert_eq!(
        OAuthEndpoints::under("http://127.0.0.1:9/").access_token,
        "http://127.0.0.1:9/account/access_token"
    );
}

#[test]
fn invalid_requests_are_refused_before_sending() {
    let s = session();
    let req = |r: Result<http::Request<Vec<u8>>, InvalidRequest>| r.unwrap_err();
    assert_eq!(
        req(s.request(
            &GetUser {
                userid: UserId::new(0)
            },
            NONCE,
            1
        )),
        InvalidRequest::UserId
    );
    assert_eq!(
        req(s.request(&GetMeas::new(UserId::new(-3)), NONCE, 1)),
        InvalidRequest::UserId
    );
    let backwards = GetMeas::new(UserId::new(1))
        .startdate(Timestamp::from_secs(10))
        .enddate(Timestamp::from_secs(9));
    assert_eq!(
        req(s.request(&backwards, NONCE, 1)),
        InvalidRequest::DateRange
    );
    assert_eq!(
        req(s.request(&GetMeas::new(UserId::new(1)).limit(0), NONCE, 1)),
        InvalidRequest::ZeroLimit
    );
    let sub = |url: &str, comment: &str| Subscribe {
        userid: UserId::new(1),
        callbackurl: url.into(),
        comment: comment.into(),
        appli: None,
    };
    assert_eq!(
        req(s.request(&sub(CALLBACK, "  "), NONCE, 1)),
        InvalidRequest::EmptyComment
    );
    for bad in [
        "",
        "ftp://example.com/x",
        "/relative",
        "http://",
        "http://exa mple.com/",
    ] {
        assert!(
            matches!(
                req(s.request(&sub(bad, "c"), NONCE, 1)),
                InvalidRequest::CallbackUrl(_)
            ),
            "{bad}"
        );
    }
    let long = format!("http://example.com/{}", "a".repeat(110));
    assert_eq!(
        req(s.request(&sub(&long, "c"), NONCE, 1)),
        InvalidRequest::CallbackUrl("longer than 128 characters")
    );
    let exactly_128 = format!("http://example.com/{}", "a".repeat(109));
    assert_eq!(exactly_128.len(), 128);
    assert!(s.request(&sub(&exactly_128, "c"), NONCE, 1).is_ok());
    for bad in [
        "wbsapi.withings.net",
        "ftp://x",
        "http://x/?q=1",
        "http://x/#f",
        "https://",
    ] {
        assert_eq!(
            session().with_base_url(bad).unwrap_err(),
            InvalidRequest::BaseUrl,
            "{bad}"
        );
    }
}

#[test]
fn a_session_never_shows_its_secrets() {
    let debug = format!("{:?}", session());
    assert!(
        !debug.contains("consumer-secret") && !debug.contains("token-secret"),
        "{debug}"
    );
}

/// The parameter contract both ways: every call read back from the parameters it sends is
/// the same call, and a server's reading refuses what a client refuses, with the status
/// the service answered.
#[test]
fn every_call_reads_back_from_its_parameters() {
    fn round_trip<C: Call + Clone + std::fmt::Debug + PartialEq>(call: C, wrap: fn(C) -> AnyCall) {
        let mut out = Vec::new();
        call.params(&mut out).unwrap();
        let mut pairs: Vec<(&str, &str)> = vec![("action", C::ACTION)];
        pairs.extend(out.iter().map(|(n, v)| (*n, v.as_ref())));
        let params: Params = pairs.into_iter().collect();
        assert_eq!(C::from_params(&params).unwrap(), call);
        assert_eq!(
            AnyCall::from_params(C::SERVICE, &params).unwrap(),
            wrap(call)
        );
    }
    let u = UserId::new(29);
    round_trip(Probe, AnyCall::Probe);
    round_trip(GetUser { userid: u }, AnyCall::GetUser);
    round_trip(GetMeas::new(u), AnyCall::GetMeas);
    round_trip(
        GetMeas::new(u)
            .startdate(Timestamp::from_secs(1))
            .enddate(Timestamp::from_secs(2))
            .devtype(DeviceType::BODY_SCALE)
            .meastype(MeasureType::WEIGHT)
            .lastupdate(Timestamp::from_secs(3))
            .category(Category::TARGET)
            .limit(7)
            .offset(9),
        AnyCall::GetMeas,
    );
    let url = "http://127.0.0.1:9/cb?a=1&b=2".to_owned();
    round_trip(
        Subscribe {
            userid: u,
            callbackurl: url.clone(),
            comment: "a b&c".into(),
            appli: Some(DeviceType::from_code(4)),
        },
        AnyCall::Subscribe,
    );
    round_trip(
        GetSubscription {
            userid: u,
            callbackurl: url.clone(),
            appli: None,
        },
        AnyCall::GetSubscription,
    );
    round_trip(
        ListSubscriptions {
            userid: u,
            appli: None,
        },
        AnyCall::ListSubscriptions,
    );
    round_trip(
        Revoke {
            userid: u,
            callbackurl: url.clone(),
            appli: None,
        },
        AnyCall::Revoke,
    );
    // Today's service: several measure types, and notify/update.
    let mut today = GetMeas::new(u).lastupdate(Timestamp::from_secs(3));
    today.meastypes = vec![MeasureType::WEIGHT, MeasureType::from_code(229)];
    round_trip(today, AnyCall::GetMeas);
    round_trip(
        wbs_proto::UpdateSubscription {
            userid: u,
            callbackurl: url,
            appli: Some(DeviceType::SLEEP),
            new_callbackurl: "https://example.com/new?x=1".into(),
            new_appli: Some(DeviceType::GLUCOSE),
        },
        AnyCall::UpdateSubscription,
    );
    assert_eq!(
        AnyCall::from_params(
            "measure",
            &[("action", "getmeas"), ("userid", "1"), ("meastypes", "1,x")]
                .into_iter()
                .collect()
        )
        .unwrap_err(),
        wbs_proto::InvalidRequest::InvalidParameter("meastypes")
    );

    let refused = |service: &str, pairs: &[(&str, &str)]| {
        AnyCall::from_params(service, &pairs.iter().copied().collect())
            .unwrap_err()
            .api_status()
            .code()
    };
    assert_eq!(refused("measure", &[("action", "getmeas")]), 247);
    assert_eq!(
        refused("measure", &[("action", "getmeas"), ("userid", "-1")]),
        247
    );
    assert_eq!(
        refused(
            "measure",
            &[("action", "getmeas"), ("userid", "29"), ("limit", "x")]
        ),
        2555
    );
    assert_eq!(
        refused("measure", &[("action", "nope"), ("userid", "29")]),
        2554
    );
    assert_eq!(
        refused("notify", &[("action", "getmeas"), ("userid", "29")]),
        2554
    );
    assert_eq!(
        refused(
            "notify",
            &[
                ("action", "subscribe"),
                ("userid", "29"),
                ("callbackurl", "ftp://x/")
            ]
        ),
        293
    );
    assert_eq!(
        refused(
            "notify",
            &[
                ("action", "subscribe"),
                ("userid", "29"),
                ("callbackurl", "http://x/"),
                ("comment", " ")
            ]
        ),
        304
    );
}

/// The session puts a signed URI together from the base URL's scheme and authority, parsed
/// once, and the signed path and query: the URI is the one the engine signs, parsed whole,
/// for every kind of base URL, and for a call of a service the session does not know.
#[test]
fn a_signed_uri_is_the_engines_url_for_every_base_url() {
    /// A call of a service outside this crate's.
    #[derive(Debug)]
    struct Custom;
    impl Call for Custom {
        type Output = ();
        const SERVICE: &'static str = "v2/custom";
        const ACTION: &'static str = "list";
        fn params<'a>(&'a self, out: &mut wbs_proto::ParamsOut<'a>) -> Result<(), InvalidRequest> {
            out.push(("x", "a b".into()));
            Ok(())
        }
        fn from_params(_: &Params<'_>) -> Result<Self, InvalidRequest> {
            Ok(Self)
        }
        fn decode(_: http::StatusCode, _: &[u8]) -> Result<(), wbs_proto::ResponseError> {
            Ok(())
        }
    }
    fn check<C: Call>(base: &str, call: &C) {
        let session = session().with_base_url(base).unwrap();
        let request = session.request(call, NONCE, TIMESTAMP).unwrap();
        let signer = wbs_oauth::Signer::hmac_sha1(
            &wbs_oauth::Secret::new("consumer-secret"),
            Some(&wbs_oauth::Secret::new("token-secret")),
        );
        let consumer = consumer();
        let oauth = wbs_oauth::OAuthParams::new(&consumer.key, NONCE, "1309783586")
            .token("c68567f1760552958d713e92088db9f5c5189754dfe4e92068971f4e25d64");
        let mut params = Vec::new();
        call.params(&mut params).unwrap();
        let mut pairs = vec![("action", C::ACTION)];
        pairs.extend(params.iter().map(|(n, v)| (*n, v.as_ref())));
        let endpoint = format!("{}/{}", base.trim_end_matches('/'), C::SERVICE);
        let mut buf = wbs_oauth::UrlBuffer::new();
        let url = signer
            .sign_url_into("GET", &endpoint, &pairs, &oauth, &mut buf)
            .unwrap();
        assert_eq!(request.uri(), &http::Uri::try_from(url).unwrap(), "{base}");
        assert_eq!(request.uri().to_string(), url, "{base}");
    }
    for base in [
        "http://127.0.0.1:8080",
        "https://User:pw@Example.COM:8443/api/",
        "http://[::1]:9",
        "https://wbsapi.withings.net",
    ] {
        check(base, &GetMeas::new(UserId::new(29)));
        check(base, &Probe);
        check(base, &Custom);
    }
}

/// A call made with an OAuth 2 token is read by today's rules, and only such a call:
/// `userid` defaults to the token's owner (one sent still counts), a subscription needs no
/// comment, and a callback URL may be 255 characters long.
#[test]
fn calls_with_a_bearer_token_are_read_by_todays_rules() {
    let owner = UserId::new(29);
    let read = |pairs: &[(&str, &str)], bearer: bool| {
        let params: Params = pairs.iter().copied().collect();
        let params = if bearer {
            params.with_bearer(owner)
        } else {
            params
        };
        AnyCall::from_params("notify", &params)
    };
    let url_of = |n: usize| format!("http://example.com/{}", "a".repeat(n - 19));
    let (url_200, url_255, url_256) = (url_of(200), url_of(255), url_of(256));
    fn subscribe(url: &str) -> Vec<(&str, &str)> {
        vec![
            ("action", "subscribe"),
            ("callbackurl", url),
            ("appli", "1"),
        ]
    }
    assert_eq!(
        read(&subscribe(CALLBACK), false),
        Err(InvalidRequest::UserId)
    );
    let AnyCall::Subscribe(s) = read(&subscribe(CALLBACK), true).unwrap() else {
        panic!("not a subscribe");
    };
    assert_eq!((s.userid, s.comment.as_str()), (owner, ""));
    let mut with_user = subscribe(CALLBACK);
    with_user.push(("userid", "7"));
    assert_eq!(read(&with_user, false), Err(InvalidRequest::EmptyComment));
    assert_eq!(
        read(&with_user, true).unwrap().userid(),
        Some(UserId::new(7))
    );
    with_user.push(("comment", "c"));
    with_user[1].1 = &url_200;
    assert_eq!(
        read(&with_user, false),
        Err(InvalidRequest::CallbackUrl("longer than 128 characters"))
    );
    assert!(read(&subscribe(&url_255), true).is_ok());
    assert_eq!(
        read(&subscribe(&url_256), true),
        Err(InvalidRequest::CallbackUrl("longer than 255 characters"))
    );
}
