//! Dates on the command line: epoch seconds, or UTC calendar dates, without a date library.

/// Epoch seconds from `1222819200`, `2008-10-01` or `2008-10-01T00:00:00Z` (UTC).
pub fn parse(s: &str) -> Result<i64, String> {
    if let Ok(n) = s.parse::<i64>() {
        return Ok(n);
    }
    let bad = || format!("{s:?} is not epoch seconds, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ");
    let (date, time) = match s.split_once('T') {
        Some((d, t)) => (d, Some(t.strip_suffix('Z').ok_or_else(bad)?)),
        None => (s, None),
    };
    let mut ymd = date
        .splitn(3, '-')
        .map(|p| p.parse::<i64>().map_err(|_| bad()));
    let (y, m, d) = (
        ymd.next().ok_or_else(bad)??,
        ymd.next().ok_or_else(bad)??,
        ymd.next().ok_or_else(bad)??,
    );
    if !(1..=12).contains(&m) || !(1..=days_in_month(y, m)).contains(&d) {
        return Err(bad());
    }
    let mut secs = days_from_civil(y, m, d) * 86_400;
    if let Some(t) = time {
        let mut hms = t
            .splitn(3, ':')
            .map(|p| p.parse::<i64>().map_err(|_| bad()));
        let (h, mi, se) = (
            hms.next().ok_or_else(bad)??,
            hms.next().ok_or_else(bad)??,
            hms.next().ok_or_else(bad)??,
        );
        if !(0..24).contains(&h) || !(0..60).contains(&mi) || !(0..61).contains(&se) {
            return Err(bad());
        }
        secs += h * 3_600 + mi * 60 + se;
    }
    Ok(secs)
}

/// `YYYY-MM-DDTHH:MM:SSZ` for epoch seconds.
pub fn format(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60
    )
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_dates() {
        assert_eq!(parse("1222819200"), Ok(1_222_819_200));
        assert_eq!(parse("2008-10-01"), Ok(1_222_819_200));
        assert_eq!(parse("2008-10-05T06:22:47Z"), Ok(1_223_187_767));
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
