//! Reads of one user's measures answered at the same time: a client that works each user
//! alone (one instance of several at a time, say) never makes two. The server counts them
//! for tests.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use wbs_proto::wbs_model::UserId;

/// The getmeas answers in flight, by user, and how many began while another for the same
/// user was in flight.
#[derive(Debug, Default)]
pub(crate) struct Readers {
    in_flight: Mutex<HashMap<UserId, u32>>,
    overlapping: AtomicU64,
}

impl Readers {
    /// A getmeas answer for `user` begins; it ends when the guard is dropped.
    pub(crate) fn enter(&self, user: UserId) -> Reading<'_> {
        let mut in_flight = self.lock();
        let n = in_flight.entry(user).or_insert(0);
        if *n > 0 {
            self.overlapping.fetch_add(1, Ordering::Relaxed);
        }
        *n += 1;
        Reading {
            readers: self,
            user,
        }
    }

    /// Answers that began while another for the same user was in flight.
    pub(crate) fn overlapping(&self) -> u64 {
        self.overlapping.load(Ordering::Relaxed)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<UserId, u32>> {
        self.in_flight
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One getmeas answer in flight.
pub(crate) struct Reading<'a> {
    readers: &'a Readers,
    user: UserId,
}

impl Drop for Reading<'_> {
    fn drop(&mut self) {
        let mut in_flight = self.readers.lock();
        if let Some(n) = in_flight.get_mut(&self.user) {
            *n -= 1;
            if *n == 0 {
                in_flight.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reads_of_one_user_at_once_overlap() {
        let readers = Readers::default();
        let a = readers.enter(UserId::new(1));
        let b = readers.enter(UserId::new(2));
        assert_eq!(readers.overlapping(), 0);
        let again = readers.enter(UserId::new(1));
        assert_eq!(readers.overlapping(), 1);
        drop((a, again, b));
        let _later = readers.enter(UserId::new(1));
        assert_eq!(readers.overlapping(), 1, "a read after the others ended");
    }
}
