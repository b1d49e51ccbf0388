//! measure/getmeas: the query, with every filter of the reference, as parameters both ways.

use wbs_model::{Category, DecodedPage, DeviceType, MeasureType, Notification, Timestamp, UserId};

use crate::decode;
use crate::error::{InvalidRequest, ResponseError};
use crate::params::{call_items, check_userid, Call, ParamValue, Params, ParamsOut};

/// A builder method for each optional filter: `name(value)` sets it.
macro_rules! setters {
    ($($name:ident: $ty:ty,)*) => {
        $(
            #[doc = concat!("Sets `", stringify!($name), "`.")]
            pub fn $name(mut self, value: $ty) -> Self {
                self.$name = Some(value);
                self
            }
        )*
    };
}

/// measure/getmeas: measure groups, newest first, with every filter of the reference.
///
/// ```
/// use wbs_model::{DeviceType, MeasureType, Timestamp, UserId};
/// use wbs_proto::GetMeas;
/// let q = GetMeas::new(UserId::new(29))
///     .startdate(Timestamp::from_secs(1222819200))
///     .enddate(Timestamp::from_secs(1223190167))
///     .devtype(DeviceType::BODY_SCALE | DeviceType::BLOOD_PRESSURE_MONITOR)
///     .meastype(MeasureType::WEIGHT);
/// assert_eq!(q.limit, None);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct GetMeas {
    /// The user.
    pub userid: UserId,
    /// Nothing dated before this.
    pub startdate: Option<Timestamp>,
    /// Nothing dated after this.
    pub enddate: Option<Timestamp>,
    /// Device types (a bitmask).
    pub devtype: Option<DeviceType>,
    /// One measure type (the reference: weight and height only).
    pub meastype: Option<MeasureType>,
    /// Several measure types (today's service: `meastypes`, a comma list); empty for none.
    pub meastypes: Vec<MeasureType>,
    /// Only groups added or modified since this time (synchronisation).
    pub lastupdate: Option<Timestamp>,
    /// Measurements or targets.
    pub category: Option<Category>,
    /// At most this many groups (the server's implicit limit is 2048).
    pub limit: Option<u32>,
    /// Skip this many of the newest groups.
    pub offset: Option<u64>,
}

impl GetMeas {
    /// Every group of a user.
    pub fn new(userid: UserId) -> Self {
        Self {
            userid,
            startdate: None,
            enddate: None,
            devtype: None,
            meastype: None,
            meastypes: Vec::new(),
            lastupdate: None,
            category: None,
            limit: None,
            offset: None,
        }
    }

    /// What a notification announces: the user's groups between its start and end dates,
    /// of its `appli`'s device type where that is one. In the reference an `appli` is a
    /// getmeas device type (1 body scale, 4 blood pressure monitor); today's other codes (2
    /// temperature, 16 activity, 44 sleep, 46 user, 50–58 events) are not, and read as a
    /// `devtype` bitmask they would filter out the groups announced, so the query then
    /// takes every device type.
    pub fn for_notification(n: &Notification) -> Self {
        let mut q = Self::new(n.userid)
            .startdate(n.startdate)
            .enddate(n.enddate);
        q.devtype = n
            .appli
            .filter(|a| [DeviceType::BODY_SCALE, DeviceType::BLOOD_PRESSURE_MONITOR].contains(a));
        q
    }

    setters! {
        startdate: Timestamp,
        enddate: Timestamp,
        devtype: DeviceType,
        meastype: MeasureType,
        lastupdate: Timestamp,
        category: Category,
        limit: u32,
        offset: u64,
    }
}

impl Call for GetMeas {
    call_items!(DecodedPage, "measure" / "getmeas", user: userid);

    fn params<'a>(&'a self, out: &mut ParamsOut<'a>) -> Result<(), InvalidRequest> {
        out.push(("userid", check_userid(self.userid)?));
        self.check()?;
        let mut opt = |name: &'static str, v: Option<ParamValue<'a>>| {
            if let Some(v) = v {
                out.push((name, v));
            }
        };
        let int = |v: i64| ParamValue::from(v);
        opt("startdate", self.startdate.map(|t| int(t.secs())));
        opt("enddate", self.enddate.map(|t| int(t.secs())));
        opt("devtype", self.devtype.map(|d| int(d.code())));
        opt("meastype", self.meastype.map(|t| int(t.code())));
        if !self.meastypes.is_empty() {
            // One string, the codes written into it (no string per code).
            let mut list = String::with_capacity(4 * self.meastypes.len());
            for (i, t) in self.meastypes.iter().enumerate() {
                if i > 0 {
                    list.push(',');
                }
                list.push_str(itoa::Buffer::new().format(t.code()));
            }
            opt("meastypes", Some(ParamValue::Text(list.into())));
        }
        opt("lastupdate", self.lastupdate.map(|t| int(t.secs())));
        opt("category", self.category.map(|c| int(c.code())));
        opt("limit", self.limit.map(|n| int(i64::from(n))));
        opt("offset", self.offset.map(ParamValue::from));
        Ok(())
    }

    fn from_params(params: &Params<'_>) -> Result<Self, InvalidRequest> {
        let time =
            |name| Ok::<_, InvalidRequest>(params.int::<i64>(name)?.map(Timestamp::from_secs));
        let query = Self {
            userid: params.userid()?,
            startdate: time("startdate")?,
            enddate: time("enddate")?,
            devtype: params.int("devtype")?.map(DeviceType::from_code),
            meastype: params.int("meastype")?.map(MeasureType::from_code),
            meastypes: match params.get("meastypes") {
                None => Vec::new(),
                Some(list) => list
                    .split(',')
                    .map(|t| t.trim().parse::<i64>().map(MeasureType::from_code))
                    .collect::<Result<_, _>>()
                    .map_err(|_| InvalidRequest::InvalidParameter("meastypes"))?,
            },
            lastupdate: time("lastupdate")?,
            category: params.int("category")?.map(Category::from_code),
            limit: params.int("limit")?,
            offset: params.int("offset")?,
        };
        query.check()?;
        Ok(query)
    }

    fn decode(status: http::StatusCode, body: &[u8]) -> Result<DecodedPage, ResponseError> {
        decode::getmeas(status, body)
    }
}

impl GetMeas {
    /// The rules of a query beyond each value's type: `startdate` not after `enddate`, and
    /// a `limit` of at least 1.
    fn check(&self) -> Result<(), InvalidRequest> {
        if let (Some(s), Some(e)) = (self.startdate, self.enddate) {
            if s > e {
                return Err(InvalidRequest::DateRange);
            }
        }
        if self.limit == Some(0) {
            return Err(InvalidRequest::ZeroLimit);
        }
        Ok(())
    }
}
