//! Parameter collection and normalisation (RFC 5849 §3.4.1.3) and the signature base
//! string (§3.4.1.1), written from encoded entries without copying what needs no escape.

use std::borrow::Cow;
use std::cmp::Ordering;

use crate::encode::{all_unreserved, encode_bytes};
use crate::error::Error;
use crate::params::{OAuthParams, SignatureMethod};
use crate::signer::Signature;
use crate::uri::FormPairs;

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
        let escaped = encode_escaped(raw, buf);
        Ok((Text::Scratch(to32(start)?, to32(buf.len())?), escaped))
    }
}

/// Appends the encoding of `raw` to `buf` and says whether it holds a `%`: escaping makes
/// an encoding longer than its input, so equal lengths mean none.
fn encode_escaped(raw: &str, buf: &mut Vec<u8>) -> bool {
    let start = buf.len();
    encode_bytes(buf, raw.as_bytes());
    buf.len() - start != raw.len()
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
        Self {
            key: key_of(name.0.get(buf)),
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

    fn cmp(&self, other: &Self, buf: &[u8]) -> Ordering {
        self.key.cmp(&other.key).then_with(|| {
            self.name(buf)
                .cmp(other.name(buf))
                .then_with(|| self.value(buf).cmp(other.value(buf)))
        })
    }
}

/// The first 8 bytes of an encoded name, big-endian, zero-padded: an [`Entry`]'s key.
fn key_of(name: &[u8]) -> u64 {
    let key = match name.first_chunk::<8>() {
        Some(first) => *first,
        None => {
            let mut key = [0u8; 8];
            for (k, b) in key.iter_mut().zip(name) {
                *k = *b;
            }
            key
        }
    };
    u64::from_be_bytes(key)
}

/// A protocol parameter that every request of a [`TokenSigner`](crate::TokenSigner) sends
/// unchanged (consumer key, token, method, version): encoded, and its key taken, once.
#[derive(Clone, Debug)]
pub(crate) struct Prepared {
    name: &'static str,
    value: String,
    key: u64,
    escaped: bool,
}

impl Prepared {
    pub(crate) fn new(name: &'static str, value: &str) -> Self {
        let mut encoded = Vec::with_capacity(value.len());
        let escaped = encode_escaped(value, &mut encoded);
        Self {
            name,
            escaped,
            value: into_string(encoded),
            key: key_of(name.as_bytes()),
        }
    }

    fn entry(&self) -> Entry<'_> {
        Entry {
            key: self.key,
            name: Text::Borrowed(self.name.as_bytes()),
            value: Text::Borrowed(self.value.as_bytes()),
            escaped: self.escaped,
            source: Source::Protocol,
        }
    }
}

/// The protocol parameters of a request: every one given, or those of
/// [`OAuthParams::each_fixed`] prepared once from the same `oauth` (which then gives the
/// reserved names and [`OAuthParams::each_per_request`]).
#[derive(Clone, Copy)]
pub(crate) enum Protocol<'a> {
    Given(&'a OAuthParams<'a>),
    Prepared {
        oauth: &'a OAuthParams<'a>,
        fixed: &'a [Prepared],
    },
}

impl<'a> Protocol<'a> {
    fn oauth(self) -> &'a OAuthParams<'a> {
        match self {
            Protocol::Given(oauth) | Protocol::Prepared { oauth, .. } => oauth,
        }
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

/// A parameter's text as [`Entries::push`] takes it: `&'a str`, which lives as long as
/// the entries, or [`Copied`] text, which does not.
pub(crate) trait ParamText<'a> {
    /// The text's form in the entries, and whether it was escaped.
    fn encode(self, buf: &mut Vec<u8>) -> Result<(Text<'a>, bool), Error>;
}

impl<'a> ParamText<'a> for &'a str {
    fn encode(self, buf: &mut Vec<u8>) -> Result<(Text<'a>, bool), Error> {
        Text::encode(self, buf)
    }
}

/// Text that does not outlive the call: copied (encoded) into the buffer.
pub(crate) struct Copied<'s>(pub(crate) &'s str);

impl<'a> ParamText<'a> for Copied<'_> {
    fn encode(self, buf: &mut Vec<u8>) -> Result<(Text<'a>, bool), Error> {
        Text::encode_owned(self.0, buf)
    }
}

impl<'a> Entries<'a> {
    /// Adds a parameter: text that lives as long as the entries is borrowed when it needs
    /// no escape; [`Copied`] text is encoded into `buf`. Kept out of line: inlined into
    /// `collect`, it called the encoder, `Entry::new` and `add` rather than inlining them
    /// (callgrind: 254 more instructions a `Session::request`).
    #[inline(never)]
    pub(crate) fn push(
        &mut self,
        buf: &mut Vec<u8>,
        name: impl ParamText<'a>,
        value: impl ParamText<'a>,
        source: Source,
    ) -> Result<(), Error> {
        let name = name.encode(buf)?;
        let value = value.encode(buf)?;
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
pub(crate) fn collect<'a, K: AsRef<str>, V: AsRef<str>>(
    query: &'a str,
    params: &'a [(K, V)],
    protocol: Protocol<'a>,
    method: SignatureMethod,
    buf: &mut Vec<u8>,
    entries: &mut Entries<'a>,
) -> Result<(), Error> {
    let oauth = protocol.oauth();
    for pair in FormPairs::new(query) {
        let (name, value) = pair?;
        if let Some(reserved) = oauth.reserved(&name) {
            return Err(Error::ReservedParameter(reserved));
        }
        match (name, value) {
            (Cow::Borrowed(name), Cow::Borrowed(value)) => {
                entries.push(buf, name, value, Source::Query)?
            }
            (name, value) => entries.push(buf, Copied(&name), Copied(&value), Source::Query)?,
        }
    }
    for (name, value) in params {
        let (name, value) = (name.as_ref(), value.as_ref());
        if let Some(reserved) = oauth.reserved(name) {
            return Err(Error::ReservedParameter(reserved));
        }
        entries.push(buf, name, value, Source::Extra)?;
    }
    if let Protocol::Prepared { fixed, .. } = protocol {
        for prepared in fixed {
            entries.add(prepared.entry());
        }
    }
    let mut result = Ok(());
    let push = |name, value| {
        if result.is_ok() {
            result = entries.push_protocol(buf, name, value);
        }
    };
    match protocol {
        Protocol::Given(oauth) => oauth.each(method, push),
        Protocol::Prepared { oauth, .. } => oauth.each_per_request(push),
    }
    result
}

/// Writes the kept entries as `name=value&…` in their sorted order, with
/// `oauth_signature=…` at its sorted place when a signature is given: the normalised
/// parameters (§3.4.1.3.2), a signed query, or a form body.
pub(crate) fn write_query(
    buf: &[u8],
    sorted: &[Entry<'_>],
    signature: Option<&Signature>,
    keep: impl Fn(&Entry<'_>) -> bool,
    out: &mut Vec<u8>,
) {
    let mut pending = signature;
    let mut first = true;
    for e in sorted.iter().filter(|e| keep(e)) {
        if let Some(sig) = pending.filter(|_| e.after_signature(buf)) {
            write_signature(out, sig, &mut first);
            pending = None;
        }
        if !first {
            out.push(b'&');
        }
        first = false;
        out.extend_from_slice(e.name(buf));
        out.push(b'=');
        out.extend_from_slice(e.value(buf));
    }
    if let Some(sig) = pending {
        write_signature(out, sig, &mut first);
    }
}

fn write_signature(out: &mut Vec<u8>, signature: &Signature, first: &mut bool) {
    if !*first {
        out.push(b'&');
    }
    *first = false;
    out.extend_from_slice(b"oauth_signature=");
    signature.write_encoded(out);
}

/// `enc(METHOD) & enc(base string URI) & enc(normalised parameters)` (§3.4.1.1).
///
/// The parameters are written from the sorted entries rather than by encoding the
/// normalised string: encoding an encoded string changes only `%` (to `%25`), `=` and `&`,
/// so an entry without `%` is copied as it is.
pub(crate) fn write_base_string(
    method: &str,
    base_uri: UriText<'_>,
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
    match base_uri {
        UriText::Raw(raw) => encode_bytes(out, raw),
        UriText::Encoded(encoded) => out.extend_from_slice(encoded),
    }
    out.push(b'&');
    write_base_string_params(buf, sorted, out);
}

/// The base string URI as written from a parsed URL, or already encoded (an
/// [`Endpoint`](crate::Endpoint)'s).
#[derive(Clone, Copy)]
pub(crate) enum UriText<'a> {
    Raw(&'a [u8]),
    Encoded(&'a [u8]),
}

/// `enc(normalised parameters)`, from the sorted entries.
fn write_base_string_params(buf: &[u8], sorted: &[Entry<'_>], out: &mut Vec<u8>) {
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
    write_base_string(
        method,
        UriText::Raw(base_uri.as_bytes()),
        buf,
        sorted,
        &mut base,
    );
    into_string(base)
}

/// Text the engine built from `&str` pieces and ASCII escapes, so always UTF-8; the
/// lossy fallback exists only so that no code path can panic.
pub(crate) fn into_string(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// As [`into_string`], borrowed.
pub(crate) fn as_text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}
