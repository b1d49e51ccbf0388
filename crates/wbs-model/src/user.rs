//! Users and notification types.

use serde::{Deserialize, Serialize};

use crate::codes::{DeviceType, Gender};
use crate::ids::UserId;
use crate::time::Timestamp;

/// A user, from user/getbyuserid. An anonymous user of a professional account yields only
/// `id` and `firstname`, so every other field is optional. Its fields follow the tolerant
/// policy ([`crate::tolerant`]): `"fatmethod":"0"` is 0, a `null` name is none.
///
/// ```
/// use wbs_model::{Gender, User};
/// let u: User = serde_json::from_str(r#"{"id":29,"firstname":"John","lastname":"Doe",
///     "shortname":"JON","gender":0,"fatmethod":0,"birthdate":211629600}"#).unwrap();
/// assert_eq!(u.lastname.as_deref(), Some("Doe"));
/// assert_eq!(u.gender, Some(Gender::MALE));
/// ```
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    /// The user's id.
    pub id: UserId,
    /// First name.
    #[serde(default, deserialize_with = "crate::tolerant::opt_text")]
    pub firstname: Option<String>,
    /// Last name.
    #[serde(default, deserialize_with = "crate::tolerant::opt_text")]
    pub lastname: Option<String>,
    /// Short name.
    #[serde(default, deserialize_with = "crate::tolerant::opt_text")]
    pub shortname: Option<String>,
    /// Gender.
    pub gender: Option<Gender>,
    /// The body composition formula in use.
    #[serde(default, deserialize_with = "crate::tolerant::opt_int")]
    pub fatmethod: Option<i64>,
    /// Birth date.
    pub birthdate: Option<Timestamp>,
}

/// A notification subscription, from notify/get and notify/list. Today's service names, in
/// a list, each profile's callback URL and device type too.
///
/// ```
/// use wbs_model::{DeviceType, Subscription, Timestamp};
/// let s: Subscription = serde_json::from_str(r#"{"expires":2147483647,"comment":"http:\/\/www.withings.com"}"#).unwrap();
/// assert_eq!((s.expires, s.comment.as_str()), (Timestamp::from_secs(2147483647), "http://www.withings.com"));
/// assert_eq!((s.callbackurl, s.appli), (None, None));
/// let today: Subscription = serde_json::from_str(r#"{"appli":44,"callbackurl":"https://e.com/n","expires":2147483647,"comment":null}"#).unwrap();
/// assert_eq!(today.appli, Some(DeviceType::from_code(44)));
/// assert_eq!(today.callbackurl.as_deref(), Some("https://e.com/n"));
/// ```
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    /// When it expires (2147483647: never).
    pub expires: Timestamp,
    /// The description shown to the user (empty when absent or `null`).
    #[serde(default, deserialize_with = "crate::tolerant::text_or_empty")]
    pub comment: String,
    /// The URL notifications are sent to, when the answer names it (today's lists).
    #[serde(default, deserialize_with = "crate::tolerant::opt_text")]
    pub callbackurl: Option<String>,
    /// The device type subscribed to, when the answer names it (today's lists).
    #[serde(default, deserialize_with = "crate::tolerant::opt_device_type")]
    pub appli: Option<DeviceType>,
}

/// A notification the service POSTs to a callback URL: new or changed data for `userid`
/// between `startdate` and `enddate`. (`wbs-proto` parses the form the service sends.)
///
/// ```
/// use wbs_model::{Notification, UserId};
/// let n: Notification = serde_json::from_str(r#"{"userid":"123456","startdate":1260350649,"enddate":1260350650}"#).unwrap();
/// assert_eq!((n.userid, n.appli), (UserId::new(123456), None));
/// ```
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Whose data changed.
    pub userid: UserId,
    /// Start of the changed period.
    pub startdate: Timestamp,
    /// End of the changed period.
    pub enddate: Timestamp,
    /// The device type the notification is about, if sent.
    pub appli: Option<DeviceType>,
}
