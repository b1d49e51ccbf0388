//! The one tolerant decoding policy of the workspace: what every path that reads the API's
//! JSON (the response decoder, files, the sandbox) accepts.
//!
//! - Integers arrive as JSON integers, as whole floats (`29.0`), or as strings holding one
//!   (`"79300"`); `null` is absent.
//! - Text fields take strings, and numbers or booleans as their text.
//! - `more` takes a count or a boolean; a negative count is a problem (never "none
//!   left", which would end a pager early).
//! - A string that is not UTF-8, or holds a surrogate escape cut from its pair, is read
//!   with U+FFFD in place of each broken part (the WHATWG decoding): wbs-proto repairs a
//!   response body this way, then decodes it again. (Elsewhere, such a string is a problem of
//!   the document: a file or the sandbox's admin input is refused, not altered.)
//! - Any other shape is a described problem ("a string that is not an integer"), never a
//!   panic; unknown fields are ignored.
//!
//! The `Tolerant*` field decoders never fail the document: they return the problem as a
//! value, so that the caller decides whether it costs a field, a group, or the whole page.
//! The `deserialize_with` helpers of small bodies (a user, a subscription) return it as a
//! decoding error, named with the field.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::group::More;

/// `Deserialize` for a type through a visitor of its own: the type, the `Deserializer`
/// method that drives the visitor, what the visitor expects (for serde's messages), and
/// the visitor's `visit_*` methods (the `'de` they name is the impl's).
macro_rules! deserialize_by_visitor {
    ($ty:ty, $drive:ident, $expecting:literal, $($methods:tt)*) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl<'de> Visitor<'de> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    $($methods)*
                }
                d.$drive(V)
            }
        }
    };
}
pub(crate) use deserialize_by_visitor;

/// An object key, borrowed from the input when it has no escapes.
#[derive(Debug)]
pub struct Key<'de>(
    /// The key's text.
    pub Cow<'de, str>,
);

deserialize_by_visitor! {
    Key<'de>, deserialize_str, "a key",
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(v)))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(v.to_owned())))
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
pub(crate) use refuse_scalars;

/// An integer (or a string holding one); `null` is `None`; anything else is a described
/// problem, never a decoding failure.
#[derive(Debug)]
pub struct TolerantInt(
    /// The integer (`None` for `null`), or what the value was instead.
    pub Result<Option<i64>, &'static str>,
);

impl<'de> Deserialize<'de> for TolerantInt {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(IntVisitor { allow_bool: false })
            .map(TolerantInt)
    }
}

/// The integer visitor; booleans are 0 and 1 only where a field is a flag.
struct IntVisitor {
    allow_bool: bool,
}

impl<'de> Visitor<'de> for IntVisitor {
    type Value = Result<Option<i64>, &'static str>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an integer")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Ok(Some(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v)
            .map(Some)
            .map_err(|_| "an integer out of range"))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        // 29.0 is 29; 29.5 is not an integer.
        if v.fract() == 0.0 && (-9.2e18..=9.2e18).contains(&v) {
            Ok(Ok(Some(v as i64)))
        } else {
            Ok(Err("a fractional number"))
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(v.trim()
            .parse()
            .map(Some)
            .map_err(|_| "a string that is not an integer"))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(if self.allow_bool {
            Ok(Some(i64::from(v)))
        } else {
            Err("a boolean")
        })
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Ok(None))
    }
    refuse_containers!(Self::Value, Err);
}

/// A string (numbers and booleans as their text); `null` is `None`.
pub(crate) struct TolerantText(pub(crate) Result<Option<String>, &'static str>);

deserialize_by_visitor! {
    TolerantText, deserialize_any, "a string",
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

/// `more`: a count or a boolean.
pub(crate) struct TolerantMore(pub(crate) Result<More, &'static str>);

deserialize_by_visitor! {
    TolerantMore, deserialize_any, "a count or a boolean",
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<TolerantMore, E> {
        Ok(TolerantMore(
            u64::try_from(v).map(More::Remaining).map_err(|_| "a negative count"),
        ))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<TolerantMore, E> {
        Ok(TolerantMore(Ok(More::Remaining(v))))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<TolerantMore, E> {
        Ok(TolerantMore(
            if v < 0.0 {
                Err("a negative count")
            } else if v.fract() != 0.0 {
                Err("a fractional number")
            } else if v < 1.8e19 {
                Ok(More::Remaining(v as u64))
            } else {
                Err("a number too large")
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

/// An optional field's value: absent or `null` is `None`; another shape is the problem,
/// named with the field.
pub(crate) fn optional<T>(
    field: &'static str,
    v: Option<Result<Option<T>, &'static str>>,
) -> Result<Option<T>, String> {
    match v {
        None => Ok(None),
        Some(Ok(n)) => Ok(n),
        Some(Err(what)) => Err(format!("{field} is {what}")),
    }
}

/// A required field's value: as [`optional`], and absent or `null` is the problem.
pub(crate) fn required<T>(
    field: &'static str,
    v: Option<Result<Option<T>, &'static str>>,
) -> Result<T, String> {
    optional(field, v)?.ok_or_else(|| format!("no {field}"))
}

/// A required integer field (ids, timestamps): what the policy accepts, else the problem
/// as a decoding error.
pub(crate) fn int<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    present(d.deserialize_any(IntVisitor { allow_bool: false })?)
}

/// As [`int`], for a flag that some servers sent as a boolean (false 0, true 1).
pub(crate) fn int_or_bool<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    present(d.deserialize_any(IntVisitor { allow_bool: true })?)
}

/// An optional integer field of a small body (a user's `fatmethod`): as [`int`], and
/// absent or `null` is `None`.
pub(crate) fn opt_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    d.deserialize_any(IntVisitor { allow_bool: false })?
        .map_err(not_an_integer)
}

/// An optional device type (a subscription's `appli`): as [`opt_int`], the code kept.
pub(crate) fn opt_device_type<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<crate::codes::DeviceType>, D::Error> {
    opt_int(d).map(|code| code.map(crate::codes::DeviceType::from_code))
}

/// An optional text field of a small body (a user's names): strings, and numbers or
/// booleans as their text; absent or `null` is `None`.
pub(crate) fn opt_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    TolerantText::deserialize(d)?
        .0
        .map_err(|what| de::Error::custom(format_args!("{what}, not a string")))
}

/// As [`opt_text`], for a text that is empty when absent or `null` (a subscription's
/// comment).
pub(crate) fn text_or_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    opt_text(d).map(Option::unwrap_or_default)
}

fn present<E: de::Error>(v: Result<Option<i64>, &'static str>) -> Result<i64, E> {
    match v {
        Ok(Some(n)) => Ok(n),
        Ok(None) => Err(not_an_integer("null")),
        Err(what) => Err(not_an_integer(what)),
    }
}

fn not_an_integer<E: de::Error>(what: &str) -> E {
    E::custom(format_args!("{what}, not an integer"))
}
