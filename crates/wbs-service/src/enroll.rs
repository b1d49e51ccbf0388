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
    /// Kept, but the first sync could not be queued (nor the user subscribed).
    #[error("the first sync could not be queued")]
    Queue(#[source] wbs_store::Error),
    /// Kept and the first sync queued, but the service would not subscribe the user (or,
    /// before anything was kept, these credentials cannot be used by this service: OAuth 2
    /// without its application).
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

    /// Keeps the user's credentials, queues their whole history, and subscribes them to
    /// the webhook (with a public URL). The history is queued first: a subscription the
    /// service refuses (a user's 16 subscriptions taken, the service down) costs the
    /// notifications, not the data the user authorized.
    pub(crate) async fn enroll(&self, user: UserId, token: StoredToken) -> Result<(), Enrolment> {
        // Credentials this service cannot use (OAuth 2 without its application, OAuth 1
        // without a consumer) are refused before anything is kept.
        let client = self
            .client_for(token.clone())
            .map_err(Enrolment::Subscribe)?;
        self.store
            .save_token(user, &token)
            .await
            .map_err(Enrolment::Keep)?;
        self.first_sync(user).await.map_err(Enrolment::Queue)?;
        if let Some(url) = self.notify_url() {
            client
                .subscribe(user, &url, "wbs serve", None)
                .await
                .map_err(Enrolment::Subscribe)?;
        }
        Ok(())
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
