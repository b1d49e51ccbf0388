//! `GET /connect` and `GET /callback`: the three-legged flow for a new user, through the
//! service. The request token's secret waits in memory between the two (bounded, expiring
//! after 10 minutes); the callback keeps the user's credentials, subscribes the user to
//! the webhook and queues a first full sync.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Response, StatusCode};
use wbs_hyper::serve::respond;
use wbs_hyper::{AuthorizationCallback, Credentials, OAuthDance};
use wbs_store::StoredToken;

use crate::enroll::Enrolment;
use crate::Shared;

/// Logins waited for at most (a flood of `/connect` cannot grow the service).
const MAX_PENDING: usize = 10_000;
/// How long a login may take between `/connect` and `/callback`.
const PENDING_FOR: Duration = Duration::from_secs(600);

/// The OAuth 1 flow the service runs for new users.
pub(crate) struct Login {
    pub(crate) dance: OAuthDance,
    /// Request tokens waiting for their callback: key -> (token with secret, when asked).
    pub(crate) pending: Mutex<HashMap<String, (Credentials, Instant)>>,
}

pub(crate) async fn connect(shared: &Shared) -> Response<Full<Bytes>> {
    let (Some(login), Some(base)) = (&shared.login, &shared.public_url) else {
        return respond(StatusCode::NOT_FOUND, "");
    };
    let token = match login.dance.request_token(&format!("{base}/callback")).await {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(error = %e, "no request token");
            return respond(
                StatusCode::BAD_GATEWAY,
                "The service could not start the login.",
            );
        }
    };
    let Ok(url) = login.dance.authorize_url(&token) else {
        return respond(
            StatusCode::BAD_GATEWAY,
            "The service could not start the login.",
        );
    };
    {
        let mut pending = login.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.retain(|_, (_, at)| at.elapsed() < PENDING_FOR);
        if pending.len() >= MAX_PENDING {
            return respond(
                StatusCode::SERVICE_UNAVAILABLE,
                "Too many logins under way.",
            );
        }
        pending.insert(token.key.clone(), (token, Instant::now()));
    }
    let mut r = respond(StatusCode::FOUND, "");
    if let Ok(v) = hyper::header::HeaderValue::from_str(&url) {
        r.headers_mut().insert(hyper::header::LOCATION, v);
    }
    r
}

pub(crate) async fn callback(shared: &Shared, query: &str) -> Response<Full<Bytes>> {
    let Some(login) = &shared.login else {
        return respond(StatusCode::NOT_FOUND, "");
    };
    let Ok(cb) = AuthorizationCallback::parse(query) else {
        return respond(StatusCode::BAD_REQUEST, "Not an authorization callback.");
    };
    let taken = login
        .pending
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&cb.token);
    let Some((request_token, _)) = taken.filter(|(_, at)| at.elapsed() < PENDING_FOR) else {
        return respond(
            StatusCode::BAD_REQUEST,
            "Unknown or expired login: start again at /connect.",
        );
    };
    let access = match login.dance.access_token(&request_token, &cb.verifier).await {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "no access token");
            return respond(StatusCode::BAD_GATEWAY, "The service refused the login.");
        }
    };
    match shared
        .enroll(access.userid, StoredToken::OAuth1(access.token))
        .await
    {
        Ok(()) => respond(StatusCode::OK, "Connected: you can close this window."),
        Err(e) => {
            tracing::warn!(error = ?e, userid = %access.userid, "a login could not be completed");
            match e {
                Enrolment::Keep(_) => respond(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The login could not be kept.",
                ),
                Enrolment::Subscribe(_) => respond(
                    StatusCode::BAD_GATEWAY,
                    "Connected, but notifications could not be subscribed.",
                ),
                Enrolment::Queue(_) => respond(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Connected; the first sync could not be queued.",
                ),
            }
        }
    }
}
