//! Issue #13's acceptance: `wbs serve` as a real process, a sandbox with 1,000 users on
//! real sockets, a real SQLite store.
//!
//! - 3 users connect through `/connect` and `/callback` over HTTP, 997 are added through
//!   the admin API; 20,000 groups are added through the sandbox's admin path at random
//!   across them; once the queue drains, the store equals the sandbox exactly.
//! - With the service's limit equal to the sandbox's (6,000 a minute): no 601, and the
//!   backlog drains in at most 1.2 × (requests ÷ limit).
//! - The same with a fifth of the sandbox's answers failing, and with the service
//!   SIGKILLed and restarted at 5 random moments.
//! - 10,000 forged notifications in 10 s: a handful of fetches for the one known user,
//!   none for the unknown ones, `/healthz` answering throughout.
//!
//! The tests take turns (one lock): each measures pacing, which a neighbour's load would
//! disturb.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;
mod scale;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use common::try_http;
use scale::{
    add_groups, add_user, add_users, assert_exact, connect, drained, print_metrics, runtime, stats,
    Serve,
};
use serde_json::Value;
use wbs_sim::{Faults, RunningSim, Sandbox, FIRST_GENERATED_USER};

/// One scenario at a time.
static TURN: Mutex<()> = Mutex::new(());
/// The sandbox's limit and the service's.
const LIMIT: u32 = 6_000;

/// What a scenario measured.
#[derive(Debug)]
struct Outcome {
    /// API requests the sandbox saw, and the 601s its limit answered.
    requests: u64,
    rate_limited: u64,
    /// Requests the sandbox failed on purpose.
    faults: u64,
    /// From the last group added to the drained queue: seconds, and requests made.
    drain: Duration,
    drain_requests: u64,
}

/// 1,000 users (3 connected over HTTP, the rest through the admin API), 20,000 groups
/// at random, drained; the store checked against the sandbox; `kills` SIGKILL-and-restarts
/// of the service at random moments while the groups arrive and drain. Runs alone (under
/// [`TURN`]) and prints its outcome, named `what`.
fn scenario(what: &str, faults: Faults, kills: u32, seed: u64) -> Outcome {
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    const USERS: i64 = 1_000;
    const GROUPS: usize = 20_000;
    let rt = runtime();
    let mut sandbox = Sandbox::with_reference_data();
    sandbox.generate(USERS as u32, 0, seed, 1_700_000_000);
    let sim = rt
        .block_on(RunningSim::start_with_faults(
            sandbox,
            RunningSim::LOOPBACK,
            faults,
        ))
        .unwrap();
    sim.set_rate_limit(Some(LIMIT));
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("serve.sqlite");
    let db = db.to_str().unwrap();
    let serve = Mutex::new(Serve::start(Serve::command(&sim, db, 8, LIMIT, &[])));
    let users: Vec<i64> = (0..USERS).map(|u| FIRST_GENERATED_USER + u).collect();

    {
        let serve = serve.lock().unwrap();
        for &user in &users[..3] {
            connect(&serve, None, user);
        }
        add_users(&serve.url(""), &sim, &users[3..]);
    }

    let last_kill = Mutex::new(None::<Instant>);
    let (added, drained_at) = std::thread::scope(|s| {
        if kills > 0 {
            s.spawn(|| {
                // Within the first 25 s: while groups arrive and while they drain.
                let mut rng = fastrand::Rng::with_seed(seed);
                let mut at: Vec<u64> = (0..kills).map(|_| rng.u64(500..25_000)).collect();
                at.sort_unstable();
                let start = Instant::now();
                for ms in at {
                    let when = start + Duration::from_millis(ms);
                    std::thread::sleep(when.saturating_duration_since(Instant::now()));
                    serve.lock().unwrap().kill_and_restart();
                    *last_kill.lock().unwrap() = Some(Instant::now());
                }
            });
        }
        add_groups(&sim, &users, GROUPS, seed);
        let added = (Instant::now(), stats(&sim));
        let done = drained(&rt, db, GROUPS as i64, Duration::from_secs(600));
        (added, done)
    });
    if let Some(last) = *last_kill.lock().unwrap() {
        assert!(
            last < drained_at,
            "a kill came after the drain: it tested nothing"
        );
    }
    let end = stats(&sim);
    assert_exact(&rt, &sim, db, &users);
    let metrics = try_http("GET", &serve.lock().unwrap().url("/metrics"), None, "").unwrap();
    assert!(metrics.contains("wbs_queue_depth 0"), "{metrics}");
    print_metrics(&metrics);
    let count = |v: &Value, k: &str| v[k].as_u64().unwrap();
    let outcome = Outcome {
        requests: count(&end, "requests"),
        rate_limited: count(&end, "rate_limited"),
        faults: count(&end, "faults"),
        drain: drained_at.duration_since(added.0),
        drain_requests: count(&end, "requests") - count(&added.1, "requests"),
    };
    eprintln!("{what}: {outcome:?}");
    outcome
}

#[test]
fn a_thousand_users_end_in_the_store_exactly_within_the_limit() {
    let o = scenario("no faults", Faults::none(), 0, 1);
    assert_eq!(o.rate_limited, 0, "the service went over the limit: {o:?}");
    assert!(o.requests >= o.drain_requests + 2 * 1_000, "{o:?}");
    // The backlog left when the last group arrived drained at the limit's pace.
    let ideal = Duration::from_secs_f64(o.drain_requests as f64 * 60.0 / f64::from(LIMIT));
    assert!(
        o.drain_requests >= 300,
        "too small a backlog to measure a pace: {o:?}"
    );
    assert!(
        o.drain.as_secs_f64() <= 1.2 * ideal.as_secs_f64(),
        "drained in {:?}, ideal {ideal:?}: {o:?}",
        o.drain
    );
}

#[test]
fn a_fifth_of_requests_failing_loses_nothing() {
    let faults: Faults = "rate=0.2,kinds=drop+500+503+2555+truncate,seed=13"
        .parse()
        .unwrap();
    let o = scenario("20% faults", faults, 0, 2);
    // The faults were felt: about a fifth of the requests failed.
    assert!(o.faults * 6 > o.requests, "{o:?}");
}

#[test]
fn killed_and_restarted_five_times_loses_nothing() {
    let o = scenario("5 kills", Faults::none(), 5, 3);
    assert_eq!(o.rate_limited, 0, "{o:?}");
}

/// 10,000 forged notifications in 10 s, half for users the service does not know and half
/// for its one user: a handful of fetches, and `/healthz` answering throughout.
#[test]
fn a_flood_of_forged_notifications_costs_a_handful_of_fetches() {
    let _turn = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let rt = runtime();
    let mut sandbox = Sandbox::with_reference_data();
    sandbox.generate(1, 30, 4, 1_700_000_000);
    let sim = rt
        .block_on(RunningSim::start(sandbox, RunningSim::LOOPBACK))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("flood.sqlite");
    let db = db.to_str().unwrap();
    let serve = Serve::start(Serve::command(&sim, db, 4, LIMIT, &[]));
    let user = FIRST_GENERATED_USER;
    add_user(&serve.url(""), &sim, user);
    drained(&rt, db, 30, Duration::from_secs(60));
    let before = stats(&sim)["getmeas"].as_u64().unwrap();

    let flooding = AtomicBool::new(true);
    let started = Instant::now();
    let (sent, worst) = std::thread::scope(|s| {
        let health = s.spawn(|| {
            let mut worst = Duration::ZERO;
            while flooding.load(Ordering::Relaxed) {
                let t = Instant::now();
                let reply = try_http("GET", &serve.url("/healthz"), None, "");
                assert!(
                    reply.is_some_and(|r| r.starts_with("HTTP/1.1 200")),
                    "/healthz failed during the flood"
                );
                worst = worst.max(t.elapsed());
                std::thread::sleep(Duration::from_millis(100));
            }
            worst
        });
        let mut senders = Vec::new();
        for t in 0..8u64 {
            let serve = &serve;
            senders.push(s.spawn(move || {
                let mut rng = fastrand::Rng::with_seed(t);
                let mut ok = 0u32;
                for k in 0..1_250u64 {
                    // Paced: 1,250 each over 10 s.
                    let due = started + Duration::from_millis(k * 8);
                    std::thread::sleep(due.saturating_duration_since(Instant::now()));
                    let (who, start) = if k % 2 == 0 {
                        (user, rng.i64(1_600_000_000..1_700_000_000))
                    } else {
                        (rng.i64(20_000..2_000_000_000), rng.i64(0..1_700_000_000))
                    };
                    let body = format!(
                        "userid={who}&startdate={start}&enddate={}&appli=1",
                        start + rng.i64(0..10_000_000)
                    );
                    let reply = try_http("POST", &serve.url("/notify"), None, &body);
                    ok += u32::from(reply.is_some_and(|r| r.starts_with("HTTP/1.1 200")));
                }
                ok
            }));
        }
        let sent: u32 = senders.into_iter().map(|h| h.join().unwrap()).sum();
        flooding.store(false, Ordering::Relaxed);
        (sent, health.join().unwrap())
    });
    let took = started.elapsed();
    drained(&rt, db, 30, Duration::from_secs(60));
    let fetches = stats(&sim)["getmeas"].as_u64().unwrap() - before;
    eprintln!(
        "flood: {sent} answered 200 in {took:?}; {fetches} getmeas; /healthz worst {worst:?}"
    );
    assert_eq!(sent, 10_000, "every notification answered 200");
    // One fetch per USER_PAUSE at most while the flood lasts, and a last one after it.
    let most = took.as_secs() / wbs_service::USER_PAUSE.as_secs() + 3;
    assert!(
        fetches <= most,
        "{fetches} fetches for one user (at most {most})"
    );
    let metrics = try_http("GET", &serve.url("/metrics"), None, "").unwrap();
    assert!(
        metrics.contains("wbs_notifications_total{outcome=\"unknown_user\"} 5000"),
        "{metrics}"
    );
}
