//! measure/getmeas: the query, with every filter of the reference, as parameters both ways.

use std::borrow::Cow;

use wbs_model::{Category, DecodedPage, DeviceType, MeasureType, Notification, Timestamp, UserId};

use crate::decode;
use crate::error::{InvalidRequest, ResponseError};
use crate::params::{check_userid, Call, Params, ParamsOut};

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
            lastupdate: None,
            category: None,
            limit: None,
            offset: None,
        }
    }

    /// What a notification announces: the user's groups between its start and end dates.
    pub fn for_notification(n: &Notification) -> Self {
        let mut q = Self::new(n.userid)
            .startdate(n.startdate)
            .enddate(n.enddate);
        q.devtype = n.appli;
        q
    }

    /// Sets `startdate`.
    pub fn startdate(mut self, t: Timestamp) -> Self {
        self.startdate = Some(t);
        self
    }

    /// Sets `enddate`.
    pub fn enddate(mut self, t: Timestamp) -> Self {
        self.enddate = Some(t);
        self
    }

    /// Sets `devtype`.
    pub fn devtype(mut self, d: DeviceType) -> Self {
        self.devtype = Some(d);
        self
    }

    /// Sets `meastype`.
    pub fn meastype(mut self, t: MeasureType) -> Self {
        self.meastype = Some(t);
        self
    }

    /// Sets `lastupdate`.
    pub fn lastupdate(mut self, t: Timestamp) -> Self {
        self.lastupdate = Some(t);
        self
    }

    /// Sets `category`.
    pub fn category(mut self, c: Category) -> Self {
        self.category = Some(c);
        self
    }

    /// Sets `limit`.
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }

    /// Sets `offset`.
    pub fn offset(mut self, n: u64) -> Self {
        self.offset = Some(n);
        self
    }
}

impl Call for GetMeas {
    type Output = DecodedPage;
    const SERVICE: &'static str = "measure";
    const ACTION: &'static str = "getmeas";

    fn userid(&self) -> Option<UserId> {
        Some(self.userid)
    }

    fn params<'a>(&'a self, out: &mut ParamsOut<'a>) -> Result<(), InvalidRequest> {
        out.push(("userid", check_userid(self.userid)?));
        self.check()?;
        let mut opt = |name: &'static str, v: Option<String>| {
            if let Some(v) = v {
                out.push((name, Cow::Owned(v)));
            }
        };
        opt("startdate", self.startdate.map(|t| t.to_string()));
        opt("enddate", self.enddate.map(|t| t.to_string()));
        opt("devtype", self.devtype.map(|d| d.code().to_string()));
        opt("meastype", self.meastype.map(|t| t.code().to_string()));
        opt("lastupdate", self.lastupdate.map(|t| t.to_string()));
        opt("category", self.category.map(|c| c.code().to_string()));
        opt("limit", self.limit.map(|n| n.to_string()));
        opt("offset", self.offset.map(|n| n.to_string()));
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
