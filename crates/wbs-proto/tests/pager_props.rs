//! The pager's invariant under random changes between pages: every group present from the
//! first page to the end is delivered, and no group is delivered twice.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;

use std::collections::{BTreeSet, HashMap};

use common::{answer, group, sizes, NOW};
use http::StatusCode;
use proptest::prelude::*;
use wbs_model::{GroupId, MeasureGroup, Timestamp, UserId};
use wbs_proto::{GetMeas, MeasurePager};

#[derive(Clone, Debug)]
enum Change {
    /// A group measured now (after the pinned end date).
    AddRecent,
    /// A group entered with an old date: it lands inside the list.
    AddBackdated(u16),
    /// Delete the group at this position of the current list.
    Delete(u16),
    /// The next answer fails (HTTP 503).
    Fail,
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        Just(Change::AddRecent),
        any::<u16>().prop_map(Change::AddBackdated),
        any::<u16>().prop_map(Change::Delete),
        Just(Change::Fail),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn nothing_lost_nothing_doubled(
        (n, limit) in sizes(400, 60),
        schedule in prop::collection::vec(prop::collection::vec(change(), 0..4), 0..40),
    ) {
        let mut groups: Vec<MeasureGroup> = (1..=n).map(|i| group(i, NOW - 10_000 + i * 10)).collect();
        let mut next_id = 1_000_000;
        let mut deleted = BTreeSet::new();
        let original: BTreeSet<i64> = (1..=n).collect();
        let mut pager = MeasurePager::new(GetMeas::new(UserId::new(1)).limit(limit)).with_max_pages(10_000);
        let mut delivered: HashMap<GroupId, usize> = HashMap::new();
        let mut step = 0;
        let mut fail_next = false;
        while let Some(call) = pager.next_call() {
            if fail_next {
                fail_next = false;
                let r = pager.handle_response(StatusCode::SERVICE_UNAVAILABLE, b"busy");
                prop_assert!(r.is_err());
            } else {
                for g in pager.handle_response(StatusCode::OK, &answer(&groups, &call)).unwrap() {
                    *delivered.entry(g.grpid).or_insert(0) += 1;
                }
            }
            if let Some(changes) = schedule.get(step) {
                for c in changes {
                    match c {
                        Change::AddRecent => {
                            next_id += 1;
                            groups.push(group(next_id, NOW + 100));
                        }
                        Change::AddBackdated(at) => {
                            next_id += 1;
                            groups.push(group(next_id, NOW - 10_000 + i64::from(*at % 4_000) * 10 + 5));
                        }
                        Change::Delete(at) if !groups.is_empty() => {
                            let i = usize::from(*at) % groups.len();
                            deleted.insert(groups[i].grpid.get());
                            groups.remove(i);
                        }
                        Change::Delete(_) => {}
                        Change::Fail => fail_next = true,
                    }
                }
            }
            step += 1;
            prop_assert!(step < 20_000, "runaway pager");
        }
        prop_assert!(delivered.values().all(|&c| c == 1), "a group was delivered twice");
        for id in original.difference(&deleted) {
            prop_assert!(delivered.contains_key(&GroupId::new(*id)), "group {} was lost", id);
        }
        // Groups measured after the first page never appear (they are the next sync's).
        prop_assert!(delivered.keys().all(|id| groups.iter().chain(std::iter::empty()).find(|g| g.grpid == *id).is_none_or(|g| g.date <= Timestamp::from_secs(NOW))));
    }
}
