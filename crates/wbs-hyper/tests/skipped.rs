//! A malformed group is never silent: the stream reports it and goes on, sync reports it
//! and does not advance past it, and once repaired the next sync fetches it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;

use std::collections::HashSet;

use futures_util::StreamExt;
use wbs_hyper::{GetMeas, GroupId, SyncCursor, UserId};
use wbs_sim::{Sandbox, FIRST_GENERATED_USER};

#[tokio::test]
async fn a_malformed_group_is_reported_kept_and_fetched_once_repaired() {
    let mut sandbox = Sandbox::with_reference_data();
    let now = wbs_proto::wbs_oauth::unix_timestamp() as i64;
    sandbox.generate(1, 500, 3, now);
    let user = UserId::new(FIRST_GENERATED_USER);
    let all: HashSet<GroupId> = sandbox.group_ids(user).into_iter().collect();
    let mut ids: Vec<GroupId> = all.iter().copied().collect();
    ids.sort();
    let broken = ids[250];
    assert!(sandbox.set_malformed(user, broken, true));
    let (sim, client) = common::serve(sandbox, user).await;

    // The stream: an Err item naming the group, then the rest.
    let mut delivered = HashSet::new();
    let mut reported = Vec::new();
    let mut stream = std::pin::pin!(client.measures_all(GetMeas::new(user).limit(100)));
    while let Some(item) = stream.next().await {
        match item {
            Ok(g) => assert!(delivered.insert(g.grpid), "twice: {:?}", g.grpid),
            Err(e) => reported.push(e.skipped_group().expect("only a skipped group").grpid),
        }
    }
    assert_eq!(reported, vec![Some(broken)]);
    assert_eq!(delivered.len(), 499);
    assert!(!delivered.contains(&broken));

    // Sync: reported, and the cursor does not move past it.
    let first = client.sync(&SyncCursor::new(user)).await.unwrap();
    assert_eq!(first.groups.len(), 499);
    assert_eq!(first.skipped.len(), 1);
    assert_eq!(first.skipped[0].grpid, Some(broken));
    assert_eq!(first.cursor, SyncCursor::new(user));

    // Repaired: the next sync brings it, and the cursor advances.
    sim.with(|s| s.set_malformed(user, broken, false));
    let second = client.sync(&first.cursor).await.unwrap();
    assert!(second.skipped.is_empty());
    let got: HashSet<GroupId> = second.groups.iter().map(|g| g.grpid).collect();
    assert_eq!(got.len(), second.groups.len(), "no group twice");
    assert!(got.contains(&broken));
    assert_eq!(got, all, "every group, the repaired one included");
    assert!(second.cursor.lastupdate.is_some());
}
