//! The OAuth 2 layer against values computed independently (Python's hmac and hashlib for
//! the signatures), the envelope in its every form, and arbitrary input.

use proptest::prelude::*;
use wbs_oauth::Secret;
use wbs_oauth2::*;

#[test]
fn signatures_match_independent_values() {
    let secret = Secret::new("client-secret");
    // python3: hmac.new(b'client-secret', b'getnonce,my-client,1700000000', sha256).hexdigest()
    let getnonce = [
        ("action", "getnonce"),
        ("client_id", "my-client"),
        ("timestamp", "1700000000"),
    ];
    let expected = "8302182fbbc03c5863f05cd18ecc804e83f26e9ea178fe22d11ca75d11a2b5e9";
    assert_eq!(sign(&secret, &getnonce), expected);
    // Order of the names, not of the slice.
    let shuffled = [getnonce[2], getnonce[0], getnonce[1]];
    assert_eq!(sign(&secret, &shuffled), expected);
    assert!(verify(&secret, &getnonce, &expected.to_ascii_uppercase()));
    assert!(!verify(&secret, &getnonce, &expected[1..]));
    assert!(!verify(&Secret::new("other"), &getnonce, expected));
    // python3: hmac.new(b'client-secret', b'requesttoken,my-client,a-nonce', sha256).hexdigest()
    let signed = [
        ("nonce", "a-nonce"),
        ("action", "requesttoken"),
        ("client_id", "my-client"),
    ];
    assert_eq!(
        sign(&secret, &signed),
        "432f22d148655eb54e1ca76ec06c1788327f3bd21e9b933fbb6d3136a99801de"
    );
    // python3: hmac.new(b'', b'', sha256).hexdigest()
    assert_eq!(
        sign(&Secret::new(""), &[]),
        "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"
    );
    // The signed token request carries that signature and no secret.
    let app = ClientCredentials::new("my-client", "client-secret");
    let refresh = Secret::new("r1");
    let body = token_request_body(
        &app,
        Grant::RefreshToken(&refresh),
        ClientAuth::Signed { nonce: "a-nonce" },
    );
    assert_eq!(
        body,
        "action=requesttoken&grant_type=refresh_token&client_id=my-client&nonce=a-nonce\
         &signature=432f22d148655eb54e1ca76ec06c1788327f3bd21e9b933fbb6d3136a99801de&refresh_token=r1"
    );
    assert!(!format!("{app:?}").contains("client-secret"));
}

#[test]
fn redirects_are_checked() {
    let ok = parse_redirect("http://127.0.0.1:9/cb?state=s%20t&code=abc#frag", "s t");
    assert_eq!(ok.as_deref(), Ok("abc"));
    for (redirect, expected) in [
        ("http://x/cb?code=abc", RedirectError::StateMismatch),
        ("http://x/cb?code=abc&state=", RedirectError::StateMismatch),
        (
            "http://x/cb?code=abc&state=S%20T",
            RedirectError::StateMismatch,
        ),
        ("http://x/cb?state=s%20t", RedirectError::NoCode),
        ("http://x/cb?state=s%20t&code=", RedirectError::NoCode),
        (
            "http://x/cb?state=s%20t&error=access_denied",
            RedirectError::Refused("access_denied".into()),
        ),
    ] {
        assert_eq!(parse_redirect(redirect, "s t"), Err(expected), "{redirect}");
    }
    let url = authorize_url(
        AUTHORIZE_URL,
        "id",
        "http://127.0.0.1:9/cb",
        DEFAULT_SCOPE,
        "s t",
    );
    assert!(
        url.contains("&state=s%20t&scope=user.info%2Cuser.metrics&"),
        "{url}"
    );
}

#[test]
fn the_envelope_in_every_form() {
    let now = 1_000;
    let good = |userid: &str| {
        format!(
            r#"{{"status":0,"body":{{"userid":{userid},"access_token":"at","refresh_token":"rt","expires_in":"10800","scope":"user.metrics","csrf_token":"x","token_type":"Bearer"}}}}"#
        )
    };
    for userid in ["29", "\"29\"", "29.0e0"] {
        let decoded = decode_token_response(good(userid).as_bytes(), now);
        if userid == "29.0e0" {
            assert_eq!(decoded, Err(TokenError::Field { field: "userid" }));
            continue;
        }
        let set = decoded.unwrap();
        assert_eq!((set.userid, set.expires_at), (29, 11_800));
        assert_eq!(
            (set.access_token.expose(), set.refresh_token.expose()),
            ("at", "rt")
        );
        assert!(!format!("{set:?}").contains("\"at\"") && !format!("{set:?}").contains("rt"));
    }
    let refused = decode_token_response(
        br#"{"status":503,"body":{},"error":"Invalid Params: invalid code"}"#,
        now,
    );
    assert_eq!(
        refused,
        Err(TokenError::Refused {
            status: 503,
            error: Some("Invalid Params: invalid code".into())
        })
    );
    assert!(refused.unwrap_err().to_string().contains("invalid code"));
    assert!(decode_token_response(br#"{"status":601,"body":{}}"#, now)
        .unwrap_err()
        .is_transient());
    // An empty or missing refresh token never makes a token set.
    for (body, field) in [
        (r#"{"status":0,"body":{}}"#, "access_token"),
        (
            r#"{"status":0,"body":{"userid":1,"access_token":"a","refresh_token":"","expires_in":1}}"#,
            "refresh_token",
        ),
        (
            r#"{"status":0,"body":{"userid":1,"access_token":"a","refresh_token":"r","expires_in":0}}"#,
            "expires_in",
        ),
        (
            r#"{"status":0,"body":{"userid":1,"access_token":"a","refresh_token":"r","expires_in":5,"token_type":"mac"}}"#,
            "token_type",
        ),
        // A user id is positive: 0 or below names nobody, and no request could use it.
        (
            r#"{"status":0,"body":{"userid":0,"access_token":"a","refresh_token":"r","expires_in":5}}"#,
            "userid",
        ),
        (
            r#"{"status":0,"body":{"userid":"-29","access_token":"a","refresh_token":"r","expires_in":5}}"#,
            "userid",
        ),
    ] {
        let field = if field == "access_token" {
            "userid"
        } else {
            field
        };
        assert_eq!(
            decode_token_response(body.as_bytes(), now),
            Err(TokenError::Field { field }),
            "{body}"
        );
    }
    assert!(matches!(
        decode_token_response(b"<html>", now),
        Err(TokenError::NotEnvelope(_))
    ));
    assert!(matches!(
        decode_token_response(br#"{"body":{}}"#, now),
        Err(TokenError::NotEnvelope(_))
    ));
    // An expiry far away saturates.
    let far = br#"{"status":0,"body":{"userid":1,"access_token":"a","refresh_token":"r","expires_in":9223372036854775807}}"#;
    assert_eq!(
        decode_token_response(far, now).unwrap().expires_at,
        i64::MAX
    );
}

/// The code and the refresh token never show in `Debug`: each buys a user's tokens.
#[test]
fn debug_hides_codes_and_refresh_tokens() {
    let app = ClientCredentials::new("my-id", "app-SECRET-1");
    let refresh = Secret::new("refresh-SECRET-2");
    for grant in [
        Grant::AuthorizationCode {
            code: "code-SECRET-3",
            redirect_uri: "https://example.com/cb",
        },
        Grant::RefreshToken(&refresh),
    ] {
        let read =
            TokenRequest::from_form(&token_request_body(&app, grant, ClientAuth::Secret)).unwrap();
        let debug = format!("{grant:?} {read:?} {:?}", read.grant);
        for secret in ["app-SECRET-1", "refresh-SECRET-2", "code-SECRET-3"] {
            assert!(!debug.contains(secret), "{debug}");
        }
    }
}

proptest! {
    /// Any bytes: a token set or a typed error, never a panic; any redirect likewise.
    #[test]
    fn arbitrary_input_is_a_value_or_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..300), text in ".{0,200}", now in any::<i64>()) {
        let _ = decode_token_response(&bytes, now);
        let _ = decode_token_response(text.as_bytes(), now);
        let _ = parse_redirect(&text, "state");
        let _ = AuthorizeRequest::from_query(&text);
        let _ = TokenRequest::from_form(&text);
        let _ = NonceRequest::from_form(&text);
    }

    /// What a client writes, the server reads back as it was, whatever the text: the token
    /// request of either grant and either proof, the authorize URL, the nonce request.
    #[test]
    fn requests_read_back_as_written(
        id in ".{0,20}", secret in ".{0,20}", code in ".{0,20}", uri in "https?://[a-z0-9.-]{1,12}(:[1-9][0-9]{0,3})?(/[a-zA-Z0-9._~!$&'()*+,;=:@/?%-]{0,12})?",
        state in ".{0,20}", nonce in ".{0,20}", timestamp in any::<u64>(),
    ) {
        let app = ClientCredentials::new(id.clone(), secret.clone());
        let refresh = Secret::new(code.clone());
        let grants = [
            (Grant::AuthorizationCode { code: &code, redirect_uri: &uri },
             GrantRequest::AuthorizationCode { code: code.clone(), redirect_uri: uri.clone() }),
            (Grant::RefreshToken(&refresh), GrantRequest::RefreshToken(refresh.clone())),
        ];
        for (grant, expected) in grants {
            for auth in [ClientAuth::Secret, ClientAuth::Signed { nonce: &nonce }] {
                let read = TokenRequest::from_form(&token_request_body(&app, grant, auth)).unwrap();
                prop_assert_eq!(&read.client_id, &id);
                prop_assert_eq!(&read.grant, &expected);
                prop_assert!(read.proof.holds(&app));
            }
        }
        let url = authorize_url("https://example.com/a", &id, &uri, "user.metrics", &state);
        let asked = AuthorizeRequest::from_query(url.split_once('?').unwrap().1).unwrap();
        prop_assert_eq!((asked.client_id, asked.redirect_uri, asked.state), (id, uri, state));
        prop_assert!(NonceRequest::from_form(&nonce_request_body(&app, timestamp)).unwrap().holds(&app));
    }
}
