//! Measure groups and the getmeas page.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::codes::{Attribution, Category};
use crate::ids::GroupId;
use crate::measure::{Measure, MeasureType};
use crate::time::Timestamp;

/// A measure group: measures taken together (one weighing gives weight, fat mass, …).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeasureGroup {
    /// Unique id, stable across modifications.
    pub grpid: GroupId,
    /// How the group was attributed to the user.
    pub attrib: Attribution,
    /// When it was measured or entered.
    pub date: Timestamp,
    /// Measurement or target.
    pub category: Category,
    /// Its measures.
    pub measures: Vec<Measure>,
    /// Newer servers: when the group was created.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<Timestamp>,
    /// Newer servers: when it was last modified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modified: Option<Timestamp>,
    /// Newer servers: the device's id (may be null).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::lenient::opt_string"
    )]
    pub deviceid: Option<String>,
    /// Newer servers: a hash of the device's id.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::lenient::opt_string"
    )]
    pub hash_deviceid: Option<String>,
    /// Newer servers: the device model's name.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::lenient::opt_string"
    )]
    pub model: Option<String>,
    /// Newer servers: the device model's code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modelid: Option<i64>,
    /// Newer servers: the IANA time zone the group was measured in.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::lenient::opt_string"
    )]
    pub timezone: Option<String>,
    /// Newer servers: a comment.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::lenient::opt_string"
    )]
    pub comment: Option<String>,
}

impl MeasureGroup {
    /// A group with no optional fields.
    pub fn new(
        grpid: GroupId,
        attrib: Attribution,
        date: Timestamp,
        category: Category,
        measures: Vec<Measure>,
    ) -> Self {
        Self {
            grpid,
            attrib,
            date,
            category,
            measures,
            created: None,
            modified: None,
            deviceid: None,
            hash_deviceid: None,
            model: None,
            modelid: None,
            timezone: None,
            comment: None,
        }
    }

    /// The first measure of a type.
    pub fn get(&self, measure_type: MeasureType) -> Option<&Measure> {
        self.measures
            .iter()
            .find(|m| m.measure_type == measure_type)
    }
}

/// How many groups are left after a getmeas page. The reference sends an integer (the
/// remaining count); some servers sent a boolean. Both are kept as received.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum More {
    /// An integer: the groups still to fetch (0 when none).
    Remaining(u64),
    /// A boolean: whether there are more.
    Flag(bool),
}

impl Default for More {
    /// Absent means no more groups.
    fn default() -> Self {
        Self::Remaining(0)
    }
}

impl More {
    /// Whether more groups remain to be fetched.
    pub fn has_more(self) -> bool {
        match self {
            Self::Remaining(n) => n > 0,
            Self::Flag(b) => b,
        }
    }

    /// The number of groups left, when the server said.
    pub fn remaining(self) -> Option<u64> {
        match self {
            Self::Remaining(n) => Some(n),
            Self::Flag(false) => Some(0),
            Self::Flag(true) => None,
        }
    }
}

impl Serialize for More {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Self::Remaining(n) => s.serialize_u64(n),
            Self::Flag(b) => s.serialize_bool(b),
        }
    }
}

impl<'de> Deserialize<'de> for More {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = More;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a count or a boolean")
            }
            fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<More, E> {
                Ok(More::Flag(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<More, E> {
                Ok(More::Remaining(v))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<More, E> {
                // A negative count means nothing is left.
                Ok(More::Remaining(u64::try_from(v).unwrap_or(0)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<More, E> {
                v.trim()
                    .parse()
                    .map(More::Remaining)
                    .map_err(|_| E::custom("more is not a count"))
            }
            fn visit_unit<E: serde::de::Error>(self) -> Result<More, E> {
                Ok(More::default())
            }
        }
        d.deserialize_any(V)
    }
}

/// The body of a getmeas response: one page of measure groups, newest first.
///
/// ```
/// use wbs_model::{GroupId, MeasurePage};
/// let page: MeasurePage = serde_json::from_str(r#"{"updatetime":1249409679,"measuregrps":[
///     {"grpid":2909,"attrib":0,"date":1222930968,"category":1,
///      "measures":[{"value":79300,"type":1,"unit":-3}]}]}"#).unwrap();
/// assert_eq!(page.measuregrps[0].grpid, GroupId::new(2909));
/// assert!(!page.more.has_more());
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeasurePage {
    /// The server's time when it generated the response: the next sync's `lastupdate`.
    pub updatetime: Timestamp,
    /// Whether (and how many) groups remain beyond this page.
    #[serde(default)]
    pub more: More,
    /// Newer servers: the offset to ask for next.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// Newer servers: the user's IANA time zone.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::lenient::opt_string"
    )]
    pub timezone: Option<String>,
    /// The groups, newest first.
    #[serde(default)]
    pub measuregrps: Vec<MeasureGroup>,
}
