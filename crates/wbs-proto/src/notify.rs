//! Incoming notifications: the service's POST to a callback URL.

use wbs_model::{DeviceType, Notification, Timestamp, UserId};

/// A notification that cannot be used; the variant says why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotificationError {
    /// The body is not UTF-8 text.
    #[error("notification body is not UTF-8")]
    NotText(#[source] std::str::Utf8Error),
    /// A name or value is not valid percent-encoding.
    #[error("notification is not valid form encoding")]
    Encoding(#[source] wbs_oauth::Error),
    /// A required field is absent.
    #[error("notification has no {0}")]
    Missing(&'static str),
    /// A field is not a valid integer (or `userid` is not positive).
    #[error("notification field {0} is not a valid integer")]
    Invalid(&'static str),
    /// A field appears twice with different values.
    #[error("notification field {0} appears twice with different values")]
    Conflict(&'static str),
    /// `startdate` is after `enddate`.
    #[error("notification startdate is after enddate")]
    DateRange,
}

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
    let body = std::str::from_utf8(body).map_err(NotificationError::NotText)?;
    let mut fields: [(&'static str, Option<String>); 4] = [
        ("userid", None),
        ("startdate", None),
        ("enddate", None),
        ("appli", None),
    ];
    for source in [query.unwrap_or(""), body] {
        for pair in wbs_oauth::form_pairs(source) {
            let (name, value) = pair.map_err(NotificationError::Encoding)?;
            let Some((field, slot)) = fields
                .iter_mut()
                .find(|(f, _)| *f == name)
                .map(|(f, s)| (*f, s))
            else {
                continue;
            };
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
