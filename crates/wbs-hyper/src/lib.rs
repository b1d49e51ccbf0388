//! The async WBS API client: every action over a pooled hyper connection, with HTTPS
//! through rustls, timeouts, retries with backoff and jitter (each retry signed again with a
//! fresh nonce), pagination as a lazy stream, and incremental sync.
//!
//! ```text
//!   Client::measures_all(query) ──> MeasurePager (wbs-proto) ──> signed http::Request
//!        Stream<MeasureGroup>  <── typed page  <── retries, timeouts ──> hyper + rustls
//!
//!   OAuth 1: signed per attempt, in its slot │ OAuth 2: Bearer from the token set, refreshed
//!   before expiry / once on 401 (one lock per user) ──> TokenSink::save ──> then used
//!
//!   RateLimiter (a slot per request: calls, refreshes, OAuthDance's token requests)
//!        └─ SlotBook: LocalSlots in this process, or shared (wbs-service: the database)
//!
//!   NotificationListener, CallbackListener, (wbs-sim) ──> serve::spawn: capped accept loop
//! ```
//!
//! The protocol itself (requests, decoding, pagination) is `wbs-proto`'s; this crate is the
//! loop that drives it over the network. It re-exports what users need, so that they never
//! name the lower crates.
//!
//! ```no_run
//! # async fn demo() -> Result<(), wbs_hyper::Error> {
//! use wbs_hyper::{Client, Credentials, UserId};
//! let client = Client::builder(Credentials::new("ck", "cs"), Credentials::new("tk", "ts")).build()?;
//! let john = client.user(UserId::new(29)).await?;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod bearer;
mod builder;
mod callback;
mod client;
mod dance;
mod error;
mod listen;
mod ratelimit;
pub mod serve;

pub use bearer::{exchange_code, system_clock, Clock};
pub use builder::ClientBuilder;
pub use callback::{CallbackListener, CALLBACK_PATH};
pub use client::{Client, Fetched, RetryPolicy, SyncPage, Synced, DEFAULT_MAX_BODY};
pub use dance::OAuthDance;
pub use error::Error;
/// The `hyper` crate, whose types the listener's and server's signatures name.
pub use hyper;
pub use listen::{
    fetch_each, read_notification, NotificationListener, Received, ACK_TIMEOUT,
    MAX_NOTIFICATION_BODY, MAX_NOTIFICATION_CONNECTIONS,
};
pub use ratelimit::{BookError, LocalSlots, RateLimiter, SlotBook};
/// The `http` crate, whose types requests and the listener's signatures name.
pub use wbs_proto::http;
pub use wbs_proto::wbs_model::{
    ArithmeticError, Attribution, Category, Decimal, DeviceType, Gender, GroupExtra, GroupId,
    Measure, MeasureExtra, MeasureGroup, MeasurePage, MeasureType, More, Notification, Quantity,
    Status, Subscription, Timestamp, Unit, Units, User, UserId,
};
pub use wbs_proto::wbs_oauth::flow::AuthorizationCallback;
pub use wbs_proto::wbs_oauth::{random_nonce, Credentials, Error as OAuthError, RngError, Secret};
pub use wbs_proto::wbs_oauth2::{
    BoxFuture, ClientCredentials, NoSink, RedirectError, SinkError, SinkFuture, TokenSet,
    TokenSink, DEFAULT_SCOPE,
};
pub use wbs_proto::{
    parse_notification, AccessToken, AnyCall, Call, DecodedPage, GetMeas, GetSubscription, GetUser,
    HttpError, HttpMethod, IntText, InvalidRequest, ListSubscriptions, NotificationError,
    OAuthEndpoints, PagerCheckpoint, PagerError, ParamValue, Params, ParamsOut, Probe,
    ResponseError, Revoke, SkippedGroup, Subscribe, SyncCursor, TokenError, UpdateSubscription,
};
