//! What the service counts, in Prometheus' text format.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of the pipeline (monotonic; the queue depth is read from the store).
#[derive(Debug, Default)]
pub struct Metrics {
    /// Notifications committed to the queue.
    pub(crate) received: AtomicU64,
    /// Notifications for users the service does not know (answered 200, nothing queued).
    pub(crate) ignored: AtomicU64,
    /// Claims fetched and stored.
    pub(crate) fetches: AtomicU64,
    /// Claims given back after a transient failure.
    pub(crate) retries: AtomicU64,
    /// Claims of users whose credentials the service refused.
    pub(crate) refused: AtomicU64,
    /// 601 answers seen.
    pub(crate) rate_limited: AtomicU64,
}

impl Metrics {
    pub(crate) fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The exposition text, with the queue depth and the users whose credentials were
    /// refused.
    pub fn render(&self, queue_depth: u64, needing_reauth: usize) -> String {
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, values: &[(&str, &AtomicU64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for (labels, value) in values {
                let _ = writeln!(out, "{name}{labels} {}", value.load(Ordering::Relaxed));
            }
        };
        counter(
            "wbs_notifications_total",
            "Notifications received, by outcome.",
            &[
                ("{outcome=\"queued\"}", &self.received),
                ("{outcome=\"unknown_user\"}", &self.ignored),
            ],
        );
        counter(
            "wbs_fetches_total",
            "Claims fetched and stored.",
            &[("", &self.fetches)],
        );
        counter(
            "wbs_errors_total",
            "Failed fetches, by kind.",
            &[
                ("{kind=\"transient\"}", &self.retries),
                ("{kind=\"credentials_refused\"}", &self.refused),
            ],
        );
        counter(
            "wbs_rate_limited_total",
            "601 answers seen.",
            &[("", &self.rate_limited)],
        );
        let _ = writeln!(out, "# HELP wbs_queue_depth Notifications not done.\n# TYPE wbs_queue_depth gauge\nwbs_queue_depth {queue_depth}");
        let _ = writeln!(out, "# HELP wbs_users_needing_reauthorization Users whose credentials the service refused.\n# TYPE wbs_users_needing_reauthorization gauge\nwbs_users_needing_reauthorization {needing_reauth}");
        out
    }
}
