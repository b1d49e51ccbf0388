//! The one error type of this crate. No message ever contains a secret, a signature, or
//! the text of a URL, header or body (which may hold a signature).

use std::fmt;

use crate::encode::DecodeError;

/// What went wrong while signing, parsing or verifying a request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The request URL cannot be signed; the text says why.
    InvalidUrl(&'static str),
    /// A query string, form body or header value is not valid percent-encoded UTF-8.
    Decode(DecodeError),
    /// A request parameter has the name of a protocol parameter that signing sets itself.
    ReservedParameter(&'static str),
    /// A required protocol parameter is absent from the request.
    MissingParameter(&'static str),
    /// A protocol parameter appears more than once (in one or across several placements).
    DuplicateParameter(&'static str),
    /// `oauth_signature_method` names a method this crate does not implement.
    UnsupportedSignatureMethod,
    /// `oauth_version` is present and is not `1.0`.
    UnsupportedVersion,
    /// `oauth_timestamp` is not a positive decimal integer.
    InvalidTimestamp,
    /// The `Authorization` header is not a well-formed `OAuth` header; the text says why.
    InvalidAuthorizationHeader(&'static str),
    /// The form body is not UTF-8 text.
    InvalidBody,
    /// `oauth_signature` is not a well-formed value for its method (HMAC-SHA1: base64 of
    /// 20 bytes).
    MalformedSignature,
    /// The signature does not match the request and the secrets.
    BadSignature,
    /// A token endpoint's reply is not a form-encoded token response; the text says why.
    InvalidTokenResponse(&'static str),
    /// The request is too large to sign (over 4 GiB of parameters).
    TooLarge,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidUrl(why) => write!(f, "invalid request URL: {why}"),
            Self::Decode(e) => write!(f, "invalid parameter encoding: {e}"),
            Self::ReservedParameter(name) => {
                write!(
                    f,
                    "request parameter {name} is a protocol parameter set by signing"
                )
            }
            Self::MissingParameter(name) => write!(f, "missing protocol parameter {name}"),
            Self::DuplicateParameter(name) => {
                write!(f, "protocol parameter {name} appears more than once")
            }
            Self::UnsupportedSignatureMethod => {
                f.write_str("unsupported oauth_signature_method (HMAC-SHA1 and PLAINTEXT are)")
            }
            Self::UnsupportedVersion => f.write_str("unsupported oauth_version (only 1.0 is)"),
            Self::InvalidTimestamp => {
                f.write_str("oauth_timestamp is not a positive decimal integer")
            }
            Self::InvalidAuthorizationHeader(why) => {
                write!(f, "invalid OAuth Authorization header: {why}")
            }
            Self::InvalidBody => f.write_str("form body is not UTF-8"),
            Self::MalformedSignature => f.write_str("oauth_signature is malformed"),
            Self::BadSignature => f.write_str("signature does not match"),
            Self::InvalidTokenResponse(why) => write!(f, "invalid token response: {why}"),
            Self::TooLarge => f.write_str("request too large to sign"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Decode(e) => Some(e),
            _ => None,
        }
    }
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Self::Decode(e)
    }
}
