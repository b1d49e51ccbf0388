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
use wbs_hyper::{AuthorizationCallback, Credentials, Notification, OAuthDance, Timestamp};
use wbs_store::StoredToken;

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
        return page(StatusCode::NOT_FOUND, "");
    };
    let token = match login.dance.request_token(&format!("{base}/callback")).await {
        Ok(t) => t,
        Err(e) => {
            tracing::warn!(error = %e, "no request token");
            return page(
                StatusCode::BAD_GATEWAY,
                "The service could not start the login.",
            );
        }
    };
    let Ok(url) = login.dance.authorize_url(&token) else {
        return page(
            StatusCode::BAD_GATEWAY,
            "The service could not start the login.",
        );
    };
    {
        let mut pending = login.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.retain(|_, (_, at)| at.elapsed() < PENDING_FOR);
        if pending.len() >= MAX_PENDING {
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                "Too many logins under way.",
            );
        }
        pending.insert(token.key.clone(), (token, Instant::now()));
    }
    let mut r = page(StatusCode::FOUND, "");
    if let Ok(v) = hyper::header::HeaderValue::from_str(&url) {
        r.headers_mut().insert(hyper::header::LOCATION, v);
    }
    r
}

pub(crate) async fn callback(shared: &Shared, query: &str) -> Response<Full<Bytes>> {
    let Some(login) = &shared.login else {
        return page(StatusCode::NOT_FOUND, "");
    };
    let Ok(cb) = AuthorizationCallback::parse(query) else {
        return page(StatusCode::BAD_REQUEST, "Not an authorization callback.");
    };
    let taken = login
        .pending
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&cb.token);
    let Some((request_token, _)) = taken.filter(|(_, at)| at.elapsed() < PENDING_FOR) else {
        return page(
            StatusCode::BAD_REQUEST,
            "Unknown or expired login: start again at /connect.",
        );
    };
    let access = match login.dance.access_token(&request_token, &cb.verifier).await {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "no access token");
            return page(StatusCode::BAD_GATEWAY, "The service refused the login.");
        }
    };
    let user = access.userid;
    if shared
        .store
        .save_token(user, &StoredToken::OAuth1(access.token.clone()))
        .await
        .is_err()
    {
        return page(
            StatusCode::SERVICE_UNAVAILABLE,
            "The login could not be kept.",
        );
    }
    if let Some(url) = shared.notify_url() {
        let subscribed = match shared.client.for_user(access.token) {
            Ok(client) => client.subscribe(user, &url, "wbs serve", None).await,
            Err(e) => Err(e),
        };
        if let Err(e) = subscribed {
            tracing::warn!(error = %e, userid = %user, "could not subscribe");
            return page(
                StatusCode::BAD_GATEWAY,
                "Connected, but notifications could not be subscribed.",
            );
        }
    }
    if let Err(e) = first_sync(shared, user).await {
        tracing::warn!(error = %e, userid = %user, "could not queue the first sync");
        return page(
            StatusCode::SERVICE_UNAVAILABLE,
            "Connected; the first sync could not be queued.",
        );
    }
    page(StatusCode::OK, "Connected: you can close this window.")
}

/// Queues a user's whole history (the first sync).
pub(crate) async fn first_sync(
    shared: &Shared,
    user: wbs_hyper::UserId,
) -> Result<(), wbs_store::Error> {
    let all = Notification {
        userid: user,
        startdate: Timestamp::from_secs(0),
        enddate: Timestamp::from_secs(i64::from(u32::MAX)),
        appli: None,
    };
    shared.store.enqueue(&all).await?;
    shared.wake.notify_one();
    Ok(())
}

fn page(code: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *r.status_mut() = code;
    r
}
