//! The consumer's rate limit, shared by every user's client: requests are given evenly
//! spaced slots, in the order they ask, so that no 60-second window holds more than the
//! limit; a 601 from the service pushes every later slot back.
//!
//! The slots are spaced as if a minute had 61 seconds: `limit + 1` consecutive requests
//! then span 61 s, so a second of scheduling and network jitter between two sends cannot
//! put `limit + 1` of them in the 60 seconds the service counts. It costs 1/61 (1.6 %) of
//! the throughput.
//!
//! The slots are booked in this process ([`RateLimiter::per_minute`], in [`LocalSlots`]),
//! or, for several processes under one consumer key, in a [`SlotBook`] they share
//! ([`RateLimiter::shared`]: wbs-service books them in its database). Either way a
//! request waits for its slot after booking it, so a slot is never used twice.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::error::{Error, Kind};
use crate::BoxFuture;

/// The span `limit` slots are spread over: a minute and the jitter allowed for.
const PACED_MINUTE: Duration = Duration::from_secs(61);

/// What a [`SlotBook`] fails with.
pub type BookError = Box<dyn std::error::Error + Send + Sync>;

/// Where processes sharing one consumer key book their request slots (one row of a
/// database they share, say), so that together they keep its limit however many there
/// are. Each booking is one slot `interval` after the one booked before it, by whichever
/// process.
pub trait SlotBook: Send + Sync {
    /// Books the next slot, `interval` after the one booked before it (or now, if that is
    /// past): how long from now until it.
    fn book(&self, interval: Duration) -> BoxFuture<'_, Result<Duration, BookError>>;

    /// No slot before `pause` from now, for anyone (the service answered 601).
    fn hold(&self, pause: Duration) -> BoxFuture<'_, Result<(), BookError>>;
}

/// Slots booked in this process: what [`RateLimiter::per_minute`] books in, for the
/// clients of one process.
#[derive(Debug, Default)]
pub struct LocalSlots {
    next: Mutex<Option<Instant>>,
}

impl SlotBook for LocalSlots {
    fn book(&self, interval: Duration) -> BoxFuture<'_, Result<Duration, BookError>> {
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        let slot = next.map_or(now, |n| n.max(now));
        *next = Some(slot + interval);
        Box::pin(std::future::ready(Ok(slot - now)))
    }

    fn hold(&self, pause: Duration) -> BoxFuture<'_, Result<(), BookError>> {
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        let resume = Instant::now() + pause;
        *next = Some(next.map_or(resume, |n| n.max(resume)));
        Box::pin(std::future::ready(Ok(())))
    }
}

/// How long a booking may take before the request fails unsent (a book in a database
/// that stopped answering).
const BOOKING_TIMEOUT: Duration = Duration::from_secs(10);

/// A limit on requests per minute for one consumer key, shared by clones (and by the
/// clients [`Client::for_user`](crate::Client::for_user) makes).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
/// let limit = wbs_hyper::RateLimiter::per_minute(120);
/// let start = tokio::time::Instant::now();
/// for _ in 0..3 {
///     limit.acquire().await?;
/// }
/// // Slots 61/120 s apart: the third waited over a second.
/// assert!(start.elapsed() >= std::time::Duration::from_millis(1000));
/// # Ok::<(), wbs_hyper::Error>(()) }).unwrap();
/// ```
#[derive(Clone)]
pub struct RateLimiter {
    interval: Duration,
    /// Where the slots are booked: in this process, or shared with others.
    book: Arc<dyn SlotBook>,
    /// 601 answers the clients sharing this limit received.
    rate_limited: Arc<AtomicU64>,
}

impl std::fmt::Debug for RateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

impl RateLimiter {
    /// At most `limit` requests in any minute (at least 1), with a second to spare, for
    /// the clients of this process.
    pub fn per_minute(limit: u32) -> Self {
        Self::shared(limit, Arc::new(LocalSlots::default()))
    }

    /// At most `limit` requests in any minute (at least 1), with a second to spare, across
    /// every process that books its slots in `book` with the same limit.
    pub fn shared(limit: u32, book: Arc<dyn SlotBook>) -> Self {
        Self {
            interval: PACED_MINUTE / limit.max(1),
            book,
            rate_limited: Arc::default(),
        }
    }

    /// Waits for this request's slot: the next free one, reserved in the order asked. Fails
    /// (transiently, sending nothing) only when a shared book cannot be reached, or does
    /// not answer within 10 s.
    pub async fn acquire(&self) -> Result<(), Error> {
        let wait = tokio::time::timeout(BOOKING_TIMEOUT, self.book.book(self.interval))
            .await
            .map_err(|elapsed| Error::new(Kind::SlotBook, Some(Box::new(elapsed))))?
            .map_err(|e| Error::new(Kind::SlotBook, Some(e)))?;
        tokio::time::sleep(wait).await;
        Ok(())
    }

    /// How many 601 answers the clients sharing this limit received (each, retried or not).
    pub fn rate_limited_answers(&self) -> u64 {
        self.rate_limited.load(Ordering::Relaxed)
    }

    /// Counts a 601 answer.
    pub(crate) fn answered_601(&self) {
        self.rate_limited.fetch_add(1, Ordering::Relaxed);
    }

    /// The service said 601: no slot before `pause` from now, for anyone (every process,
    /// when shared; if the book cannot be reached, the next request fails on it anyway).
    pub async fn pause(&self, pause: Duration) {
        match tokio::time::timeout(BOOKING_TIMEOUT, self.book.hold(pause)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "cannot pause the shared rate limit"),
            Err(_) => tracing::warn!("the shared rate limit did not answer a pause"),
        }
    }
}

/// How long a built request may wait for its slot and still go as built: a signature's
/// timestamp counts whole seconds, so it is then at most a second old when sent.
const REBUILD_AFTER: Duration = Duration::from_secs(1);

/// Builds a request, waits for its slot of `limit` (if any), and builds it again when the
/// wait was long. Built first, so that a request that cannot be built (a bad parameter)
/// costs no slot; built again, so that an OAuth 1 signature's nonce and timestamp are
/// those of the time it is sent however long the slot took (a wait past the service's
/// timestamp window would otherwise send a stale signature, which it refuses).
pub(crate) async fn build_in_slot<T>(
    limit: Option<&RateLimiter>,
    build: impl Fn() -> Result<T, Error>,
) -> Result<T, Error> {
    let built = build()?;
    let Some(limit) = limit else {
        return Ok(built);
    };
    let asked = std::time::Instant::now();
    limit.acquire().await?;
    if asked.elapsed() < REBUILD_AFTER {
        Ok(built)
    } else {
        build()
    }
}
