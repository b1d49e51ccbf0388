//! The consumer's rate limit, shared by every user's client: requests are given evenly
//! spaced slots, in the order they ask, so that no 60-second window holds more than the
//! limit; a 601 from the service pushes every later slot back.
//!
//! The slots are spaced as if a minute had 61 seconds: `limit + 1` consecutive requests
//! then span 61 s, so a second of scheduling and network jitter between two sends cannot
//! put `limit + 1` of them in the 60 seconds the service counts. It costs 1/61 (1.6 %) of
//! the throughput.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// The span `limit` slots are spread over: a minute and the jitter allowed for.
const PACED_MINUTE: Duration = Duration::from_secs(61);

/// A limit on requests per minute for one consumer key, shared by clones (and by the
/// clients [`Client::for_user`](crate::Client::for_user) makes).
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().enable_time().start_paused(true).build().unwrap().block_on(async {
/// let limit = wbs_hyper::RateLimiter::per_minute(120);
/// let start = tokio::time::Instant::now();
/// for _ in 0..3 {
///     limit.acquire().await;
/// }
/// // Slots 61/120 s apart: the third waited over a second.
/// assert!(start.elapsed() >= std::time::Duration::from_millis(1000));
/// # });
/// ```
#[derive(Clone, Debug)]
pub struct RateLimiter {
    interval: Duration,
    next: Arc<Mutex<Option<Instant>>>,
    /// 601 answers the clients sharing this limit received.
    rate_limited: Arc<std::sync::atomic::AtomicU64>,
}

impl RateLimiter {
    /// At most `limit` requests in any minute (at least 1), with a second to spare.
    pub fn per_minute(limit: u32) -> Self {
        Self {
            interval: PACED_MINUTE / limit.max(1),
            next: Arc::new(Mutex::new(None)),
            rate_limited: Arc::default(),
        }
    }

    /// Waits for this request's slot: the next free one, reserved in the order asked.
    pub async fn acquire(&self) {
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.interval);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// How many 601 answers the clients sharing this limit received (each, retried or not).
    pub fn rate_limited_answers(&self) -> u64 {
        self.rate_limited.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Counts a 601 answer.
    pub(crate) fn answered_601(&self) {
        self.rate_limited
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// The service said 601: no slot before `pause` from now, for anyone.
    pub fn pause(&self, pause: Duration) {
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        let resume = Instant::now() + pause;
        *next = Some(next.map_or(resume, |n| n.max(resume)));
    }
}
