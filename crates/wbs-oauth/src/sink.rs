//! Where base strings and signed output are written: a `String`, or straight into an HMAC.

use hmac::{Hmac, Mac};
use percent_encoding::utf8_percent_encode;
use sha1::Sha1;

pub(crate) type HmacSha1 = Hmac<Sha1>;

/// A text sink. Everything the engine writes goes through this, so the same code builds a
/// base string for display and feeds one to HMAC-SHA1 without materialising it.
pub(crate) trait Sink {
    fn put(&mut self, s: &str);
}

impl Sink for String {
    fn put(&mut self, s: &str) {
        self.push_str(s);
    }
}

/// Percent-encodes (RFC 5849 §3.6) everything written through it.
pub(crate) struct Encoding<'s, S: ?Sized>(pub(crate) &'s mut S);

impl<S: Sink + ?Sized> Sink for Encoding<'_, S> {
    fn put(&mut self, s: &str) {
        for chunk in utf8_percent_encode(s, crate::encode::RFC5849_SET) {
            self.0.put(chunk);
        }
    }
}

/// Feeds an HMAC in 128-byte blocks: the base string is made of many short pieces and each
/// `Mac::update` call has a fixed cost.
pub(crate) struct MacSink {
    mac: HmacSha1,
    buf: [u8; 128],
    len: usize,
}

impl MacSink {
    pub(crate) fn new(mac: HmacSha1) -> Self {
        Self {
            mac,
            buf: [0; 128],
            len: 0,
        }
    }

    pub(crate) fn finish(mut self) -> HmacSha1 {
        self.flush();
        self.mac
    }

    fn flush(&mut self) {
        self.mac.update(self.buf.get(..self.len).unwrap_or(&[]));
        self.len = 0;
    }
}

impl Sink for MacSink {
    fn put(&mut self, s: &str) {
        let bytes = s.as_bytes();
        if self.len + bytes.len() > self.buf.len() {
            self.flush();
            if bytes.len() > self.buf.len() {
                self.mac.update(bytes);
                return;
            }
        }
        if let Some(dst) = self.buf.get_mut(self.len..self.len + bytes.len()) {
            dst.copy_from_slice(bytes);
            self.len += bytes.len();
        }
    }
}
