//! The one error type of this crate. No message ever contains a secret, a signature, or
//! the text of a URL, header or body (which may hold a signature).

use crate::encode::DecodeError;

/// What went wrong while signing, parsing or verifying a request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request URL cannot be signed; the text says why.
    #[error("invalid request URL: {0}")]
    InvalidUrl(&'static str),
    /// A query string, form body or header value is not valid percent-encoded UTF-8.
    #[error("invalid parameter encoding: {0}")]
    Decode(#[from] DecodeError),
    /// A request parameter has the name of a protocol parameter that signing sets itself.
    #[error("request parameter {0} is a protocol parameter set by signing")]
    ReservedParameter(&'static str),
    /// A required protocol parameter is absent from the request.
    #[error("missing protocol parameter {0}")]
    MissingParameter(&'static str),
    /// A protocol parameter appears more than once (in one or across several placements).
    #[error("protocol parameter {0} appears more than once")]
    DuplicateParameter(&'static str),
    /// `oauth_signature_method` names a method this crate does not implement.
    #[error("unsupported oauth_signature_method (HMAC-SHA1 and PLAINTEXT are)")]
    UnsupportedSignatureMethod,
    /// `oauth_signature_method` names a method the verifier does not allow.
    #[error("oauth_signature_method is not one this server allows")]
    SignatureMethodNotAllowed,
    /// `oauth_version` is present and is not `1.0`.
    #[error("unsupported oauth_version (only 1.0 is)")]
    UnsupportedVersion,
    /// `oauth_timestamp` is not a positive decimal integer.
    #[error("oauth_timestamp is not a positive decimal integer")]
    InvalidTimestamp,
    /// The `Authorization` header is not a well-formed `OAuth` header; the text says why.
    #[error("invalid OAuth Authorization header: {0}")]
    InvalidAuthorizationHeader(&'static str),
    /// The form body is not UTF-8 text.
    #[error("form body is not UTF-8")]
    InvalidBody,
    /// `oauth_signature` is not a well-formed value for its method (HMAC-SHA1: base64 of
    /// 20 bytes).
    #[error("oauth_signature is malformed")]
    MalformedSignature,
    /// The signature does not match the request and the secrets.
    #[error("signature does not match")]
    BadSignature,
    /// A token endpoint's reply is not a form-encoded token response; the text says why.
    #[error("invalid token response: {0}")]
    InvalidTokenResponse(&'static str),
    /// The request is too large to sign (over 4 GiB of parameters).
    #[error("request too large to sign")]
    TooLarge,
}
