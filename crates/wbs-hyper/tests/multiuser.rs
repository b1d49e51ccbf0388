//! One client per application, a cheap handle per user: the pool and the rate limit are
//! shared, each user's data is fetched with that user's token. The limiter's slots, under
//! tokio's paused clock; and, on the wall clock, a request signed only once its slot came.

use std::sync::Arc;
use std::time::Duration;

use wbs_hyper::{Client, GetMeas, RateLimiter, UserId};
use wbs_sim::{RunningSim, Sandbox};

#[tokio::test]
async fn a_handle_per_user_shares_the_pool_and_the_limit() {
    let sim = RunningSim::loopback(Sandbox::generated(2, 30, 4, 1_700_000_000))
        .await
        .unwrap();
    let (consumer, a, b) = sim.with(|s| {
        (
            s.consumer().clone(),
            s.user(UserId::new(10_000)).unwrap().token.clone(),
            s.user(UserId::new(10_001)).unwrap().token.clone(),
        )
    });
    let limit = RateLimiter::per_minute(60_000);
    let first = Client::builder(consumer, a)
        .base_url(sim.base_url())
        .rate_limit(limit.clone())
        .retry(wbs_hyper::RetryPolicy::none())
        .build()
        .unwrap();
    let second = first.for_user(b).unwrap();
    let mine = second
        .measures(&GetMeas::new(UserId::new(10_001)))
        .await
        .unwrap();
    assert_eq!(mine.page.measuregrps.len(), 30);
    // Each handle is its own user: the other's data is refused.
    assert!(second
        .measures(&GetMeas::new(UserId::new(10_000)))
        .await
        .is_err());
    assert!(first
        .measures(&GetMeas::new(UserId::new(10_000)))
        .await
        .is_ok());
    // The service's limit reached: the 601 is counted by the shared limiter, whichever
    // handle received it.
    assert_eq!(limit.rate_limited_answers(), 0);
    sim.set_rate_limit(Some(1));
    assert!(first
        .measures(&GetMeas::new(UserId::new(10_000)))
        .await
        .is_ok());
    let answers = [
        first.measures(&GetMeas::new(UserId::new(10_000))).await,
        second.measures(&GetMeas::new(UserId::new(10_001))).await,
    ];
    assert!(answers
        .iter()
        .all(|a| a.as_ref().is_err_and(|e| e.is_rate_limited())));
    assert_eq!(first.rate_limiter().unwrap().rate_limited_answers(), 2);
    sim.set_rate_limit(None);
    // An OAuth 2 client's handles are made from token sets.
    let oauth2 = Client::builder_oauth2(
        wbs_hyper::ClientCredentials::new("id", "secret"),
        wbs_hyper::TokenSet::new(1, "a", "r", i64::MAX, ""),
        Arc::new(wbs_hyper::NoSink),
    )
    .build()
    .unwrap();
    assert!(oauth2
        .for_user(wbs_hyper::Credentials::new("t", "s"))
        .is_err());
}

#[tokio::test(start_paused = true)]
async fn slots_are_spaced_and_a_601_pushes_them_back() {
    let limit = RateLimiter::per_minute(60); // one every 61/60 s
    let slot = Duration::from_secs(61) / 60;
    let start = tokio::time::Instant::now();
    let mut at = Vec::new();
    for _ in 0..5 {
        limit.acquire().await.unwrap();
        at.push(start.elapsed());
    }
    // (The timer wakes on the millisecond after the slot.)
    let near = |t: Duration, slot: Duration| t >= slot && t <= slot + Duration::from_millis(1);
    for (k, t) in (0u32..).zip(&at) {
        assert!(near(*t, slot * k), "{at:?}");
    }
    // Shared by clones: a clone's request takes the next slot.
    let clone = limit.clone();
    clone.acquire().await.unwrap();
    assert!(near(start.elapsed(), slot * 5));
    // A 601: nothing for a minute, whoever asks.
    limit.pause(Duration::from_secs(60)).await;
    let paused = start.elapsed();
    clone.acquire().await.unwrap();
    assert!(near(start.elapsed(), paused + Duration::from_secs(60)));
    // Never more than the limit in a window: 61 slots span 61 seconds, a second more than
    // the window the service counts (room for jitter).
    let from = tokio::time::Instant::now();
    for _ in 0..61 {
        limit.acquire().await.unwrap();
    }
    assert!(from.elapsed() >= Duration::from_secs(61));
}

/// A book shared by two limiters (standing for what several processes share: a database
/// row in wbs-service), which can be made unreachable.
#[derive(Default)]
struct Book {
    slots: wbs_hyper::LocalSlots,
    down: std::sync::atomic::AtomicBool,
}

impl wbs_hyper::SlotBook for Book {
    fn book(
        &self,
        interval: Duration,
    ) -> wbs_hyper::BoxFuture<'_, Result<Duration, wbs_hyper::BookError>> {
        if self.down.load(std::sync::atomic::Ordering::Relaxed) {
            return Box::pin(std::future::ready(Err("the book is down".into())));
        }
        wbs_hyper::SlotBook::book(&self.slots, interval)
    }

    fn hold(&self, pause: Duration) -> wbs_hyper::BoxFuture<'_, Result<(), wbs_hyper::BookError>> {
        wbs_hyper::SlotBook::hold(&self.slots, pause)
    }
}

/// Two limiters (two processes) booking in one book keep one limit together; a 601 one of
/// them heard pauses both; a book that cannot be reached sends nothing and says so.
#[tokio::test(start_paused = true)]
async fn limiters_sharing_a_book_keep_one_limit() {
    let book = Arc::new(Book::default());
    let one = RateLimiter::shared(60, book.clone());
    let two = RateLimiter::shared(60, book.clone());
    let slot = Duration::from_secs(61) / 60;
    let start = tokio::time::Instant::now();
    for _ in 0..3 {
        one.acquire().await.unwrap();
        two.acquire().await.unwrap();
    }
    // Six requests, one slot after another whichever limiter asked.
    assert!(start.elapsed() >= slot * 5);
    one.pause(Duration::from_secs(60)).await;
    let paused = tokio::time::Instant::now();
    two.acquire().await.unwrap();
    assert!(paused.elapsed() >= Duration::from_secs(60));
    book.down.store(true, std::sync::atomic::Ordering::Relaxed);
    let err = one.acquire().await.unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert!(err.to_string().contains("rate limit"), "{err}");
}

/// A call whose slot cannot be booked is not sent: the sandbox sees no request, and the
/// error says why and is worth trying again.
#[tokio::test]
async fn no_slot_booked_no_request_sent() {
    let sim = RunningSim::start(Sandbox::with_reference_data(), RunningSim::LOOPBACK)
        .await
        .unwrap();
    let (consumer, token) = sim.with(|s| {
        (
            s.consumer().clone(),
            s.user(UserId::new(29)).unwrap().token.clone(),
        )
    });
    let book = Arc::new(Book::default());
    let client = Client::builder(consumer, token)
        .base_url(sim.base_url())
        .rate_limit(RateLimiter::shared(600, book.clone()))
        .retry(wbs_hyper::RetryPolicy::none())
        .build()
        .unwrap();
    let requests = || sim.with(|s| s.getmeas_answered());
    client
        .measures(&GetMeas::new(UserId::new(29)))
        .await
        .unwrap();
    let before = requests();
    book.down.store(true, std::sync::atomic::Ordering::Relaxed);
    let err = client
        .measures(&GetMeas::new(UserId::new(29)))
        .await
        .unwrap_err();
    assert!(err.is_transient(), "{err}");
    assert_eq!(requests(), before, "a request went out without a slot");
    // A request that cannot be built is refused before its slot is asked for (the book
    // being down would say so otherwise).
    let mut bad = GetMeas::new(UserId::new(29));
    bad.limit = Some(0);
    let err = client.measures(&bad).await.unwrap_err();
    assert!(err.is_invalid_request(), "{err}");
}

/// A request is signed in its slot, not before it: a wait for the slot longer than the
/// service's timestamp window (here 1 s, slots 2 s apart) does not make the signature
/// stale. Both OAuth 1 senders: a client's call and the dance's token requests.
#[tokio::test]
async fn a_request_waiting_for_its_slot_is_signed_when_it_goes() {
    let mut sandbox = Sandbox::with_reference_data();
    sandbox.set_timestamp_window(1);
    let sim = RunningSim::start(sandbox, RunningSim::LOOPBACK)
        .await
        .unwrap();
    let (consumer, token) = sim.with(|s| {
        let user = s.user(UserId::new(29)).unwrap();
        (s.consumer().clone(), user.token.clone())
    });
    let limit = RateLimiter::per_minute(30); // one every 2.03 s
    let client = Client::builder(consumer.clone(), token)
        .base_url(sim.base_url())
        .rate_limit(limit.clone())
        .retry(wbs_hyper::RetryPolicy::none())
        .build()
        .unwrap();
    let dance = wbs_hyper::OAuthDance::with_endpoints(
        consumer,
        wbs_hyper::OAuthEndpoints::under(&sim.base_url()),
    )
    .unwrap()
    .rate_limit(limit);
    let start = std::time::Instant::now();
    client.user(UserId::new(29)).await.unwrap();
    // Each of these waits about 2 s for its slot, then must be accepted.
    dance.request_token("oob").await.unwrap();
    client.user(UserId::new(29)).await.unwrap();
    // (Not a timing assertion: it checks that the waits the test is about happened.)
    assert!(start.elapsed() >= Duration::from_secs(4));
}
