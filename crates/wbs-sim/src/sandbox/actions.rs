//! The API's actions, on calls already read and checked by wbs-proto's parameter contract
//! (`AnyCall`): the sandbox parses no parameter itself.

use serde_json::{json, Value};
use wbs_proto::wbs_model::{DeviceType, GroupId, Status, Subscription, Timestamp, UserId};
use wbs_proto::{AnyCall, GetMeas, IMPLICIT_LIMIT};

use super::{Era, Sandbox, Stored, Sub, MAX_SUBSCRIPTIONS, NEVER_EXPIRES};

impl Sandbox {
    /// Answers a verified call of the user who owns the token, in its era's form.
    pub(super) fn act(
        &mut self,
        call: &AnyCall,
        user: UserId,
        now: u64,
        era: Era,
    ) -> Result<Value, Status> {
        match call {
            AnyCall::Probe(_) => Ok(json!({"status": 0})),
            AnyCall::GetUser(_) => Ok(
                json!({"status": 0, "body": {"users": [self.users.get(&user).map(|u| &u.user)]}}),
            ),
            AnyCall::GetMeas(q) => {
                self.churn_before_page(user, now);
                let (body, served) = self.getmeas(user, q, now, era)?;
                self.getmeas_answered += 1;
                self.last_read = Some(user);
                if let Some(u) = self.users.get_mut(&user) {
                    u.served.extend(served);
                }
                Ok(body)
            }
            AnyCall::Subscribe(s) => {
                self.subscribe(user, &s.callbackurl, &s.comment, appli(s.appli))
            }
            AnyCall::GetSubscription(g) => {
                let sub = self.find_sub(user, &g.callbackurl, appli(g.appli))?;
                Ok(json!({"status": 0, "body": subscription(sub, era)}))
            }
            AnyCall::ListSubscriptions(l) => {
                // The reference lists appli 1 by default; today's service, every type.
                let appli = match era {
                    Era::Reference => Some(appli(l.appli)),
                    Era::Today => l.appli,
                };
                self.notify_list(user, appli, era)
            }
            AnyCall::Revoke(r) => self.revoke(user, &r.callbackurl, appli(r.appli)),
            AnyCall::UpdateSubscription(u) => {
                let from = appli(u.appli);
                let to = u.new_appli.unwrap_or(from);
                let sub = self
                    .users
                    .get_mut(&user)
                    .ok_or(Status::INVALID_USERID)?
                    .subscriptions
                    .iter_mut()
                    .find(|s| s.callbackurl == u.callbackurl && s.appli == from)
                    .ok_or(Status::NO_SUCH_SUBSCRIPTION)?;
                sub.callbackurl.clone_from(&u.new_callbackurl);
                sub.appli = to;
                Ok(json!({"status": 0}))
            }
            _ => Err(Status::UNKNOWN_ACTION),
        }
    }

    /// The getmeas answer: the user's groups under the query's filters, newest first
    /// (ties by descending grpid), `limit` (at most 2048) from `offset`; in the
    /// reference's form `more` (the count left) and `offset` come when some remain, in
    /// today's `more` (0 or 1) and `offset` always.
    pub(super) fn getmeas(
        &self,
        userid: UserId,
        q: &GetMeas,
        now: u64,
        era: Era,
    ) -> Result<(Value, Vec<GroupId>), Status> {
        let user = self.users.get(&userid).ok_or(Status::INVALID_USERID)?;
        let limit = q.limit.unwrap_or(IMPLICIT_LIMIT).clamp(1, IMPLICIT_LIMIT) as usize;
        let offset = usize::try_from(q.offset.unwrap_or(0)).unwrap_or(usize::MAX);
        let mut groups: Vec<&Stored> = user
            .groups
            .iter()
            .filter(|s| q.startdate.is_none_or(|t| s.group.date >= t))
            .filter(|s| q.enddate.is_none_or(|t| s.group.date <= t))
            .filter(|s| q.lastupdate.is_none_or(|t| s.changed > t.secs()))
            .filter(|s| q.devtype.is_none_or(|d| covers(d, s.devtype)))
            .filter(|s| q.meastype.is_none_or(|t| s.group.get(t).is_some()))
            .filter(|s| {
                q.meastypes.is_empty() || q.meastypes.iter().any(|t| s.group.get(*t).is_some())
            })
            .filter(|s| q.category.is_none_or(|c| s.group.category == c))
            .collect();
        groups.sort_by(|a, b| {
            b.group
                .date
                .cmp(&a.group.date)
                .then(b.group.grpid.cmp(&a.group.grpid))
        });
        let total = groups.len();
        let page: Vec<&Stored> = groups.iter().skip(offset).take(limit).copied().collect();
        let shown = offset.saturating_add(page.len()).min(total);
        let served = page.iter().map(|s| s.group.grpid).collect();
        let page: Vec<Value> = page
            .into_iter()
            .map(|s| {
                let mut v = json!(s.group);
                // Today's service sends `created` and `modified` on every group (clients of
                // it require them): when they were stored, if the group does not say.
                for field in ["created", "modified"] {
                    if v.get(field).is_none() {
                        v[field] = json!(s.changed);
                    }
                }
                // And the device's id and its hash, null for a group no device measured.
                if era == Era::Today {
                    for field in ["deviceid", "hash_deviceid"] {
                        if v.get(field).is_none() {
                            v[field] = Value::Null;
                        }
                    }
                }
                if user.malformed.contains(&s.group.grpid) {
                    v["date"] = json!("malformed by the sandbox");
                }
                v
            })
            .collect();
        // Today's answers always carry the user's time zone.
        let mut body = json!({"updatetime": now, "timezone": "Europe/Paris", "measuregrps": page});
        match era {
            // The reference: `more` is the count left, sent only when some are.
            Era::Reference if shown < total => {
                body["more"] = json!(total - shown);
                body["offset"] = json!(shown);
            }
            Era::Reference => {}
            // Today's: `more` is 0 or 1, and `offset` (where the next page starts) always
            // comes.
            Era::Today => {
                body["more"] = json!(u8::from(shown < total));
                body["offset"] = json!(shown);
            }
        }
        Ok((json!({"status": 0, "body": body}), served))
    }

    fn subscribe(
        &mut self,
        userid: UserId,
        url: &str,
        comment: &str,
        appli: DeviceType,
    ) -> Result<Value, Status> {
        let user = self.users.get_mut(&userid).ok_or(Status::INVALID_USERID)?;
        if let Some(existing) = user
            .subscriptions
            .iter_mut()
            .find(|s| s.callbackurl == url && s.appli == appli)
        {
            comment.clone_into(&mut existing.comment);
        } else {
            if user.subscriptions.len() >= MAX_SUBSCRIPTIONS {
                return Err(Status::TOO_MANY_NOTIFICATIONS);
            }
            user.subscriptions.push(Sub {
                callbackurl: url.to_owned(),
                comment: comment.to_owned(),
                appli,
            });
        }
        Ok(json!({"status": 0}))
    }

    fn find_sub(&self, userid: UserId, url: &str, appli: DeviceType) -> Result<&Sub, Status> {
        let user = self.users.get(&userid).ok_or(Status::INVALID_USERID)?;
        user.subscriptions
            .iter()
            .find(|s| s.callbackurl == url && s.appli == appli)
            .ok_or(Status::NO_SUCH_SUBSCRIPTION)
    }

    fn notify_list(
        &self,
        userid: UserId,
        appli: Option<DeviceType>,
        era: Era,
    ) -> Result<Value, Status> {
        let user = self.users.get(&userid).ok_or(Status::INVALID_USERID)?;
        let profiles: Vec<Subscription> = user
            .subscriptions
            .iter()
            .filter(|s| appli.is_none_or(|a| s.appli == a))
            .map(|s| subscription(s, era))
            .collect();
        Ok(json!({"status": 0, "body": {"profiles": profiles}}))
    }

    fn revoke(&mut self, userid: UserId, url: &str, appli: DeviceType) -> Result<Value, Status> {
        let user = self.users.get_mut(&userid).ok_or(Status::INVALID_USERID)?;
        let before = user.subscriptions.len();
        user.subscriptions
            .retain(|s| !(s.callbackurl == url && s.appli == appli));
        if user.subscriptions.len() == before {
            return Err(Status::SUBSCRIPTION_NOT_DELETED);
        }
        Ok(json!({"status": 0}))
    }
}

/// Whether a `devtype` filter or subscription `appli` covers a group's device type: by
/// bitmask, with user data (device type 0) matched by 0 only.
pub(super) fn covers(filter: DeviceType, devtype: DeviceType) -> bool {
    if filter.code() == 0 {
        devtype.code() == 0
    } else {
        devtype.code() & filter.code() != 0
    }
}

/// `appli`, default 1 (body scale).
fn appli(appli: Option<DeviceType>) -> DeviceType {
    appli.unwrap_or(DeviceType::BODY_SCALE)
}

/// A subscription as an answer shows it: the reference's `expires` and `comment`, and
/// today's `callbackurl` and `appli` too.
fn subscription(s: &Sub, era: Era) -> Subscription {
    let today = era == Era::Today;
    Subscription {
        expires: Timestamp::from_secs(NEVER_EXPIRES),
        comment: s.comment.clone(),
        callbackurl: today.then(|| s.callbackurl.clone()),
        appli: today.then_some(s.appli),
    }
}
