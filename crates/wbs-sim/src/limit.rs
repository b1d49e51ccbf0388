//! The consumer's request limit as the service enforced it: above N requests in any
//! 60 seconds, `{"status":601}`. It also counts what it sees, for tests to check a
//! client's pacing.

use std::collections::VecDeque;
use std::time::Duration;

use tokio::time::Instant;

/// The window the limit counts over.
pub const WINDOW: Duration = Duration::from_secs(60);

/// Requests counted against the sandbox's consumer (it has one consumer key and one OAuth 2
/// application, which share the limit).
#[derive(Debug, Default)]
pub(crate) struct Limit {
    per_minute: Option<usize>,
    /// When each request admitted in the last [`WINDOW`] arrived (at most the limit).
    window: VecDeque<Instant>,
    /// API requests seen, admitted or not.
    pub(crate) requests: u64,
    /// Requests answered 601 by the limit.
    pub(crate) refused: u64,
    /// The most requests admitted in one window.
    pub(crate) max_in_window: usize,
}

impl Limit {
    /// Limits to `per_minute` requests in any 60 seconds (`None`: no limit).
    pub(crate) fn set(&mut self, per_minute: Option<u32>) {
        self.per_minute = per_minute.map(|n| usize::try_from(n).unwrap_or(usize::MAX));
        self.window.clear();
    }

    /// Counts a request arriving at `now`; false if it is over the limit (answer 601).
    pub(crate) fn admit(&mut self, now: Instant) -> bool {
        self.requests += 1;
        let Some(limit) = self.per_minute else {
            return true;
        };
        while self
            .window
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= WINDOW)
        {
            self.window.pop_front();
        }
        if self.window.len() >= limit {
            self.refused += 1;
            return false;
        }
        self.window.push_back(now);
        self.max_in_window = self.max_in_window.max(self.window.len());
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_window_holds_more_than_the_limit() {
        let mut limit = Limit::default();
        limit.set(Some(3));
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        assert!(limit.admit(at(0)));
        assert!(limit.admit(at(10)));
        assert!(limit.admit(at(20)));
        assert!(!limit.admit(at(59_999)), "a fourth inside 60 s");
        assert!(limit.admit(at(60_000)), "the first has left the window");
        assert!(!limit.admit(at(60_005)));
        assert_eq!(
            (limit.requests, limit.refused, limit.max_in_window),
            (6, 2, 3)
        );
        limit.set(None);
        assert!((0..100).all(|_| limit.admit(at(60_010))));
    }
}
