//! The date-cursor pager against a model server that changes the data before every page:
//! inserts at any date, deletes of any group (delivered or not). Every group present from
//! start to end is delivered exactly once, nothing unknown is delivered, and the pager needs
//! about one request per page.

use std::collections::{BTreeSet, HashMap};

use http::StatusCode;
use proptest::prelude::*;
use wbs_model::{Attribution, Category, GroupId, MeasureGroup, Timestamp, UserId};
use wbs_proto::{GetMeas, MeasurePager};

const NOW: i64 = 1_700_000_000;

fn group(id: i64, date: i64) -> MeasureGroup {
    MeasureGroup::new(
        GroupId::new(id),
        Attribution::DEVICE,
        Timestamp::from_secs(date),
        Category::MEASURE,
        Vec::new(),
    )
}

/// Newest first, ties by descending grpid, `enddate` inclusive, offset and limit.
fn answer(groups: &[MeasureGroup], call: &GetMeas) -> Vec<u8> {
    let mut all: Vec<&MeasureGroup> = groups
        .iter()
        .filter(|g| call.enddate.is_none_or(|e| g.date <= e))
        .collect();
    all.sort_by(|a, b| b.date.cmp(&a.date).then(b.grpid.cmp(&a.grpid)));
    let offset = call.offset.unwrap_or(0) as usize;
    let limit = call.limit.unwrap_or(2048) as usize;
    let page: Vec<&MeasureGroup> = all.iter().skip(offset).take(limit).copied().collect();
    let more = all.len().saturating_sub(offset + page.len());
    serde_json::to_vec(
        &serde_json::json!({"status":0,"body":{"updatetime":NOW,"more":more,"measuregrps":page}}),
    )
    .unwrap()
}

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
    ever: BTreeSet<i64>,
    deleted: BTreeSet<i64>,
    requests: u32,
    rewinds: u32,
}

/// Runs a pager over `groups`, applying `churn[i]` before page `i + 1`; `date_of` gives an
/// inserted group's date from its id and the change's number.
fn run(
    mut groups: Vec<MeasureGroup>,
    limit: u32,
    churn: &[Vec<Change>],
    date_of: impl Fn(i64, u32) -> i64,
) -> Outcome {
    let mut ever: BTreeSet<i64> = groups.iter().map(|g| g.grpid.get()).collect();
    let mut deleted = BTreeSet::new();
    let mut next_id = 1_000_000;
    let mut pager =
        MeasurePager::new(GetMeas::new(UserId::new(1)).limit(limit)).with_max_pages(5_000);
    let mut delivered: HashMap<GroupId, usize> = HashMap::new();
    let mut requests = 0;
    while let Some(call) = pager.next_call() {
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
        for g in pager
            .handle_response(StatusCode::OK, &answer(&groups, &call))
            .unwrap()
        {
            *delivered.entry(g.grpid).or_insert(0) += 1;
        }
        assert!(requests < 5_000, "runaway pager");
    }
    Outcome {
        delivered,
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
    prop_assert!(
        o.delivered.keys().all(|id| o.ever.contains(&id.get())),
        "a group the server never had was delivered"
    );
    for id in original.difference(&o.deleted) {
        prop_assert!(
            o.delivered.contains_key(&GroupId::new(*id)),
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
        n in 0i64..600,
        limit in 1u32..80,
        churn in prop::collection::vec(prop::collection::vec(change(), 0..9), 0..200),
    ) {
        let groups: Vec<MeasureGroup> = (1..=n).map(|i| group(i, NOW - 1_000_000 + i * 1_000)).collect();
        let original = (1..=n).collect();
        // Inserted dates anywhere from before the first group to after the last, never
        // equal to another group's (the id makes them distinct).
        let o = run(groups, limit, &churn, |id, at| NOW - 2_000_000 + i64::from(at % 3_000) * 1_000 + id % 1_000 + 1);
        check_exact(&o, &original)?;
        let pages = (o.delivered.len() as u32).div_ceil(limit);
        prop_assert!(o.requests <= pages + 2, "{} requests for {} pages", o.requests, pages);
        prop_assert_eq!(o.rewinds, 0);
    }

    /// Many groups at few dates, more at one date than a page holds, and deletes among
    /// them: still exactly once, nothing lost.
    #[test]
    fn groups_sharing_dates_page_through_and_survive_deletes(
        n in 0i64..400,
        dates in 1i64..6,
        limit in 1u32..40,
        churn in prop::collection::vec(prop::collection::vec(change(), 0..5), 0..200),
    ) {
        let groups: Vec<MeasureGroup> = (1..=n).map(|i| group(i, NOW - 100 * (i % dates))).collect();
        let original = (1..=n).collect();
        let o = run(groups, limit, &churn, |_, at| NOW - 100 * i64::from(at % 8));
        check_exact(&o, &original)?;
    }
}
