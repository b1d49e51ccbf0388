//! The consumer's rate limit booked in the store, so that every instance of the service on
//! one database keeps one limit together, however many come and go.

use std::time::Duration;

use wbs_hyper::{BookError, BoxFuture, RateLimiter, SlotBook};
use wbs_store::Store;

/// A [`SlotBook`] in the store's `rate_slots` table: one row per consumer key, the time of
/// its next free slot by the database's clock, booked one statement at a time.
#[derive(Clone, Debug)]
pub struct StoreSlots {
    store: Store,
    consumer: String,
}

impl StoreSlots {
    /// The slots of `consumer` (the consumer key, or the OAuth 2 client id: not a secret)
    /// in `store`.
    pub fn new(store: Store, consumer: impl Into<String>) -> Self {
        Self {
            store,
            consumer: consumer.into(),
        }
    }

    /// A rate limit of `per_minute` requests booked here: give every instance the same.
    pub fn limiter(self, per_minute: u32) -> RateLimiter {
        RateLimiter::shared(per_minute, std::sync::Arc::new(self))
    }
}

impl SlotBook for StoreSlots {
    fn book(&self, interval: Duration) -> BoxFuture<'_, Result<Duration, BookError>> {
        Box::pin(async move { Ok(self.store.book_slot(&self.consumer, interval).await?) })
    }

    fn hold(&self, pause: Duration) -> BoxFuture<'_, Result<(), BookError>> {
        Box::pin(async move { Ok(self.store.hold_slots(&self.consumer, pause).await?) })
    }
}
