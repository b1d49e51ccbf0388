//! Measure groups and the getmeas page.

use serde::{Serialize, Serializer};

use crate::codes::{Attribution, Category};
use crate::ids::GroupId;
use crate::measure::{Measure, MeasureType};
use crate::time::Timestamp;

/// A measure group: measures taken together (one weighing gives weight, fat mass, …).
///
/// The fields newer servers add live out of line in [`GroupExtra`], allocated only when
/// sent, so a group is 64 bytes and a 2048-group page stays compact.
///
/// ```
/// use wbs_model::{MeasureGroup, MeasureType};
/// let g: MeasureGroup = serde_json::from_str(r#"{"grpid":2909,"attrib":0,"date":1222930968,
///     "category":1,"timezone":"Europe/Paris","measures":[{"value":79300,"type":1,"unit":-3}]}"#).unwrap();
/// assert_eq!(g.get(MeasureType::WEIGHT).unwrap().quantity().to_string(), "79.3 kg");
/// assert_eq!(g.timezone(), Some("Europe/Paris"));
/// assert_eq!(g.deviceid(), None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// Fields of newer servers, when any was sent.
    pub extra: Option<Box<GroupExtra>>,
}

/// The per-group fields that newer servers add.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupExtra {
    /// When the group was created.
    pub created: Option<Timestamp>,
    /// When it was last modified.
    pub modified: Option<Timestamp>,
    /// The device's id (may be sent as null).
    pub deviceid: Option<String>,
    /// A hash of the device's id.
    pub hash_deviceid: Option<String>,
    /// The device model's name.
    pub model: Option<String>,
    /// The device model's code.
    pub modelid: Option<i64>,
    /// The IANA time zone the group was measured in.
    pub timezone: Option<String>,
    /// A comment.
    pub comment: Option<String>,
}

impl GroupExtra {
    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        self == &Self::default()
    }
}

/// The flat wire form of a group, borrowed, for serialising.
#[serde_with::skip_serializing_none]
#[derive(Serialize)]
struct GroupWireRef<'a> {
    grpid: GroupId,
    attrib: Attribution,
    date: Timestamp,
    category: Category,
    measures: &'a [Measure],
    created: Option<Timestamp>,
    modified: Option<Timestamp>,
    deviceid: Option<&'a str>,
    hash_deviceid: Option<&'a str>,
    model: Option<&'a str>,
    modelid: Option<i64>,
    timezone: Option<&'a str>,
    comment: Option<&'a str>,
}

impl Serialize for MeasureGroup {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let x = self.extra.as_deref();
        GroupWireRef {
            grpid: self.grpid,
            attrib: self.attrib,
            date: self.date,
            category: self.category,
            measures: &self.measures,
            created: x.and_then(|x| x.created),
            modified: x.and_then(|x| x.modified),
            deviceid: x.and_then(|x| x.deviceid.as_deref()),
            hash_deviceid: x.and_then(|x| x.hash_deviceid.as_deref()),
            model: x.and_then(|x| x.model.as_deref()),
            modelid: x.and_then(|x| x.modelid),
            timezone: x.and_then(|x| x.timezone.as_deref()),
            comment: x.and_then(|x| x.comment.as_deref()),
        }
        .serialize(s)
    }
}

impl MeasureGroup {
    /// A group with no extra fields.
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
            extra: None,
        }
    }

    /// A group from its wire values, as both decoders assemble it: the codes as sent
    /// (unknown ones kept), the extra fields kept only when one is set.
    ///
    /// ```
    /// use wbs_model::{Category, GroupExtra, MeasureGroup};
    /// let g = MeasureGroup::from_wire(2909, 0, 1222930968, 7, Vec::new(), GroupExtra::default());
    /// assert_eq!((g.grpid.get(), g.category, g.extra), (2909, Category::from_code(7), None));
    /// ```
    pub fn from_wire(
        grpid: i64,
        attrib: i64,
        date: i64,
        category: i64,
        measures: Vec<Measure>,
        extra: GroupExtra,
    ) -> Self {
        let mut g = Self::new(
            GroupId::new(grpid),
            Attribution::from_code(attrib),
            Timestamp::from_secs(date),
            Category::from_code(category),
            measures,
        );
        if !extra.is_empty() {
            g.extra = Some(Box::new(extra));
        }
        g
    }

    /// The first measure of a type.
    pub fn get(&self, measure_type: MeasureType) -> Option<&Measure> {
        self.measures
            .iter()
            .find(|m| m.measure_type == measure_type)
    }

    /// The extra fields, created empty if there were none (to set one).
    pub fn extra_mut(&mut self) -> &mut GroupExtra {
        self.extra.get_or_insert_with(Box::default)
    }

    /// `created`, if sent.
    pub fn created(&self) -> Option<Timestamp> {
        self.extra.as_ref().and_then(|x| x.created)
    }

    /// `modified`, if sent.
    pub fn modified(&self) -> Option<Timestamp> {
        self.extra.as_ref().and_then(|x| x.modified)
    }

    /// `deviceid`, if sent (and not null).
    pub fn deviceid(&self) -> Option<&str> {
        self.extra.as_ref().and_then(|x| x.deviceid.as_deref())
    }

    /// `model`, if sent.
    pub fn model(&self) -> Option<&str> {
        self.extra.as_ref().and_then(|x| x.model.as_deref())
    }

    /// `timezone`, if sent.
    pub fn timezone(&self) -> Option<&str> {
        self.extra.as_ref().and_then(|x| x.timezone.as_deref())
    }
}

/// How many groups are left after a getmeas page. The reference sends an integer (the
/// remaining count); some servers sent a boolean. Both are kept as received.
///
/// ```
/// use wbs_model::More;
/// let counted: More = serde_json::from_str("12").unwrap();
/// let flagged: More = serde_json::from_str("true").unwrap();
/// assert_eq!((counted.has_more(), counted.remaining()), (true, Some(12)));
/// assert_eq!((flagged.has_more(), flagged.remaining()), (true, None));
/// assert_eq!(serde_json::to_string(&flagged).unwrap(), "true");
/// ```
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

    /// The number of groups left, when the server said. Today's service sends `more` as
    /// a 0/1 flag in an integer, so for its pages a 1 here means "some left", not one.
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
#[serde_with::skip_serializing_none]
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MeasurePage {
    /// The server's time when it generated the response: the next sync's `lastupdate`.
    pub updatetime: Timestamp,
    /// Whether (and how many) groups remain beyond this page.
    pub more: More,
    /// Newer servers: the offset to ask for next.
    pub offset: Option<u64>,
    /// Newer servers: the user's IANA time zone.
    pub timezone: Option<String>,
    /// The groups, newest first.
    pub measuregrps: Vec<MeasureGroup>,
}

impl MeasurePage {
    /// Every measure of the page, group by group in the page's order.
    ///
    /// ```
    /// use wbs_model::MeasurePage;
    /// let page: MeasurePage = serde_json::from_str(r#"{"updatetime":1,"measuregrps":[
    ///     {"grpid":2,"attrib":0,"date":1,"category":1,"measures":[{"value":79300,"type":1,"unit":-3}]},
    ///     {"grpid":1,"attrib":0,"date":1,"category":1,"measures":[{"value":652,"type":5,"unit":-1}]}]}"#)?;
    /// let shown: Vec<String> = page.measures().map(|m| m.quantity().to_string()).collect();
    /// assert_eq!(shown, ["79.3 kg", "65.2 kg"]);
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn measures(&self) -> impl Iterator<Item = &Measure> + '_ {
        self.measuregrps.iter().flat_map(|g| &g.measures)
    }
}
