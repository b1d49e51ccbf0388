//! The model getmeas server the pager's property tests share.
// Each test file uses the part it needs.
#![allow(dead_code)]

use wbs_model::{Attribution, Category, GroupId, MeasureGroup, Timestamp};
use wbs_proto::GetMeas;

/// A history's size and a page limit: up to `groups` groups, pages of 1 to `limit`.
pub fn sizes(groups: i64, limit: u32) -> impl proptest::strategy::Strategy<Value = (i64, u32)> {
    (0..groups, 1..limit)
}

/// The model server's clock: every answer's `updatetime`.
pub const NOW: i64 = 1_700_000_000;

/// A group with no measures.
pub fn group(id: i64, date: i64) -> MeasureGroup {
    MeasureGroup::new(
        GroupId::new(id),
        Attribution::DEVICE,
        Timestamp::from_secs(date),
        Category::MEASURE,
        Vec::new(),
    )
}

/// Answers getmeas as the reference describes: newest first (ties by descending grpid),
/// `enddate` inclusive, offset and limit (implicit 2048), `more` the count left.
pub fn answer(groups: &[MeasureGroup], call: &GetMeas) -> Vec<u8> {
    answer_with(groups, call, |_| false)
}

/// As [`answer`], with the groups `malformed` names sent without a usable date.
pub fn answer_with(
    groups: &[MeasureGroup],
    call: &GetMeas,
    malformed: impl Fn(GroupId) -> bool,
) -> Vec<u8> {
    let mut all: Vec<&MeasureGroup> = groups
        .iter()
        .filter(|g| call.enddate.is_none_or(|e| g.date <= e))
        .collect();
    all.sort_by(|a, b| b.date.cmp(&a.date).then(b.grpid.cmp(&a.grpid)));
    let offset = call.offset.unwrap_or(0) as usize;
    let limit = call.limit.unwrap_or(2048) as usize;
    let page: Vec<&MeasureGroup> = all.iter().skip(offset).take(limit).copied().collect();
    let more = all.len().saturating_sub(offset + page.len());
    let page: Vec<serde_json::Value> = page
        .iter()
        .map(|g| {
            let mut v = serde_json::to_value(g).unwrap();
            if malformed(g.grpid) {
                v["date"] = serde_json::json!("not a date");
            }
            v
        })
        .collect();
    serde_json::to_vec(
        &serde_json::json!({"status":0,"body":{"updatetime":NOW,"more":more,"measuregrps":page}}),
    )
    .unwrap()
}
