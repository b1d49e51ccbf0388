//! Signing: parameter collection and normalisation (RFC 5849 §3.4.1.3), the signature base
//! string (§3.4.1.1), HMAC-SHA1 and PLAINTEXT (§3.4.2, §3.4.4), and the three placements of
//! the signed parameters (§3.5).

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use crate::encode::{all_unreserved, encode_bytes, percent_encode_into};
use crate::error::Error;
use crate::secret::Secret;
use crate::uri::Url;

type HmacSha1 = Hmac<Sha1>;

/// A signature method of RFC 5849 §3.4.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureMethod {
    /// `HMAC-SHA1` (§3.4.2), the method the WBS API uses.
    HmacSha1,
    /// `PLAINTEXT` (§3.4.4): the signature is the key itself; only safe over TLS.
    Plaintext,
}

impl SignatureMethod {
    /// The method's name as sent in `oauth_signature_method`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::HmacSha1 => "HMAC-SHA1",
            Self::Plaintext => "PLAINTEXT",
        }
    }

    /// Parses the name sent in `oauth_signature_method` (exact, case-sensitive, as §3.4).
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "HMAC-SHA1" => Some(Self::HmacSha1),
            "PLAINTEXT" => Some(Self::Plaintext),
            _ => None,
        }
    }
}

/// The protocol parameters of one request (RFC 5849 §3.1), all but the signature and its
/// method. Nonce and timestamp are inputs: this crate reads no clock and no RNG.
///
/// An empty `token`, `callback` or `verifier` is the same as none: it is not sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OAuthParams<'a> {
    /// `oauth_consumer_key`.
    pub consumer_key: &'a str,
    /// `oauth_token`, absent in the request-token step.
    pub token: Option<&'a str>,
    /// `oauth_nonce`.
    pub nonce: &'a str,
    /// `oauth_timestamp`, sent as given.
    pub timestamp: &'a str,
    /// Whether `oauth_version=1.0` is sent (and so signed). The WBS API sends it.
    pub version: bool,
    /// `oauth_callback`: a URL, or `oob`.
    pub callback: Option<&'a str>,
    /// `oauth_verifier`, in the access-token step.
    pub verifier: Option<&'a str>,
}

impl<'a> OAuthParams<'a> {
    /// Parameters with a consumer key, nonce and timestamp, and `oauth_version=1.0`.
    pub fn new(consumer_key: &'a str, nonce: &'a str, timestamp: &'a str) -> Self {
        Self {
            consumer_key,
            token: None,
            nonce,
            timestamp,
            version: true,
            callback: None,
            verifier: None,
        }
    }

    /// Sets `oauth_token`.
    pub fn token(mut self, token: &'a str) -> Self {
        self.token = Some(token);
        self
    }

    /// Sets `oauth_callback`.
    pub fn callback(mut self, callback: &'a str) -> Self {
        self.callback = Some(callback);
        self
    }

    /// Sets `oauth_verifier`.
    pub fn verifier(mut self, verifier: &'a str) -> Self {
        self.verifier = Some(verifier);
        self
    }

    /// Whether to send `oauth_version=1.0`.
    pub fn version(mut self, send: bool) -> Self {
        self.version = send;
        self
    }

    /// The protocol parameters that are sent, in no particular order.
    fn each(&self, method: SignatureMethod, mut f: impl FnMut(&'static str, &'a str)) {
        f("oauth_consumer_key", self.consumer_key);
        f("oauth_nonce", self.nonce);
        f("oauth_signature_method", method.as_str());
        f("oauth_timestamp", self.timestamp);
        for (name, value) in [
            ("oauth_token", self.token),
            ("oauth_callback", self.callback),
            ("oauth_verifier", self.verifier),
        ] {
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                f(name, v);
            }
        }
        if self.version {
            f("oauth_version", "1.0");
        }
    }

    /// The protocol parameter that a request parameter of this name would collide with.
    fn reserved(&self, name: &str) -> Option<&'static str> {
        if !name.starts_with("oauth_") {
            return None;
        }
        let mut hit = (name == "oauth_signature").then_some("oauth_signature");
        self.each(SignatureMethod::HmacSha1, |n, _| {
            if n == name {
                hit = Some(n);
            }
        });
        hit
    }
}

/// Signs requests for one (consumer secret, token secret) pair.
///
/// Building a `Signer` derives the HMAC key once (RFC 5849 §3.4.2: `enc(consumer_secret) &
/// enc(token_secret)`) and keeps the keyed state, so each signature skips re-keying. A
/// `Signer` is `Send + Sync` and signing takes `&self`.
#[derive(Clone)]
pub struct Signer {
    method: SignatureMethod,
    key: Key,
}

#[derive(Clone)]
enum Key {
    Hmac(Box<HmacSha1>),
    Plaintext(Secret),
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("method", &self.method)
            .field("key", &"<redacted>")
            .finish()
    }
}

impl Signer {
    /// A signer for `method` with these secrets. No token secret (the request-token step)
    /// is the same as an empty one: the `&` of the key is always there.
    pub fn new(
        method: SignatureMethod,
        consumer_secret: &Secret,
        token_secret: Option<&Secret>,
    ) -> Self {
        let mut key = String::with_capacity(96);
        percent_encode_into(&mut key, consumer_secret.expose());
        key.push('&');
        if let Some(ts) = token_secret {
            percent_encode_into(&mut key, ts.expose());
        }
        let key = match method {
            SignatureMethod::HmacSha1 => {
                // HMAC is defined for keys of every length (longer ones are hashed first),
                // and `Hmac::new_from_slice` never fails: this is a local invariant.
                #[allow(clippy::expect_used)]
                let mac = HmacSha1::new_from_slice(key.as_bytes())
                    .expect("HMAC takes keys of any length");
                Key::Hmac(Box::new(mac))
            }
            SignatureMethod::Plaintext => Key::Plaintext(Secret::new(key)),
        };
        Self { method, key }
    }

    /// A HMAC-SHA1 signer.
    pub fn hmac_sha1(consumer_secret: &Secret, token_secret: Option<&Secret>) -> Self {
        Self::new(SignatureMethod::HmacSha1, consumer_secret, token_secret)
    }

    /// The signature method.
    pub fn method(&self) -> SignatureMethod {
        self.method
    }

    /// Signs a request and keeps everything needed to send it in any placement.
    ///
    /// `url` may carry a query (its parameters are signed) and a fragment (ignored).
    /// `params` are further request parameters (a form body, or extra query parameters),
    /// raw, in any order; duplicates and empty values are kept.
    pub fn sign<K, V>(
        &self,
        method: &str,
        url: &str,
        params: &[(K, V)],
        oauth: &OAuthParams<'_>,
    ) -> Result<Signed, Error>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let parsed = Url::parse(url)?;
        let mut buf = Vec::with_capacity(256);
        let mut entries = Entries::default();
        collect(&parsed, params, oauth, self.method, &mut buf, &mut entries)?;
        let sorted = entries.sort(&buf);
        let mut norm = Vec::with_capacity(buf.len() + 2 * sorted.len());
        let signature_at = write_normalized(&buf, sorted, &mut norm);
        let mut base_uri = Vec::with_capacity(parsed.prefix.len());
        parsed.write_base_uri(&mut base_uri);
        let mut base_string = Vec::with_capacity(3 * norm.len() + 64);
        write_base_string(method, &base_uri, &buf, sorted, &mut base_string);
        let signature = self.signature_of_bytes(&base_string);
        let (owned, entries) = own_entries(&buf, sorted)?;
        Ok(Signed {
            method: method.to_ascii_uppercase(),
            prefix: parsed.prefix.to_owned(),
            query: parsed.query.to_owned(),
            entries,
            buf: owned,
            norm: into_string(norm),
            signature_at,
            base_string: into_string(base_string),
            signature,
        })
    }

    /// Signs a request and writes the complete signed URL into `out`: every parameter,
    /// request and protocol with `oauth_signature`, in the query, sorted by name as the WBS
    /// API reference's example request shows. Returns the URL.
    ///
    /// With a reused [`UrlBuffer`] that has grown to size and no more than 16 parameters (request and protocol together),
    /// this does not allocate, unless a query parameter of `url` needs percent-decoding.
    pub fn sign_url_into<'b, K, V>(
        &self,
        method: &str,
        url: &str,
        params: &[(K, V)],
        oauth: &OAuthParams<'_>,
        out: &'b mut UrlBuffer,
    ) -> Result<&'b str, Error>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let parsed = Url::parse(url)?;
        let UrlBuffer {
            url: out_url,
            scratch,
            base,
        } = out;
        out_url.clear();
        scratch.clear();
        base.clear();
        let mut entries = Entries::default();
        collect(&parsed, params, oauth, self.method, scratch, &mut entries)?;
        let sorted = entries.sort(scratch);
        // `out_url` holds the base string URI until the URL itself is written.
        parsed.write_base_uri(out_url);
        write_base_string(method, out_url, scratch, sorted, base);
        let signature = self.signature_of_bytes(base);
        out_url.clear();
        out_url.extend_from_slice(parsed.prefix.as_bytes());
        out_url.push(b'?');
        write_signed_query(scratch, sorted, &signature, out_url);
        Ok(as_text(out_url))
    }

    /// The signature of an already built base string.
    pub fn signature_of_base_string(&self, base_string: &str) -> Signature {
        self.signature_of_bytes(base_string.as_bytes())
    }

    fn signature_of_bytes(&self, base_string: &[u8]) -> Signature {
        match &self.key {
            Key::Hmac(mac) => {
                let mut mac = (**mac).clone();
                mac.update(base_string);
                Signature::from_mac(mac)
            }
            Key::Plaintext(key) => Signature(Repr::Plaintext(key.clone())),
        }
    }

    /// Checks `received` (the decoded `oauth_signature`) against a base string, in
    /// constant time.
    pub fn verify_base_string(&self, base_string: &str, received: &str) -> Result<(), Error> {
        match &self.key {
            Key::Hmac(mac) => {
                let mut mac = (**mac).clone();
                mac.update(base_string.as_bytes());
                verify_mac(mac, received)
            }
            Key::Plaintext(key) => verify_plaintext(key, received),
        }
    }

    pub(crate) fn verify_entries(
        &self,
        method: &str,
        base_uri: &str,
        buf: &[u8],
        sorted: &[Entry<'_>],
        received: &str,
    ) -> Result<(), Error> {
        let base = base_string_of_entries(method, base_uri, buf, sorted);
        self.verify_base_string(&base, received)
    }
}

fn verify_mac(mac: HmacSha1, received: &str) -> Result<(), Error> {
    let mut tag = [0u8; 20];
    match STANDARD.decode_slice(received.as_bytes(), &mut tag) {
        Ok(20) => {}
        _ => return Err(Error::MalformedSignature),
    }
    // `verify_slice` compares in constant time.
    mac.verify_slice(&tag).map_err(|_| Error::BadSignature)
}

fn verify_plaintext(key: &Secret, received: &str) -> Result<(), Error> {
    if constant_time_eq(key.expose().as_bytes(), received.as_bytes()) {
        Ok(())
    } else {
        Err(Error::BadSignature)
    }
}

/// Compares two byte strings in time that depends only on their lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// A computed signature. `Debug` is redacted; get the wire value with
/// [`Signature::to_wire`].
#[derive(Clone, PartialEq, Eq)]
pub struct Signature(Repr);

#[derive(Clone, PartialEq, Eq)]
enum Repr {
    HmacSha1([u8; 20]),
    Plaintext(Secret),
}

impl Signature {
    fn from_mac(mac: HmacSha1) -> Self {
        Self(Repr::HmacSha1(mac.finalize().into_bytes().into()))
    }

    /// The value of `oauth_signature` before percent-encoding: base64 for HMAC-SHA1, the key
    /// for PLAINTEXT.
    pub fn to_wire(&self) -> String {
        let mut s = String::with_capacity(28);
        self.with_wire(|w| s.push_str(w));
        s
    }

    fn with_wire<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        match &self.0 {
            Repr::HmacSha1(bytes) => {
                let mut buf = [0u8; 28];
                // 20 bytes are exactly 28 base64 characters, so both steps always succeed.
                let n = STANDARD.encode_slice(bytes, &mut buf).unwrap_or(0);
                f(std::str::from_utf8(buf.get(..n).unwrap_or(&[])).unwrap_or(""))
            }
            Repr::Plaintext(key) => f(key.expose()),
        }
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Signature(<redacted>)")
    }
}

/// Where the signed protocol parameters travel (RFC 5849 §3.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement<'a> {
    /// Every parameter in the URL query, sorted by name (how the WBS API is called).
    Query,
    /// Protocol parameters in an `Authorization: OAuth …` header, with an optional realm
    /// (never signed). Request parameters go in a form body for POST, PUT and PATCH, and in
    /// the query otherwise.
    Header {
        /// The `realm` of the header, if any.
        realm: Option<&'a str>,
    },
    /// Request and protocol parameters in an `application/x-www-form-urlencoded` body.
    Body,
}

/// A request ready to send: the URL, and the header or body that carry parameters.
#[derive(Clone, PartialEq, Eq)]
pub struct Rendered {
    /// The request URL.
    pub url: String,
    /// The value of the `Authorization` header, when the placement uses one.
    pub authorization: Option<String>,
    /// An `application/x-www-form-urlencoded` body, when the placement uses one.
    pub body: Option<String>,
}

impl fmt::Debug for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every field carries the signature: say only what is there.
        f.debug_struct("Rendered")
            .field("url", &"<signed>")
            .field(
                "authorization",
                &self.authorization.as_ref().map(|_| "<signed>"),
            )
            .field("body", &self.body.as_ref().map(|_| "<signed>"))
            .finish()
    }
}

/// A signed request: its base string and signature, renderable in each placement.
#[derive(Clone)]
pub struct Signed {
    method: String,
    prefix: String,
    query: String,
    buf: String,
    entries: Vec<Entry<'static>>,
    norm: String,
    signature_at: usize,
    base_string: String,
    signature: Signature,
}

impl fmt::Debug for Signed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signed")
            .field("method", &self.method)
            .field("base_string", &self.base_string)
            .field("signature", &self.signature)
            .finish_non_exhaustive()
    }
}

impl Signed {
    /// The signature base string (§3.4.1.1). It holds no secret: show it to debug a 342.
    pub fn base_string(&self) -> &str {
        &self.base_string
    }

    /// The signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// The upper-cased HTTP method.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The normalised parameters (§3.4.1.3.2), before the base string's outer encoding.
    pub fn normalized_parameters(&self) -> &str {
        &self.norm
    }

    /// The signed URL with every parameter in the query, sorted by name.
    pub fn query_url(&self) -> String {
        let mut out = Vec::with_capacity(self.prefix.len() + self.norm.len() + 48);
        out.extend_from_slice(self.prefix.as_bytes());
        out.push(b'?');
        splice_signature(
            &mut out,
            self.norm.as_bytes(),
            self.signature_at,
            &self.signature,
        );
        into_string(out)
    }

    /// The `Authorization` header value: `OAuth realm="…", oauth_…="…", …`.
    pub fn authorization_header(&self, realm: Option<&str>) -> String {
        let mut out = String::from("OAuth ");
        let mut first = true;
        if let Some(realm) = realm {
            out.push_str("realm=\"");
            percent_encode_into(&mut out, realm);
            out.push('"');
            first = false;
        }
        let mut push = |out: &mut String, name: &str, value: &str| {
            if !first {
                out.push_str(", ");
            }
            first = false;
            out.push_str(name);
            out.push_str("=\"");
            out.push_str(value);
            out.push('"');
        };
        let mut sig_done = false;
        for e in self.entries.iter().filter(|e| e.source == Source::Protocol) {
            let name = e.name_str(&self.buf);
            if !sig_done && name > "oauth_signature" {
                self.with_encoded_signature(|s| push(&mut out, "oauth_signature", s));
                sig_done = true;
            }
            push(&mut out, name, e.value_str(&self.buf));
        }
        if !sig_done {
            self.with_encoded_signature(|s| push(&mut out, "oauth_signature", s));
        }
        out
    }

    /// Renders the request for a placement.
    pub fn render(&self, placement: Placement<'_>) -> Rendered {
        match placement {
            Placement::Query => Rendered {
                url: self.query_url(),
                authorization: None,
                body: None,
            },
            Placement::Header { realm } => {
                let in_body = matches!(self.method.as_str(), "POST" | "PUT" | "PATCH");
                let mut params = String::new();
                self.write_params(&mut params, |e| e.source == Source::Extra, false);
                let authorization = Some(self.authorization_header(realm));
                if in_body {
                    Rendered {
                        url: self.url_with_query(""),
                        authorization,
                        body: Some(params),
                    }
                } else {
                    Rendered {
                        url: self.url_with_query(&params),
                        authorization,
                        body: None,
                    }
                }
            }
            Placement::Body => {
                let mut body = String::new();
                self.write_params(&mut body, |e| e.source != Source::Query, true);
                Rendered {
                    url: self.url_with_query(""),
                    authorization: None,
                    body: Some(body),
                }
            }
        }
    }

    fn url_with_query(&self, extra: &str) -> String {
        let mut url = self.prefix.clone();
        if !self.query.is_empty() || !extra.is_empty() {
            url.push('?');
            url.push_str(&self.query);
            if !self.query.is_empty() && !extra.is_empty() {
                url.push('&');
            }
            url.push_str(extra);
        }
        url
    }

    fn write_params(
        &self,
        out: &mut String,
        keep: impl Fn(&Entry<'_>) -> bool,
        with_signature: bool,
    ) {
        let signature = with_signature.then_some(&self.signature);
        write_sorted_query(out, &self.buf, &self.entries, signature, keep);
    }

    fn with_encoded_signature<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        self.signature.with_wire(|wire| {
            let mut enc = String::with_capacity(40);
            percent_encode_into(&mut enc, wire);
            f(&enc)
        })
    }
}

/// Where a parameter came from: it decides where it goes in each placement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Source {
    Query,
    Extra,
    Protocol,
}

/// Encoded text of an entry: the caller's own bytes when nothing needed escaping (most
/// names and values, and then nothing is copied), or a range of the scratch buffer.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Text<'a> {
    Borrowed(&'a [u8]),
    Scratch(u32, u32),
}

impl<'a> Text<'a> {
    fn get<'x>(self, buf: &'x [u8]) -> &'x [u8]
    where
        'a: 'x,
    {
        match self {
            Text::Borrowed(bytes) => bytes,
            Text::Scratch(start, end) => buf.get(start as usize..end as usize).unwrap_or(&[]),
        }
    }

    /// The encoding of `raw`: borrowed when it needs no escape, else written to `buf`.
    /// Also says whether the encoding holds a `%`.
    fn encode(raw: &'a str, buf: &mut Vec<u8>) -> Result<(Self, bool), Error> {
        if all_unreserved(raw.as_bytes()) {
            Ok((Text::Borrowed(raw.as_bytes()), false))
        } else {
            Self::encode_owned(raw, buf)
        }
    }

    /// The encoding of `raw`, always written to `buf` (for text that does not live long
    /// enough to be borrowed).
    fn encode_owned(raw: &str, buf: &mut Vec<u8>) -> Result<(Self, bool), Error> {
        let start = buf.len();
        encode_bytes(buf, raw.as_bytes());
        // Escaping makes an encoding longer than its input: equal lengths mean no `%`.
        let escaped = buf.len() - start != raw.len();
        Ok((Text::Scratch(to32(start)?, to32(buf.len())?), escaped))
    }
}

fn to32(n: usize) -> Result<u32, Error> {
    u32::try_from(n).map_err(|_| Error::TooLarge)
}

/// One encoded `name=value` pair.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry<'a> {
    /// The first 8 bytes of the encoded name, big-endian, zero-padded: compares as the
    /// name's prefix does (an encoded name never holds a zero byte).
    key: u64,
    name: Text<'a>,
    value: Text<'a>,
    /// Whether the encoded name or value holds a `%` (so needs re-encoding in the base
    /// string); most do not, and are copied as they are.
    escaped: bool,
    pub(crate) source: Source,
}

impl<'a> Entry<'a> {
    fn new(buf: &[u8], name: (Text<'a>, bool), value: (Text<'a>, bool), source: Source) -> Self {
        let mut key = [0u8; 8];
        for (k, b) in key.iter_mut().zip(name.0.get(buf)) {
            *k = *b;
        }
        Self {
            key: u64::from_be_bytes(key),
            name: name.0,
            value: value.0,
            escaped: name.1 || value.1,
            source,
        }
    }

    pub(crate) fn name<'x>(&self, buf: &'x [u8]) -> &'x [u8]
    where
        'a: 'x,
    {
        self.name.get(buf)
    }

    pub(crate) fn value<'x>(&self, buf: &'x [u8]) -> &'x [u8]
    where
        'a: 'x,
    {
        self.value.get(buf)
    }

    /// Whether the name sorts after `oauth_signature`, decided by the key when it can be.
    fn after_signature(&self, buf: &[u8]) -> bool {
        const KEY: u64 = u64::from_be_bytes(*b"oauth_si");
        match self.key.cmp(&KEY) {
            Ordering::Equal => self.name(buf) > b"oauth_signature".as_slice(),
            other => other == Ordering::Greater,
        }
    }

    /// The name, from a scratch buffer that was converted to a `String`.
    pub(crate) fn name_str<'x>(&self, buf: &'x str) -> &'x str
    where
        'a: 'x,
    {
        as_text(self.name.get(buf.as_bytes()))
    }

    /// The value, from a scratch buffer that was converted to a `String`.
    pub(crate) fn value_str<'x>(&self, buf: &'x str) -> &'x str
    where
        'a: 'x,
    {
        as_text(self.value.get(buf.as_bytes()))
    }

    fn cmp(&self, other: &Self, buf: &[u8]) -> Ordering {
        self.key.cmp(&other.key).then_with(|| {
            self.name(buf)
                .cmp(other.name(buf))
                .then_with(|| self.value(buf).cmp(other.value(buf)))
        })
    }
}

/// Copies sorted entries into one owned buffer, for a value that outlives the call.
pub(crate) fn own_entries(
    buf: &[u8],
    sorted: &[Entry<'_>],
) -> Result<(String, Vec<Entry<'static>>), Error> {
    let mut owned = Vec::with_capacity(buf.len() + 16 * sorted.len());
    let mut entries = Vec::with_capacity(sorted.len());
    for e in sorted {
        let start = to32(owned.len())?;
        owned.extend_from_slice(e.name(buf));
        let middle = to32(owned.len())?;
        owned.extend_from_slice(e.value(buf));
        let end = to32(owned.len())?;
        entries.push(Entry {
            key: e.key,
            name: Text::Scratch(start, middle),
            value: Text::Scratch(middle, end),
            escaped: e.escaped,
            source: e.source,
        });
    }
    Ok((into_string(owned), entries))
}

const INLINE: usize = 16;

/// The entries of one request: on the stack up to 16, on the heap past that.
pub(crate) struct Entries<'a> {
    inline: [Entry<'a>; INLINE],
    len: usize,
    heap: Vec<Entry<'a>>,
}

impl Default for Entries<'_> {
    fn default() -> Self {
        let empty = Entry {
            key: 0,
            name: Text::Borrowed(&[]),
            value: Text::Borrowed(&[]),
            escaped: false,
            source: Source::Query,
        };
        Self {
            inline: [empty; INLINE],
            len: 0,
            heap: Vec::new(),
        }
    }
}

impl<'a> Entries<'a> {
    /// Adds a parameter that lives as long as the entries, borrowing what needs no escape.
    pub(crate) fn push(
        &mut self,
        buf: &mut Vec<u8>,
        name: &'a str,
        value: &'a str,
        source: Source,
    ) -> Result<(), Error> {
        let name = Text::encode(name, buf)?;
        let value = Text::encode(value, buf)?;
        self.add(Entry::new(buf, name, value, source));
        Ok(())
    }

    /// Adds a parameter whose text is copied (encoded) into `buf`.
    pub(crate) fn push_owned(
        &mut self,
        buf: &mut Vec<u8>,
        name: &str,
        value: &str,
        source: Source,
    ) -> Result<(), Error> {
        let name = Text::encode_owned(name, buf)?;
        let value = Text::encode_owned(value, buf)?;
        self.add(Entry::new(buf, name, value, source));
        Ok(())
    }

    /// Adds a protocol parameter: its name is one of our own constants (`oauth_` and
    /// lower-case letters), so it is borrowed without an escape check.
    pub(crate) fn push_protocol(
        &mut self,
        buf: &mut Vec<u8>,
        name: &'static str,
        value: &'a str,
    ) -> Result<(), Error> {
        let value = Text::encode(value, buf)?;
        self.add(Entry::new(
            buf,
            (Text::Borrowed(name.as_bytes()), false),
            value,
            Source::Protocol,
        ));
        Ok(())
    }

    fn add(&mut self, entry: Entry<'a>) {
        if self.heap.is_empty() && self.len < INLINE {
            if let Some(slot) = self.inline.get_mut(self.len) {
                *slot = entry;
                self.len += 1;
            }
        } else {
            if self.heap.is_empty() {
                self.heap
                    .extend_from_slice(self.inline.get(..self.len).unwrap_or(&[]));
            }
            self.heap.push(entry);
        }
    }

    /// Sorts by encoded name, then encoded value, in byte order (§3.4.1.3.2).
    pub(crate) fn sort(&mut self, buf: &[u8]) -> &[Entry<'a>] {
        let slice: &mut [Entry<'a>] = if self.heap.is_empty() {
            self.inline.get_mut(..self.len).unwrap_or(&mut [])
        } else {
            &mut self.heap
        };
        // Equal entries are interchangeable in the base string, so an unstable sort is exact
        // (and, unlike the stable one, never allocates). Most names differ in their first
        // eight bytes: sort by that key, and compare whole names and values only on a tie.
        slice.sort_unstable_by_key(|e| e.key);
        if slice
            .windows(2)
            .any(|w| matches!(w, [a, b] if a.key == b.key))
        {
            slice.sort_unstable_by(|a, b| a.cmp(b, buf));
        }
        slice
    }
}

/// Collects and encodes every signed parameter: the URL's query, the extra parameters, and
/// the protocol parameters (§3.4.1.3.1).
fn collect<'a, K: AsRef<str>, V: AsRef<str>>(
    url: &Url<'a>,
    params: &'a [(K, V)],
    oauth: &OAuthParams<'a>,
    method: SignatureMethod,
    buf: &mut Vec<u8>,
    entries: &mut Entries<'a>,
) -> Result<(), Error> {
    for pair in url.query_pairs() {
        let (name, value) = pair?;
        if let Some(reserved) = oauth.reserved(&name) {
            return Err(Error::ReservedParameter(reserved));
        }
        match (name, value) {
            (Cow::Borrowed(name), Cow::Borrowed(value)) => {
                entries.push(buf, name, value, Source::Query)?
            }
            (name, value) => entries.push_owned(buf, &name, &value, Source::Query)?,
        }
    }
    for (name, value) in params {
        let (name, value) = (name.as_ref(), value.as_ref());
        if let Some(reserved) = oauth.reserved(name) {
            return Err(Error::ReservedParameter(reserved));
        }
        entries.push(buf, name, value, Source::Extra)?;
    }
    let mut result = Ok(());
    oauth.each(method, |name, value| {
        if result.is_ok() {
            result = entries.push_protocol(buf, name, value);
        }
    });
    result
}

/// Writes `name=value&…` in sorted order into `norm` and returns the offset at which
/// `oauth_signature` sorts (where the first later name starts, or the end).
fn write_normalized(buf: &[u8], sorted: &[Entry<'_>], norm: &mut Vec<u8>) -> usize {
    let mut signature_at = None;
    for (i, e) in sorted.iter().enumerate() {
        if i > 0 {
            norm.push(b'&');
        }
        if signature_at.is_none() && e.after_signature(buf) {
            signature_at = Some(norm.len());
        }
        norm.extend_from_slice(e.name(buf));
        norm.push(b'=');
        norm.extend_from_slice(e.value(buf));
    }
    signature_at.unwrap_or(norm.len())
}

/// Writes the sorted entries as `name=value&…` with `oauth_signature=…` at its sorted
/// place: the query of the signed URL.
fn write_signed_query(buf: &[u8], sorted: &[Entry<'_>], signature: &Signature, out: &mut Vec<u8>) {
    let mut pending = Some(signature);
    for (i, e) in sorted.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        if let Some(sig) = pending.filter(|_| e.after_signature(buf)) {
            out.extend_from_slice(b"oauth_signature=");
            sig.with_wire(|wire| encode_bytes(out, wire.as_bytes()));
            out.push(b'&');
            pending = None;
        }
        out.extend_from_slice(e.name(buf));
        out.push(b'=');
        out.extend_from_slice(e.value(buf));
    }
    if let Some(sig) = pending {
        if !sorted.is_empty() {
            out.push(b'&');
        }
        out.extend_from_slice(b"oauth_signature=");
        sig.with_wire(|wire| encode_bytes(out, wire.as_bytes()));
    }
}

/// Appends the normalised parameters with `oauth_signature=…` at its sorted place.
fn splice_signature(out: &mut Vec<u8>, norm: &[u8], at: usize, signature: &Signature) {
    let (before, after) = norm.split_at(at.min(norm.len()));
    out.extend_from_slice(before);
    if !before.is_empty() && !before.ends_with(b"&") {
        out.push(b'&');
    }
    out.extend_from_slice(b"oauth_signature=");
    signature.with_wire(|wire| encode_bytes(out, wire.as_bytes()));
    if !after.is_empty() {
        out.push(b'&');
        out.extend_from_slice(after);
    }
}

/// `enc(METHOD) & enc(base string URI) & enc(normalised parameters)` (§3.4.1.1).
///
/// The parameters are written from the sorted entries rather than by encoding the
/// normalised string: encoding an encoded string changes only `%` (to `%25`), `=` and `&`,
/// so an entry without `%` is copied as it is.
fn write_base_string(
    method: &str,
    base_uri: &[u8],
    buf: &[u8],
    sorted: &[Entry<'_>],
    out: &mut Vec<u8>,
) {
    if method.bytes().all(|b| b.is_ascii_alphanumeric()) {
        out.extend(method.bytes().map(|b| b.to_ascii_uppercase()));
    } else {
        encode_bytes(out, method.to_ascii_uppercase().as_bytes());
    }
    out.push(b'&');
    encode_bytes(out, base_uri);
    out.push(b'&');
    for (i, e) in sorted.iter().enumerate() {
        if i > 0 {
            out.extend_from_slice(b"%26");
        }
        if e.escaped {
            reencode(out, e.name(buf));
            out.extend_from_slice(b"%3D");
            reencode(out, e.value(buf));
        } else {
            out.extend_from_slice(e.name(buf));
            out.extend_from_slice(b"%3D");
            out.extend_from_slice(e.value(buf));
        }
    }
}

/// Encodes an already encoded string again: only `%` changes.
fn reencode(out: &mut Vec<u8>, encoded: &[u8]) {
    for &b in encoded {
        if b == b'%' {
            out.extend_from_slice(b"%25");
        } else {
            out.push(b);
        }
    }
}

/// The base string of a request whose parameters are already encoded and sorted.
pub(crate) fn base_string_of_entries(
    method: &str,
    base_uri: &str,
    buf: &[u8],
    sorted: &[Entry<'_>],
) -> String {
    let mut base = Vec::with_capacity(2 * buf.len() + 64);
    write_base_string(method, base_uri.as_bytes(), buf, sorted, &mut base);
    into_string(base)
}

/// Text the engine built from `&str` pieces and ASCII escapes, so always UTF-8; the
/// lossy fallback exists only so that no code path can panic.
pub(crate) fn into_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// As [`into_string`], borrowed.
fn as_text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

/// Writes `name=value&…` for the kept entries, with `oauth_signature` in its sorted place.
fn write_sorted_query(
    out: &mut String,
    buf: &str,
    sorted: &[Entry<'_>],
    signature: Option<&Signature>,
    keep: impl Fn(&Entry<'_>) -> bool,
) {
    let mut first = true;
    let mut signature = signature;
    let put_signature = |out: &mut String, sig: &Signature, first: &mut bool| {
        if !*first {
            out.push('&');
        }
        *first = false;
        out.push_str("oauth_signature=");
        sig.with_wire(|wire| percent_encode_into(out, wire));
    };
    for e in sorted.iter().filter(|e| keep(e)) {
        let name = e.name_str(buf);
        if name > "oauth_signature" {
            if let Some(sig) = signature.take() {
                put_signature(out, sig, &mut first);
            }
        }
        if !first {
            out.push('&');
        }
        first = false;
        out.push_str(name);
        out.push('=');
        out.push_str(e.value_str(buf));
    }
    if let Some(sig) = signature {
        put_signature(out, sig, &mut first);
    }
}

/// A reusable output buffer for [`Signer::sign_url_into`]: the signed URL and the scratch
/// space used to build it. Keep one per task and signing stops allocating once it has grown.
#[derive(Clone, Default)]
pub struct UrlBuffer {
    url: Vec<u8>,
    scratch: Vec<u8>,
    base: Vec<u8>,
}

impl UrlBuffer {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The last signed URL.
    pub fn as_str(&self) -> &str {
        as_text(&self.url)
    }

    /// The base string of the last signed URL (it holds no secret).
    pub fn base_string(&self) -> &str {
        as_text(&self.base)
    }
}

impl fmt::Debug for UrlBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UrlBuffer(<signed>)")
    }
}
