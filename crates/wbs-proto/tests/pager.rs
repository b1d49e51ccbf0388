//! The getmeas pager and the sync cursor, driven by an in-memory fake server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

use std::collections::HashMap;

use http::StatusCode;
use wbs_model::{
    Attribution, Category, GroupId, Measure, MeasureGroup, MeasureType, Timestamp, UserId,
};
use wbs_proto::{GetMeas, MeasurePager, PagerError, SyncCursor};

const NOW: i64 = 1_700_000_000;

/// Answers getmeas like the reference describes: newest first, offset and limit (implicit
/// 2048), more = groups left, updatetime = its clock.
struct FakeServer {
    groups: Vec<MeasureGroup>,
    clock: i64,
    calls: u32,
}

fn group(id: i64, date: i64) -> MeasureGroup {
    let mut g = MeasureGroup::new(
        GroupId::new(id),
        Attribution::DEVICE,
        Timestamp::from_secs(date),
        Category::MEASURE,
        vec![Measure::new(MeasureType::WEIGHT, 70_000 + id % 1000, -3)],
    );
    g.extra_mut().modified = Some(Timestamp::from_secs(date));
    g
}

impl FakeServer {
    fn with_groups(n: i64) -> Self {
        // Dates 1..=n seconds before NOW, one group each.
        let groups = (1..=n).map(|i| group(i, NOW - 100_000 + i)).collect();
        Self {
            groups,
            clock: NOW,
            calls: 0,
        }
    }

    fn sorted(&self) -> Vec<&MeasureGroup> {
        let mut v: Vec<&MeasureGroup> = self.groups.iter().collect();
        v.sort_by(|a, b| b.date.cmp(&a.date).then(b.grpid.cmp(&a.grpid)));
        v
    }

    fn answer(&mut self, call: &GetMeas) -> (StatusCode, Vec<u8>) {
        self.calls += 1;
        let all: Vec<&MeasureGroup> = self
            .sorted()
            .into_iter()
            .filter(|g| call.enddate.is_none_or(|e| g.date <= e))
            .filter(|g| call.startdate.is_none_or(|s| g.date >= s))
            .filter(|g| {
                call.lastupdate
                    .is_none_or(|l| g.modified().unwrap_or(g.date) > l)
            })
            .collect();
        let offset = call.offset.unwrap_or(0) as usize;
        let limit = call.limit.unwrap_or(2048) as usize;
        let page: Vec<&MeasureGroup> = all.iter().skip(offset).take(limit).copied().collect();
        let more = all.len().saturating_sub(offset + page.len());
        let body = serde_json::json!({
            "status": 0,
            "body": {"updatetime": self.clock, "more": more, "measuregrps": page}
        });
        (StatusCode::OK, serde_json::to_vec(&body).unwrap())
    }
}

/// Runs a pager to the end; `between` runs after each page with the page number.
fn drive(
    pager: &mut MeasurePager,
    server: &mut FakeServer,
    mut between: impl FnMut(u32, &mut FakeServer) -> Option<(StatusCode, Vec<u8>)>,
) -> Vec<MeasureGroup> {
    let mut out = Vec::new();
    let mut page = 0;
    while let Some(call) = pager.next_call() {
        let (status, body) = match between(page, server) {
            Some(failure) => failure,
            None => server.answer(&call),
        };
        match pager.handle_response(status, &body) {
            Ok(groups) => {
                out.extend(groups);
                page += 1;
            }
            Err(PagerError::Response(e)) => assert!(e.is_transient(), "{e}"),
            Err(e) => panic!("{e}"),
        }
        assert!(server.calls < 100, "runaway pager");
    }
    out
}

fn assert_once(groups: &[MeasureGroup]) -> HashMap<GroupId, usize> {
    let mut count = HashMap::new();
    for g in groups {
        *count.entry(g.grpid).or_insert(0) += 1;
    }
    assert!(
        count.values().all(|&n| n == 1),
        "a group was delivered twice"
    );
    count
}

#[test]
fn ten_thousand_groups_over_five_pages_exactly_once() {
    let mut server = FakeServer::with_groups(10_000);
    let mut pager = MeasurePager::new(GetMeas::new(UserId::new(29)));
    let got = drive(&mut pager, &mut server, |_, _| None);
    assert_eq!(server.calls, 5);
    assert_eq!(pager.pages(), 5);
    let seen = assert_once(&got);
    assert_eq!(seen.len(), 10_000);
    assert!((1..=10_000).all(|i| seen.contains_key(&GroupId::new(i))));
    // Newest first, as the server sends them.
    assert!(got.windows(2).all(|w| w[0].date >= w[1].date));
    assert_eq!(pager.updatetime(), Some(Timestamp::from_secs(NOW)));
}

#[test]
fn groups_added_between_pages_neither_double_nor_hide_others() {
    let mut server = FakeServer::with_groups(10_000);
    let mut pager = MeasurePager::new(GetMeas::new(UserId::new(29)));
    let got = drive(&mut pager, &mut server, |page, server| {
        if page == 1 || page == 3 {
            server.clock += 60;
            // New measurements (after the pinned end date) and backdated entries that
            // push the server's list down under the pager.
            for k in 0..7 {
                let id = 100_000 + i64::from(page) * 100 + k;
                server.groups.push(group(id, server.clock));
                server
                    .groups
                    .push(group(id + 50, NOW - 100_000 + 9_990 - k));
            }
        }
        None
    });
    let seen = assert_once(&got);
    assert!(
        (1..=10_000).all(|i| seen.contains_key(&GroupId::new(i))),
        "an original group was lost"
    );
    // Groups measured after the first page are left to the next sync.
    assert!(got.iter().all(|g| g.date <= Timestamp::from_secs(NOW)));
}

#[test]
fn a_failed_page_is_asked_again() {
    let mut server = FakeServer::with_groups(10_000);
    let mut pager = MeasurePager::new(GetMeas::new(UserId::new(29)));
    let mut failed = 0;
    let got = drive(&mut pager, &mut server, |page, server| {
        if page == 2 && failed < 3 {
            failed += 1;
            server.calls += 1;
            return Some(match failed {
                1 => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    b"<html>busy</html>".to_vec(),
                ),
                2 => (
                    StatusCode::OK,
                    br#"{"status":0,"body":{"updatetime":1,"measuregrps":[{"grpid":1"#.to_vec(),
                ),
                _ => (StatusCode::OK, br#"{"status":2555}"#.to_vec()),
            });
        }
        None
    });
    assert_eq!(failed, 3);
    let seen = assert_once(&got);
    assert_eq!(seen.len(), 10_000);
    assert_eq!(pager.pages(), 5);
}

#[test]
fn groups_deleted_between_pages_do_not_hide_the_rest() {
    let mut server = FakeServer::with_groups(10_000);
    let mut pager = MeasurePager::new(GetMeas::new(UserId::new(29)));
    let mut deleted = Vec::new();
    let got = drive(&mut pager, &mut server, |page, server| {
        if page == 2 {
            // Delete five of the newest groups, already delivered: the list moves up.
            for id in [10_000, 9_999, 9_000, 8_500, 8_000] {
                server.groups.retain(|g| g.grpid != GroupId::new(id));
                deleted.push(id);
            }
        }
        None
    });
    let seen = assert_once(&got);
    for i in 1..=10_000 {
        if !deleted.contains(&i) {
            assert!(seen.contains_key(&GroupId::new(i)), "group {i} was lost");
        }
    }
    // The date cursor is immune to changes among groups already received: no page is
    // read again, one request a page.
    assert_eq!(pager.rewinds(), 0);
    assert_eq!(server.calls, pager.pages());
    assert_eq!(pager.pages(), 5);
}

#[test]
fn a_server_that_never_ends_hits_the_page_cap() {
    let mut pager = MeasurePager::new(GetMeas::new(UserId::new(29)).limit(2)).with_max_pages(10);
    let mut next_id = 0;
    let mut result = Ok(());
    for _ in 0..50 {
        let Some(_call) = pager.next_call() else {
            break;
        };
        next_id += 2;
        let body = serde_json::json!({"status":0,"body":{"updatetime":NOW,"more":1,
            "measuregrps":[group(next_id, NOW - next_id), group(next_id + 1, NOW - next_id - 1)]}});
        if let Err(e) = pager.handle_response(StatusCode::OK, &serde_json::to_vec(&body).unwrap()) {
            result = Err(e);
            break;
        }
    }
    assert_eq!(result, Err(PagerError::TooManyPages(10)));
    assert!(pager.next_call().is_none());
}

#[test]
fn sync_fetches_only_changes_and_survives_a_restart() {
    let mut server = FakeServer::with_groups(3_000);
    let cursor = SyncCursor::new(UserId::new(29));
    let mut pager = cursor.pager();
    let first = drive(&mut pager, &mut server, |_, _| None);
    assert_eq!(first.len(), 3_000);
    let cursor = cursor.advanced(&pager).unwrap();
    assert_eq!(cursor.lastupdate, Some(Timestamp::from_secs(NOW)));

    // Persist and reload, as `wbs sync` does between runs.
    let saved = serde_json::to_string(&cursor).unwrap();
    let cursor: SyncCursor = serde_json::from_str(&saved).unwrap();

    // Later: two groups modified, three added.
    server.clock = NOW + 3_600;
    for g in server
        .groups
        .iter_mut()
        .filter(|g| g.grpid == GroupId::new(5) || g.grpid == GroupId::new(2_500))
    {
        g.extra_mut().modified = Some(Timestamp::from_secs(NOW + 10));
    }
    for k in 0..3 {
        server.groups.push(group(50_000 + k, NOW + 100 + k));
    }
    // An interrupted run keeps the old cursor.
    let interrupted = cursor.pager();
    assert!(cursor.advanced(&interrupted).is_none());
    assert!(interrupted.next_call().is_some());

    let mut pager = cursor.pager();
    let second = drive(&mut pager, &mut server, |_, _| None);
    let mut ids: Vec<i64> = second.iter().map(|g| g.grpid.get()).collect();
    ids.sort();
    assert_eq!(ids, [5, 2_500, 50_000, 50_001, 50_002]);
    assert_eq!(
        cursor.advanced(&pager).unwrap().lastupdate,
        Some(Timestamp::from_secs(NOW + 3_600))
    );
}

#[test]
fn malformed_groups_are_reported_once_and_the_rest_delivered() {
    let mut pager = MeasurePager::new(GetMeas::new(UserId::new(29)));
    let body = br#"{"status":0,"body":{"updatetime":1,"more":0,"measuregrps":[
        {"grpid":3,"attrib":0,"date":30,"category":1,"measures":[{"value":1,"type":1,"unit":0}]},
        {"grpid":2,"attrib":0,"date":"yesterday","category":1,"measures":[]},
        {"grpid":1,"attrib":0,"date":10,"category":1,"measures":[{"value":2,"type":1,"unit":0}]}]}}"#;
    let got = pager.handle_response(StatusCode::OK, body).unwrap();
    assert_eq!(
        got.iter().map(|g| g.grpid.get()).collect::<Vec<_>>(),
        [3, 1]
    );
    assert_eq!(pager.skipped().len(), 1);
    assert_eq!(pager.skipped()[0].grpid, Some(GroupId::new(2)));
    assert!(
        pager.skipped()[0].reason.contains("date"),
        "{}",
        pager.skipped()[0].reason
    );
}

/// A checkpoint keeps its flat form (what stores already hold): the cursor's fields beside
/// `updatetime`, the optional ones optional.
#[test]
fn a_checkpoint_keeps_its_flat_form() {
    for kept in [
        serde_json::json!({"updatetime": 1_700_000_000, "enddate": 1_650_000_000, "consumed": 3, "anchor": 7, "skipped": 1}),
        serde_json::json!({"updatetime": 1_700_000_000, "enddate": null, "consumed": 0, "anchor": null, "skipped": 0}),
    ] {
        let checkpoint: wbs_proto::PagerCheckpoint = serde_json::from_value(kept.clone()).unwrap();
        assert_eq!(serde_json::to_value(&checkpoint).unwrap(), kept);
    }
    let old: wbs_proto::PagerCheckpoint =
        serde_json::from_value(serde_json::json!({"updatetime": 5, "consumed": 2})).unwrap();
    assert_eq!(
        serde_json::to_value(&old).unwrap(),
        serde_json::json!({"updatetime": 5, "enddate": null, "consumed": 2, "anchor": null, "skipped": 0})
    );
}

/// A checkpoint is read from a file or a store: one that counts `u64::MAX` entries
/// consumed is a value like any other, never an overflow.
#[test]
fn a_checkpoint_at_the_end_of_the_count_never_overflows() {
    let checkpoint: wbs_proto::PagerCheckpoint = serde_json::from_value(serde_json::json!({
        "updatetime": NOW, "enddate": NOW, "consumed": u64::MAX, "anchor": 1
    }))
    .unwrap();
    let mut pager = MeasurePager::resume(GetMeas::new(UserId::new(1)), &checkpoint);
    let call = pager.next_call().unwrap();
    assert_eq!(call.offset, Some(u64::MAX - 1));
    let page = serde_json::json!({"status": 0, "body": {"updatetime": NOW, "more": 1,
        "measuregrps": [group(1, NOW - 5), group(2, NOW - 5)]}});
    let body = serde_json::to_vec(&page).unwrap();
    let got = pager.handle_response(StatusCode::OK, &body);
    assert!(got.is_ok(), "{got:?}");
    let kept = serde_json::to_value(pager.checkpoint().unwrap()).unwrap();
    assert_eq!(kept["consumed"], serde_json::json!(u64::MAX));
}
