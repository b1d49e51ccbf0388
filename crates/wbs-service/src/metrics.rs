//! What the service counts, in Prometheus' text format.
//!
//! Written by hand: a few counters and two histograms of fixed buckets do not need a
//! metrics framework (and none is in the dependency tree).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The histograms' upper bounds, in seconds (`+Inf` follows).
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A latency histogram: counts per bucket (not cumulative until rendered) and the sum.
#[derive(Debug, Default)]
pub(crate) struct Histogram {
    /// One per bound, and the last for what is above them all.
    counts: [AtomicU64; BUCKETS.len() + 1],
    sum_micros: AtomicU64,
}

impl Histogram {
    pub(crate) fn observe(&self, took: Duration) {
        let secs = took.as_secs_f64();
        let at = BUCKETS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(BUCKETS.len());
        self.counts[at].fetch_add(1, Ordering::Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// The series of one histogram (`labels` without braces, may be empty).
    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (i, count) in self.counts.iter().enumerate() {
            cumulative += count.load(Ordering::Relaxed);
            let le = BUCKETS
                .get(i)
                .map_or_else(|| "+Inf".to_owned(), |b| b.to_string());
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {cumulative}"
            );
        }
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(
            out,
            "{name}_sum{braces} {sum}\n{name}_count{braces} {cumulative}"
        );
    }
}

/// The service's HTTP endpoints, as the latency histogram labels them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(usize)]
pub(crate) enum Endpoint {
    Notify,
    Health,
    Metrics,
    Connect,
    Admin,
    Other,
}

impl Endpoint {
    /// Every endpoint, in declaration order (so `e as usize` is `e`'s index here).
    const ALL: [Self; 6] = [
        Self::Notify,
        Self::Health,
        Self::Metrics,
        Self::Connect,
        Self::Admin,
        Self::Other,
    ];

    /// The endpoint of a request path.
    pub(crate) fn of(path: &str) -> Self {
        match path {
            crate::NOTIFY_PATH => Self::Notify,
            "/healthz" => Self::Health,
            "/metrics" => Self::Metrics,
            "/connect" | "/callback" => Self::Connect,
            p if p.starts_with("/admin/") => Self::Admin,
            _ => Self::Other,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Self::Notify => "notify",
            Self::Health => "healthz",
            Self::Metrics => "metrics",
            Self::Connect => "connect",
            Self::Admin => "admin",
            Self::Other => "other",
        }
    }
}

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
    /// How long the service took to answer its HTTP requests, by endpoint.
    http: [Histogram; Endpoint::ALL.len()],
    /// How long a claim took from its first request to its answers in hand.
    pub(crate) fetch: Histogram,
}

impl Metrics {
    pub(crate) fn add(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// One HTTP request answered in `took`.
    pub(crate) fn answered(&self, endpoint: Endpoint, took: Duration) {
        // `ALL` lists the endpoints in declaration order: the discriminant is the index.
        self.http[endpoint as usize].observe(took);
    }

    /// The exposition text, with the queue depth, the users whose credentials were
    /// refused, and the 601 answers the consumer's clients received
    /// ([`RateLimiter::rate_limited_answers`](wbs_hyper::RateLimiter::rate_limited_answers)).
    pub fn render(&self, queue_depth: u64, needing_reauth: u64, rate_limited: u64) -> String {
        let mut out = String::new();
        // A counter, by `label` (none when empty): its help, type and one line a value.
        let mut counter = |name: &str, help: &str, label: &str, values: &[(&str, u64)]| {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            for (by, value) in values {
                let _ = match label {
                    "" => writeln!(out, "{name} {value}"),
                    _ => writeln!(out, "{name}{{{label}=\"{by}\"}} {value}"),
                };
            }
        };
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let (received, ignored) = (get(&self.received), get(&self.ignored));
        let (retries, refused) = (get(&self.retries), get(&self.refused));
        counter(
            "wbs_notifications_total",
            "Notifications received, by outcome.",
            "outcome",
            &[("queued", received), ("unknown_user", ignored)],
        );
        counter(
            "wbs_errors_total",
            "Failed fetches, by kind.",
            "kind",
            &[("transient", retries), ("credentials_refused", refused)],
        );
        for (name, help, value) in [
            (
                "wbs_fetches_total",
                "Claims fetched and stored.",
                get(&self.fetches),
            ),
            (
                "wbs_rate_limited_total",
                "601 answers received (each, retried or not).",
                rate_limited,
            ),
        ] {
            counter(name, help, "", &[("", value)]);
        }
        let _ = writeln!(out, "# HELP wbs_http_request_duration_seconds Time to answer the service's HTTP requests, by endpoint.\n# TYPE wbs_http_request_duration_seconds histogram");
        for (endpoint, histogram) in Endpoint::ALL.iter().zip(&self.http) {
            let labels = format!("endpoint=\"{}\"", endpoint.label());
            histogram.render(&mut out, "wbs_http_request_duration_seconds", &labels);
        }
        let _ = writeln!(out, "# HELP wbs_fetch_duration_seconds Time to fetch one claim's groups from the API (its requests, rate-limit waits included).\n# TYPE wbs_fetch_duration_seconds histogram");
        self.fetch
            .render(&mut out, "wbs_fetch_duration_seconds", "");
        let _ = writeln!(out, "# HELP wbs_queue_depth Notifications not done.\n# TYPE wbs_queue_depth gauge\nwbs_queue_depth {queue_depth}");
        let _ = writeln!(out, "# HELP wbs_users_needing_reauthorization Users whose credentials the service refused.\n# TYPE wbs_users_needing_reauthorization gauge\nwbs_users_needing_reauthorization {needing_reauth}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_endpoint_indexes_its_own_histogram() {
        for (i, e) in Endpoint::ALL.iter().enumerate() {
            assert_eq!(*e as usize, i, "{e:?}");
        }
    }

    #[test]
    fn histograms_are_cumulative_and_end_in_inf() {
        let m = Metrics::default();
        m.answered(Endpoint::Notify, Duration::from_millis(3));
        m.answered(Endpoint::Notify, Duration::from_millis(30));
        m.answered(Endpoint::Notify, Duration::from_secs(20));
        m.fetch.observe(Duration::from_millis(7));
        let text = m.render(4, 1, 2);
        for line in [
            "wbs_http_request_duration_seconds_bucket{endpoint=\"notify\",le=\"0.005\"} 1",
            "wbs_http_request_duration_seconds_bucket{endpoint=\"notify\",le=\"0.025\"} 1",
            "wbs_http_request_duration_seconds_bucket{endpoint=\"notify\",le=\"0.05\"} 2",
            "wbs_http_request_duration_seconds_bucket{endpoint=\"notify\",le=\"10\"} 2",
            "wbs_http_request_duration_seconds_bucket{endpoint=\"notify\",le=\"+Inf\"} 3",
            "wbs_http_request_duration_seconds_count{endpoint=\"notify\"} 3",
            "wbs_http_request_duration_seconds_sum{endpoint=\"notify\"} 20.033",
            "wbs_http_request_duration_seconds_count{endpoint=\"healthz\"} 0",
            "wbs_fetch_duration_seconds_bucket{le=\"0.01\"} 1",
            "wbs_fetch_duration_seconds_count 1",
            "wbs_queue_depth 4",
            "wbs_rate_limited_total 2",
            "wbs_users_needing_reauthorization 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} not in\n{text}");
        }
    }
}
