//! Decoding getmeas pages, groups and measures under the tolerant policy: a malformed
//! group is skipped and reported, never the page lost.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::group::{GroupExtra, MeasureGroup, MeasurePage, More};
use crate::ids::GroupId;
use crate::measure::{Measure, MeasureExtra, MeasureType};
use crate::time::Timestamp;
use crate::tolerant::{
    deserialize_by_visitor, optional, refuse_scalars, required, Key, TolerantInt, TolerantMore,
    TolerantText,
};
use crate::wire;

/// A getmeas page, with the groups that could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedPage {
    /// The page, with every group that decoded.
    pub page: MeasurePage,
    /// Groups left out because they were malformed, in page order.
    pub skipped: Vec<SkippedGroup>,
}

/// A measure group that was left out of its page, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SkippedGroup {
    /// Its position in the page's `measuregrps`.
    pub index: usize,
    /// Its id, when that much could be read.
    pub grpid: Option<GroupId>,
    /// What was wrong.
    pub reason: String,
}

/// Why a getmeas body as a whole cannot be used (a malformed group costs only itself).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FieldError {
    /// A field the page needs is absent.
    #[error("no {0}")]
    Missing(&'static str),
    /// A field has the wrong shape; the text says how.
    #[error("{field} is invalid: {detail}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// What was wrong.
        detail: String,
    },
}

impl DecodedPage {
    /// Decodes a getmeas `body` under the tolerant policy. The outer `Result` is the
    /// deserializer's own failure (the input is not JSON); the inner one, a body whose shape
    /// is wrong, so that a caller can still read the rest of the document.
    ///
    /// ```
    /// use wbs_model::DecodedPage;
    /// let body = r#"{"updatetime":"1249409679","measuregrps":[
    ///     {"grpid":2909,"attrib":"0","date":1222930968,"category":1,
    ///      "measures":[{"value":"79300","type":1,"unit":-3}]},
    ///     {"grpid":2910,"attrib":0,"category":1,"measures":[]}]}"#;
    /// let mut de = serde_json::Deserializer::from_str(body);
    /// let decoded = DecodedPage::decode_body(&mut de)?.unwrap();
    /// assert_eq!(decoded.page.measuregrps[0].measures[0].value, 79300);
    /// assert_eq!(decoded.skipped[0].reason, "no date");
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn decode_body<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Result<Self, FieldError>, D::Error> {
        d.deserialize_any(PageVisitor)
    }
}

/// Strict at the page level: a malformed group is an error here (use
/// [`DecodedPage::decode_body`] to keep the rest of the page).
impl<'de> Deserialize<'de> for MeasurePage {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match DecodedPage::decode_body(d)? {
            Ok(decoded) => match decoded.skipped.first() {
                None => Ok(decoded.page),
                Some(s) => Err(de::Error::custom(format_args!(
                    "measure group {}: {}",
                    s.index, s.reason
                ))),
            },
            Err(e) => Err(de::Error::custom(e)),
        }
    }
}

impl<'de> Deserialize<'de> for MeasureGroup {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        GroupOutcome::deserialize(d)?
            .0
            .map_err(|(_, reason)| de::Error::custom(reason))
    }
}

impl<'de> Deserialize<'de> for Measure {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        MeasureOutcome::deserialize(d)?.0.map_err(de::Error::custom)
    }
}

impl<'de> Deserialize<'de> for More {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        TolerantMore::deserialize(d)?.0.map_err(de::Error::custom)
    }
}

struct PageVisitor;

impl<'de> Visitor<'de> for PageVisitor {
    type Value = Result<DecodedPage, FieldError>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a getmeas body")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut updatetime = None;
        let mut more = None;
        let mut offset = None;
        let mut timezone = None;
        let mut groups = Vec::new();
        let mut skipped = Vec::new();
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match key.0.as_ref() {
                "updatetime" => updatetime = Some(map.next_value::<TolerantInt>()?.0),
                "more" => more = Some(map.next_value::<TolerantMore>()?.0),
                "offset" => offset = Some(map.next_value::<TolerantInt>()?.0),
                "timezone" => timezone = Some(map.next_value::<TolerantText>()?.0),
                "measuregrps" => {
                    let (g, s) = map.next_value_seed(GroupsSeed)?;
                    groups = g;
                    skipped = s;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let invalid = |field: &'static str, detail: String| FieldError::Invalid { field, detail };
        let updatetime = match required("updatetime", updatetime) {
            Ok(t) => Timestamp::from_secs(t),
            Err(detail) if updatetime.is_none() => {
                let _ = detail;
                return Ok(Err(FieldError::Missing("updatetime")));
            }
            Err(detail) => return Ok(Err(invalid("updatetime", detail))),
        };
        let more = match more {
            None => More::default(),
            Some(Ok(m)) => m,
            Some(Err(what)) => return Ok(Err(invalid("more", format!("more is {what}")))),
        };
        let offset = match optional("offset", offset) {
            Ok(o) => match o.map(u64::try_from).transpose() {
                Ok(o) => o,
                Err(_) => return Ok(Err(invalid("offset", "offset is a negative count".into()))),
            },
            Err(detail) => return Ok(Err(invalid("offset", detail))),
        };
        let timezone = optional("timezone", timezone).unwrap_or(None);
        Ok(Ok(DecodedPage {
            page: MeasurePage {
                updatetime,
                more,
                offset,
                timezone,
                measuregrps: groups,
            },
            skipped,
        }))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Err(FieldError::Missing("body")))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Err(FieldError::Invalid {
            field: "body",
            detail: "an array, not an object".to_owned(),
        }))
    }
}

struct GroupsSeed;

impl<'de> DeserializeSeed<'de> for GroupsSeed {
    type Value = (Vec<MeasureGroup>, Vec<SkippedGroup>);

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for GroupsSeed {
    type Value = (Vec<MeasureGroup>, Vec<SkippedGroup>);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of measure groups")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut groups = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        let mut skipped = Vec::new();
        let mut index = 0;
        while let Some(outcome) = seq.next_element::<GroupOutcome>()? {
            match outcome.0 {
                Ok(g) => groups.push(g),
                Err((grpid, reason)) => skipped.push(SkippedGroup {
                    index,
                    grpid,
                    reason,
                }),
            }
            index += 1;
        }
        Ok((groups, skipped))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok((Vec::new(), Vec::new()))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok((
            Vec::new(),
            vec![SkippedGroup {
                index: 0,
                grpid: None,
                reason: "measuregrps is an object, not an array".to_owned(),
            }],
        ))
    }
}

/// One element of `measuregrps`: a group, or (its id if readable, why it was skipped).
struct GroupOutcome(Result<MeasureGroup, (Option<GroupId>, String)>);

deserialize_by_visitor! {
    GroupOutcome, deserialize_any, "a measure group",
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<GroupOutcome, A::Error> {
        // Each field read into its slot (the integers', the texts', or `measures`), at its
        // index in the one list of a group's wire names.
        let mut ints = [None; wire::GROUP_TEXTS];
        let mut texts: [Option<Result<Option<String>, &str>>;
            wire::GROUP_MEASURES - wire::GROUP_TEXTS] = Default::default();
        let mut measures: Option<Result<Vec<Measure>, String>> = None;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            let Some(i) = wire::group_field(key.0.as_bytes()) else {
                map.next_value::<IgnoredAny>()?;
                continue;
            };
            if let Some(slot) = ints.get_mut(i) {
                *slot = Some(map.next_value::<TolerantInt>()?.0);
            } else if let Some(slot) = texts.get_mut(i - wire::GROUP_TEXTS) {
                *slot = Some(map.next_value::<TolerantText>()?.0);
            } else {
                measures = Some(map.next_value::<MeasuresOutcome>()?.0);
            }
        }
        let [grpid, attrib, date, category, created, modified, modelid] = ints;
        let [deviceid, hash_deviceid, model, timezone, comment] = texts;
        let id = match grpid {
            Some(Ok(Some(id))) => Some(GroupId::new(id)),
            _ => None,
        };
        let build = || -> Result<MeasureGroup, String> {
            let grpid = required("grpid", grpid)?;
            let attrib = required("attrib", attrib)?;
            let date = required("date", date)?;
            let category = required("category", category)?;
            let measures = measures.ok_or("no measures")??;
            let extra = GroupExtra {
                created: optional("created", created)?.map(Timestamp::from_secs),
                modified: optional("modified", modified)?.map(Timestamp::from_secs),
                modelid: optional("modelid", modelid)?,
                deviceid: optional("deviceid", deviceid)?,
                hash_deviceid: optional("hash_deviceid", hash_deviceid)?,
                model: optional("model", model)?,
                timezone: optional("timezone", timezone)?,
                comment: optional("comment", comment)?,
            };
            Ok(MeasureGroup::from_wire(
                grpid, attrib, date, category, measures, extra,
            ))
        };
        Ok(GroupOutcome(build().map_err(|reason| (id, reason))))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<GroupOutcome, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(GroupOutcome(Err((
            None,
            "an array, not an object".to_owned(),
        ))))
    }

    refuse_scalars!(GroupOutcome, |what: &str| GroupOutcome(Err((
        None,
        what.to_owned()
    ))));

    fn visit_unit<E: de::Error>(self) -> Result<GroupOutcome, E> {
        Ok(GroupOutcome(Err((None, "null, not an object".to_owned()))))
    }
}

/// A group's `measures`: all of them, or why not.
struct MeasuresOutcome(Result<Vec<Measure>, String>);

deserialize_by_visitor! {
    MeasuresOutcome, deserialize_any, "an array of measures",
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<MeasuresOutcome, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(4).min(64));
        let mut problem = None;
        let mut i = 0;
        while let Some(m) = seq.next_element::<MeasureOutcome>()? {
            match m.0 {
                Ok(m) => out.push(m),
                Err(why) => {
                    problem.get_or_insert(format!("measure {i}: {why}"));
                }
            }
            i += 1;
        }
        Ok(MeasuresOutcome(match problem {
            None => Ok(out),
            Some(p) => Err(p),
        }))
    }
    fn visit_unit<E: de::Error>(self) -> Result<MeasuresOutcome, E> {
        Ok(MeasuresOutcome(Err("measures is null".to_owned())))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MeasuresOutcome, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(MeasuresOutcome(Err("measures is an object".to_owned())))
    }
    refuse_scalars!(MeasuresOutcome, |what: &str| MeasuresOutcome(Err(format!(
        "measures is {what}"
    ))));
}

/// One measure, or why it cannot be read.
struct MeasureOutcome(Result<Measure, String>);

deserialize_by_visitor! {
    MeasureOutcome, deserialize_any, "a measure",
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MeasureOutcome, A::Error> {
        let mut ints = [None; wire::MEASURE_FIELDS.len()];
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match wire::measure_field(key.0.as_bytes()).and_then(|i| ints.get_mut(i)) {
                Some(slot) => *slot = Some(map.next_value::<TolerantInt>()?.0),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let [value, unit, kind, position, algo, fm] = ints;
        let build = || -> Result<Measure, String> {
            let unit = i32::try_from(required("unit", unit)?)
                .map_err(|_| "unit out of range".to_owned())?;
            let mut m = Measure::new(
                MeasureType::from_code(required("type", kind)?),
                required("value", value)?,
                unit,
            );
            let extra = MeasureExtra {
                position: optional("position", position)?,
                algo: optional("algo", algo)?,
                fm: optional("fm", fm)?,
            };
            if !extra.is_empty() {
                m.extra = Some(Box::new(extra));
            }
            Ok(m)
        };
        Ok(MeasureOutcome(build()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<MeasureOutcome, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(MeasureOutcome(Err("an array, not an object".to_owned())))
    }
    refuse_scalars!(MeasureOutcome, |what: &str| MeasureOutcome(Err(
        what.to_owned()
    )));

    fn visit_unit<E: de::Error>(self) -> Result<MeasureOutcome, E> {
        Ok(MeasureOutcome(Err("null, not an object".to_owned())))
    }
}
