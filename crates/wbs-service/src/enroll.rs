//! A user's credentials made useful: a client for them over the service's shared pool and
//! limit, and enrolment (credentials kept, subscribed to the webhook, a first full sync
//! queued), whether they came through `/callback` or the admin API.

use std::sync::Arc;

use wbs_hyper::{Client, Notification, Timestamp, UserId};
use wbs_store::StoredToken;

use crate::Shared;

/// Why enrolment stopped, after which step.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Enrolment {
    /// The credentials could not be kept.
    #[error("the credentials could not be kept")]
    Keep(#[source] wbs_store::Error),
    /// These credentials cannot be used by this service (OAuth 2 without its application,
    /// OAuth 1 without a consumer): nothing was kept.
    #[error("these credentials cannot be used here")]
    Unusable(#[source] wbs_hyper::Error),
    /// Kept (and subscribed, if that succeeded), but the first sync could not be queued.
    #[error("the first sync could not be queued")]
    Queue(#[source] wbs_store::Error),
    /// Kept and the first sync queued, but the service would not subscribe the user.
    #[error("the user could not be subscribed")]
    Subscribe(#[source] wbs_hyper::Error),
}

impl Shared {
    /// The user's client: their credentials over the service's pool and rate limit; the
    /// store keeps refreshed OAuth 2 sets.
    pub(crate) fn client_for(&self, token: StoredToken) -> Result<Client, wbs_hyper::Error> {
        match (token, &self.oauth2_app) {
            (StoredToken::OAuth1(credentials), _) => self.client.for_user(credentials),
            (StoredToken::OAuth2(set), Some(app)) => {
                let sink: Arc<dyn wbs_hyper::TokenSink> = self.sink.clone();
                self.client.for_user_oauth2(app.clone(), set, sink)
            }
            _ => Err(wbs_hyper::Error::from(wbs_hyper::InvalidRequest::NotOAuth1)),
        }
    }

    /// Keeps the user's credentials, subscribes them to the webhook (with a public URL),
    /// and queues their whole history, subscribed or not. Subscribing comes first, so that
    /// a measurement taken while the history is fetched is announced; a subscription the
    /// service refuses (a user's 16 subscriptions taken, the service down) then costs the
    /// notifications, not the data the user authorized.
    pub(crate) async fn enroll(&self, user: UserId, token: StoredToken) -> Result<(), Enrolment> {
        // Credentials this service cannot use (OAuth 2 without its application, OAuth 1
        // without a consumer) are refused before anything is kept.
        let client = self
            .client_for(token.clone())
            .map_err(Enrolment::Unusable)?;
        self.store
            .save_token(user, &token)
            .await
            .map_err(Enrolment::Keep)?;
        let subscribed = match self.notify_url() {
            Some(url) => client.subscribe(user, &url, "wbs serve", None).await,
            None => Ok(()),
        };
        if let Err(e) = self.first_sync(user).await {
            if let Err(s) = &subscribed {
                tracing::warn!(userid = %user, error = %s, "the user could not be subscribed either");
            }
            return Err(Enrolment::Queue(e));
        }
        subscribed.map_err(Enrolment::Subscribe)
    }

    /// Queues a user's whole history (the first sync).
    pub(crate) async fn first_sync(&self, user: UserId) -> Result<(), wbs_store::Error> {
        let all = Notification {
            userid: user,
            startdate: Timestamp::from_secs(0),
            enddate: Timestamp::from_secs(i64::from(u32::MAX)),
            appli: None,
        };
        self.store.enqueue(&all).await?;
        self.wake.notify_one();
        Ok(())
    }
}
