//! `GET /connect` and `GET /callback`: the three-legged flow for a new user, through the
//! service. The request token's secret waits in the store between the two (bounded,
//! expiring after 10 minutes), so the callback may reach any instance; the callback keeps
//! the user's credentials, subscribes the user to the webhook and queues a first full
//! sync.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Response, StatusCode};
use wbs_hyper::serve::respond;
use wbs_hyper::{AuthorizationCallback, OAuthDance};
use wbs_store::StoredToken;

use crate::enroll::Enrolment;
use crate::Shared;

/// Logins waited for at most (a flood of `/connect` cannot grow the service).
const MAX_PENDING: u64 = 10_000;
/// How long a login may take between `/connect` and `/callback`.
const PENDING_FOR: Duration = Duration::from_secs(600);

/// The OAuth 1 flow the service runs for new users.
pub(crate) struct Login {
    pub(crate) dance: OAuthDance,
}

pub(crate) async fn connect(shared: &Shared) -> Response<Full<Bytes>> {
    let (Some(login), Some(base)) = (&shared.login, &shared.public_url) else {
        return respond(StatusCode::NOT_FOUND, "");
    };
    // Full: refused before the request token, which would spend a rate-limit slot.
    match shared.store.logins_waiting(PENDING_FOR).await {
        Ok(n) if n < MAX_PENDING => {}
        Ok(_) => return too_many_logins(),
        Err(e) => {
            return not_started(
                StatusCode::SERVICE_UNAVAILABLE,
                &e,
                "cannot count the logins",
            )
        }
    }
    let token = match login.dance.request_token(&format!("{base}/callback")).await {
        Ok(t) => t,
        Err(e) => return not_started(StatusCode::BAD_GATEWAY, &e, "no request token"),
    };
    let Ok(url) = login.dance.authorize_url(&token) else {
        return respond(
            StatusCode::BAD_GATEWAY,
            "The service could not start the login.",
        );
    };
    match shared
        .store
        .keep_login(&token, MAX_PENDING, PENDING_FOR)
        .await
    {
        Ok(true) => {}
        Ok(false) => return too_many_logins(),
        Err(e) => return not_started(StatusCode::SERVICE_UNAVAILABLE, &e, "cannot keep a login"),
    }
    let mut r = respond(StatusCode::FOUND, "");
    if let Ok(v) = hyper::header::HeaderValue::from_str(&url) {
        r.headers_mut().insert(hyper::header::LOCATION, v);
    }
    r
}

fn too_many_logins() -> Response<Full<Bytes>> {
    respond(
        StatusCode::SERVICE_UNAVAILABLE,
        "Too many logins under way.",
    )
}

/// Logs why a login could not start, and says so (without the cause) to the user.
fn not_started(
    status: StatusCode,
    error: &dyn std::fmt::Display,
    what: &str,
) -> Response<Full<Bytes>> {
    tracing::warn!(error = %error, "{what}");
    respond(status, "The service could not start the login.")
}

pub(crate) async fn callback(shared: &Shared, query: &str) -> Response<Full<Bytes>> {
    let Some(login) = &shared.login else {
        return respond(StatusCode::NOT_FOUND, "");
    };
    let Ok(cb) = AuthorizationCallback::parse(query) else {
        return respond(StatusCode::BAD_REQUEST, "Not an authorization callback.");
    };
    let request_token = match shared.store.take_login(&cb.token, PENDING_FOR).await {
        Ok(Some(token)) => token,
        Ok(None) => {
            return respond(
                StatusCode::BAD_REQUEST,
                "Unknown or expired login: start again at /connect.",
            )
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot read a login");
            return respond(
                StatusCode::SERVICE_UNAVAILABLE,
                "The login could not be read: try again.",
            );
        }
    };
    let access = match login.dance.access_token(&request_token, &cb.verifier).await {
        Ok(a) => a,
        Err(e) if e.is_transient() => return not_exchanged(shared, &request_token, &e).await,
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
            let (code, page) = match e {
                Enrolment::Unusable(_) => (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "This service is not set up to use the login.",
                ),
                Enrolment::Keep(_) => (StatusCode::SERVICE_UNAVAILABLE, "The login could not be kept."),
                Enrolment::Subscribe(_) => (
                    StatusCode::BAD_GATEWAY,
                    "Connected, and your history is being fetched, but notifications could not be subscribed.",
                ),
                Enrolment::Queue(_) => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Connected, but the first sync could not be queued.",
                ),
            };
            respond(code, page)
        }
    }
}

/// The access-token request failed on the way (no connection, a timeout, an HTTP 5xx or
/// 429), not by the service's refusal: the login is kept again, so that reloading the
/// callback page tries again rather than the user starting over. Its 10 minutes start
/// anew (each try costs a rate-limit slot, as a `/connect` does, and the logins waiting
/// stay capped). Had the service exchanged the token all the same, the next try is
/// refused as spent.
async fn not_exchanged(
    shared: &Shared,
    request_token: &wbs_hyper::Credentials,
    error: &wbs_hyper::Error,
) -> Response<Full<Bytes>> {
    tracing::warn!(error = %error, "the access-token request failed on the way");
    match shared
        .store
        .keep_login(request_token, MAX_PENDING, PENDING_FOR)
        .await
    {
        Ok(true) => respond(
            StatusCode::SERVICE_UNAVAILABLE,
            "The service could not be reached: reload this page to try again.",
        ),
        Ok(false) => {
            tracing::warn!("too many logins under way to keep this one again");
            respond(
                StatusCode::SERVICE_UNAVAILABLE,
                "The service could not be reached, and too many logins are under way: \
                 try again later.",
            )
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot keep the login again");
            respond(
                StatusCode::SERVICE_UNAVAILABLE,
                "The service could not be reached: start again at /connect.",
            )
        }
    }
}
