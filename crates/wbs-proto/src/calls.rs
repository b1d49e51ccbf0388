//! The calls of the user and notify services, and once/probe: each turns into its
//! parameters, is read back from them, and decodes its answer.

use wbs_model::{DeviceType, Subscription, User, UserId};

use crate::decode::{self, BodyOf};
use crate::error::{InvalidRequest, ResponseError};
use crate::params::{
    call_items, check_callback_url, check_userid, notify_params, Call, ParamValue, Params,
    ParamsOut,
};

/// once/probe: checks that the service answers and the signature is right.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Probe;

impl Call for Probe {
    call_items!((), "once" / "probe");

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
    call_items!(Vec<User>, "user" / "getbyuserid", user: userid);

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
    /// Absolute http(s), at most 128 characters (a call read with
    /// [`Params::with_bearer`] may have up to 255; this crate sends the reference's form,
    /// which today's service takes too).
    pub callbackurl: String,
    /// Shown to the user; not empty (empty in a call read with [`Params::with_bearer`]
    /// that sent none).
    pub comment: String,
    /// The device type (default 1, body scale).
    pub appli: Option<DeviceType>,
}

impl Call for Subscribe {
    call_items!((), "notify" / "subscribe", idempotent: false, user: userid);

    fn params<'a>(&'a self, out: &mut ParamsOut<'a>) -> Result<(), InvalidRequest> {
        if self.comment.trim().is_empty() {
            return Err(InvalidRequest::EmptyComment);
        }
        notify_params(out, self.userid, Some(&self.callbackurl), self.appli)?;
        out.push(("comment", ParamValue::from(self.comment.trim())));
        Ok(())
    }

    fn from_params(params: &Params<'_>) -> Result<Self, InvalidRequest> {
        let userid = params.userid()?;
        let callbackurl = params.callbackurl("callbackurl")?;
        let comment = params.get("comment").unwrap_or("").trim();
        // Today's service asks for no comment (the reference: required, not empty).
        if comment.is_empty() && !params.is_bearer() {
            return Err(InvalidRequest::EmptyComment);
        }
        Ok(Self {
            userid,
            callbackurl,
            comment: comment.to_owned(),
            appli: params.appli("appli")?,
        })
    }

    fn decode(status: http::StatusCode, body: &[u8]) -> Result<(), ResponseError> {
        decode::response::<decode::NoBody>(status, body).map(|_| ())
    }
}

/// The notify calls about one subscription, which take the same parameters: `userid`,
/// `callbackurl` and the optional `appli`.
macro_rules! subscription_call {
    ($(#[$doc:meta])* $name:ident, $action:literal, $output:ty, idempotent: $idem:literal,
     $decode:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub struct $name {
            /// The user.
            pub userid: UserId,
            /// The URL given when subscribing.
            pub callbackurl: String,
            /// The device type (default 1, body scale).
            pub appli: Option<DeviceType>,
        }

        impl Call for $name {
            call_items!($output, "notify" / $action, idempotent: $idem, user: userid);

            fn params<'a>(&'a self, out: &mut ParamsOut<'a>) -> Result<(), InvalidRequest> {
                notify_params(out, self.userid, Some(&self.callbackurl), self.appli)
            }

            fn from_params(params: &Params<'_>) -> Result<Self, InvalidRequest> {
                Ok(Self {
                    userid: params.userid()?,
                    callbackurl: params.callbackurl("callbackurl")?,
                    appli: params.appli("appli")?,
                })
            }

            fn decode(status: http::StatusCode, body: &[u8]) -> Result<$output, ResponseError> {
                $decode(status, body)
            }
        }
    };
}

subscription_call!(
    /// notify/get: whether a subscription exists, and its expiry.
    GetSubscription,
    "get",
    Subscription,
    idempotent: true,
    |status, body| decode::response::<BodyOf<Subscription>>(status, body).map(|b| b.0)
);

subscription_call!(
    /// notify/revoke: end a subscription.
    Revoke,
    "revoke",
    (),
    idempotent: false,
    |status, body| decode::response::<decode::NoBody>(status, body).map(|_| ())
);

/// notify/list: every subscription of the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListSubscriptions {
    /// The user.
    pub userid: UserId,
    /// The device type (default 1, body scale).
    pub appli: Option<DeviceType>,
}

impl Call for ListSubscriptions {
    call_items!(Vec<Subscription>, "notify" / "list", user: userid);

    fn params<'a>(&'a self, out: &mut ParamsOut<'a>) -> Result<(), InvalidRequest> {
        notify_params(out, self.userid, None, self.appli)
    }

    fn from_params(params: &Params<'_>) -> Result<Self, InvalidRequest> {
        Ok(Self {
            userid: params.userid()?,
            appli: params.appli("appli")?,
        })
    }

    fn decode(status: http::StatusCode, body: &[u8]) -> Result<Vec<Subscription>, ResponseError> {
        decode::response::<BodyOf<decode::Profiles>>(status, body).map(|b| b.0.profiles)
    }
}

/// notify/update (today's service): move a subscription to another callback URL and/or
/// device type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateSubscription {
    /// The user.
    pub userid: UserId,
    /// The URL given when subscribing.
    pub callbackurl: String,
    /// Its device type (default 1, body scale).
    pub appli: Option<DeviceType>,
    /// The new callback URL (under the same rule as `callbackurl`).
    pub new_callbackurl: String,
    /// The new device type (default: unchanged).
    pub new_appli: Option<DeviceType>,
}

impl Call for UpdateSubscription {
    call_items!((), "notify" / "update", idempotent: false, user: userid);

    fn params<'a>(&'a self, out: &mut ParamsOut<'a>) -> Result<(), InvalidRequest> {
        notify_params(out, self.userid, Some(&self.callbackurl), self.appli)?;
        out.push((
            "new_callbackurl",
            ParamValue::from(check_callback_url(&self.new_callbackurl)?),
        ));
        if let Some(a) = self.new_appli {
            out.push(("new_appli", ParamValue::from(a.code())));
        }
        Ok(())
    }

    fn from_params(params: &Params<'_>) -> Result<Self, InvalidRequest> {
        Ok(Self {
            userid: params.userid()?,
            callbackurl: params.callbackurl("callbackurl")?,
            appli: params.appli("appli")?,
            new_callbackurl: params.callbackurl("new_callbackurl")?,
            new_appli: params.appli("new_appli")?,
        })
    }

    fn decode(status: http::StatusCode, body: &[u8]) -> Result<(), ResponseError> {
        decode::response::<decode::NoBody>(status, body).map(|_| ())
    }
}
