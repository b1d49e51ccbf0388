//! Timestamps: the API's EPOCH seconds.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Deserializer, Serialize};

/// Seconds since 1970-01-01 00:00:00 UTC, as every date of the API is sent. There is no
/// time zone in it: convert to local time only for display.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use wbs_model::Timestamp;
/// let t = Timestamp::from_secs(1222930968);
/// assert_eq!(t.to_system_time(), Some(UNIX_EPOCH + Duration::from_secs(1222930968)));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The epoch itself.
    pub const EPOCH: Self = Self(0);

    /// From epoch seconds.
    pub const fn from_secs(secs: i64) -> Self {
        Self(secs)
    }

    /// Epoch seconds.
    pub const fn secs(self) -> i64 {
        self.0
    }

    /// As a `SystemTime` (`None` only where the platform's `SystemTime` cannot hold it).
    pub fn to_system_time(self) -> Option<SystemTime> {
        let d = Duration::from_secs(self.0.unsigned_abs());
        if self.0 >= 0 {
            UNIX_EPOCH.checked_add(d)
        } else {
            UNIX_EPOCH.checked_sub(d)
        }
    }

    /// From a `SystemTime`, truncated to whole seconds (`None` beyond `i64` seconds).
    pub fn from_system_time(t: SystemTime) -> Option<Self> {
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).ok().map(Self),
            Err(before) => {
                let d = before.duration();
                // Truncate toward the past: -0.5 s is second -1.
                let secs = i64::try_from(d.as_secs()).ok()?;
                let extra = i64::from(d.subsec_nanos() > 0);
                secs.checked_add(extra).and_then(i64::checked_neg).map(Self)
            }
        }
    }

    /// Seconds later (saturating).
    pub fn saturating_add(self, secs: i64) -> Self {
        Self(self.0.saturating_add(secs))
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Timestamp({})", self.0)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        crate::tolerant::int(d).map(Self)
    }
}

#[cfg(feature = "chrono")]
impl Timestamp {
    /// As a UTC `chrono` date-time (`None` beyond chrono's range).
    pub fn to_chrono(self) -> Option<chrono::DateTime<chrono::Utc>> {
        chrono::DateTime::from_timestamp(self.0, 0)
    }

    /// From a `chrono` date-time, truncated to whole seconds.
    pub fn from_chrono<Tz: chrono::TimeZone>(t: &chrono::DateTime<Tz>) -> Self {
        Self(t.timestamp())
    }
}

#[cfg(feature = "time")]
impl Timestamp {
    /// As a UTC `time` date-time (`None` beyond its range).
    pub fn to_offset_date_time(self) -> Option<time::OffsetDateTime> {
        time::OffsetDateTime::from_unix_timestamp(self.0).ok()
    }

    /// From a `time` date-time, truncated to whole seconds.
    pub fn from_offset_date_time(t: time::OffsetDateTime) -> Self {
        Self(t.unix_timestamp())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_time_round_trips_both_sides_of_the_epoch() {
        for secs in [0, 1, -1, 1_222_930_968, -211_629_600] {
            let t = Timestamp::from_secs(secs);
            assert_eq!(
                t.to_system_time().and_then(Timestamp::from_system_time),
                Some(t)
            );
        }
        let half_before = UNIX_EPOCH - Duration::from_millis(500);
        assert_eq!(
            Timestamp::from_system_time(half_before),
            Some(Timestamp::from_secs(-1))
        );
    }

    #[cfg(feature = "chrono")]
    #[test]
    fn chrono_conversion() {
        let t = Timestamp::from_secs(1_222_930_968);
        let dt = t.to_chrono().unwrap();
        assert_eq!(dt.to_rfc3339(), "2008-10-02T07:02:48+00:00");
        assert_eq!(Timestamp::from_chrono(&dt), t);
    }

    #[cfg(feature = "time")]
    #[test]
    fn time_conversion() {
        let t = Timestamp::from_secs(1_222_930_968);
        let dt = t.to_offset_date_time().unwrap();
        assert_eq!(
            (dt.year(), u8::from(dt.month()), dt.day(), dt.hour()),
            (2008, 10, 2, 7)
        );
        assert_eq!(Timestamp::from_offset_date_time(dt), t);
        assert_eq!(Timestamp::from_secs(i64::MAX).to_offset_date_time(), None);
    }
}
