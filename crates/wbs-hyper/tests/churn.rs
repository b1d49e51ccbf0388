//! Issue #16's acceptance: an export through `measures_all` against the sandbox while it
//! inserts back-dated groups and deletes served ones before every page stays exact, in
//! about one getmeas request per page.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;

use std::collections::{HashMap, HashSet};

use futures_util::StreamExt;
use wbs_hyper::{GetMeas, GroupId, UserId};
use wbs_sim::{Churn, Sandbox, FIRST_GENERATED_USER};

#[tokio::test]
async fn an_export_under_churn_is_exact_in_one_request_a_page() {
    for seed in 1..=5u64 {
        let mut sandbox = Sandbox::with_reference_data();
        let now = wbs_proto::wbs_oauth::unix_timestamp() as i64;
        sandbox.generate(1, 3_000, seed, now);
        sandbox.set_churn(Some(Churn::new(4, 4, seed)));
        let user = UserId::new(FIRST_GENERATED_USER);
        let before: HashSet<GroupId> = sandbox.group_ids(user).into_iter().collect();
        assert_eq!(before.len(), 3_000);
        let (sim, client) = common::serve(sandbox, user).await;
        let mut delivered: HashMap<GroupId, usize> = HashMap::new();
        let mut groups = std::pin::pin!(client.measures_all(GetMeas::new(user).limit(300)));
        while let Some(group) = groups.next().await {
            *delivered.entry(group.unwrap().grpid).or_default() += 1;
        }
        let (after, requests): (HashSet<GroupId>, u64) = sim.with(|s| {
            (
                s.group_ids(user).into_iter().collect(),
                s.getmeas_answered(),
            )
        });
        assert!(
            delivered.values().all(|&n| n == 1),
            "seed {seed}: a group was delivered twice"
        );
        for id in before.intersection(&after) {
            assert!(
                delivered.contains_key(id),
                "seed {seed}: group {id:?} was lost"
            );
        }
        let deleted = before.difference(&after).count();
        assert!(deleted > 0, "seed {seed}: the churn deleted nothing");
        assert!(
            delivered
                .keys()
                .all(|id| before.contains(id) || id.get() >= 1_000_000),
            "seed {seed}: a group the sandbox never had"
        );
        eprintln!(
            "seed {seed}: {requests} getmeas requests, {deleted} deleted, {} delivered",
            delivered.len()
        );
        assert!(requests <= 12, "seed {seed}: {requests} getmeas requests");
    }
}
