//! The admin API, behind a bearer token: the users, a user's history, and adding an
//! existing user's credentials (a migration). Without the token: 401 and an empty body.

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use wbs_hyper::{Credentials, TokenSet, UserId};
use wbs_store::{HistoryQuery, StoredToken};

use crate::enroll::Enrolment;
use crate::Shared;

/// Whether the request carries the admin token (compared in constant time); never when
/// the service has none.
fn authorized(shared: &Shared, req: &Request<Incoming>) -> bool {
    let Some(expected) = &shared.admin_token else {
        return false;
    };
    req.headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|given| wbs_hyper::Secret::new(given) == *expected)
}

pub(crate) async fn handle(shared: &Shared, req: Request<Incoming>) -> Response<Full<Bytes>> {
    if !authorized(shared, &req) {
        return json(StatusCode::UNAUTHORIZED, String::new());
    }
    let path = req.uri().path().to_owned();
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (req.method(), parts.as_slice()) {
        (&Method::GET, ["admin", "users"]) => {
            match (
                shared.store.users().await,
                shared.store.users_needing_reauth().await,
            ) {
                (Ok(users), Ok(refused)) => {
                    let refused: std::collections::HashSet<UserId> = refused.into_iter().collect();
                    let list: Vec<serde_json::Value> = users
                        .iter()
                        .map(|u| {
                            serde_json::json!({"userid": u.get(), "needs_reauth": refused.contains(u)})
                        })
                        .collect();
                    json(StatusCode::OK, serde_json::Value::Array(list).to_string())
                }
                _ => json(StatusCode::SERVICE_UNAVAILABLE, String::new()),
            }
        }
        (&Method::GET, ["admin", "users", id, "history"]) => {
            let Ok(id) = id.parse::<i64>() else {
                return json(StatusCode::BAD_REQUEST, String::new());
            };
            match shared
                .store
                .groups(&HistoryQuery::new(UserId::new(id)))
                .await
            {
                Ok(groups) => match serde_json::to_string(&groups) {
                    Ok(body) => json(StatusCode::OK, body),
                    Err(_) => json(StatusCode::INTERNAL_SERVER_ERROR, String::new()),
                },
                Err(_) => json(StatusCode::SERVICE_UNAVAILABLE, String::new()),
            }
        }
        (&Method::POST, ["admin", "users"]) => add_user(shared, req).await,
        _ => json(StatusCode::NOT_FOUND, String::new()),
    }
}

/// `{"userid": N, "token": "…", "token_secret": "…"}` (OAuth 1) or `{"userid": N,
/// "access_token": "…", "refresh_token": "…", "expires_at": T, "scope": "…"}` (OAuth 2, for
/// a service given its OAuth 2 application): the user's credentials kept, the user
/// subscribed to the service's webhook, and a first full sync queued.
async fn add_user(shared: &Shared, req: Request<Incoming>) -> Response<Full<Bytes>> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct NewUser {
        userid: i64,
        token: Option<String>,
        token_secret: Option<String>,
        access_token: Option<String>,
        refresh_token: Option<String>,
        expires_at: Option<i64>,
        scope: Option<String>,
    }
    let Ok(Ok(body)) = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        Limited::new(req.into_body(), 16 * 1024).collect(),
    )
    .await
    else {
        return json(StatusCode::BAD_REQUEST, String::new());
    };
    let Ok(new) = serde_json::from_slice::<NewUser>(&body.to_bytes()) else {
        return json(StatusCode::BAD_REQUEST, String::new());
    };
    if new.userid <= 0 {
        return json(StatusCode::BAD_REQUEST, String::new());
    }
    let user = UserId::new(new.userid);
    let stored = match new {
        NewUser {
            token: Some(token),
            token_secret: Some(secret),
            access_token: None,
            ..
        } => StoredToken::OAuth1(Credentials::new(token, secret)),
        NewUser {
            access_token: Some(access),
            refresh_token: Some(refresh),
            expires_at: Some(expires),
            token: None,
            scope,
            ..
        } if shared.oauth2_app.is_some() => StoredToken::OAuth2(TokenSet::new(
            user.get(),
            access,
            refresh,
            expires,
            scope.unwrap_or_default(),
        )),
        _ => return json(StatusCode::BAD_REQUEST, String::new()),
    };
    match shared.enroll(user, stored).await {
        Ok(()) => json(
            StatusCode::OK,
            serde_json::json!({"userid": user.get()}).to_string(),
        ),
        Err(Enrolment::Unusable(e)) => json(
            StatusCode::INTERNAL_SERVER_ERROR,
            serde_json::json!({"error": e.to_string()}).to_string(),
        ),
        Err(Enrolment::Subscribe(e)) => json(
            StatusCode::BAD_GATEWAY,
            serde_json::json!({"error": e.to_string()}).to_string(),
        ),
        Err(e) => {
            let cause = std::error::Error::source(&e).map(ToString::to_string);
            tracing::warn!(userid = %user, error = %e, cause = ?cause, "a user could not be added");
            json(StatusCode::SERVICE_UNAVAILABLE, String::new())
        }
    }
}

fn json(code: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut r = wbs_hyper::serve::respond(code, body);
    if let Ok(v) = hyper::header::HeaderValue::from_str("application/json") {
        r.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    r
}
