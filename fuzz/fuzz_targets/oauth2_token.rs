//! OAuth 2's readers of untrusted input: the token endpoint's answer (a token set or a
//! typed error; a token set never has an empty token or a non-positive lifetime behind it)
//! and the redirect (a code only with the very state sent); and the server's readers of the
//! authorize, token and nonce requests (a value or a typed error, and what they read
//! writes back to the same request).
#![no_main]

use libfuzzer_sys::fuzz_target;
use wbs_proto::wbs_oauth::form_pairs;
use wbs_proto::wbs_oauth::flow::authorized_token;
use wbs_proto::wbs_oauth2::{
    bearer_token, decode_token_response, parse_redirect, token_request_body, AuthorizeRequest,
    ClientAuth, ClientCredentials, ClientProof, Grant, GrantRequest, NonceRequest, TokenRequest,
};

fuzz_target!(|input: (&[u8], &str, i64)| {
    let (body, redirect, now) = input;
    if let Ok(set) = decode_token_response(body, now) {
        assert!(!set.access_token.expose().is_empty());
        assert!(!set.refresh_token.expose().is_empty());
        assert!(set.expires_at > now || set.expires_at == i64::MAX);
    }
    if let Ok(code) = parse_redirect(redirect, "the-state") {
        assert!(!code.is_empty());
        let query = redirect.split_once('?').map_or(redirect, |(_, q)| q);
        let query = query.split('#').next().unwrap_or(query);
        assert_eq!(form_pairs(query).find("state").as_deref(), Some("the-state"));
    }
    let _ = AuthorizeRequest::from_query(redirect);
    let _ = NonceRequest::from_form(redirect);
    let _ = authorized_token(redirect);
    let _ = bearer_token(Some(redirect), redirect);
    // A token request read back writes the very same body again.
    if let Ok(read) = TokenRequest::from_form(redirect) {
        let (secret, auth) = match &read.proof {
            ClientProof::Secret(secret) => (secret.clone(), ClientAuth::Secret),
            ClientProof::Signed { nonce, .. } => {
                (String::new().into(), ClientAuth::Signed { nonce })
            }
            _ => return,
        };
        let app = ClientCredentials::new(read.client_id.clone(), secret);
        let grant = match &read.grant {
            GrantRequest::AuthorizationCode { code, redirect_uri } => {
                Grant::AuthorizationCode { code, redirect_uri }
            }
            GrantRequest::RefreshToken(token) => Grant::RefreshToken(token),
            _ => return,
        };
        let again = TokenRequest::from_form(&token_request_body(&app, grant, auth));
        match (&read.proof, again) {
            (ClientProof::Secret(_), Ok(again)) => assert_eq!(again, read),
            (_, Ok(again)) => assert_eq!((again.client_id, again.grant), (read.client_id, read.grant)),
            (_, Err(e)) => panic!("a request read back does not read again: {e}"),
        }
    }
});
