//! Signing: parameter collection and normalisation (RFC 5849 §3.4.1.3), the signature base
//! string (§3.4.1.1), HMAC-SHA1 and PLAINTEXT (§3.4.2, §3.4.4), and the three placements of
//! the signed parameters (§3.5).

use std::cmp::Ordering;
use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::Mac;

use crate::encode::percent_encode_into;
use crate::error::Error;
use crate::secret::Secret;
use crate::sink::{Encoding, HmacSha1, MacSink, Sink};
use crate::uri::Url;

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
    fn each(&self, method: SignatureMethod, mut f: impl FnMut(&'static str, &str)) {
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
        let mut buf = String::with_capacity(256);
        let mut entries = Entries::default();
        collect(&parsed, params, oauth, self.method, &mut buf, &mut entries)?;
        let sorted = entries.sort(&buf);
        let mut base_string = String::with_capacity(buf.len() * 2 + 64);
        write_base_string(method, &parsed, &buf, sorted, &mut base_string);
        let signature = self.signature_of_base_string(&base_string);
        Ok(Signed {
            method: method.to_ascii_uppercase(),
            prefix: parsed.prefix.to_owned(),
            query: parsed.query.to_owned(),
            entries: sorted.to_vec(),
            buf,
            base_string,
            signature,
        })
    }

    /// Signs a request and writes the complete signed URL into `out`: every parameter,
    /// request and protocol with `oauth_signature`, in the query, sorted by name as the WBS
    /// API reference's example request shows. Returns the URL.
    ///
    /// With a reused [`UrlBuffer`] that has grown to size and no more than 32 parameters,
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
        } = out;
        out_url.clear();
        scratch.clear();
        let mut entries = Entries::default();
        collect(&parsed, params, oauth, self.method, scratch, &mut entries)?;
        let sorted = entries.sort(scratch);
        let signature = match &self.key {
            Key::Hmac(mac) => {
                let mut sink = MacSink::new((**mac).clone());
                write_base_string(method, &parsed, scratch, sorted, &mut sink);
                Signature::from_mac(sink.finish())
            }
            Key::Plaintext(key) => Signature(Repr::Plaintext(key.clone())),
        };
        out_url.push_str(parsed.prefix);
        out_url.push('?');
        write_sorted_query(out_url, scratch, sorted, Some(&signature), |_| true);
        Ok(out_url)
    }

    /// The signature of an already built base string.
    pub fn signature_of_base_string(&self, base_string: &str) -> Signature {
        match &self.key {
            Key::Hmac(mac) => {
                let mut mac = (**mac).clone();
                mac.update(base_string.as_bytes());
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
                let mut sink = MacSink::new((**mac).clone());
                sink.put(base_string);
                verify_mac(sink.finish(), received)
            }
            Key::Plaintext(key) => verify_plaintext(key, received),
        }
    }

    pub(crate) fn verify_entries(
        &self,
        method: &str,
        base_uri: &str,
        buf: &str,
        sorted: &[Entry],
        received: &str,
    ) -> Result<(), Error> {
        match &self.key {
            Key::Hmac(mac) => {
                let mut sink = MacSink::new((**mac).clone());
                write_base_string(method, &base_uri, buf, sorted, &mut sink);
                verify_mac(sink.finish(), received)
            }
            Key::Plaintext(key) => verify_plaintext(key, received),
        }
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
    entries: Vec<Entry>,
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
    pub fn normalized_parameters(&self) -> String {
        let mut out = String::with_capacity(self.buf.len() + self.entries.len() * 2);
        for (i, e) in self.entries.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            out.push_str(e.name(&self.buf));
            out.push('=');
            out.push_str(e.value(&self.buf));
        }
        out
    }

    /// The signed URL with every parameter in the query, sorted by name.
    pub fn query_url(&self) -> String {
        let mut out = String::with_capacity(self.prefix.len() + self.buf.len() + 64);
        out.push_str(&self.prefix);
        out.push('?');
        write_sorted_query(
            &mut out,
            &self.buf,
            &self.entries,
            Some(&self.signature),
            |_| true,
        );
        out
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
            let name = e.name(&self.buf);
            if !sig_done && name > "oauth_signature" {
                self.with_encoded_signature(|s| push(&mut out, "oauth_signature", s));
                sig_done = true;
            }
            push(&mut out, name, e.value(&self.buf));
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

    fn write_params(&self, out: &mut String, keep: impl Fn(&Entry) -> bool, with_signature: bool) {
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

/// One encoded `name=value` pair, as offsets into a buffer.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entry {
    start: u32,
    name_end: u32,
    end: u32,
    pub(crate) source: Source,
}

impl Entry {
    pub(crate) fn name<'b>(&self, buf: &'b str) -> &'b str {
        buf.get(self.start as usize..self.name_end as usize)
            .unwrap_or("")
    }

    pub(crate) fn value<'b>(&self, buf: &'b str) -> &'b str {
        buf.get(self.name_end as usize..self.end as usize)
            .unwrap_or("")
    }

    fn cmp(&self, other: &Self, buf: &str) -> Ordering {
        self.name(buf)
            .cmp(other.name(buf))
            .then_with(|| self.value(buf).cmp(other.value(buf)))
    }
}

const INLINE: usize = 32;

/// The entries of one request: on the stack up to 32, on the heap past that.
pub(crate) struct Entries {
    inline: [Entry; INLINE],
    len: usize,
    heap: Vec<Entry>,
}

impl Default for Entries {
    fn default() -> Self {
        let empty = Entry {
            start: 0,
            name_end: 0,
            end: 0,
            source: Source::Query,
        };
        Self {
            inline: [empty; INLINE],
            len: 0,
            heap: Vec::new(),
        }
    }
}

impl Entries {
    pub(crate) fn push_encoded(
        &mut self,
        buf: &mut String,
        name: &str,
        value: &str,
        source: Source,
    ) -> Result<(), Error> {
        let start = buf.len();
        percent_encode_into(buf, name);
        let name_end = buf.len();
        percent_encode_into(buf, value);
        let end = buf.len();
        let to32 = |n: usize| u32::try_from(n).map_err(|_| Error::TooLarge);
        let entry = Entry {
            start: to32(start)?,
            name_end: to32(name_end)?,
            end: to32(end)?,
            source,
        };
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
        Ok(())
    }

    /// Sorts by encoded name, then encoded value, in byte order (§3.4.1.3.2).
    pub(crate) fn sort(&mut self, buf: &str) -> &[Entry] {
        let slice: &mut [Entry] = if self.heap.is_empty() {
            self.inline.get_mut(..self.len).unwrap_or(&mut [])
        } else {
            &mut self.heap
        };
        // Equal keys are equal entries for the base string, so an unstable sort is exact
        // (and, unlike the stable one, never allocates).
        slice.sort_unstable_by(|a, b| a.cmp(b, buf));
        slice
    }
}

/// Collects and encodes every signed parameter: the URL's query, the extra parameters, and
/// the protocol parameters (§3.4.1.3.1).
fn collect<K: AsRef<str>, V: AsRef<str>>(
    url: &Url<'_>,
    params: &[(K, V)],
    oauth: &OAuthParams<'_>,
    method: SignatureMethod,
    buf: &mut String,
    entries: &mut Entries,
) -> Result<(), Error> {
    for pair in url.query_pairs() {
        let (name, value) = pair?;
        if let Some(reserved) = oauth.reserved(&name) {
            return Err(Error::ReservedParameter(reserved));
        }
        entries.push_encoded(buf, &name, &value, Source::Query)?;
    }
    for (name, value) in params {
        let (name, value) = (name.as_ref(), value.as_ref());
        if let Some(reserved) = oauth.reserved(name) {
            return Err(Error::ReservedParameter(reserved));
        }
        entries.push_encoded(buf, name, value, Source::Extra)?;
    }
    let mut result = Ok(());
    oauth.each(method, |name, value| {
        if result.is_ok() {
            result = entries.push_encoded(buf, name, value, Source::Protocol);
        }
    });
    result
}

/// Something that writes a base string URI.
pub(crate) trait BaseUri {
    fn write_to<S: Sink + ?Sized>(&self, out: &mut S);
}

impl BaseUri for Url<'_> {
    fn write_to<S: Sink + ?Sized>(&self, out: &mut S) {
        self.write_base_uri(out);
    }
}

impl BaseUri for &str {
    fn write_to<S: Sink + ?Sized>(&self, out: &mut S) {
        out.put(self);
    }
}

/// `enc(METHOD) & enc(base URI) & enc(normalised parameters)` (§3.4.1.1).
pub(crate) fn write_base_string<U: BaseUri, S: Sink + ?Sized>(
    method: &str,
    uri: &U,
    buf: &str,
    sorted: &[Entry],
    out: &mut S,
) {
    let mut upper = [0u8; 4];
    for c in method.chars() {
        let c = c.to_ascii_uppercase();
        Encoding(&mut *out).put(c.encode_utf8(&mut upper));
    }
    out.put("&");
    uri.write_to(&mut Encoding(&mut *out));
    out.put("&");
    for (i, e) in sorted.iter().enumerate() {
        if i > 0 {
            out.put("%26");
        }
        put_reencoded(out, e.name(buf));
        out.put("%3D");
        put_reencoded(out, e.value(buf));
    }
}

/// Encodes an already encoded string again: only `%` changes (to `%25`).
fn put_reencoded<S: Sink + ?Sized>(out: &mut S, encoded: &str) {
    let mut pieces = encoded.split('%');
    if let Some(first) = pieces.next() {
        out.put(first);
    }
    for piece in pieces {
        out.put("%25");
        out.put(piece);
    }
}

/// Writes `name=value&…` for the kept entries, with `oauth_signature` in its sorted place.
fn write_sorted_query<S: Sink + ?Sized>(
    out: &mut S,
    buf: &str,
    sorted: &[Entry],
    signature: Option<&Signature>,
    keep: impl Fn(&Entry) -> bool,
) {
    let mut first = true;
    let mut signature = signature;
    for e in sorted.iter().filter(|e| keep(e)) {
        let name = e.name(buf);
        if name > "oauth_signature" {
            if let Some(sig) = signature.take() {
                put_signature_pair(out, sig, &mut first);
            }
        }
        if !first {
            out.put("&");
        }
        first = false;
        out.put(name);
        out.put("=");
        out.put(e.value(buf));
    }
    if let Some(sig) = signature {
        put_signature_pair(out, sig, &mut first);
    }
}

fn put_signature_pair<S: Sink + ?Sized>(out: &mut S, signature: &Signature, first: &mut bool) {
    if !*first {
        out.put("&");
    }
    *first = false;
    out.put("oauth_signature=");
    signature.with_wire(|wire| Encoding(out).put(wire));
}

/// A reusable output buffer for [`Signer::sign_url_into`]: the signed URL and the scratch
/// space used to build it. Keep one per task and signing stops allocating once it has grown.
#[derive(Clone, Default)]
pub struct UrlBuffer {
    url: String,
    scratch: String,
}

impl UrlBuffer {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// The last signed URL.
    pub fn as_str(&self) -> &str {
        &self.url
    }
}

impl fmt::Debug for UrlBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("UrlBuffer(<signed>)")
    }
}
