//! Identifiers, accepted as JSON integers or strings (servers sent both).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize};

/// A newtype over a wire integer (an id or a code): serialised as the integer, read
/// tolerantly (an integer or a string holding one), shown in `Debug` as `Name(n)`, made
/// from and turned into the integer by the two `const fn`s named (with their docs).
macro_rules! wire_int {
    (
        $(#[$doc:meta])* $name:ident,
        $from:ident = $from_doc:literal,
        $into:ident = $into_doc:literal
    ) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            #[doc = $from_doc]
            pub const fn $from(n: i64) -> Self {
                Self(n)
            }

            #[doc = $into_doc]
            pub const fn $into(self) -> i64 {
                self.0
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                crate::tolerant::int(d).map(Self)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }
    };
}
pub(crate) use wire_int;

/// An id type: a [`wire_int!`] with `new`, `get`, `Display`, `From<i64>` and `FromStr`.
macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        wire_int!($(#[$doc])* $name, new = "The id with this number.", get = "The number.");

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl From<i64> for $name {
            fn from(id: i64) -> Self {
                Self(id)
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.trim().parse().map(Self)
            }
        }
    };
}

id_type! {
    /// A user's id (`userid`), which every data call needs.
    ///
    /// ```
    /// use wbs_model::UserId;
    /// let a: UserId = serde_json::from_str("1229").unwrap();
    /// let b: UserId = serde_json::from_str("\"1229\"").unwrap();
    /// assert_eq!(a, b);
    /// ```
    UserId
}

id_type! {
    /// A measure group's id (`grpid`), unique and stable: the key for synchronisation.
    ///
    /// ```
    /// use wbs_model::GroupId;
    /// assert_eq!("2909".parse::<GroupId>().unwrap(), GroupId::new(2909));
    /// ```
    GroupId
}
