//! The signer: the HMAC key derived once, signatures (HMAC-SHA1 §3.4.2, PLAINTEXT §3.4.4)
//! and their constant-time verification.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq as _;

use crate::encode::{encode_bytes, percent_encode_into};
use crate::error::Error;
use crate::normalize::{
    as_text, base_string_of_entries, collect, into_string, own_entries, write_base_string,
    write_query, Entries, Entry, Protocol, UriText,
};
use crate::params::{OAuthParams, SignatureMethod};
use crate::render::{Signed, UrlBuffer};
use crate::secret::Secret;
use crate::uri::{Endpoint, Url};

type HmacSha1 = Hmac<Sha1>;

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
        // The key text is zeroed when dropped, as the secrets it is made of are.
        let mut key = zeroize::Zeroizing::new(String::with_capacity(96));
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
            SignatureMethod::Plaintext => Key::Plaintext(Secret::new(key.as_str())),
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
        collect(
            parsed.query,
            params,
            Protocol::Given(oauth),
            self.method,
            &mut buf,
            &mut entries,
        )?;
        let sorted = entries.sort(&buf);
        let mut norm = Vec::with_capacity(buf.len() + 2 * sorted.len());
        write_query(&buf, sorted, None, |_| true, &mut norm);
        let mut base_uri = Vec::with_capacity(parsed.prefix.len());
        parsed.write_base_uri(&mut base_uri);
        let mut base_string = Vec::with_capacity(3 * norm.len() + 64);
        write_base_string(
            method,
            UriText::Raw(&base_uri),
            &buf,
            sorted,
            &mut base_string,
        );
        let signature = self.signature_of_bytes(&base_string);
        let (owned, entries) = own_entries(&buf, sorted)?;
        Ok(Signed {
            method: method.to_ascii_uppercase(),
            prefix: parsed.prefix.to_owned(),
            query: parsed.query.to_owned(),
            entries,
            buf: owned,
            norm: into_string(norm),
            base_string: into_string(base_string),
            signature,
        })
    }

    /// Signs a request and writes the complete signed URL into `out`: every parameter,
    /// request and protocol with `oauth_signature`, in the query, sorted by name as the WBS
    /// API reference's example request shows. Returns the URL.
    ///
    /// `url` is a `str` (parsed at each call) or an [`Endpoint`] (parsed once: the fastest
    /// path, what wbs-proto's `Session::request` takes). With a reused [`UrlBuffer`] that
    /// has grown to size and no more than 16 parameters (request and protocol together),
    /// this does not allocate, unless a query parameter of `url` needs percent-decoding.
    ///
    /// ```
    /// use wbs_oauth::{Endpoint, OAuthParams, Secret, Signer, UrlBuffer};
    ///
    /// let signer = Signer::hmac_sha1(&Secret::new("kd94hf93k423kf44"), Some(&Secret::new("pfkkdhi9sl3r4s00")));
    /// let oauth = OAuthParams::new("dpf43f3p2l4k3l03", "kllo9940pd9333jh", "1191242096").token("nnch734d00sl2jdk");
    /// let params = [("file", "vacation.jpg"), ("size", "original")];
    /// let endpoint = Endpoint::parse("http://photos.example.net/photos")?;
    /// let mut buf = UrlBuffer::new();
    /// let url = signer.sign_url_into("GET", &endpoint, &params, &oauth, &mut buf)?.to_owned();
    /// assert!(url.contains("&oauth_signature=tR3%2BTy81lMeYAr%2FFid0kMTYa%2FWM%3D&"));
    /// assert_eq!(signer.sign_url_into("GET", "http://photos.example.net/photos", &params, &oauth, &mut buf)?, url);
    /// # Ok::<(), wbs_oauth::Error>(())
    /// ```
    pub fn sign_url_into<'b, U, K, V>(
        &self,
        method: &str,
        url: &U,
        params: &[(K, V)],
        oauth: &OAuthParams<'_>,
        out: &'b mut UrlBuffer,
    ) -> Result<&'b str, Error>
    where
        U: RequestUrl + ?Sized,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        self.sign_url_with(method, url, params, Protocol::Given(oauth), out)
    }

    /// [`Signer::sign_url_into`], with the protocol parameters given or prepared.
    pub(crate) fn sign_url_with<'b>(
        &self,
        method: &str,
        url: &(impl RequestUrl + ?Sized),
        params: &[(impl AsRef<str>, impl AsRef<str>)],
        protocol: Protocol<'_>,
        out: &'b mut UrlBuffer,
    ) -> Result<&'b str, Error> {
        let target = url.target()?;
        let UrlBuffer {
            url: out_url,
            scratch,
            base,
        } = out;
        out_url.clear();
        scratch.clear();
        base.clear();
        let mut entries = Entries::default();
        collect(
            target.query,
            params,
            protocol,
            self.method,
            scratch,
            &mut entries,
        )?;
        let sorted = entries.sort(scratch);
        let base_uri = match target.base_uri {
            BaseUri::Parsed(parsed) => {
                // `out_url` holds the encoded base string URI until the URL itself is
                // written (and `base`, still empty, is the scratch of an unusual URL's).
                parsed.write_encoded_base_uri(out_url, base);
                UriText::Encoded(out_url)
            }
            BaseUri::Encoded(encoded) => UriText::Encoded(encoded),
        };
        write_base_string(method, base_uri, scratch, sorted, base);
        let signature = self.signature_of_bytes(base);
        out_url.clear();
        out_url.extend_from_slice(target.prefix.as_bytes());
        out_url.push(b'?');
        write_query(scratch, sorted, Some(&signature), |_| true, out_url);
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

/// A URL that [`Signer::sign_url_into`] signs to: a `str` or `String`, parsed at each
/// signature, or an [`Endpoint`], parsed once. Sealed: only this crate implements it.
pub trait RequestUrl: sealed::Sealed {}

impl RequestUrl for str {}
impl RequestUrl for String {}
impl RequestUrl for Endpoint {}

mod sealed {
    use super::{BaseUri, Endpoint, Error, Target, Url};

    /// The parts of a URL that signing needs.
    pub trait Sealed {
        fn target(&self) -> Result<Target<'_>, Error>;
    }

    impl Sealed for str {
        fn target(&self) -> Result<Target<'_>, Error> {
            let parsed = Url::parse(self)?;
            Ok(Target {
                prefix: parsed.prefix,
                query: parsed.query,
                base_uri: BaseUri::Parsed(parsed),
            })
        }
    }

    impl Sealed for String {
        fn target(&self) -> Result<Target<'_>, Error> {
            self.as_str().target()
        }
    }

    impl Sealed for Endpoint {
        fn target(&self) -> Result<Target<'_>, Error> {
            Ok(Target {
                prefix: self.prefix(),
                query: self.query(),
                base_uri: BaseUri::Encoded(self.encoded_base_uri()),
            })
        }
    }
}

/// What a signed URL is made from: the URL before its query, the query, the base URI.
pub struct Target<'a> {
    prefix: &'a str,
    query: &'a str,
    base_uri: BaseUri<'a>,
}

/// The base string URI, still to write from the parsed URL, or already encoded.
enum BaseUri<'a> {
    Parsed(Url<'a>),
    Encoded(&'a [u8]),
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
    if bool::from(key.expose().as_bytes().ct_eq(received.as_bytes())) {
        Ok(())
    } else {
        Err(Error::BadSignature)
    }
}

/// `ESCAPED[c]`: the percent-encoding of a base64 character `c`, padded to three bytes,
/// and its length (the character itself but for `+`, `/` and `=`).
static ESCAPED: [([u8; 3], u8); 256] = {
    let mut t = [([0u8; 3], 1u8); 256];
    let mut c = 0;
    while c < 256 {
        t[c].0[0] = c as u8;
        c += 1;
    }
    t[b'+' as usize] = (*b"%2B", 3);
    t[b'/' as usize] = (*b"%2F", 3);
    t[b'=' as usize] = (*b"%3D", 3);
    t
};

/// A computed signature. `Debug` is redacted, and `==` takes the same time wherever two
/// signatures differ; get the wire value with [`Signature::to_wire`].
#[derive(Clone, PartialEq, Eq)]
pub struct Signature(Repr);

#[derive(Clone, Eq)]
enum Repr {
    HmacSha1([u8; 20]),
    Plaintext(Secret),
}

impl PartialEq for Repr {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::HmacSha1(a), Self::HmacSha1(b)) => bool::from(a.ct_eq(b)),
            // `Secret`'s own `==` is constant-time.
            (Self::Plaintext(a), Self::Plaintext(b)) => a == b,
            _ => false,
        }
    }
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

    /// Appends the wire value percent-encoded, as a query or a form carries it. Base64
    /// needs only `+`, `/` and `=` escaped: this skips the general encoder (and its UTF-8
    /// check), which took about 800 of the 26,000 instructions of a `Session::request`.
    /// Each character is written as three bytes from a table and the write advances by
    /// its length, so the loop has no branch on the data (a `match` and a push a character
    /// took about 570 instructions a signature; this, about 400).
    pub(crate) fn write_encoded(&self, out: &mut Vec<u8>) {
        match &self.0 {
            Repr::HmacSha1(bytes) => {
                let mut wire = [0u8; 28];
                // 20 bytes are exactly 28 base64 characters: this always succeeds.
                let n = STANDARD.encode_slice(bytes, &mut wire).unwrap_or(0);
                // Three bytes a character at most: each write of three starts at most
                // three bytes a character before, so the last ends by 3 * 28.
                let mut encoded = [0u8; 3 * 28];
                let mut at = 0;
                for &c in wire.get(..n).unwrap_or(&[]) {
                    let (escape, len) = ESCAPED[usize::from(c)];
                    if let Some(slot) = encoded.get_mut(at..at + 3) {
                        slot.copy_from_slice(&escape);
                    }
                    at += usize::from(len);
                }
                out.extend_from_slice(encoded.get(..at).unwrap_or(&[]));
            }
            Repr::Plaintext(key) => encode_bytes(out, key.expose().as_bytes()),
        }
    }

    pub(crate) fn with_wire<R>(&self, f: impl FnOnce(&str) -> R) -> R {
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
