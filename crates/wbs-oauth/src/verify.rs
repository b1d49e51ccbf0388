//! Server side: parse a signed request in any placement and verify its signature
//! (RFC 5849 §3.2). Timestamp windows and nonce replay are the caller's policy: the parsed
//! request hands over the timestamp and nonce.

use crate::encode::percent_decode;
use crate::error::Error;
use crate::normalize::{base_string_of_entries, Copied, Entries, Entry, Source};
use crate::params::SignatureMethod;
use crate::secret::Secret;
use crate::signer::Signer;
use crate::uri::{FormPairs, Url};

/// The protocol parameters a server looks for; each may appear at most once.
const PROTOCOL: [&str; 9] = [
    "oauth_consumer_key",
    "oauth_token",
    "oauth_signature_method",
    "oauth_signature",
    "oauth_timestamp",
    "oauth_nonce",
    "oauth_version",
    "oauth_callback",
    "oauth_verifier",
];

/// A signed request as a server received it, parsed from the URL query, an optional
/// `Authorization` header and an optional form body, ready to verify.
///
/// ```
/// use wbs_oauth::{IncomingRequest, OAuthParams, Placement, Secret, SignatureMethod, Signer};
///
/// let consumer = Secret::new("kd94hf93k423kf44");
/// let token = Secret::new("pfkkdhi9sl3r4s00");
/// let signed = Signer::hmac_sha1(&consumer, Some(&token)).sign(
///     "GET",
///     "http://photos.example.net/photos",
///     &[("file", "vacation.jpg")],
///     &OAuthParams::new("dpf43f3p2l4k3l03", "kllo9940pd9333jh", "1191242096").token("nnch734d00sl2jdk"),
/// )?;
/// let sent = signed.render(Placement::Header { realm: Some("Photos") });
///
/// let got = IncomingRequest::parse("GET", &sent.url, sent.authorization.as_deref(), None)?;
/// assert_eq!(got.consumer_key(), "dpf43f3p2l4k3l03");
/// assert_eq!(got.timestamp(), Some(1191242096));
/// got.verify(&[SignatureMethod::HmacSha1], &consumer, Some(&token))?;
/// assert!(got.verify(&[SignatureMethod::HmacSha1], &consumer, Some(&Secret::new("wrong"))).is_err());
/// # Ok::<(), wbs_oauth::Error>(())
/// ```
#[derive(Clone, derive_more::Debug)]
#[debug(
    "IncomingRequest {{ method: {method:?}, base_uri: {base_uri:?}, consumer_key: {consumer_key:?}, \
     token: {token:?}, signature_method: {signature_method:?}, timestamp: {timestamp:?}, \
     nonce: {nonce:?}, params: {params:?}, .. }}"
)]
pub struct IncomingRequest {
    method: String,
    base_uri: String,
    buf: Vec<u8>,
    entries: Vec<Entry<'static>>,
    params: Vec<(String, String)>,
    consumer_key: String,
    token: Option<String>,
    signature_method: SignatureMethod,
    signature: Secret,
    timestamp: Option<u64>,
    nonce: Option<String>,
    version: bool,
    callback: Option<String>,
    verifier: Option<String>,
}

impl IncomingRequest {
    /// Parses a request. `url` is the full request URL as the client addressed it (scheme,
    /// host and port as in the `Host` header); `form_body` is the body when its type is
    /// `application/x-www-form-urlencoded`.
    pub fn parse(
        method: &str,
        url: &str,
        authorization: Option<&str>,
        form_body: Option<&[u8]>,
    ) -> Result<Self, Error> {
        let parsed = Url::parse(url)?;
        let mut base_uri = Vec::new();
        parsed.write_base_uri(&mut base_uri);
        let base_uri = crate::normalize::into_string(base_uri);

        let mut all: Vec<(String, String, Source)> = Vec::new();
        for pair in parsed.query_pairs() {
            let (n, v) = pair?;
            all.push((n.into_owned(), v.into_owned(), Source::Query));
        }
        if let Some(body) = form_body {
            let body = std::str::from_utf8(body).map_err(|_| Error::InvalidBody)?;
            for pair in FormPairs::new(body) {
                let (n, v) = pair?;
                all.push((n.into_owned(), v.into_owned(), Source::Extra));
            }
        }
        if let Some(header) = authorization {
            parse_authorization(header, &mut all)?;
        }

        let mut found: [Option<String>; PROTOCOL.len()] = Default::default();
        let mut buf = Vec::with_capacity(256);
        let mut entries = Entries::default();
        let mut params = Vec::new();
        for (name, value, source) in all {
            if let Some(i) = PROTOCOL.iter().position(|p| *p == name) {
                let slot = found.get_mut(i).ok_or(Error::TooLarge)?;
                if slot.is_some() {
                    return Err(Error::DuplicateParameter(
                        PROTOCOL.get(i).copied().unwrap_or("oauth_"),
                    ));
                }
                if name != "oauth_signature" {
                    entries.push(&mut buf, Copied(&name), Copied(&value), Source::Protocol)?;
                }
                *slot = Some(value);
            } else {
                entries.push(&mut buf, Copied(&name), Copied(&value), source)?;
                params.push((name, value));
            }
        }
        let [consumer_key, token, signature_method, signature, timestamp, nonce, version, callback, verifier] =
            found;
        let consumer_key = consumer_key.ok_or(Error::MissingParameter("oauth_consumer_key"))?;
        let signature_method =
            signature_method.ok_or(Error::MissingParameter("oauth_signature_method"))?;
        let signature_method = SignatureMethod::from_name(&signature_method)
            .ok_or(Error::UnsupportedSignatureMethod)?;
        let signature = signature.ok_or(Error::MissingParameter("oauth_signature"))?;
        if version.as_deref().is_some_and(|v| v != "1.0") {
            return Err(Error::UnsupportedVersion);
        }
        let timestamp = match timestamp {
            Some(t) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => {
                Some(t.parse::<u64>().map_err(|_| Error::InvalidTimestamp)?)
            }
            Some(_) => return Err(Error::InvalidTimestamp),
            None => None,
        };
        // §3.3: nonce and timestamp may be omitted only with PLAINTEXT.
        if signature_method == SignatureMethod::HmacSha1 {
            if timestamp.is_none() {
                return Err(Error::MissingParameter("oauth_timestamp"));
            }
            if nonce.is_none() {
                return Err(Error::MissingParameter("oauth_nonce"));
            }
        }
        let sorted = entries.sort(&buf).to_vec();
        Ok(Self {
            method: method.to_owned(),
            base_uri,
            buf,
            entries: sorted,
            params,
            consumer_key,
            token,
            signature_method,
            signature: Secret::new(signature),
            timestamp,
            nonce,
            version: version.is_some(),
            callback,
            verifier,
        })
    }

    /// Verifies the signature with the secrets of the consumer and token named in the
    /// request, comparing in constant time. The request's `oauth_signature_method` must be
    /// one of `allowed` ([`Error::SignatureMethodNotAllowed`] otherwise): a server that
    /// signs with HMAC-SHA1 passes `&[SignatureMethod::HmacSha1]`, so that a client cannot
    /// downgrade to PLAINTEXT.
    pub fn verify(
        &self,
        allowed: &[SignatureMethod],
        consumer_secret: &Secret,
        token_secret: Option<&Secret>,
    ) -> Result<(), Error> {
        if !allowed.contains(&self.signature_method) {
            return Err(Error::SignatureMethodNotAllowed);
        }
        let signer = Signer::new(self.signature_method, consumer_secret, token_secret);
        signer.verify_entries(
            &self.method,
            &self.base_uri,
            &self.buf,
            &self.entries,
            self.signature.expose(),
        )
    }

    /// The signature base string the client should have signed: compare it with the
    /// client's to find why a signature does not match.
    pub fn base_string(&self) -> String {
        base_string_of_entries(&self.method, &self.base_uri, &self.buf, &self.entries)
    }

    /// `oauth_consumer_key`.
    pub fn consumer_key(&self) -> &str {
        &self.consumer_key
    }

    /// `oauth_token`, if sent.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// `oauth_signature_method`.
    pub fn signature_method(&self) -> SignatureMethod {
        self.signature_method
    }

    /// `oauth_timestamp`, if sent (always, with HMAC-SHA1).
    pub fn timestamp(&self) -> Option<u64> {
        self.timestamp
    }

    /// `oauth_nonce`, if sent (always, with HMAC-SHA1).
    pub fn nonce(&self) -> Option<&str> {
        self.nonce.as_deref()
    }

    /// Whether `oauth_version` (necessarily `1.0`) was sent.
    pub fn has_version(&self) -> bool {
        self.version
    }

    /// `oauth_callback`, if sent.
    pub fn callback(&self) -> Option<&str> {
        self.callback.as_deref()
    }

    /// `oauth_verifier`, if sent.
    pub fn verifier(&self) -> Option<&str> {
        self.verifier.as_deref()
    }

    /// The request parameters (query and body, and any non-protocol header parameter),
    /// decoded, in the order received.
    pub fn params(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.params.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The first value of a request parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

/// Parses `OAuth name="value", …` (§3.5.1) into `out`, skipping `realm`.
fn parse_authorization(header: &str, out: &mut Vec<(String, String, Source)>) -> Result<(), Error> {
    let header = header.trim_start();
    let (scheme, mut rest) = header.split_at(header.find([' ', '\t']).unwrap_or(header.len()));
    if !scheme.eq_ignore_ascii_case("OAuth") {
        return Err(Error::InvalidAuthorizationHeader("scheme is not OAuth"));
    }
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return Ok(());
        }
        let (name, after) = rest
            .split_once('=')
            .ok_or(Error::InvalidAuthorizationHeader("parameter without '='"))?;
        let after = after
            .strip_prefix('"')
            .ok_or(Error::InvalidAuthorizationHeader("value not quoted"))?;
        let (value, tail) = after
            .split_once('"')
            .ok_or(Error::InvalidAuthorizationHeader(
                "unterminated quoted value",
            ))?;
        let tail = tail.trim_start_matches([' ', '\t']);
        if !(tail.is_empty() || tail.starts_with(',')) {
            return Err(Error::InvalidAuthorizationHeader(
                "missing ',' between parameters",
            ));
        }
        rest = tail;
        let name = percent_decode(name.trim())?;
        if name.is_empty() {
            return Err(Error::InvalidAuthorizationHeader("empty parameter name"));
        }
        if name == "realm" {
            continue;
        }
        let value = percent_decode(value)?;
        out.push((name.into_owned(), value.into_owned(), Source::Protocol));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_parsing_errors_name_the_problem() {
        let mut v = Vec::new();
        assert_eq!(
            parse_authorization("Basic abc", &mut v),
            Err(Error::InvalidAuthorizationHeader("scheme is not OAuth"))
        );
        assert_eq!(
            parse_authorization("OAuth a=b", &mut v),
            Err(Error::InvalidAuthorizationHeader("value not quoted"))
        );
        assert_eq!(
            parse_authorization("OAuth a=\"b", &mut v),
            Err(Error::InvalidAuthorizationHeader(
                "unterminated quoted value"
            ))
        );
        assert_eq!(
            parse_authorization("OAuth a=\"b\" c=\"d\"", &mut v),
            Err(Error::InvalidAuthorizationHeader(
                "missing ',' between parameters"
            ))
        );
        v.clear();
        parse_authorization("oauth realm=\"x\",oauth_nonce=\"a%20b\"", &mut v).unwrap();
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].1, "a b");
    }

    #[test]
    fn missing_and_duplicate_protocol_parameters() {
        let url = "http://e.com/?oauth_consumer_key=k&oauth_signature_method=HMAC-SHA1&oauth_signature=x&oauth_nonce=n";
        assert_eq!(
            IncomingRequest::parse("GET", url, None, None).unwrap_err(),
            Error::MissingParameter("oauth_timestamp")
        );
        let dup = format!("{url}&oauth_timestamp=1");
        assert_eq!(
            IncomingRequest::parse("GET", &dup, Some("OAuth oauth_nonce=\"n\""), None).unwrap_err(),
            Error::DuplicateParameter("oauth_nonce")
        );
        let bad_ts = format!("{url}&oauth_timestamp=-1");
        assert_eq!(
            IncomingRequest::parse("GET", &bad_ts, None, None).unwrap_err(),
            Error::InvalidTimestamp
        );
        let bad_method = url.replace("HMAC-SHA1", "RSA-SHA1") + "&oauth_timestamp=1";
        assert_eq!(
            IncomingRequest::parse("GET", &bad_method, None, None).unwrap_err(),
            Error::UnsupportedSignatureMethod
        );
        let bad_version = format!("{url}&oauth_timestamp=1&oauth_version=2.0");
        assert_eq!(
            IncomingRequest::parse("GET", &bad_version, None, None).unwrap_err(),
            Error::UnsupportedVersion
        );
    }

    #[test]
    fn malformed_signature_is_not_a_panic() {
        let url = "http://e.com/?oauth_consumer_key=k&oauth_signature_method=HMAC-SHA1&oauth_signature=%21%21&oauth_nonce=n&oauth_timestamp=1";
        let req = IncomingRequest::parse("GET", url, None, None).unwrap();
        assert_eq!(
            req.verify(SignatureMethod::ALL, &Secret::new("a"), None),
            Err(Error::MalformedSignature)
        );
    }
}
