//! Response decoding: `{"status":…, "body":…}` in one pass, the body by a decoder that
//! turns shape problems into values, and getmeas pages whose malformed groups are skipped
//! and reported rather than losing the page.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess,
    Visitor,
};
use serde::Deserialize;
use wbs_model::{
    Attribution, Category, GroupExtra, GroupId, Measure, MeasureExtra, MeasureGroup, MeasurePage,
    MeasureType, More, Status, Subscription, Timestamp, User,
};

use crate::error::{excerpt, ResponseError};

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
pub struct SkippedGroup {
    /// Its position in the page's `measuregrps`.
    pub index: usize,
    /// Its id, when that much could be read.
    pub grpid: Option<GroupId>,
    /// What was wrong.
    pub reason: String,
}

/// A body decoder: shape problems come back as `Ok(Err(_))` so that the rest of the
/// document, and its `status`, can still be read.
pub(crate) trait BodyDecode: Sized {
    fn decode_body<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Result<Self, ResponseError>, D::Error>;

    /// The result when the response has no body.
    fn absent() -> Result<Self, ResponseError>;
}

/// For actions that answer with a status only: any body is ignored.
pub(crate) struct NoBody;

impl BodyDecode for NoBody {
    fn decode_body<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Result<Self, ResponseError>, D::Error> {
        IgnoredAny::deserialize(d).map(|_| Ok(NoBody))
    }

    fn absent() -> Result<Self, ResponseError> {
        Ok(NoBody)
    }
}

/// A small body decoded through `serde_json::Value`, which takes any shape.
pub(crate) struct BodyOf<T>(pub(crate) T);

impl<T: DeserializeOwned> BodyDecode for BodyOf<T> {
    fn decode_body<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Result<Self, ResponseError>, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        Ok(serde_json::from_value(value)
            .map(BodyOf)
            .map_err(|e| ResponseError::InvalidField {
                field: "body",
                detail: e.to_string(),
            }))
    }

    fn absent() -> Result<Self, ResponseError> {
        Err(ResponseError::MissingField("body"))
    }
}

/// user/getbyuserid's body.
#[derive(Deserialize)]
pub(crate) struct Users {
    pub(crate) users: Vec<User>,
}

/// notify/list's body.
#[derive(Deserialize)]
pub(crate) struct Profiles {
    pub(crate) profiles: Vec<Subscription>,
}

/// Decodes a response to an action whose body `B` decodes.
pub(crate) fn response<B: BodyDecode>(
    status: http::StatusCode,
    body: &[u8],
) -> Result<B, ResponseError> {
    if !status.is_success() {
        return Err(ResponseError::Http {
            status: status.as_u16(),
            excerpt: excerpt(body, false),
        });
    }
    let envelope = match parse_envelope::<B>(body) {
        Ok(e) => e,
        Err(e) if e.classify() == serde_json::error::Category::Eof => {
            return Err(ResponseError::Truncated {
                excerpt: excerpt(body, true),
            })
        }
        // The reference's own examples have trailing commas: accept those, nothing else.
        Err(e) => match strip_trailing_commas(body).map(|b| parse_envelope::<B>(&b)) {
            Some(Ok(envelope)) => envelope,
            _ if e.classify() == serde_json::error::Category::Data => {
                return Err(ResponseError::InvalidField {
                    field: "response",
                    detail: e.to_string(),
                })
            }
            _ => {
                return Err(ResponseError::NotJson {
                    excerpt: excerpt(body, false),
                })
            }
        },
    };
    match envelope.status {
        None => Err(ResponseError::MissingField("status")),
        Some(Err(detail)) => Err(ResponseError::InvalidField {
            field: "status",
            detail: detail.to_owned(),
        }),
        Some(Ok(0)) => match envelope.body {
            Some(result) => result,
            None => B::absent(),
        },
        Some(Ok(code)) => Err(ResponseError::Api(Status::from_code(code))),
    }
}

/// Decodes a getmeas response: the fast path for the usual shape, the general decoder for
/// everything else (and for every error).
pub(crate) fn getmeas(status: http::StatusCode, body: &[u8]) -> Result<DecodedPage, ResponseError> {
    if status.is_success() {
        if let Some(page) = crate::fast::getmeas(body) {
            return Ok(page);
        }
    }
    getmeas_general(status, body)
}

/// The general getmeas decoder alone.
pub(crate) fn getmeas_general(
    status: http::StatusCode,
    body: &[u8],
) -> Result<DecodedPage, ResponseError> {
    response::<DecodedPage>(status, body)
}

struct Envelope<B> {
    status: Option<Result<i64, &'static str>>,
    body: Option<Result<B, ResponseError>>,
}

fn parse_envelope<B: BodyDecode>(body: &[u8]) -> Result<Envelope<B>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_slice(body);
    let envelope = de.deserialize_any(EnvelopeVisitor(PhantomData))?;
    de.end()?;
    Ok(envelope)
}

struct EnvelopeVisitor<B>(PhantomData<B>);

impl<'de, B: BodyDecode> Visitor<'de> for EnvelopeVisitor<B> {
    type Value = Envelope<B>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object with a status")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut envelope = Envelope {
            status: None,
            body: None,
        };
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match key.0.as_ref() {
                "status" => {
                    envelope.status = Some(
                        map.next_value::<TolerantInt>()?
                            .0
                            .and_then(|v| v.ok_or("null")),
                    )
                }
                "body" => envelope.body = Some(map.next_value_seed(BodySeed::<B>(PhantomData))?),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(envelope)
    }
}

struct BodySeed<B>(PhantomData<B>);

impl<'de, B: BodyDecode> DeserializeSeed<'de> for BodySeed<B> {
    type Value = Result<B, ResponseError>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        B::decode_body(d)
    }
}

/// An object key, borrowed from the input when it has no escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        d.deserialize_str(V)
    }
}

/// Drains whatever container a visitor was handed and reports its kind as the problem.
macro_rules! refuse_containers {
    ($value:ty, $wrap:expr) => {
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<$value, A::Error> {
            while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok($wrap("an object"))
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<$value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok($wrap("an array"))
        }
    };
}

/// Answers every scalar JSON value with the problem it is ("a string, not an object").
macro_rules! refuse_scalars {
    ($value:ty, $wrap:expr) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<$value, E> {
            Ok($wrap("a string, not an object"))
        }

        fn visit_i64<E: de::Error>(self, _: i64) -> Result<$value, E> {
            Ok($wrap("a number, not an object"))
        }

        fn visit_u64<E: de::Error>(self, _: u64) -> Result<$value, E> {
            Ok($wrap("a number, not an object"))
        }

        fn visit_f64<E: de::Error>(self, _: f64) -> Result<$value, E> {
            Ok($wrap("a number, not an object"))
        }

        fn visit_bool<E: de::Error>(self, _: bool) -> Result<$value, E> {
            Ok($wrap("a boolean, not an object"))
        }
    };
}

/// An integer (or a string holding one); `null` is `None`; anything else is a described
/// problem, never a decoding failure.
struct TolerantInt(Result<Option<i64>, &'static str>);

impl<'de> Deserialize<'de> for TolerantInt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TolerantInt;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an integer")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<TolerantInt, E> {
                Ok(TolerantInt(Ok(Some(v))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<TolerantInt, E> {
                Ok(TolerantInt(
                    i64::try_from(v)
                        .map(Some)
                        .map_err(|_| "an integer out of range"),
                ))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<TolerantInt, E> {
                if v.fract() == 0.0 && (-9.2e18..=9.2e18).contains(&v) {
                    Ok(TolerantInt(Ok(Some(v as i64))))
                } else {
                    Ok(TolerantInt(Err("a fractional number")))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TolerantInt, E> {
                Ok(TolerantInt(
                    v.trim()
                        .parse()
                        .map(Some)
                        .map_err(|_| "a string that is not an integer"),
                ))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<TolerantInt, E> {
                Ok(TolerantInt(Err("a boolean")))
            }
            fn visit_unit<E: de::Error>(self) -> Result<TolerantInt, E> {
                Ok(TolerantInt(Ok(None)))
            }
            refuse_containers!(TolerantInt, |what| TolerantInt(Err(what)));
        }
        d.deserialize_any(V)
    }
}

/// A string (numbers and booleans as their text); `null` is `None`.
struct TolerantText(Result<Option<String>, &'static str>);

impl<'de> Deserialize<'de> for TolerantText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TolerantText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TolerantText, E> {
                Ok(TolerantText(Ok(Some(v.to_owned()))))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<TolerantText, E> {
                Ok(TolerantText(Ok(Some(v.to_string()))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<TolerantText, E> {
                Ok(TolerantText(Ok(Some(v.to_string()))))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<TolerantText, E> {
                Ok(TolerantText(Ok(Some(v.to_string()))))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<TolerantText, E> {
                Ok(TolerantText(Ok(Some(v.to_string()))))
            }
            fn visit_unit<E: de::Error>(self) -> Result<TolerantText, E> {
                Ok(TolerantText(Ok(None)))
            }
            refuse_containers!(TolerantText, |what| TolerantText(Err(what)));
        }
        d.deserialize_any(V)
    }
}

/// `more`: a count or a boolean.
struct TolerantMore(Result<More, &'static str>);

impl<'de> Deserialize<'de> for TolerantMore {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TolerantMore;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a count or a boolean")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<TolerantMore, E> {
                Ok(TolerantMore(Ok(More::Remaining(
                    u64::try_from(v).unwrap_or(0),
                ))))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<TolerantMore, E> {
                Ok(TolerantMore(Ok(More::Remaining(v))))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<TolerantMore, E> {
                Ok(TolerantMore(
                    if v.fract() == 0.0 && (0.0..1.8e19).contains(&v) {
                        Ok(More::Remaining(v as u64))
                    } else {
                        Err("a fractional number")
                    },
                ))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<TolerantMore, E> {
                Ok(TolerantMore(Ok(More::Flag(v))))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<TolerantMore, E> {
                Ok(TolerantMore(
                    v.trim()
                        .parse()
                        .map(More::Remaining)
                        .map_err(|_| "a string that is not a count"),
                ))
            }
            fn visit_unit<E: de::Error>(self) -> Result<TolerantMore, E> {
                Ok(TolerantMore(Ok(More::default())))
            }
            refuse_containers!(TolerantMore, |what| TolerantMore(Err(what)));
        }
        d.deserialize_any(V)
    }
}

fn required(
    field: &'static str,
    v: Option<Result<Option<i64>, &'static str>>,
) -> Result<i64, String> {
    match v {
        None | Some(Ok(None)) => Err(format!("no {field}")),
        Some(Ok(Some(n))) => Ok(n),
        Some(Err(what)) => Err(format!("{field} is {what}")),
    }
}

fn optional(
    field: &'static str,
    v: Option<Result<Option<i64>, &'static str>>,
) -> Result<Option<i64>, String> {
    match v {
        None => Ok(None),
        Some(Ok(n)) => Ok(n),
        Some(Err(what)) => Err(format!("{field} is {what}")),
    }
}

fn optional_text(
    field: &'static str,
    v: Option<Result<Option<String>, &'static str>>,
) -> Result<Option<String>, String> {
    match v {
        None => Ok(None),
        Some(Ok(s)) => Ok(s),
        Some(Err(what)) => Err(format!("{field} is {what}")),
    }
}

impl BodyDecode for DecodedPage {
    fn decode_body<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Result<Self, ResponseError>, D::Error> {
        d.deserialize_any(PageVisitor)
    }

    fn absent() -> Result<Self, ResponseError> {
        Err(ResponseError::MissingField("body"))
    }
}

struct PageVisitor;

impl<'de> Visitor<'de> for PageVisitor {
    type Value = Result<DecodedPage, ResponseError>;

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
        let invalid =
            |field: &'static str, detail: String| ResponseError::InvalidField { field, detail };
        let updatetime = match required("updatetime", updatetime) {
            Ok(t) => Timestamp::from_secs(t),
            Err(detail) if updatetime.is_none() => {
                let _ = detail;
                return Ok(Err(ResponseError::MissingField("updatetime")));
            }
            Err(detail) => return Ok(Err(invalid("updatetime", detail))),
        };
        let more = match more {
            None => More::default(),
            Some(Ok(m)) => m,
            Some(Err(what)) => return Ok(Err(invalid("more", format!("more is {what}")))),
        };
        let offset = match optional("offset", offset) {
            Ok(o) => o.map(|o| u64::try_from(o).unwrap_or(0)),
            Err(detail) => return Ok(Err(invalid("offset", detail))),
        };
        let timezone = optional_text("timezone", timezone).unwrap_or(None);
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
        Ok(Err(ResponseError::MissingField("body")))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Err(ResponseError::InvalidField {
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

impl<'de> Deserialize<'de> for GroupOutcome {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(GroupVisitor)
    }
}

struct GroupVisitor;

impl<'de> Visitor<'de> for GroupVisitor {
    type Value = GroupOutcome;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a measure group")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<GroupOutcome, A::Error> {
        let (mut grpid, mut attrib, mut date, mut category) = (None, None, None, None);
        let (mut created, mut modified, mut modelid) = (None, None, None);
        let (mut deviceid, mut hash_deviceid, mut model, mut timezone, mut comment) =
            (None, None, None, None, None);
        let mut measures: Option<Result<Vec<Measure>, String>> = None;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            match key.0.as_ref() {
                "grpid" => grpid = Some(map.next_value::<TolerantInt>()?.0),
                "attrib" => attrib = Some(map.next_value::<TolerantInt>()?.0),
                "date" => date = Some(map.next_value::<TolerantInt>()?.0),
                "category" => category = Some(map.next_value::<TolerantInt>()?.0),
                "measures" => measures = Some(map.next_value::<MeasuresOutcome>()?.0),
                "created" => created = Some(map.next_value::<TolerantInt>()?.0),
                "modified" => modified = Some(map.next_value::<TolerantInt>()?.0),
                "modelid" => modelid = Some(map.next_value::<TolerantInt>()?.0),
                "deviceid" => deviceid = Some(map.next_value::<TolerantText>()?.0),
                "hash_deviceid" => hash_deviceid = Some(map.next_value::<TolerantText>()?.0),
                "model" => model = Some(map.next_value::<TolerantText>()?.0),
                "timezone" => timezone = Some(map.next_value::<TolerantText>()?.0),
                "comment" => comment = Some(map.next_value::<TolerantText>()?.0),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let id = match grpid {
            Some(Ok(Some(id))) => Some(GroupId::new(id)),
            _ => None,
        };
        let build = || -> Result<MeasureGroup, String> {
            let mut g = MeasureGroup::new(
                GroupId::new(required("grpid", grpid)?),
                Attribution::from_code(required("attrib", attrib)?),
                Timestamp::from_secs(required("date", date)?),
                Category::from_code(required("category", category)?),
                measures.ok_or("no measures")??,
            );
            let extra = GroupExtra {
                created: optional("created", created)?.map(Timestamp::from_secs),
                modified: optional("modified", modified)?.map(Timestamp::from_secs),
                modelid: optional("modelid", modelid)?,
                deviceid: optional_text("deviceid", deviceid)?,
                hash_deviceid: optional_text("hash_deviceid", hash_deviceid)?,
                model: optional_text("model", model)?,
                timezone: optional_text("timezone", timezone)?,
                comment: optional_text("comment", comment)?,
            };
            if !extra.is_empty() {
                g.extra = Some(Box::new(extra));
            }
            Ok(g)
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

impl<'de> Deserialize<'de> for MeasuresOutcome {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MeasuresOutcome;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array of measures")
            }
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
            fn visit_str<E: de::Error>(self, _: &str) -> Result<MeasuresOutcome, E> {
                Ok(MeasuresOutcome(Err("measures is a string".to_owned())))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<MeasuresOutcome, E> {
                Ok(MeasuresOutcome(Err("measures is a number".to_owned())))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<MeasuresOutcome, E> {
                Ok(MeasuresOutcome(Err("measures is a number".to_owned())))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<MeasuresOutcome, E> {
                Ok(MeasuresOutcome(Err("measures is a number".to_owned())))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<MeasuresOutcome, E> {
                Ok(MeasuresOutcome(Err("measures is a boolean".to_owned())))
            }
        }
        d.deserialize_any(V)
    }
}

/// One measure, or why it cannot be read.
struct MeasureOutcome(Result<Measure, String>);

impl<'de> Deserialize<'de> for MeasureOutcome {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = MeasureOutcome;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a measure")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MeasureOutcome, A::Error> {
                let (mut value, mut unit, mut kind, mut position, mut algo, mut fm) =
                    (None, None, None, None, None, None);
                while let Some(key) = map.next_key::<Key<'de>>()? {
                    let slot = match key.0.as_ref() {
                        "value" => &mut value,
                        "unit" => &mut unit,
                        "type" => &mut kind,
                        "position" => &mut position,
                        "algo" => &mut algo,
                        "fm" => &mut fm,
                        _ => {
                            map.next_value::<IgnoredAny>()?;
                            continue;
                        }
                    };
                    *slot = Some(map.next_value::<TolerantInt>()?.0);
                }
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
        d.deserialize_any(V)
    }
}

/// Removes commas that directly precede `}` or `]` outside strings; `None` if there are
/// none (so the caller knows the retry cannot help).
fn strip_trailing_commas(body: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(body.len());
    let mut in_string = false;
    let mut escaped = false;
    let mut changed = false;
    for (i, &b) in body.iter().enumerate() {
        if in_string {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_string = false;
            }
        } else if b == b'"' {
            in_string = true;
        } else if b == b',' {
            let next = body
                .get(i + 1..)
                .and_then(|rest| rest.iter().find(|c| !c.is_ascii_whitespace()));
            if matches!(next, Some(b'}') | Some(b']')) {
                changed = true;
                continue;
            }
        }
        out.push(b);
    }
    changed.then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailing_commas_outside_strings_only() {
        assert_eq!(
            strip_trailing_commas(br#"{"a":[1,2,],"b":",]",}"#).unwrap(),
            br#"{"a":[1,2],"b":",]"}"#
        );
        assert_eq!(strip_trailing_commas(br#"{"a":1}"#), None);
    }
}
