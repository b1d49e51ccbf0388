//! Pure OAuth 1.0a ([RFC 5849]) HMAC-SHA1 signing and verification, as the Withings Body
//! metrics Services (WBS) API uses it.
//!
//! ```text
//!   client                                        server
//!   method, URL, params ─┐                   ┌─ method, URL, header, body
//!   OAuthParams (nonce,  ├─> Signer::sign ─> Signed ─render─> Rendered ─> IncomingRequest::parse
//!   timestamp: inputs)  ─┤   (base string,    (query | header | body)      └─> verify(secrets)
//!                        │    HMAC-SHA1)
//!                        └─> Signer::sign_url_into ─> UrlBuffer: the signed GET URL, with no
//!      (URL as a str, or an   allocation once the buffer has grown
//!       Endpoint parsed once)
//!   TokenSigner (consumer + token: the fixed protocol parameters encoded once)
//!     nonce, timestamp ──> TokenSigner::sign_url_into ─> the same engine and URL (what
//!                           wbs-proto's Session::request sends for GET; POST: sign)
//!   flow::request_token / authorize_url / access_token ─> TokenResponse::parse
//!   provider side: flow::authorized_token, AuthorizationCallback::callback_url,
//!                  TokenResponse::to_form
//! ```
//!
//! What this crate does **not** do: no I/O, no clock and no randomness in its core (nonce and
//! timestamp are arguments; the default feature `os-rng` adds [`random_nonce`] and
//! [`unix_timestamp`] for callers), no HTTP types (it deals in strings, so any stack can use
//! it), and no timestamp window or nonce replay policy on the server side (the parsed
//! request hands the caller both).
//!
//! # Example: the WBS API's getmeas request, signed
//!
//! ```
//! use wbs_oauth::{OAuthParams, Secret, Signer, UrlBuffer};
//!
//! // Build once per (consumer, token) pair: the HMAC key is derived here.
//! let signer = Signer::hmac_sha1(&Secret::new("consumer-secret"), Some(&Secret::new("token-secret")));
//! let oauth = OAuthParams::new(
//!     "7e563166232c6821742b4c277350494a455f392b353e5d49712a34762a", // oauth_consumer_key
//!     "f22d74f2209ddf0c6558a47c02841fb1",                           // oauth_nonce
//!     "1309783586",                                                 // oauth_timestamp
//! )
//! .token("c68567f1760552958d713e92088db9f5c5189754dfe4e92068971f4e25d64");
//!
//! let mut buf = UrlBuffer::new(); // reuse it: signing then stops allocating
//! let url = signer.sign_url_into(
//!     "GET",
//!     "http://wbsapi.withings.net/measure",
//!     &[("action", "getmeas"), ("userid", "1229")],
//!     &oauth,
//!     &mut buf,
//! )?;
//! assert_eq!(
//!     url,
//!     concat!(
//!         "http://wbsapi.withings.net/measure?action=getmeas",
//!         "&oauth_consumer_key=7e563166232c6821742b4c277350494a455f392b353e5d49712a34762a",
//!         "&oauth_nonce=f22d74f2209ddf0c6558a47c02841fb1",
//!         "&oauth_signature=iPtDuAGpMHLWZz6SImyoDMs8W6k%3D",
//!         "&oauth_signature_method=HMAC-SHA1&oauth_timestamp=1309783586",
//!         "&oauth_token=c68567f1760552958d713e92088db9f5c5189754dfe4e92068971f4e25d64",
//!         "&oauth_version=1.0&userid=1229",
//!     )
//! );
//! # Ok::<(), wbs_oauth::Error>(())
//! ```
//!
//! [RFC 5849]: https://www.rfc-editor.org/rfc/rfc5849
#![forbid(unsafe_code)]

mod encode;
mod error;
pub mod flow;
mod normalize;
mod params;
mod render;
#[cfg(feature = "os-rng")]
mod rng;
mod secret;
mod signer;
mod token;
mod uri;
mod verify;

pub use encode::{
    form_decode, percent_decode, percent_encode, percent_encode_into, DecodeError, PercentEncoded,
};
pub use error::Error;
pub use params::{OAuthParams, SignatureMethod};
pub use render::{Placement, Rendered, Signed, UrlBuffer};
#[cfg(feature = "os-rng")]
pub use rng::{random_nonce, unix_timestamp, RngError};
pub use secret::{Credentials, Secret};
pub use signer::{RequestUrl, Signature, Signer};
pub use token::TokenSigner;
pub use uri::{append_form, check_http_url, form_pairs, with_query, Endpoint, FormPairs};
pub use verify::IncomingRequest;
