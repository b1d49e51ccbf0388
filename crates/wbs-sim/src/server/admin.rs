//! The admin path: tests and benches change the sandbox's data while it runs and read what
//! it has served.

use bytes::Bytes;
use http_body_util::Full;
use serde_json::{json, Value};
use std::sync::atomic::Ordering;
use std::sync::Mutex;
use wbs_hyper::serve::respond;
use wbs_proto::http::{Method, Response, StatusCode};
use wbs_proto::wbs_model::{DeviceType, GroupId, MeasureGroup, UserId};
use wbs_proto::wbs_oauth::form_pairs;

use super::{json_reply, now, Knobs};
use crate::sandbox::{Sandbox, SimRequest};

/// A field of an admin request's JSON, read by the model's tolerant policy; `None` when
/// absent or not a value of its type.
fn read<T: serde::de::DeserializeOwned>(v: Option<&Value>) -> Option<T> {
    v.cloned().and_then(|v| serde_json::from_value(v).ok())
}

/// The service's error: the only one is a deliberately dropped connection.
/// `POST /admin/groups` with `{"userid":…, "devtype":…, "group":{…}}` adds or replaces a
/// group (`grpid` 0 or absent takes a fresh one); `DELETE /admin/groups?userid=…&grpid=…`
/// deletes one. Both notify subscribers. `GET /admin/stats` counts the getmeas answered.
pub(super) fn admin(
    state: &Mutex<Sandbox>,
    knobs: &Knobs,
    request: &SimRequest,
) -> Response<Full<Bytes>> {
    let mut sandbox = state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let query = request.uri().query().unwrap_or("");
    let param = |name: &str| form_pairs(query).find(name)?.trim().parse::<i64>().ok();
    match (request.method(), request.uri().path()) {
        // The getmeas body a user would get, unsigned: the baseline of the e2e bench.
        (&Method::GET, "/admin/raw-getmeas") => match param("userid") {
            Some(u) => {
                let limit =
                    param("limit").map_or(2048, |l| u32::try_from(l.max(1)).unwrap_or(u32::MAX));
                match sandbox.raw_getmeas(UserId::new(u), limit) {
                    Some(body) => json_reply(body),
                    None => json_reply(json!({"status": 247})),
                }
            }
            None => respond(StatusCode::BAD_REQUEST, "expected ?userid=…"),
        },
        (&Method::POST, "/admin/groups") => {
            let Ok(mut doc) = serde_json::from_slice::<Value>(request.body()) else {
                return respond(StatusCode::BAD_REQUEST, "body is not JSON");
            };
            // Each field read by the model's one tolerant policy (`"2909"` as 2909).
            let userid: Option<UserId> = read(doc.get("userid"));
            let devtype: Option<DeviceType> = read(doc.get("devtype"));
            let grpid: Option<GroupId> = read(doc.pointer("/group/grpid"));
            if grpid.is_none_or(|g| g.get() == 0) {
                let fresh = sandbox.next_grpid().get();
                // Only an object takes a grpid (anything else fails to decode below).
                if let Some(g) = doc.get_mut("group").and_then(Value::as_object_mut) {
                    g.insert("grpid".to_owned(), json!(fresh));
                }
            }
            let group = doc
                .get("group")
                .cloned()
                .map(serde_json::from_value::<MeasureGroup>);
            match (userid, group) {
                (Some(userid), Some(Ok(group))) => {
                    let grpid = group.grpid;
                    let devtype = devtype.unwrap_or(DeviceType::BODY_SCALE);
                    if sandbox.insert_group(userid, group, devtype, now() as i64) {
                        json_reply(json!({"status": 0, "body": {"grpid": grpid}}))
                    } else {
                        json_reply(json!({"status": 247}))
                    }
                }
                _ => respond(
                    StatusCode::BAD_REQUEST,
                    "expected {\"userid\":…, \"devtype\":…, \"group\":{…}}",
                ),
            }
        }
        // What the sandbox has served: tests count a sync's requests with it.
        (&Method::GET, "/admin/stats") => {
            let (codes, refreshes) = sandbox.oauth2_issued();
            let limit = knobs
                .limit
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            json_reply(json!({
                "requests": limit.requests,
                "rate_limited": limit.refused,
                "max_per_minute": limit.max_in_window,
                "faults": knobs.faults.load(Ordering::Relaxed),
                "overlapping_reads": knobs.readers.overlapping(),
                "notifications_delivered": knobs.delivered.load(Ordering::Relaxed),
                "notifications_given_up": knobs.given_up.load(Ordering::Relaxed),
                "getmeas": sandbox.getmeas_answered(),
                "oauth2_codes": codes,
                "oauth2_refreshes": refreshes,
                "clock_offset": sandbox.clock_offset(),
            }))
        }
        // Move the OAuth 2 clock forward: tokens and codes expire by it.
        (&Method::POST, "/admin/clock") => match param("advance") {
            Some(seconds) if seconds >= 0 => {
                sandbox.advance_clock(seconds);
                json_reply(json!({"status": 0, "body": {"clock_offset": sandbox.clock_offset()}}))
            }
            _ => respond(StatusCode::BAD_REQUEST, "expected ?advance=SECONDS"),
        },
        // Send a group malformed (malformed=1) or whole again (malformed=0).
        (&Method::POST, "/admin/malformed") => match (param("userid"), param("grpid")) {
            (Some(u), Some(g)) => {
                let on = param("malformed").unwrap_or(1) != 0;
                if sandbox.set_malformed(UserId::new(u), GroupId::new(g), on) {
                    json_reply(json!({"status": 0}))
                } else {
                    json_reply(json!({"status": 247}))
                }
            }
            _ => respond(
                StatusCode::BAD_REQUEST,
                "expected ?userid=…&grpid=…&malformed=0|1",
            ),
        },
        (&Method::DELETE, "/admin/groups") => match (param("userid"), param("grpid")) {
            (Some(u), Some(g)) if sandbox.delete_group(UserId::new(u), GroupId::new(g)) => {
                json_reply(json!({"status": 0}))
            }
            (Some(_), Some(_)) => json_reply(json!({"status": 2555})),
            _ => respond(StatusCode::BAD_REQUEST, "expected ?userid=…&grpid=…"),
        },
        _ => respond(
            StatusCode::NOT_FOUND,
            "admin paths: GET /admin/stats, POST /admin/clock?advance=, POST /admin/groups, DELETE /admin/groups?userid=&grpid=, POST /admin/malformed?userid=&grpid=&malformed=",
        ),
    }
}
