//! One client per application, a cheap handle per user: the pool and the rate limit are
//! shared, each user's data is fetched with that user's token. The limiter's slots, under
//! tokio's paused clock (no wall-clock timing).

use std::sync::Arc;
use std::time::Duration;

use wbs_hyper::{Client, GetMeas, RateLimiter, UserId};
use wbs_sim::{RunningSim, Sandbox};

#[tokio::test]
async fn a_handle_per_user_shares_the_pool_and_the_limit() {
    let mut sandbox = Sandbox::with_reference_data();
    sandbox.generate(2, 30, 4, 1_700_000_000);
    let sim = RunningSim::start(sandbox, "127.0.0.1:0".parse().unwrap())
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
        limit.acquire().await;
        at.push(start.elapsed());
    }
    // (The timer wakes on the millisecond after the slot.)
    let near = |t: Duration, slot: Duration| t >= slot && t <= slot + Duration::from_millis(1);
    for (k, t) in (0u32..).zip(&at) {
        assert!(near(*t, slot * k), "{at:?}");
    }
    // Shared by clones: a clone's request takes the next slot.
    let clone = limit.clone();
    clone.acquire().await;
    assert!(near(start.elapsed(), slot * 5));
    // A 601: nothing for a minute, whoever asks.
    limit.pause(Duration::from_secs(60));
    let paused = start.elapsed();
    clone.acquire().await;
    assert!(near(start.elapsed(), paused + Duration::from_secs(60)));
    // Never more than the limit in a window: 61 slots span 61 seconds, a second more than
    // the window the service counts (room for jitter).
    let from = tokio::time::Instant::now();
    for _ in 0..61 {
        limit.acquire().await;
    }
    assert!(from.elapsed() >= Duration::from_secs(61));
}
