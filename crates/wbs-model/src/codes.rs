//! The API's small integer codes. Each is a newtype over the wire integer with named
//! constants for the codes we know, so an unknown code is kept and round-trips.

use std::fmt;
use std::ops::BitOr;

use serde::{Deserialize, Deserializer, Serialize};

macro_rules! code_type {
    ($(#[$doc:meta])* $name:ident { $($(#[$cdoc:meta])* $konst:ident = $code:literal => $desc:literal,)* }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                crate::tolerant::int(d).map(Self)
            }
        }

        impl $name {
            $( $(#[$cdoc])* pub const $konst: Self = Self($code); )*

            /// The value with this code (known or not).
            pub const fn from_code(code: i64) -> Self {
                Self(code)
            }

            /// The wire code.
            pub const fn code(self) -> i64 {
                self.0
            }

            /// The reference's description of the code, if this crate knows it.
            pub fn description(self) -> Option<&'static str> {
                match self.0 {
                    $($code => Some($desc),)*
                    _ => None,
                }
            }

            /// Whether this crate knows the code.
            pub fn is_known(self) -> bool {
                self.description().is_some()
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
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
    Attribution {
        /// 0: captured by a device, known to belong to this user.
        DEVICE = 0 => "captured by a device and known to belong to this user",
        /// 1: captured by a device, may belong to other users as well.
        DEVICE_AMBIGUOUS = 1 => "captured by a device but may belong to other users",
        /// 2: entered manually for this user.
        MANUAL = 2 => "entered manually for this user",
        /// 4: entered manually when the user was created (may not be accurate).
        MANUAL_AT_CREATION = 4 => "entered manually during user creation",
    }
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
    Category {
        /// 1: real measurements.
        MEASURE = 1 => "measure",
        /// 2: targets set by the user.
        TARGET = 2 => "target",
    }
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
    DeviceType {
        /// 0: data about the user (height and weight entered at creation).
        USER = 0 => "user related",
        /// 1: body scale.
        BODY_SCALE = 1 => "body scale",
        /// 4: blood pressure monitor.
        BLOOD_PRESSURE_MONITOR = 4 => "blood pressure monitor",
        /// 2: temperature (today's notification `appli`).
        TEMPERATURE = 2 => "temperature",
        /// 16: activity (today's `appli`).
        ACTIVITY = 16 => "activity",
        /// 44: sleep (today's `appli`).
        SLEEP = 44 => "sleep",
        /// 46: user actions (today's `appli`: delete, unlink, update).
        USER_ACTION = 46 => "user",
        /// 50: bed in (today's `appli`).
        BED_IN = 50 => "bed in",
        /// 51: bed out (today's `appli`).
        BED_OUT = 51 => "bed out",
        /// 52: inflate done (today's `appli`).
        INFLATE_DONE = 52 => "inflate done",
        /// 53: no account associated (today's `appli`).
        NO_ACCOUNT = 53 => "no account associated",
        /// 54: ECG (today's `appli`).
        ECG = 54 => "ECG",
        /// 55: ECG failed (today's `appli`).
        ECG_FAILED = 55 => "ECG failed",
        /// 58: glucose (today's `appli`).
        GLUCOSE = 58 => "glucose",
    }
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
    Status {
        /// 0: the operation was successful.
        OK = 0 => "Operation was successful",
        /// 247: the userid is absent or incorrect.
        INVALID_USERID = 247 => "The userid provided is absent, or incorrect",
        /// 250: the userid and/or OAuth credentials do not match.
        CREDENTIALS_MISMATCH = 250 => "The provided userid and/or Oauth credentials do not match.",
        /// 286: no such subscription.
        NO_SUCH_SUBSCRIPTION = 286 => "No such subscription was found",
        /// 293: the callback URL is absent or incorrect.
        INVALID_CALLBACK_URL = 293 => "The callback URL is either absent or incorrect",
        /// 294: no such subscription could be deleted.
        SUBSCRIPTION_NOT_DELETED = 294 => "No such subscription could be deleted",
        /// 304: the comment is absent or incorrect.
        INVALID_COMMENT = 304 => "The comment is either absent or incorrect",
        /// 305: too many notifications are set.
        TOO_MANY_NOTIFICATIONS = 305 => "Too many notifications are already set",
        /// 342: the OAuth signature is invalid.
        INVALID_SIGNATURE = 342 => "The signature (using Oauth) is invalid.",
        /// 401 (today's service, OAuth 2): the access token is expired, revoked or unknown.
        INVALID_TOKEN = 401 => "The access token is invalid or expired.",
        /// 601: too many requests (newer servers; about 120 a minute per application).
        RATE_LIMITED = 601 => "Too many requests: rate limited",
        /// 2554: unknown action or service (newer servers).
        UNKNOWN_ACTION = 2554 => "Wrong action or wrong webservice",
        /// 2555: an unknown error occurred.
        UNKNOWN_ERROR = 2555 => "An unknown error occurred",
    }
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
