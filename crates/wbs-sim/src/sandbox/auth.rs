//! Authentication: the signed request in any placement, the timestamp window, remembered
//! nonces, and the owner of the token.

use wbs_proto::http::header;
use wbs_proto::wbs_model::{Status, UserId};
use wbs_proto::wbs_oauth::{form_pairs, IncomingRequest, Secret};
use wbs_proto::AnyCall;

use super::{Sandbox, SimRequest};

impl Sandbox {
    /// Parses and verifies a data call's OAuth signature with the token's secret; the
    /// token's owner. 250 for an unknown consumer or token, 342 for a bad, stale or
    /// replayed signature.
    pub(super) fn authenticate(
        &mut self,
        request: &SimRequest,
        now: u64,
    ) -> Result<(IncomingRequest, UserId), Status> {
        let incoming = parse_signed(request).ok_or(Status::INVALID_SIGNATURE)?;
        if incoming.consumer_key() != self.consumer.key {
            return Err(Status::CREDENTIALS_MISMATCH);
        }
        let token = incoming.token().ok_or(Status::CREDENTIALS_MISMATCH)?;
        let (owner, secret) = self
            .users
            .values()
            .find(|u| u.token.key == token)
            .map(|u| (u.user.id, u.token.secret.clone()))
            .ok_or(Status::CREDENTIALS_MISMATCH)?;
        self.verify_fresh(&incoming, Some(&secret), now)?;
        Ok((incoming, owner))
    }

    /// Checks the timestamp window, the nonce and the signature, and remembers the nonce
    /// once all hold (so that a forged request cannot burn a nonce).
    pub(super) fn verify_fresh(
        &mut self,
        incoming: &IncomingRequest,
        token_secret: Option<&Secret>,
        now: u64,
    ) -> Result<(), Status> {
        let ts = incoming.timestamp().ok_or(Status::INVALID_SIGNATURE)?;
        if ts.abs_diff(now) > self.config.timestamp_window {
            return Err(Status::INVALID_SIGNATURE);
        }
        let nonce_key = format!(
            "{}\u{0}{}\u{0}{}",
            incoming.token().unwrap_or(""),
            incoming.nonce().unwrap_or(""),
            ts
        );
        if self.nonces.contains_key(&nonce_key) {
            return Err(Status::INVALID_SIGNATURE);
        }
        incoming
            .verify(
                &self.config.signature_methods,
                &self.consumer.secret,
                token_secret,
            )
            .map_err(|_| Status::INVALID_SIGNATURE)?;
        self.remember(nonce_key, ts, now)
    }

    fn remember(&mut self, key: String, ts: u64, now: u64) -> Result<(), Status> {
        if self.nonces.len() >= self.config.max_nonces {
            let window = self.config.timestamp_window;
            self.nonces.retain(|_, t| t.abs_diff(now) <= window);
            if self.nonces.len() >= self.config.max_nonces {
                // Bounded memory: refuse rather than forget a nonce still inside the window.
                return Err(Status::UNKNOWN_ERROR);
            }
        }
        self.nonces.insert(key, ts);
        Ok(())
    }
}

/// The parameters of an unsigned request: its query, and its form body when it has one.
pub(super) fn plain_params(request: &SimRequest) -> Vec<(String, String)> {
    let query = request.uri().query().unwrap_or("");
    let body = std::str::from_utf8(request.body()).unwrap_or("");
    form_pairs(query)
        .chain(form_pairs(body))
        .filter_map(Result::ok)
        .map(|(n, v)| (n.into_owned(), v.into_owned()))
        .collect()
}

/// The call's `userid` must name the token's owner (250 if another user's); probe names
/// none.
pub(super) fn check_owner(call: &AnyCall, owner: UserId) -> Result<(), Status> {
    match call.userid() {
        Some(userid) if userid != owner => Err(Status::CREDENTIALS_MISMATCH),
        _ => Ok(()),
    }
}

/// The OAuth protocol parameters of a request, wherever they travel (query, `Authorization`
/// header, or a form body when the content type says so); `None` if it is no OAuth request.
pub(super) fn parse_signed(request: &SimRequest) -> Option<IncomingRequest> {
    let url = full_url(request)?;
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let is_form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let body = is_form.then_some(request.body().as_slice());
    IncomingRequest::parse(request.method().as_str(), &url, authorization, body).ok()
}

/// The URL the client addressed: absolute request URIs as they are, else `http://` with
/// the `Host` header.
fn full_url(request: &SimRequest) -> Option<String> {
    let uri = request.uri();
    if uri.scheme().is_some() {
        return Some(uri.to_string());
    }
    let host = request.headers().get(header::HOST)?.to_str().ok()?;
    Some(format!(
        "http://{host}{}",
        uri.path_and_query().map_or("/", |p| p.as_str())
    ))
}
