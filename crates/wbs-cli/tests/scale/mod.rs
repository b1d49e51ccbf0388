//! What the scale tests share (#13 on SQLite, #14 on PostgreSQL): `wbs serve` children, a
//! sandbox's counters, users connected and added, groups added at random, the drain, and
//! the store checked against the sandbox.
#![allow(dead_code)] // each scale test file uses its part

/// The PostgreSQL server of the tests and fresh databases on it: the store's own helpers.
#[path = "../../../wbs-store/tests/common/mod.rs"]
pub mod pg;

use std::process::Child;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use wbs_hyper::{MeasureGroup, UserId};
use wbs_sim::RunningSim;
use wbs_store::{HistoryQuery, Store};

use crate::common::{free_port, location, quiet, spawn_listening, try_http, wait_listening};

pub const ADMIN: &str = "scale-admin-token";

/// A runtime of two threads.
pub use pg::rt as runtime;

/// `wbs serve` as a child process, which can be SIGKILLed (and started again on its port).
pub struct Serve {
    child: Child,
    args: Vec<String>,
    pub port: u16,
}

impl Serve {
    /// The command, given the port it listens on, for the sandbox's consumer, a store (a
    /// SQLite path or a URL), `workers`, a rate limit, and more arguments of `serve`.
    pub fn command<'a>(
        sim: &RunningSim,
        db: &'a str,
        workers: u32,
        limit: u32,
        more: &'a [&'a str],
    ) -> impl Fn(u16) -> Vec<String> + 'a {
        let (key, secret) = sim.with(|s| {
            (
                s.consumer().key.clone(),
                s.consumer().secret.expose().to_owned(),
            )
        });
        let base = sim.base_url();
        move |port| {
            let mut args: Vec<String> = [
                "--base-url",
                &base,
                "--oauth-url",
                &base,
                "--consumer-key",
                &key,
                "--consumer-secret",
                &secret,
                "serve",
                "--database",
                db,
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--admin-token",
                ADMIN,
                "--workers",
                &workers.to_string(),
                "--rate-limit",
                &limit.to_string(),
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            args.extend(more.iter().map(|s| s.to_string()));
            args
        }
    }

    /// Started on a free port, once it listens.
    pub fn start(command: impl Fn(u16) -> Vec<String>) -> Self {
        let port = free_port();
        let args = command(port);
        let child = spawn_listening(&args, port);
        Self { child, args, port }
    }

    /// `n` free ports on 127.0.0.1, for [`Serve::start_together`].
    pub fn free_ports(n: usize) -> Vec<u16> {
        (0..n).map(|_| free_port()).collect()
    }

    /// One on each port, started at the same moment (all spawned before any is waited
    /// for), once all listen.
    pub fn start_together(ports: &[u16], command: impl Fn(u16) -> Vec<String>) -> Vec<Self> {
        let spawned: Vec<Self> = ports
            .iter()
            .map(|&port| {
                let args = command(port);
                Self {
                    child: quiet(&args),
                    args,
                    port,
                }
            })
            .collect();
        for s in &spawned {
            wait_listening(s.port, Duration::from_secs(60), || {
                format!("the instance on port {}", s.port)
            });
        }
        spawned
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// SIGKILL.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGKILL, then the same command again (the webhook's URL does not change).
    pub fn kill_and_restart(&mut self) {
        self.kill();
        self.child = spawn_listening(&self.args, self.port);
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The sandbox's counters.
pub fn stats(sim: &RunningSim) -> Value {
    let reply = try_http("GET", &format!("{}/admin/stats", sim.base_url()), None, "").unwrap();
    serde_json::from_str(reply.split("\r\n\r\n").nth(1).unwrap()).unwrap()
}

/// A user authorizes the application through the service: `/connect` at `connect_at`,
/// the sandbox's authorize page (the user approves), then the callback, sent to
/// `callback_at` when given (another instance) or where the redirect says. Tried again
/// from the start when a step fails (the sandbox may be failing requests).
pub fn connect(connect_at: &Serve, callback_at: Option<&Serve>, user: i64) {
    for _ in 0..50 {
        let step = || -> Option<()> {
            let authorize = location(&try_http("GET", &connect_at.url("/connect"), None, "")?)?;
            let back = location(&try_http(
                "GET",
                &format!("{authorize}&userid={user}"),
                None,
                "",
            )?)?;
            let back = match callback_at {
                Some(other) => other.url(&back[back.find("/callback")?..]),
                None => back,
            };
            try_http("GET", &back, None, "")?
                .starts_with("HTTP/1.1 200")
                .then_some(())
        };
        if step().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("user {user} could not connect");
}

/// An existing user's credentials given through the admin API at `base` (subscribed,
/// first sync queued); tried again on a failure.
pub fn add_user(base: &str, sim: &RunningSim, user: i64) {
    let token = sim.with(|s| s.user(UserId::new(user)).unwrap().token.clone());
    let body = json!({"userid": user, "token": token.key, "token_secret": token.secret.expose()})
        .to_string();
    for _ in 0..50 {
        let reply = try_http("POST", &format!("{base}/admin/users"), Some(ADMIN), &body);
        if reply.is_some_and(|r| r.starts_with("HTTP/1.1 200")) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("user {user} could not be added");
}

/// Users added through the admin API at `base`, from 8 threads.
pub fn add_users(base: &str, sim: &RunningSim, users: &[i64]) {
    let next = AtomicU64::new(0);
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                let Some(&user) = users.get(i) else { return };
                add_user(base, sim, user);
            });
        }
    });
}

/// `n` groups through the sandbox's admin path, each for a user at random, from 4 threads.
pub fn add_groups(sim: &RunningSim, users: &[i64], n: usize, seed: u64) {
    let url = format!("{}/admin/groups", sim.base_url());
    let next = AtomicU64::new(0);
    std::thread::scope(|s| {
        for t in 0..4u64 {
            let (url, next) = (&url, &next);
            s.spawn(move || {
                let mut rng = fastrand::Rng::with_seed(seed.wrapping_mul(31).wrapping_add(t));
                while next.fetch_add(1, Ordering::Relaxed) < n as u64 {
                    let user = users[rng.usize(..users.len())];
                    let body = json!({"userid": user, "devtype": 1, "group": {
                        "grpid": 0, "attrib": 0, "category": 1,
                        "date": 1_700_000_000 + rng.i64(0..30_000_000),
                        "measures": [{"value": rng.i64(50_000..120_000), "type": 1, "unit": -3}],
                    }})
                    .to_string();
                    let reply = try_http("POST", url, None, &body).unwrap();
                    assert!(reply.contains("\"status\":0"), "{reply}");
                }
            });
        }
    });
}

/// Waits until the store (a SQLite path or a URL) holds `expected` groups and the queue
/// is empty; when.
pub fn drained(rt: &tokio::runtime::Runtime, db: &str, expected: i64, within: Duration) -> Instant {
    let store = rt.block_on(Store::open(db)).unwrap();
    let deadline = Instant::now() + within;
    loop {
        let (groups, depth): (i64, u64) = rt.block_on(async {
            let groups = sqlx::query_scalar("SELECT COUNT(*) FROM measure_groups")
                .fetch_one(store.pool())
                .await
                .unwrap();
            (groups, store.queue_depth().await.unwrap())
        });
        if groups == expected && depth == 0 {
            rt.block_on(store.close());
            return Instant::now();
        }
        assert!(
            Instant::now() < deadline,
            "not drained: {groups} of {expected} groups, {depth} notifications queued"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Every user's groups in the store (a SQLite path or a URL) equal the sandbox's, field
/// by field.
pub fn assert_exact(rt: &tokio::runtime::Runtime, sim: &RunningSim, db: &str, users: &[i64]) {
    let store = rt.block_on(Store::open(db)).unwrap();
    for &user in users {
        let user = UserId::new(user);
        let doc = sim.with(|s| s.raw_getmeas(user, 100_000)).unwrap();
        let mut theirs: Vec<MeasureGroup> =
            serde_json::from_value(doc["body"]["measuregrps"].clone()).unwrap();
        let mut ours = rt.block_on(store.groups(&HistoryQuery::new(user))).unwrap();
        theirs.sort_by_key(|g| g.grpid);
        ours.sort_by_key(|g| g.grpid);
        assert_eq!(ours, theirs, "user {user}");
    }
    rt.block_on(store.close());
}

/// Notifications an instance took into its queue (`wbs_notifications_total`, queued).
pub fn queued_notifications(instance: &Serve) -> u64 {
    let metrics = try_http("GET", &instance.url("/metrics"), None, "").unwrap();
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("wbs_notifications_total{outcome=\"queued\"} "))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no queued notifications in {metrics}"))
}

/// The service's `/metrics` lines a scale test reports.
pub fn print_metrics(metrics: &str) {
    for line in metrics.lines().filter(|l| {
        l.starts_with("wbs_fetch_duration_seconds")
            || l.starts_with("wbs_http_request_duration_seconds_sum")
            || l.starts_with("wbs_http_request_duration_seconds_count")
            || l.starts_with("wbs_fetches_total")
            || l.starts_with("wbs_errors_total")
            || l.starts_with("wbs_notifications_total")
    }) {
        eprintln!("  {line}");
    }
}
