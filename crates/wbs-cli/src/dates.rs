//! Dates on the command line: epoch seconds, a UTC calendar date, or an RFC 3339 instant,
//! through the `time` crate.

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};

/// Epoch seconds from `1222819200`, `2008-10-01` (midnight UTC) or an RFC 3339 instant
/// such as `2008-10-01T00:00:00Z`.
pub fn parse(s: &str) -> Result<i64, String> {
    if let Ok(n) = s.parse::<i64>() {
        return Ok(n);
    }
    let bad = || format!("{s:?} is not epoch seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
    if let Ok(date) = Date::parse(s, format_description!("[year]-[month]-[day]")) {
        return Ok(date.midnight().assume_utc().unix_timestamp());
    }
    OffsetDateTime::parse(s, &Rfc3339)
        .map(OffsetDateTime::unix_timestamp)
        .map_err(|_| bad())
}

/// `YYYY-MM-DDTHH:MM:SSZ` for epoch seconds (the seconds themselves if out of range).
pub fn format(secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| secs.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_dates() {
        assert_eq!(parse("1222819200"), Ok(1_222_819_200));
        assert_eq!(parse("2008-10-01"), Ok(1_222_819_200));
        assert_eq!(parse("2008-10-05T06:22:47Z"), Ok(1_223_187_767));
        assert_eq!(parse("2008-10-05T08:22:47+02:00"), Ok(1_223_187_767));
        assert_eq!(format(1_222_930_968), "2008-10-02T07:02:48Z");
        assert_eq!(format(-1), "1969-12-31T23:59:59Z");
        for bad in [
            "2008-13-01",
            "2008-02-30",
            "yesterday",
            "2008-10-01T25:00:00Z",
            "2008-10-01T00:00:00",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        for secs in [0, 951_782_400, 1_700_000_000, -86_400 * 365] {
            assert_eq!(parse(&format(secs)), Ok(secs));
        }
    }
}
