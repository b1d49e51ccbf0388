//! The HTTP side: the webhook (committed to the queue before its 200), health, metrics.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use wbs_hyper::serve::respond;
use wbs_hyper::UserId;

use crate::metrics::{Endpoint, Metrics};
use crate::Shared;

/// The path the service's callback URL names.
pub const NOTIFY_PATH: &str = "/notify";

pub(crate) async fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let (started, endpoint) = (Instant::now(), Endpoint::of(req.uri().path()));
    let response = route(&shared, req).await;
    shared.metrics.answered(endpoint, started.elapsed());
    Ok(response)
}

async fn route(shared: &Shared, req: Request<Incoming>) -> Response<Full<Bytes>> {
    match (req.method(), req.uri().path()) {
        // The service checks a callback URL with HEAD before subscribing it.
        (&Method::HEAD | &Method::GET, NOTIFY_PATH) => respond(StatusCode::OK, ""),
        (&Method::POST, NOTIFY_PATH) => notify(shared, req).await,
        (_, path) if path.starts_with("/admin/") => crate::admin::handle(shared, req).await,
        (&Method::GET, "/connect") => crate::connect::connect(shared).await,
        (&Method::GET, "/callback") => {
            let query = req.uri().query().unwrap_or("").to_owned();
            crate::connect::callback(shared, &query).await
        }
        (&Method::GET, "/healthz") => respond(StatusCode::OK, "ok\n"),
        (&Method::GET, "/metrics") => {
            let depth = shared.store.queue_depth().await;
            let refused = shared.store.count_needing_reauth().await;
            match (depth, refused) {
                (Ok(depth), Ok(refused)) => {
                    let limited = shared
                        .client
                        .rate_limiter()
                        .map_or(0, wbs_hyper::RateLimiter::rate_limited_answers);
                    respond(
                        StatusCode::OK,
                        shared.metrics.render(depth, refused, limited),
                    )
                }
                _ => respond(StatusCode::SERVICE_UNAVAILABLE, ""),
            }
        }
        _ => respond(StatusCode::NOT_FOUND, ""),
    }
}

/// A notification: read (bounded in size and time), and for a user the service knows,
/// committed to the queue before the 200 (503 if it cannot be: the service sends it
/// again). For anyone else, a 200 and nothing more: the webhook is unauthenticated by the
/// API's design, so a notification only ever leads to a fetch for a known user.
async fn notify(shared: &Shared, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let n = match wbs_hyper::read_notification(req).await {
        Ok(Ok(n)) => n,
        Ok(Err(e)) => {
            tracing::debug!(error = %e, cause = ?std::error::Error::source(&e).map(ToString::to_string), "a notification that does not read: 400");
            return respond(StatusCode::BAD_REQUEST, "");
        }
        Err(code) => return respond(code, ""),
    };
    // One deadline for the check and the commit: the API's servers wait for one answer.
    let deadline = tokio::time::Instant::now() + crate::ingest::WAIT;
    match known(shared, n.userid, deadline).await {
        Ok(true) => {}
        Ok(false) => {
            Metrics::add(&shared.metrics.ignored);
            return respond(StatusCode::OK, "");
        }
        Err(()) => return respond(StatusCode::SERVICE_UNAVAILABLE, ""),
    }
    if shared.ingest.keep(n, deadline).await {
        Metrics::add(&shared.metrics.received);
        shared.wake.notify_one();
        respond(StatusCode::OK, "")
    } else {
        respond(StatusCode::SERVICE_UNAVAILABLE, "")
    }
}

/// Whether the service holds credentials for the user (not reading them), asked for until
/// the request's `deadline`: a database that does not answer costs the API's servers a
/// 503 within the commit's wait, not a hanging request.
async fn known(
    shared: &Shared,
    userid: UserId,
    deadline: tokio::time::Instant,
) -> Result<bool, ()> {
    let asked = tokio::time::timeout_at(deadline, shared.store.has_credentials(userid));
    match asked.await {
        Ok(Ok(known)) => Ok(known),
        Ok(Err(e)) => {
            tracing::warn!(%userid, error = %e, "cannot tell whether a notification's user is known: 503");
            Err(())
        }
        Err(_) => {
            tracing::warn!(%userid, "the database did not say whether a notification's user is known: 503");
            Err(())
        }
    }
}
