//! A local WBS API server that really verifies OAuth signatures: the sandbox that tests and
//! users develop against, with no account and no device.
//!
//! ```text
//!   client ──HTTP on 127.0.0.1──> RunningSim (wbs_hyper::serve) ──> Sandbox::handle(request, now)
//!       verify (wbs-oauth) → AnyCall::from_params (wbs-proto's parameter contract) → action → JSON
//!       token endpoints, OAuth 1: flow::authorized_token → AuthorizationCallback::callback_url,
//!                                 TokenResponse::to_form
//!       OAuth 2 (wbs-oauth2): AuthorizeRequest → redirect_url; TokenRequest → TokenSet::to_envelope;
//!                             NonceRequest; bearer_token on data calls
//! ```
//!
//! [`Sandbox`] is the protocol without I/O: a request and the time in, a response out. It
//! checks every request's signature in every placement (query, `Authorization` header, form
//! body), refuses replayed nonces and timestamps outside a window (342), unknown consumers
//! and tokens (250), and answers every action of the reference with its documented status
//! codes. Calls with an OAuth 2 Bearer token are answered as today's service answers them
//! (JSON as `application/json`, `userid` taken from the token, `more` 0 or 1 with `offset`,
//! `deviceid` on every group); signed OAuth 1 calls as the 2013 service did.
//! [`RunningSim`] serves it over HTTP on a loopback address only.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sim = wbs_sim::RunningSim::start(wbs_sim::Sandbox::with_reference_data(), wbs_sim::RunningSim::LOOPBACK).await?;
//! println!("point your client at {}", sim.base_url());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod faults;
mod generate;
mod limit;
#[cfg(feature = "cli")]
mod options;
mod readers;
mod sandbox;
mod server;

pub use faults::{Fault, FaultSpecError, Faults};
pub use generate::FIRST_GENERATED_USER;
pub use limit::WINDOW as RATE_LIMIT_WINDOW;
#[cfg(feature = "cli")]
pub use options::{serve, SimOptions};
pub use sandbox::{
    Churn, Outgoing, Sandbox, SimConfig, SimRequest, SimResponse, SimUser, CLIENT_ID,
    CLIENT_SECRET, MAX_SUBSCRIPTIONS, NEVER_EXPIRES,
};
pub use server::{RunningSim, MAX_BODY, MAX_CONNECTIONS, NOTIFY_ATTEMPTS, NOTIFY_CONCURRENCY};
