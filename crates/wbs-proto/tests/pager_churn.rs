//! The date-cursor pager against a model server that changes the data before every page:
//! inserts at any date, deletes of any group (delivered or not). Every group present from
//! start to end is delivered exactly once, nothing unknown is delivered, and the pager needs
//! about one request per page.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;

use std::collections::{BTreeSet, HashMap};

use common::{answer_with, group, sizes, NOW};
use http::StatusCode;
use proptest::prelude::*;
use wbs_model::{GroupId, MeasureGroup, UserId};
use wbs_proto::{GetMeas, MeasurePager};

#[derive(Clone, Debug)]
enum Change {
    /// A group at this date offset (any date: before, among or after the others).
    Insert(u32),
    /// Delete the group at this position of the server's list (delivered or not).
    Delete(u16),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        any::<u32>().prop_map(Change::Insert),
        any::<u16>().prop_map(Change::Delete),
    ]
}

struct Outcome {
    delivered: HashMap<GroupId, usize>,
    skipped: BTreeSet<i64>,
    ever: BTreeSet<i64>,
    deleted: BTreeSet<i64>,
    requests: u32,
    rewinds: u32,
}

/// Groups 1..=n dated by `date_of(id)`, and the set of their ids.
fn history(n: i64, date_of: impl Fn(i64) -> i64) -> (Vec<MeasureGroup>, BTreeSet<i64>) {
    (
        (1..=n).map(|i| group(i, date_of(i))).collect(),
        (1..=n).collect(),
    )
}

/// Up to `pages` pages' worth of changes, up to `each` before a page.
fn changes(each: usize, pages: usize) -> impl Strategy<Value = Vec<Vec<Change>>> {
    prop::collection::vec(prop::collection::vec(change(), 0..each), 0..pages)
}

/// Runs a pager over `groups`, applying `churn[i]` before page `i + 1`; `date_of` gives an
/// inserted group's date from its id and the change's number.
fn run(
    groups: Vec<MeasureGroup>,
    limit: u32,
    churn: &[Vec<Change>],
    date_of: impl Fn(i64, u32) -> i64,
    malformed: impl Fn(GroupId) -> bool,
) -> Outcome {
    run_interrupted(groups, limit, churn, date_of, malformed, u32::MAX)
}

/// As [`run`], the pager dropped after every `kill_every` pages and a new one resumed from
/// its checkpoint, kept as JSON in between (as a store keeps it).
fn run_interrupted(
    mut groups: Vec<MeasureGroup>,
    limit: u32,
    churn: &[Vec<Change>],
    date_of: impl Fn(i64, u32) -> i64,
    malformed: impl Fn(GroupId) -> bool,
    kill_every: u32,
) -> Outcome {
    let mut ever: BTreeSet<i64> = groups.iter().map(|g| g.grpid.get()).collect();
    let mut deleted = BTreeSet::new();
    let mut next_id = 1_000_000;
    let query = GetMeas::new(UserId::new(1)).limit(limit);
    let mut pager = MeasurePager::new(query.clone()).with_max_pages(5_000);
    let mut delivered: HashMap<GroupId, usize> = HashMap::new();
    let mut skipped = BTreeSet::new();
    let mut requests = 0;
    while let Some(call) = pager.next_call() {
        if requests > 0 && requests % kill_every == 0 {
            let saved = serde_json::to_string(&pager.checkpoint().unwrap()).unwrap();
            let checkpoint = serde_json::from_str(&saved).unwrap();
            pager = MeasurePager::resume(query.clone(), &checkpoint).with_max_pages(5_000);
            assert_eq!(pager.next_call(), Some(call.clone()), "resumed elsewhere");
        }
        if requests > 0 {
            for c in churn.get(requests as usize - 1).into_iter().flatten() {
                match c {
                    Change::Insert(at) => {
                        next_id += 1;
                        ever.insert(next_id);
                        groups.push(group(next_id, date_of(next_id, *at)));
                    }
                    Change::Delete(at) if !groups.is_empty() => {
                        let i = usize::from(*at) % groups.len();
                        deleted.insert(groups[i].grpid.get());
                        groups.remove(i);
                    }
                    Change::Delete(_) => {}
                }
            }
        }
        requests += 1;
        let body = answer_with(&groups, &call, &malformed);
        for g in pager.handle_response(StatusCode::OK, &body).unwrap() {
            *delivered.entry(g.grpid).or_insert(0) += 1;
        }
        skipped.extend(
            pager
                .take_new_skipped()
                .iter()
                .filter_map(|s| s.grpid)
                .map(|g| g.get()),
        );
        assert!(requests < 5_000, "runaway pager");
    }
    assert!(pager.is_complete());
    Outcome {
        delivered,
        skipped,
        ever,
        deleted,
        requests,
        rewinds: pager.rewinds(),
    }
}

fn check_exact(o: &Outcome, original: &BTreeSet<i64>) -> Result<(), TestCaseError> {
    prop_assert!(
        o.delivered.values().all(|&c| c == 1),
        "a group was delivered twice"
    );
    check_complete(o, original)
}

/// Nothing lost and nothing unknown (duplicates allowed: a resumed pager may deliver its
/// overlap group again).
fn check_complete(o: &Outcome, original: &BTreeSet<i64>) -> Result<(), TestCaseError> {
    prop_assert!(
        o.delivered.keys().all(|id| o.ever.contains(&id.get())),
        "a group the server never had was delivered"
    );
    for id in original.difference(&o.deleted) {
        prop_assert!(
            o.delivered.contains_key(&GroupId::new(*id)) || o.skipped.contains(id),
            "group {} was lost",
            id
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// Distinct dates (as a scale's weighings have): any change, before every page, costs
    /// no request; the count is at most the pages of what was delivered, plus two.
    #[test]
    fn any_churn_before_every_page_one_request_a_page(
        (n, limit) in sizes(600, 80),
        churn in changes(9, 200),
    ) {
        let (groups, original) = history(n, |i| NOW - 1_000_000 + i * 1_000);
        // Inserted dates anywhere from before the first group to after the last, never
        // equal to another group's (the id makes them distinct).
        let o = run(groups, limit, &churn, |id, at| NOW - 2_000_000 + i64::from(at % 3_000) * 1_000 + id % 1_000 + 1, |_| false);
        check_exact(&o, &original)?;
        let pages = (o.delivered.len() as u32).div_ceil(limit);
        prop_assert!(o.requests <= pages + 2, "{} requests for {} pages", o.requests, pages);
        prop_assert_eq!(o.rewinds, 0);
    }

    /// Many groups at few dates, more at one date than a page holds, and deletes among
    /// them: still exactly once, nothing lost.
    #[test]
    fn groups_sharing_dates_page_through_and_survive_deletes(
        (n, dates, limit) in (0i64..400, 1i64..6, 1u32..40),
        churn in changes(5, 200),
    ) {
        let (groups, original) = history(n, |i| NOW - 100 * (i % dates));
        let o = run(groups, limit, &churn, |_, at| NOW - 100 * i64::from(at % 8), |_| false);
        check_exact(&o, &original)?;
    }

    /// Malformed groups (no usable date) anywhere, under the same churn: each is reported,
    /// never the cause of a lost group or a stuck pager.
    #[test]
    fn malformed_groups_under_churn_are_reported_and_cost_nothing_else(
        (n, dates, limit) in (0i64..300, 1i64..40, 1u32..30),
        every in 2i64..9,
        churn in changes(5, 100),
    ) {
        let (groups, original) = history(n, |i| NOW - 100 * (i % dates));
        let o = run(groups, limit, &churn, |_, at| NOW - 100 * i64::from(at % 50), |g| g.get() % every == 0);
        check_exact(&o, &original)?;
    }

    /// A pager dropped every few pages and resumed from its checkpoint (through JSON), under
    /// the same churn and malformed groups: nothing lost, and the very same requests as an
    /// uninterrupted pager (groups already delivered may come again: the overlap).
    #[test]
    fn a_resumed_pager_loses_nothing(
        n in 0i64..400,
        dates in 1i64..40,
        every in 2i64..40,
        limit in 1u32..30,
        kill_every in 1u32..5,
        churn in changes(5, 100),
    ) {
        let (groups, original) = history(n, |i| NOW - 100 * (i % dates));
        let date_of = |_, at: u32| NOW - 100 * i64::from(at % 50);
        let malformed = |g: GroupId| g.get() % every == 0;
        let whole = run(groups.clone(), limit, &churn, date_of, malformed);
        let o = run_interrupted(groups, limit, &churn, date_of, malformed, kill_every);
        check_complete(&o, &original)?;
        prop_assert_eq!(o.requests, whole.requests);
        prop_assert_eq!(o.skipped, whole.skipped);
    }
}

/// A caller's offset skips the newest groups of the first page and no others, with groups
/// at distinct dates or all at one date.
#[test]
fn a_callers_offset_skips_only_the_newest() {
    for same_date in [false, true] {
        let groups: Vec<MeasureGroup> = (1..=50)
            .map(|i| group(i, if same_date { NOW - 10 } else { NOW - 1_000 + i }))
            .collect();
        let mut pager =
            MeasurePager::new(GetMeas::new(UserId::new(1)).offset(5).limit(7)).with_max_pages(100);
        let mut delivered = Vec::new();
        while let Some(call) = pager.next_call() {
            let body = answer_with(&groups, &call, |_| false);
            delivered.extend(pager.handle_response(StatusCode::OK, &body).unwrap());
        }
        let ids: Vec<i64> = delivered.iter().map(|g| g.grpid.get()).collect();
        assert_eq!(
            ids,
            (1..=45).rev().collect::<Vec<_>>(),
            "same date: {same_date}"
        );
        assert!(pager.is_complete());
    }
}
