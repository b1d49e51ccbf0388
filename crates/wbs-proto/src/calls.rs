//! The calls of the user and notify services, and once/probe: each turns into its
//! parameters, is read back from them, and decodes its answer.

use std::borrow::Cow;

use wbs_model::{DeviceType, Subscription, User, UserId};

use crate::decode::{self, BodyOf};
use crate::error::{InvalidRequest, ResponseError};
use crate::params::{check_userid, notify_params, Call, Params, ParamsOut};

/// once/probe: checks that the service answers and the signature is right.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Probe;

impl Call for Probe {
    type Output = ();
    const SERVICE: &'static str = "once";
    const ACTION: &'static str = "probe";

    fn params<'a>(&'a self, _: &mut ParamsOut<'a>) -> Result<(), InvalidRequest> {
        Ok(())
    }

    fn from_params(_: &Params<'_>) -> Result<Self, InvalidRequest> {
        Ok(Probe)
    }

    fn decode(status: http::StatusCode, body: &[u8]) -> Result<(), ResponseError> {
        decode::response::<decode::NoBody>(status, body).map(|_| ())
    }
}

/// user/getbyuserid: the user's names, gender, birth date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetUser {
    /// The user.
    pub userid: UserId,
}

impl Call for GetUser {
    type Output = Vec<User>;
    const SERVICE: &'static str = "user";
    const ACTION: &'static str = "getbyuserid";

    fn userid(&self) -> Option<UserId> {
        Some(self.userid)
    }

    fn params<'a>(&'a self, out: &mut ParamsOut<'a>) -> Result<(), InvalidRequest> {
        out.push(("userid", check_userid(self.userid)?));
        Ok(())
    }

    fn from_params(params: &Params<'_>) -> Result<Self, InvalidRequest> {
        Ok(Self {
            userid: params.userid()?,
        })
    }

    fn decode(status: http::StatusCode, body: &[u8]) -> Result<Vec<User>, ResponseError> {
        decode::response::<BodyOf<decode::Users>>(status, body).map(|b| b.0.users)
    }
}

/// notify/subscribe: ask the service to POST to `callbackurl` when the user's data changes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscribe {
    /// The user.
    pub userid: UserId,
    /// Absolute http(s), at most 128 characters.
    pub callbackurl: String,
    /// Shown to the user; not empty.
    pub comment: String,
    /// The device type (default 1, body scale).
    pub appli: Option<DeviceType>,
}

impl Call for Subscribe {
    type Output = ();
    const SERVICE: &'static str = "notify";
    const ACTION: &'static str = "subscribe";

    const IDEMPOTENT: bool = false;

    fn userid(&self) -> Option<UserId> {
        Some(self.userid)
    }

    fn params<'a>(&'a self, out: &mut ParamsOut<'a>) -> Result<(), InvalidRequest> {
        if self.comment.trim().is_empty() {
            return Err(InvalidRequest::EmptyComment);
        }
        notify_params(out, self.userid, Some(&self.callbackurl), self.appli)?;
        out.push(("comment", Cow::Borrowed(&self.comment)));
        Ok(())
    }

    fn from_params(params: &Params<'_>) -> Result<Self, InvalidRequest> {
        let userid = params.userid()?;
        let callbackurl = params.callbackurl()?;
        let comment = params.get("comment").unwrap_or("").trim();
        if comment.is_empty() {
            return Err(InvalidRequest::EmptyComment);
        }
        Ok(Self {
            userid,
            callbackurl,
            comment: comment.to_owned(),
            appli: params.appli()?,
        })
    }

    fn decode(status: http::StatusCode, body: &[u8]) -> Result<(), ResponseError> {
        decode::response::<decode::NoBody>(status, body).map(|_| ())
    }
}

/// notify/get: whether a subscription exists, and its expiry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GetSubscription {
    /// The user.
    pub userid: UserId,
    /// The URL given when subscribing.
    pub callbackurl: String,
    /// The device type (default 1, body scale).
    pub appli: Option<DeviceType>,
}

impl Call for GetSubscription {
    type Output = Subscription;
    const SERVICE: &'static str = "notify";
    const ACTION: &'static str = "get";

    fn userid(&self) -> Option<UserId> {
        Some(self.userid)
    }

    fn params<'a>(&'a self, out: &mut ParamsOut<'a>) -> Result<(), InvalidRequest> {
        notify_params(out, self.userid, Some(&self.callbackurl), self.appli)
    }

    fn from_params(params: &Params<'_>) -> Result<Self, InvalidRequest> {
        Ok(Self {
            userid: params.userid()?,
            callbackurl: params.callbackurl()?,
            appli: params.appli()?,
        })
    }

    fn decode(status: http::StatusCode, body: &[u8]) -> Result<Subscription, ResponseError> {
        decode::response::<BodyOf<Subscription>>(status, body).map(|b| b.0)
    }
}

/// notify/list: every subscription of the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListSubscriptions {
    /// The user.
    pub userid: UserId,
    /// The device type (default 1, body scale).
    pub appli: Option<DeviceType>,
}

impl Call for ListSubscriptions {
    type Output = Vec<Subscription>;
    const SERVICE: &'static str = "notify";
    const ACTION: &'static str = "list";

    fn userid(&self) -> Option<UserId> {
        Some(self.userid)
    }

    fn params<'a>(&'a self, out: &mut ParamsOut<'a>) -> Result<(), InvalidRequest> {
        notify_params(out, self.userid, None, self.appli)
    }

    fn from_params(params: &Params<'_>) -> Result<Self, InvalidRequest> {
        Ok(Self {
            userid: params.userid()?,
            appli: params.appli()?,
        })
    }

    fn decode(status: http::StatusCode, body: &[u8]) -> Result<Vec<Subscription>, ResponseError> {
        decode::response::<BodyOf<decode::Profiles>>(status, body).map(|b| b.0.profiles)
    }
}

/// notify/revoke: end a subscription.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revoke {
    /// The user.
    pub userid: UserId,
    /// The URL given when subscribing.
    pub callbackurl: String,
    /// The device type (default 1, body scale).
    pub appli: Option<DeviceType>,
}

impl Call for Revoke {
    type Output = ();
    const SERVICE: &'static str = "notify";
    const ACTION: &'static str = "revoke";

    const IDEMPOTENT: bool = false;

    fn userid(&self) -> Option<UserId> {
        Some(self.userid)
    }

    fn params<'a>(&'a self, out: &mut ParamsOut<'a>) -> Result<(), InvalidRequest> {
        notify_params(out, self.userid, Some(&self.callbackurl), self.appli)
    }

    fn from_params(params: &Params<'_>) -> Result<Self, InvalidRequest> {
        Ok(Self {
            userid: params.userid()?,
            callbackurl: params.callbackurl()?,
            appli: params.appli()?,
        })
    }

    fn decode(status: http::StatusCode, body: &[u8]) -> Result<(), ResponseError> {
        decode::response::<decode::NoBody>(status, body).map(|_| ())
    }
}
