//! The WBS API protocol without I/O: signed `http::Request`s for every service and action,
//! responses decoded to typed results and typed errors, and the state machines that
//! paginate getmeas and synchronise incrementally.
//!
//! ```text
//!   GetMeas, Subscribe, …  ──Session::request(call, nonce, timestamp)──> http::Request
//!                                                                           │ (your transport)
//!   typed result / error  <──Call::decode(http status, body bytes)──────────┘
//!   MeasurePager: next_call() → send → handle_response() → … until done
//!
//!   a server (the sandbox): request params ──AnyCall::from_params──> the same typed call
//! ```
//!
//! This crate does no I/O and reads no clock and no RNG: nonces and timestamps are
//! arguments, and every transport (`wbs-hyper`, the `wbs-sim` sandbox, yours) shares this
//! one implementation of the protocol. It trusts no `Content-Type` (the service sent JSON
//! as `text/plain`), never panics on a response, and keeps a page whose one group is
//! malformed, reporting that group.
//!
//! ```
//! use wbs_model::UserId;
//! use wbs_oauth::Credentials;
//! use wbs_proto::{Call, GetMeas, MeasurePager, Session};
//!
//! let session = Session::new(Credentials::new("ck", "cs"), Credentials::new("tk", "ts"));
//! let mut pager = MeasurePager::new(GetMeas::new(UserId::new(29)));
//! while let Some(call) = pager.next_call() {
//!     let request = session.request(&call, "nonce-from-your-rng", 1309783586)?;
//!     assert!(request.uri().query().unwrap().contains("oauth_signature="));
//!     // Send `request` with any HTTP client; here, the reference's example answer:
//!     let body = br#"{"status":0,"body":{"updatetime":1249409679,"measuregrps":[
//!         {"grpid":2909,"attrib":0,"date":1222930968,"category":1,
//!          "measures":[{"value":79300,"type":1,"unit":-3}]}]}}"#;
//!     for group in pager.handle_response(http::StatusCode::OK, body)? {
//!         assert_eq!(group.measures[0].quantity().to_string(), "79.3 kg");
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![forbid(unsafe_code)]

mod calls;
mod decode;
mod error;
mod fast;
mod getmeas;
mod notify;
mod oauth;
mod pager;
mod params;
mod repair;
mod session;

pub use calls::{
    GetSubscription, GetUser, ListSubscriptions, Probe, Revoke, Subscribe, UpdateSubscription,
};
pub use error::{HttpError, InvalidRequest, ResponseError};
pub use getmeas::GetMeas;
pub use notify::{parse_notification, NotificationError};
pub use oauth::{decode_token_response, AccessToken, OAuthEndpoints, TokenError};
pub use pager::{
    MeasurePager, PagerCheckpoint, PagerError, SyncCursor, DEFAULT_MAX_PAGES, IMPLICIT_LIMIT,
};
pub use params::{
    check_callback_url, AnyCall, Call, IntText, ParamValue, Params, ParamsOut, ACTION_PARAM,
};
pub use session::{HttpMethod, Session, DEFAULT_BASE_URL};
pub use wbs_model::{DecodedPage, SkippedGroup};

/// Internals exposed for differential tests and fuzzing only: not part of the API, not
/// stable, may change in any release.
#[doc(hidden)]
pub mod internal {
    use crate::error::ResponseError;
    use wbs_model::DecodedPage;

    /// The getmeas fast path alone (`None`: it defers to the general decoder).
    pub fn getmeas_fast(body: &[u8]) -> Option<DecodedPage> {
        crate::fast::getmeas(body)
    }

    /// The general getmeas decoder alone.
    pub fn getmeas_general(
        status: http::StatusCode,
        body: &[u8],
    ) -> Result<DecodedPage, ResponseError> {
        crate::decode::getmeas_general(status, body)
    }
}

pub use http;
pub use wbs_model;
pub use wbs_oauth;
pub use wbs_oauth2;
