//! Today's service beside the 2013 one: OAuth 2 as `shared/spec/oauth2-notes.md` describes
//! it. The authorize page approves at once and redirects with a code (30 s, once); the
//! token endpoint trades a code or a refresh token for a token set in the status envelope;
//! access tokens expire (3 h by default); each refresh rotates the refresh token, the old
//! one valid until the new access token is first used or 8 h; expired or unknown access
//! tokens answer status 401; the v2 signature service hands out single-use nonces. A clock
//! offset (the admin path's) moves the tokens' time forward.
//!
//! Codes and tokens come from the sandbox's seeded generator: predictable, as a local test
//! server's may be (the service's are not); what has expired is forgotten as maps grow.

use std::collections::HashMap;

use serde_json::{json, Value};
use wbs_oauth2::{
    bearer_token, redirect_url, AuthorizeRequest, ClientCredentials, ClientProof, GrantRequest,
    NonceRequest, TokenRequest, TokenSet,
};
use wbs_proto::http::{header, HeaderValue, StatusCode};
use wbs_proto::wbs_model::{Status, UserId};

use super::{json_reply, json_text, text, Sandbox, SimRequest, SimResponse};

/// The sandbox application's OAuth 2 client id.
pub const CLIENT_ID: &str = "wbs-sandbox-client-id";
/// Its client secret.
pub const CLIENT_SECRET: &str = "wbs-sandbox-client-secret";
/// How long a code is valid, in seconds.
pub const CODE_LIFETIME: i64 = 30;
/// How long a rotated-out refresh token keeps working at most, in seconds.
pub const OLD_REFRESH_GRACE: i64 = 8 * 3600;
/// A refresh token's lifetime, in seconds (a year).
pub const REFRESH_LIFETIME: i64 = 365 * 86_400;
/// How long a signature nonce is valid, in seconds.
pub const NONCE_LIFETIME: i64 = 30 * 60;

/// The OAuth 2 side of the sandbox.
#[derive(Clone, Debug)]
pub(super) struct OAuth2 {
    pub(super) app: ClientCredentials,
    /// Added to the server's clock for everything here.
    pub(super) clock_offset: i64,
    pub(super) access_lifetime: i64,
    codes: HashMap<String, Code>,
    access: HashMap<String, Access>,
    refresh: HashMap<String, Refresh>,
    nonces: HashMap<String, i64>,
    /// Token requests answered with a token set, by grant.
    pub(super) issued_codes: u64,
    pub(super) refreshes: u64,
}

#[derive(Clone, Debug)]
struct Code {
    userid: UserId,
    redirect_uri: String,
    expires: i64,
    /// What the user approved, answered with the token set.
    scope: String,
}

#[derive(Clone, Debug)]
struct Access {
    userid: UserId,
    expires: i64,
    used: bool,
    /// The refresh token this one was issued with, retired at its first use.
    retires: Option<String>,
}

#[derive(Clone, Debug)]
struct Refresh {
    userid: UserId,
    expires: i64,
    /// The scope approved, carried over to each set it is traded for.
    scope: String,
    /// The token set it was last traded for: a second trade invalidates that one, as two
    /// concurrent refreshes do on the service.
    successor: Option<(String, String)>,
}

impl Default for OAuth2 {
    fn default() -> Self {
        Self {
            app: ClientCredentials::new(CLIENT_ID, CLIENT_SECRET),
            clock_offset: 0,
            access_lifetime: 3 * 3600,
            codes: HashMap::new(),
            access: HashMap::new(),
            refresh: HashMap::new(),
            nonces: HashMap::new(),
            issued_codes: 0,
            refreshes: 0,
        }
    }
}

impl OAuth2 {
    /// Forgets what has expired, once the maps grow (the endpoints are unauthenticated:
    /// their state stays bounded by what is alive).
    fn prune(&mut self, now: i64) {
        const KEEP: usize = 1_000;
        if self.codes.len() > KEEP {
            self.codes.retain(|_, c| c.expires >= now);
        }
        if self.nonces.len() > KEEP {
            self.nonces.retain(|_, until| *until >= now);
        }
        if self.access.len() > KEEP {
            self.access.retain(|_, a| a.expires >= now);
        }
        if self.refresh.len() > KEEP {
            self.refresh.retain(|_, r| r.expires >= now);
        }
    }
}

/// The envelope of a refusal, as the token endpoint answers it.
fn refused(status: u16, error: &str) -> Value {
    json!({"status": status, "body": {}, "error": error})
}

impl Sandbox {
    /// The sandbox's clock for OAuth 2: the server's plus the admin offset.
    fn oauth2_now(&self, now: u64) -> i64 {
        i64::try_from(now)
            .unwrap_or(i64::MAX)
            .saturating_add(self.oauth2.clock_offset)
    }

    /// `GET /oauth2_user/authorize2`: approves at once, for `userid` if named (else the
    /// first user), and redirects to `redirect_uri` with `code` and `state`.
    pub(super) fn authorize2(&mut self, request: &SimRequest, now: u64) -> SimResponse {
        let query = request.uri().query().unwrap_or("");
        let asked = match AuthorizeRequest::from_query(query) {
            Ok(asked) if asked.client_id == self.oauth2.app.client_id => asked,
            Ok(_) => return text(StatusCode::BAD_REQUEST, "unknown client_id"),
            Err(e) => return text(StatusCode::BAD_REQUEST, &e.to_string()),
        };
        let userid = match self.approving_user(query) {
            Ok(userid) => userid,
            Err(refusal) => return text(StatusCode::BAD_REQUEST, refusal),
        };
        let code = self.fresh_token("code");
        let now = self.oauth2_now(now);
        self.oauth2.prune(now);
        let expires = now.saturating_add(CODE_LIFETIME);
        self.oauth2.codes.insert(
            code.clone(),
            Code {
                userid,
                redirect_uri: asked.redirect_uri.clone(),
                expires,
                // What was asked for (the default when nothing was): an OAuth 2 client
                // checks that the answer's scope is the one it asked for.
                scope: asked
                    .scope
                    .clone()
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| wbs_oauth2::DEFAULT_SCOPE.to_owned()),
            },
        );
        let location = redirect_url(&asked.redirect_uri, &code, &asked.state);
        let mut response = text(StatusCode::FOUND, "");
        if let Ok(value) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(header::LOCATION, value);
        }
        response
    }

    /// `POST /v2/oauth2` with `action=requesttoken`, for both grants.
    pub(super) fn requesttoken(&mut self, request: &SimRequest, now: u64) -> SimResponse {
        let now = self.oauth2_now(now);
        let asked = match TokenRequest::from_form(form(request)) {
            Ok(asked) => asked,
            Err(e) => return json_reply(refused(503, &format!("Invalid Params: {e}"))),
        };
        if asked.client_id != self.oauth2.app.client_id {
            return json_reply(refused(503, "Invalid Params: invalid client_id"));
        }
        // A signed request's nonce is single-use: taken out whether it then holds or not.
        let fresh = match &asked.proof {
            ClientProof::Signed { nonce, .. } => self
                .oauth2
                .nonces
                .remove(nonce)
                .is_some_and(|until| now <= until),
            _ => true,
        };
        // The client id is checked above.
        if !(fresh && asked.proof.holds(&self.oauth2.app)) {
            return json_reply(refused(
                503,
                "Invalid Params: invalid client_secret or signature",
            ));
        }
        let (userid, scope) = match asked.grant {
            GrantRequest::AuthorizationCode { code, redirect_uri } => {
                // Once: taken out whether it then matches or not (a request that does not
                // read as a token request, missing its redirect_uri say, takes nothing).
                match self.oauth2.codes.remove(&code) {
                    Some(c) if now > c.expires => {
                        return json_reply(refused(503, "Invalid Params: the code has expired"))
                    }
                    Some(c) if redirect_uri != c.redirect_uri => {
                        return json_reply(refused(503, "Invalid Params: redirect_uri mismatch"))
                    }
                    Some(c) => {
                        self.oauth2.issued_codes += 1;
                        (c.userid, c.scope)
                    }
                    None => return json_reply(refused(503, "Invalid Params: invalid code")),
                }
            }
            GrantRequest::RefreshToken(token) => {
                let token = token.expose();
                let Some(r) = self.oauth2.refresh.get(token).filter(|r| now <= r.expires) else {
                    return json_reply(refused(503, "Invalid Params: invalid refresh_token"));
                };
                let (userid, scope) = (r.userid, r.scope.clone());
                // Traded again (a client that lost the answer, or two concurrent
                // refreshes): the earlier trade's tokens die.
                if let Some((access, refresh)) = r.successor.clone() {
                    self.oauth2.access.remove(&access);
                    self.oauth2.refresh.remove(&refresh);
                }
                self.oauth2.refreshes += 1;
                let set = self.issue(userid, now, Some(token.to_owned()), scope);
                if let Some(r) = self.oauth2.refresh.get_mut(token) {
                    let tokens = (set.access_token.expose(), set.refresh_token.expose());
                    r.successor = Some((tokens.0.to_owned(), tokens.1.to_owned()));
                    // Valid 8 hours at most from now (or until the new access token's use).
                    r.expires = r.expires.min(now.saturating_add(OLD_REFRESH_GRACE));
                }
                return token_reply(&set, now);
            }
            _ => return json_reply(refused(503, "Invalid Params: grant_type")),
        };
        token_reply(&self.issue(userid, now, None, scope), now)
    }

    /// A new token set for a user, of the scope approved; its access token retires
    /// `retires` (the refresh token it was traded for) at its first use.
    fn issue(
        &mut self,
        userid: UserId,
        now: i64,
        retires: Option<String>,
        scope: String,
    ) -> TokenSet {
        self.oauth2.prune(now);
        let access = self.fresh_token("access2");
        let refresh = self.fresh_token("refresh2");
        let expires = now.saturating_add(self.oauth2.access_lifetime);
        self.oauth2.access.insert(
            access.clone(),
            Access {
                userid,
                expires,
                used: false,
                retires,
            },
        );
        self.oauth2.refresh.insert(
            refresh.clone(),
            Refresh {
                userid,
                expires: now.saturating_add(REFRESH_LIFETIME),
                scope: scope.clone(),
                successor: None,
            },
        );
        TokenSet::new(userid.get(), access, refresh, expires, scope)
    }

    /// `POST /v2/signature` with `action=getnonce`: a single-use nonce for a request signed
    /// over `action,client_id,timestamp`.
    pub(super) fn getnonce(&mut self, request: &SimRequest, now: u64) -> SimResponse {
        let now = self.oauth2_now(now);
        match NonceRequest::from_form(form(request)) {
            Ok(asked) if asked.holds(&self.oauth2.app) => {}
            Ok(_) => return json_reply(refused(503, "Invalid Params: invalid signature")),
            Err(e) => return json_reply(refused(503, &format!("Invalid Params: {e}"))),
        }
        let nonce = self.fresh_token("nonce");
        self.oauth2
            .nonces
            .insert(nonce.clone(), now.saturating_add(NONCE_LIFETIME));
        json_reply(json!({"status": 0, "body": {"nonce": nonce}}))
    }

    /// The owner of a request's OAuth 2 access token (`Authorization: Bearer`, or
    /// `access_token` in the query or the form body), if it carries one: `Some(Err(401))`
    /// for an expired or unknown one. Its first use retires the refresh token it was traded
    /// for.
    pub(super) fn bearer_owner(
        &mut self,
        request: &SimRequest,
        now: u64,
    ) -> Option<Result<UserId, Status>> {
        let authorization = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        // In the header, the query, or (as some clients POST it) the form body.
        let token = bearer_token(authorization, request.uri().query().unwrap_or(""))
            .or_else(|| bearer_token(None, form(request)))?;
        let now = self.oauth2_now(now);
        let Some(access) = self
            .oauth2
            .access
            .get_mut(&token)
            .filter(|a| now <= a.expires)
        else {
            return Some(Err(Status::INVALID_TOKEN));
        };
        let userid = access.userid;
        access.used = true;
        if let Some(old) = access.retires.take() {
            self.oauth2.refresh.remove(&old);
        }
        Some(Ok(userid))
    }
}

impl Sandbox {
    /// Whether an OAuth 2 access token has been used (tests check that a client kept a
    /// refreshed token set before its first use).
    pub fn access_token_used(&self, token: &str) -> bool {
        self.oauth2.access.get(token).is_some_and(|a| a.used)
    }
}

/// The token endpoint's answer carrying `set`, as `application/json`.
fn token_reply(set: &TokenSet, now: i64) -> SimResponse {
    json_text(set.to_envelope(now))
}

/// A request's form body (the token endpoints read nothing else); not UTF-8 reads as
/// empty, so every parameter is missing.
fn form(request: &SimRequest) -> &str {
    std::str::from_utf8(request.body()).unwrap_or("")
}
