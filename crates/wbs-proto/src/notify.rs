//! Incoming notifications: the service's POST to a callback URL.

use std::fmt;

use wbs_model::{DeviceType, Notification, Timestamp, UserId};

/// A notification that cannot be used; the variant says why.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotificationError {
    /// The body is not UTF-8 text.
    NotText,
    /// A name or value is not valid percent-encoding.
    Encoding,
    /// A required field is absent.
    Missing(&'static str),
    /// A field is not a valid integer (or `userid` is not positive).
    Invalid(&'static str),
    /// A field appears twice with different values.
    Conflict(&'static str),
    /// `startdate` is after `enddate`.
    DateRange,
}

impl fmt::Display for NotificationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotText => f.write_str("notification body is not UTF-8"),
            Self::Encoding => f.write_str("notification is not valid form encoding"),
            Self::Missing(field) => write!(f, "notification has no {field}"),
            Self::Invalid(field) => write!(f, "notification field {field} is not a valid integer"),
            Self::Conflict(field) => write!(
                f,
                "notification field {field} appears twice with different values"
            ),
            Self::DateRange => f.write_str("notification startdate is after enddate"),
        }
    }
}

impl std::error::Error for NotificationError {}

/// Parses a notification from the callback request's query string and/or form body (the
/// reference shows the fields in the URL; the service POSTed them as a form). Extra fields
/// (`date`, `deviceid`, `action`, …) are ignored.
///
/// ```
/// use wbs_model::{Timestamp, UserId};
/// let n = wbs_proto::parse_notification(Some("userid=123456&startdate=1260350649&enddate=1260350650"), b"")?;
/// assert_eq!(n.userid, UserId::new(123456));
/// assert_eq!(n.enddate, Timestamp::from_secs(1260350650));
/// # Ok::<(), wbs_proto::NotificationError>(())
/// ```
pub fn parse_notification(
    query: Option<&str>,
    body: &[u8],
) -> Result<Notification, NotificationError> {
    let body = std::str::from_utf8(body).map_err(|_| NotificationError::NotText)?;
    let mut fields: [(&'static str, Option<String>); 4] = [
        ("userid", None),
        ("startdate", None),
        ("enddate", None),
        ("appli", None),
    ];
    for source in [query.unwrap_or(""), body] {
        for segment in source.split('&').filter(|s| !s.is_empty()) {
            let (name, value) = segment.split_once('=').unwrap_or((segment, ""));
            let name = wbs_oauth::form_decode(name).map_err(|_| NotificationError::Encoding)?;
            let Some((field, slot)) = fields
                .iter_mut()
                .find(|(f, _)| *f == name)
                .map(|(f, s)| (*f, s))
            else {
                continue;
            };
            let value = wbs_oauth::form_decode(value).map_err(|_| NotificationError::Encoding)?;
            match slot {
                Some(existing) if *existing != value => {
                    return Err(NotificationError::Conflict(field))
                }
                Some(_) => {}
                None => *slot = Some(value.into_owned()),
            }
        }
    }
    let [(_, userid), (_, startdate), (_, enddate), (_, appli)] = fields;
    let int = |field: &'static str, v: Option<String>| -> Result<Option<i64>, NotificationError> {
        v.map(|v| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| NotificationError::Invalid(field))
        })
        .transpose()
    };
    let userid = int("userid", userid)?.ok_or(NotificationError::Missing("userid"))?;
    if userid <= 0 {
        return Err(NotificationError::Invalid("userid"));
    }
    let startdate = int("startdate", startdate)?.ok_or(NotificationError::Missing("startdate"))?;
    let enddate = int("enddate", enddate)?.ok_or(NotificationError::Missing("enddate"))?;
    if startdate > enddate {
        return Err(NotificationError::DateRange);
    }
    Ok(Notification {
        userid: UserId::new(userid),
        startdate: Timestamp::from_secs(startdate),
        enddate: Timestamp::from_secs(enddate),
        appli: int("appli", appli)?.map(DeviceType::from_code),
    })
}
