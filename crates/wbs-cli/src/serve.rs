//! `wbs serve`: the multi-user notification service (wbs-service) on the history store.

use wbs_hyper::{Client, Credentials, RateLimiter, Secret};
use wbs_service::{Service, StoreSlots};
use wbs_store::Backend;

use crate::args::ServeArgs;
use crate::config::Settings;
use crate::Failure;

pub(crate) async fn serve(a: &ServeArgs, s: &Settings, db: Option<&str>) -> Result<(), Failure> {
    let store = crate::history::open(db).await?;
    // The application's client: each user's is made from it (their token in place of this
    // empty one), sharing its pool and rate limit; and who the consumer is.
    let (builder, consumer) = match (&s.consumer, &s.app) {
        (Some(consumer), _) => (
            Client::builder(consumer.clone(), Credentials::new("", "")),
            consumer.key.clone(),
        ),
        (None, Some(app)) => (
            Client::builder_oauth2(
                app.clone(),
                wbs_hyper::TokenSet::new(0, "-", "-", i64::MAX, ""),
                std::sync::Arc::new(wbs_hyper::NoSink),
            ),
            app.client_id.clone(),
        ),
        (None, None) => {
            return Err(Failure::new("no application credentials").hint(
                "pass --consumer-key and --consumer-secret (OAuth 1) or --client-id and --client-secret (OAuth 2)",
            ))
        }
    };
    // On PostgreSQL, instances may be several: they book the consumer's request slots in
    // the database, and keep one limit together. A SQLite file has one instance.
    let limit = match store.backend() {
        Backend::Postgres => StoreSlots::new(store.clone(), consumer).limiter(a.rate_limit),
        _ => RateLimiter::per_minute(a.rate_limit),
    };
    let client = builder
        .base_url(s.base_url.clone())
        .rate_limit(limit)
        .build()?;
    let mut service = Service::new(store, client);
    if let Some(consumer) = &s.consumer {
        // /connect and /callback: the three-legged flow for new users.
        let dance = wbs_hyper::OAuthDance::with_endpoints(
            consumer.clone(),
            wbs_hyper::OAuthEndpoints::under(&s.oauth_url),
        )?;
        service = service.oauth1_login(dance);
    }
    if let Some(app) = &s.app {
        service = service.oauth2_app(app.clone());
    }
    if let Some(token) = &a.admin_token {
        service = service.admin_token(Secret::new(token.clone()));
    }
    let public = a
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", a.listen));
    service = service.public_url(&public);
    let running = service
        .start(a.listen, a.workers)
        .await
        .map_err(|e| Failure::new(format!("cannot listen on {}: {e}", a.listen)))?;
    eprintln!(
        "wbs: serving on http://{}; webhook {public}{}; {} workers, {} requests a minute",
        running.addr(),
        wbs_service::NOTIFY_PATH,
        a.workers,
        a.rate_limit
    );
    tokio::signal::ctrl_c()
        .await
        .map_err(|e| Failure::new(format!("cannot wait for Ctrl-C: {e}")))?;
    Ok(())
}
