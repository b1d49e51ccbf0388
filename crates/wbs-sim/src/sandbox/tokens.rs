//! The three token endpoints of the flow (RFC 5849 §2), answered as the service did: the
//! request token, the user's approval, and the access token with the user's id.

use wbs_proto::http::{header, HeaderValue, StatusCode};
use wbs_proto::wbs_model::UserId;
use wbs_proto::wbs_oauth::{
    check_http_url, flow, form_pairs, Credentials, IncomingRequest, Secret,
};

use super::auth::parse_signed;
use super::{text, PendingToken, Refusal, Sandbox, SimRequest, SimResponse};

/// A token endpoint's answer, or why the request is refused.
type Answer = Result<SimResponse, Refusal>;

impl Sandbox {
    /// A fresh token string from the sandbox's seeded generator: deterministic for tests,
    /// unguessable enough for a local sandbox, and no OS RNG in this core.
    pub(super) fn fresh_token(&mut self, kind: &str) -> String {
        format!("sandbox-{kind}-{:016x}", self.tokens.u64(..))
    }

    /// Checks a token endpoint's request; the token secret is the pending request token's
    /// when `with_token`.
    fn verify_token_request(
        &mut self,
        request: &SimRequest,
        now: u64,
        with_token: bool,
    ) -> Result<IncomingRequest, Refusal> {
        let incoming = parse_signed(request).ok_or(Refusal::Consumer)?;
        if incoming.consumer_key() != self.consumer.key {
            return Err(Refusal::Consumer);
        }
        let token_secret = match (with_token, incoming.token()) {
            (true, Some(t)) => Some(
                self.pending
                    .get(t)
                    .map(|p| Secret::new(p.secret.clone()))
                    .ok_or(Refusal::Token)?,
            ),
            (true, None) => return Err(Refusal::Token),
            (false, _) => None,
        };
        self.verify_fresh(&incoming, token_secret.as_ref(), now)
            .map_err(|_| Refusal::Consumer)?;
        Ok(incoming)
    }

    /// Temporary credentials (RFC 5849 §2.1), with `oauth_callback` (a URL, `oob`, or none,
    /// which is `oob`).
    pub(super) fn request_token(&mut self, request: &SimRequest, now: u64) -> Answer {
        let incoming = self.verify_token_request(request, now, false)?;
        // Clients of the API's era sent no callback, or `oob`: the authorize page then
        // shows the verifier instead of redirecting.
        let callback = incoming.callback().unwrap_or("oob").to_owned();
        // Where the approval will redirect: out of band, or an http(s) URL (the one rule).
        if callback != "oob" && check_http_url(&callback).is_err() {
            return Err(Refusal::Consumer);
        }
        let token = self.fresh_token("request");
        let secret = self.fresh_token("request-secret");
        self.pending.insert(
            token.clone(),
            PendingToken {
                secret: secret.clone(),
                callback,
                approved: None,
            },
        );
        // As the service answered: no oauth_callback_confirmed.
        let reply = flow::TokenResponse {
            token: Credentials::new(token, secret),
            extra: Vec::new(),
        };
        Ok(text(StatusCode::OK, &reply.to_form()))
    }

    /// Resource owner authorization (§2.2): the sandbox approves at once, for `userid` if
    /// the query names one (else the first user), and redirects to the callback; out of
    /// band, the page shows `oauth_verifier=…&userid=…` instead.
    pub(super) fn authorize(&mut self, request: &SimRequest) -> SimResponse {
        let query = request.uri().query().unwrap_or("");
        let token = match flow::authorized_token(query) {
            Ok(token) => token,
            Err(e) => return text(StatusCode::BAD_REQUEST, &e.to_string()),
        };
        let userid = match self.approving_user(query) {
            Ok(userid) => userid,
            Err(refusal) => return text(StatusCode::BAD_REQUEST, refusal),
        };
        let verifier = self.fresh_token("verifier");
        let Some(pending) = self.pending.get_mut(&token) else {
            return Refusal::Token.response();
        };
        pending.approved = Some((userid, verifier.clone()));
        if pending.callback == "oob" {
            return text(
                StatusCode::OK,
                &format!("oauth_verifier={verifier}&userid={userid}"),
            );
        }
        let approval = flow::AuthorizationCallback {
            token,
            verifier,
            extra: vec![("userid".to_owned(), userid.to_string())],
        };
        let location = approval.callback_url(&pending.callback);
        let mut response = text(StatusCode::FOUND, "");
        if let Ok(value) = HeaderValue::from_str(&location) {
            response.headers_mut().insert(header::LOCATION, value);
        }
        response
    }

    /// Who approves at an authorize page (both protocols'): the user the query's `userid`
    /// names (the sandbox's own addition, for tests), else the first user.
    pub(super) fn approving_user(&self, query: &str) -> Result<UserId, &'static str> {
        match form_pairs(query).find("userid") {
            Some(named) => match named.parse::<UserId>() {
                Ok(u) if self.users.contains_key(&u) => Ok(u),
                _ => Err("no such user"),
            },
            None => self
                .users
                .keys()
                .next()
                .copied()
                .ok_or("the sandbox has no user"),
        }
    }

    /// Token credentials (§2.3): the approved user's access token and their `userid`.
    pub(super) fn access_token(&mut self, request: &SimRequest, now: u64) -> Answer {
        let incoming = self.verify_token_request(request, now, true)?;
        let token = incoming.token().unwrap_or("").to_owned();
        let approved = self.pending.get(&token).and_then(|p| p.approved.clone());
        match approved {
            // The verifier compared in constant time.
            Some((userid, verifier))
                if incoming
                    .verifier()
                    .is_some_and(|v| Secret::new(v) == Secret::new(verifier.as_str())) =>
            {
                // A request token is good for one exchange.
                self.pending.remove(&token);
                let u = self.users.get(&userid).ok_or(Refusal::Token)?;
                let reply = flow::TokenResponse {
                    token: u.token.clone(),
                    extra: vec![("userid".to_owned(), userid.to_string())],
                };
                Ok(text(StatusCode::OK, &reply.to_form()))
            }
            _ => Err(Refusal::Token),
        }
    }
}
