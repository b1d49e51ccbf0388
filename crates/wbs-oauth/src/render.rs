//! The signed request and its three placements (RFC 5849 §3.5): query, `Authorization`
//! header, form body; and the reusable buffer of the zero-allocation path.

use std::fmt;

use crate::encode::percent_encode_into;
use crate::normalize::{as_text, into_string, write_query, Entry, Source};
use crate::signer::Signature;

/// Where the signed protocol parameters travel (RFC 5849 §3.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
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
/// `Debug` shows the base string without the value of an `oauth_verifier`.
#[derive(Clone)]
pub struct Signed {
    pub(crate) method: String,
    pub(crate) prefix: String,
    pub(crate) query: String,
    pub(crate) buf: String,
    pub(crate) entries: Vec<Entry<'static>>,
    pub(crate) norm: String,
    pub(crate) base_string: String,
    pub(crate) signature: Signature,
}

impl fmt::Debug for Signed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signed")
            .field("method", &self.method)
            .field("base_string", &without_verifier(&self.base_string))
            .field("signature", &self.signature)
            .finish_non_exhaustive()
    }
}

/// A base string with the value of its `oauth_verifier`, if any, left out.
fn without_verifier(base_string: &str) -> std::borrow::Cow<'_, str> {
    // A base string is `method&uri&parameters`, with the parameters' own `=` and `&`
    // encoded again (`%3D`, `%26`): each parameter is one `%26`-separated part.
    const NAME: &str = "oauth_verifier%3D";
    match base_string.rsplit_once('&') {
        Some((head, params)) if params.split("%26").any(|p| p.starts_with(NAME)) => {
            let parts: Vec<&str> = params
                .split("%26")
                .map(|p| {
                    if p.starts_with(NAME) {
                        "oauth_verifier%3D<redacted>"
                    } else {
                        p
                    }
                })
                .collect();
            format!("{head}&{}", parts.join("%26")).into()
        }
        _ => base_string.into(),
    }
}

impl Signed {
    /// The signature base string (§3.4.1.1). It holds no secret but an access-token
    /// request's verifier: show it to debug a 342 (`Debug` leaves the verifier out).
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
        self.write_params(&mut out, |_| true, true);
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
            let name = as_text(e.name(self.buf.as_bytes()));
            if !sig_done && name > "oauth_signature" {
                self.with_encoded_signature(|s| push(&mut out, "oauth_signature", s));
                sig_done = true;
            }
            push(&mut out, name, as_text(e.value(self.buf.as_bytes())));
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
                let params = self.params_text(|e| e.source == Source::Extra, false);
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
                let body = self.params_text(|e| e.source != Source::Query, true);
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
        out: &mut Vec<u8>,
        keep: impl Fn(&Entry<'_>) -> bool,
        with_signature: bool,
    ) {
        let signature = with_signature.then_some(&self.signature);
        write_query(self.buf.as_bytes(), &self.entries, signature, keep, out);
    }

    fn params_text(&self, keep: impl Fn(&Entry<'_>) -> bool, with_signature: bool) -> String {
        let mut out = Vec::with_capacity(self.norm.len() + 48);
        self.write_params(&mut out, keep, with_signature);
        into_string(out)
    }

    fn with_encoded_signature<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        let mut encoded = Vec::with_capacity(40);
        self.signature.write_encoded(&mut encoded);
        f(as_text(&encoded))
    }
}

/// A reusable output buffer for [`Signer::sign_url_into`](crate::Signer::sign_url_into): the signed URL and the scratch
/// space used to build it. Keep one per task and signing stops allocating once it has grown.
#[derive(Clone, Default)]
pub struct UrlBuffer {
    pub(crate) url: Vec<u8>,
    pub(crate) scratch: Vec<u8>,
    pub(crate) base: Vec<u8>,
}

impl UrlBuffer {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty buffer with room for a signed URL of about `bytes` bytes, so that one
    /// signature into it allocates only these three buffers.
    pub fn with_capacity(bytes: usize) -> Self {
        Self {
            url: Vec::with_capacity(bytes),
            scratch: Vec::with_capacity(bytes),
            base: Vec::with_capacity(bytes + bytes / 2),
        }
    }

    /// The last signed URL.
    pub fn as_str(&self) -> &str {
        as_text(&self.url)
    }

    /// The last signed URL, owned (the buffer keeps its scratch space).
    pub fn into_url(self) -> String {
        into_string(self.url)
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

#[cfg(test)]
mod tests {
    use super::without_verifier;

    #[test]
    fn only_the_verifier_parameter_is_left_out() {
        for (base, shown) in [
            (
                "GET&u&oauth_token%3Dt%26oauth_verifier%3Dv3r%26z%3D1",
                "GET&u&oauth_token%3Dt%26oauth_verifier%3D<redacted>%26z%3D1",
            ),
            (
                "GET&u&oauth_verifier%3Dv3r",
                "GET&u&oauth_verifier%3D<redacted>",
            ),
            // A parameter whose name merely ends so sorts first: the verifier is still found.
            (
                "GET&u&aoauth_verifier%3Dx%26oauth_verifier%3Dv3r",
                "GET&u&aoauth_verifier%3Dx%26oauth_verifier%3D<redacted>",
            ),
            ("GET&u&a%3Db", "GET&u&a%3Db"),
        ] {
            assert_eq!(without_verifier(base), shown);
        }
    }
}
