//! The API's small integer codes. Each is a newtype over the wire integer with named
//! constants for the codes we know, so an unknown code is kept and round-trips.

use std::fmt;
use std::ops::BitOr;

use serde::{Deserialize, Deserializer, Serialize};

use crate::ids::wire_int;

/// A code type: the newtype, its tolerant decoding, and the methods every code has. Its
/// known codes come from `codes.tsv` (through [`known_codes!`]).
macro_rules! code_type {
    ($(#[$doc:meta])* $name:ident) => {
        wire_int!(
            $(#[$doc])* $name,
            from_code = "The value with this code (known or not).",
            code = "The wire code."
        );

        impl $name {
            /// Whether this crate knows the code.
            pub fn is_known(self) -> bool {
                self.description().is_some()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.description() {
                    Some(d) => write!(f, "{} ({d})", self.0),
                    None => write!(f, "{} (unknown)", self.0),
                }
            }
        }
    };
}

/// The known codes of a code type, as build.rs writes them from `codes.tsv`: a constant
/// each, and the reference's description of each.
macro_rules! known_codes {
    ($name:ident { $($(#[$cdoc:meta])* $konst:ident = $code:literal => $desc:literal,)* }) => {
        impl $name {
            $( $(#[$cdoc])* pub const $konst: Self = Self($code); )*

            /// The reference's description of the code, if this crate knows it.
            pub fn description(self) -> Option<&'static str> {
                match self.0 {
                    $($code => Some($desc),)*
                    _ => None,
                }
            }
        }
    };
}

code_type! {
    /// How a measure group was attributed to the user (the reference's "Attribution status
    /// table"). Servers also send codes the reference does not list (5, 7, 8, 10, 15, 17,
    /// 10000 have been seen); they are kept.
    ///
    /// ```
    /// use wbs_model::Attribution;
    /// assert!(Attribution::from_code(0).is_unambiguous());
    /// assert_eq!(Attribution::from_code(17).code(), 17);
    /// ```
    Attribution
}

impl Attribution {
    /// Whether the group certainly belongs to the user (code 0).
    pub fn is_unambiguous(self) -> bool {
        self == Self::DEVICE
    }
}

code_type! {
    /// Whether a measure group holds measurements or objectives (the reference's "Category
    /// table"). Also the `category` filter of getmeas.
    ///
    /// ```
    /// use wbs_model::Category;
    /// assert_eq!(Category::TARGET.code(), 2);
    /// assert_eq!(Category::from_code(1).to_string(), "1 (measure)");
    /// ```
    Category
}

code_type! {
    /// A device type (the reference's "Device types table"), the `devtype` filter of
    /// getmeas and the `appli` of notifications. Combine with `|` to filter on several:
    /// the filter "can be used as a bitmask".
    ///
    /// ```
    /// use wbs_model::DeviceType;
    /// let both = DeviceType::BODY_SCALE | DeviceType::BLOOD_PRESSURE_MONITOR;
    /// assert_eq!(both.code(), 5);
    /// assert!(both.contains(DeviceType::BODY_SCALE));
    /// ```
    DeviceType
}

impl DeviceType {
    /// Whether every bit of `other` is set here.
    pub fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }
}

impl BitOr for DeviceType {
    type Output = Self;

    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

/// The user's gender: the reference says "boolean (0 for male, 1 for female)"; both the
/// integers and JSON booleans are accepted, any other integer is kept.
///
/// ```
/// use wbs_model::Gender;
/// let g: Gender = serde_json::from_str("true").unwrap();
/// assert_eq!(g, Gender::FEMALE);
/// assert_eq!(serde_json::from_str::<Gender>("0").unwrap(), Gender::MALE);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Gender(i64);

impl Gender {
    /// 0.
    pub const MALE: Self = Self(0);
    /// 1.
    pub const FEMALE: Self = Self(1);

    /// The gender with this code.
    pub const fn from_code(code: i64) -> Self {
        Self(code)
    }

    /// The wire code.
    pub const fn code(self) -> i64 {
        self.0
    }
}

impl fmt::Debug for Gender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            0 => f.write_str("Gender::MALE"),
            1 => f.write_str("Gender::FEMALE"),
            n => write!(f, "Gender({n})"),
        }
    }
}

impl<'de> Deserialize<'de> for Gender {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::tolerant::int_or_bool(d).map(Self)
    }
}

code_type! {
    /// The `status` of every response (the reference's "Responses codes"), with the codes
    /// newer servers added. Any other code is kept.
    ///
    /// ```
    /// use wbs_model::Status;
    /// assert!(Status::OK.is_success());
    /// assert_eq!(Status::from_code(342).description(), Some("The signature (using Oauth) is invalid."));
    /// assert!(Status::RATE_LIMITED.is_rate_limited());
    /// ```
    Status
}

impl Status {
    /// Status 0.
    pub fn is_success(self) -> bool {
        self == Self::OK
    }

    /// Status 601: pause (about a minute) and retry.
    pub fn is_rate_limited(self) -> bool {
        self == Self::RATE_LIMITED
    }

    /// An authentication failure: 250, 342, and the 100–102, 200 and 401 family of newer
    /// servers. Retrying the same credentials will not help.
    pub fn is_auth_failure(self) -> bool {
        matches!(self.0, 250 | 342 | 100..=102 | 200 | 401)
    }

    /// A server-side failure worth retrying: 2555, and the 5xx-like 2500–2599 family
    /// except 2554 (a wrong action never succeeds).
    pub fn is_transient(self) -> bool {
        (2500..=2599).contains(&self.0) && self.0 != 2554
    }
}

// The constants and descriptions of every code type above, from `codes.tsv`.
include!(concat!(env!("OUT_DIR"), "/codes.rs"));
