//! Request URL parsing and the base string URI (RFC 5849 §3.4.1.2).

use std::io::Write as _;
use std::net::Ipv6Addr;

use crate::encode::{all_unreserved, encode_bytes};
use crate::error::Error;

/// A request URL split into the parts that signing needs. Borrows the caller's string.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Url<'a> {
    https: bool,
    scheme: &'a str,
    host: &'a str,
    port: Option<u16>,
    path: &'a str,
    /// The raw query, without `?` and without the fragment.
    pub(crate) query: &'a str,
    /// Everything before the query and fragment, exactly as given.
    pub(crate) prefix: &'a str,
}

impl<'a> Url<'a> {
    /// Parses an absolute `http` or `https` URL. Userinfo is dropped and the fragment ignored.
    pub(crate) fn parse(url: &'a str) -> Result<Self, Error> {
        let bytes = url.as_bytes();
        // One pass over the bytes finds every delimiter (this runs once per signature).
        let colon = bytes
            .iter()
            .position(|&b| b == b':')
            .filter(|&i| bytes.get(i + 1..i + 3) == Some(b"//".as_slice()))
            .ok_or(Error::InvalidUrl("not an absolute URL (no scheme)"))?;
        let scheme = url.get(..colon).unwrap_or("");
        let https = if scheme.eq_ignore_ascii_case("https") {
            true
        } else if scheme.eq_ignore_ascii_case("http") {
            false
        } else {
            return Err(Error::InvalidUrl("scheme is not http or https"));
        };
        let rest_at = colon + 3;
        let rest = bytes.get(rest_at..).unwrap_or(&[]);
        let authority_len = rest
            .iter()
            .position(|&b| matches!(b, b'/' | b'?' | b'#'))
            .unwrap_or(rest.len());
        let after_authority = rest.get(authority_len..).unwrap_or(&[]);
        let path_len = after_authority
            .iter()
            .position(|&b| matches!(b, b'?' | b'#'))
            .unwrap_or(after_authority.len());
        let path_end = rest_at + authority_len + path_len;
        let query = match bytes.get(path_end) {
            Some(b'?') => {
                let q = bytes.get(path_end + 1..).unwrap_or(&[]);
                let q_len = q.iter().position(|&b| b == b'#').unwrap_or(q.len());
                url.get(path_end + 1..path_end + 1 + q_len).unwrap_or("")
            }
            _ => "",
        };
        // The delimiters are ASCII, so every cut is on a character boundary.
        let authority = url.get(rest_at..rest_at + authority_len).unwrap_or("");
        let path = url.get(rest_at + authority_len..path_end).unwrap_or("");
        let head_len = path_end - rest_at;
        let (host, port) = split_authority(authority)?;
        if path.bytes().any(|b| b.is_ascii_control()) {
            return Err(Error::InvalidUrl("control character in path"));
        }
        let prefix_len = rest_at + head_len;
        Ok(Self {
            https,
            scheme,
            host,
            port,
            path,
            query,
            prefix: url.get(..prefix_len).unwrap_or(url),
        })
    }

    /// Writes the base string URI: scheme and host in lower case, the port unless it is the
    /// scheme's default, the path as sent (`/` when empty, spaces as `%20`).
    pub(crate) fn write_base_uri(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(if self.https { b"https://" } else { b"http://" });
        match self
            .host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
        {
            // Canonical text form (RFC 5952), as other implementations normalise it.
            Some(v6) => match v6.parse::<Ipv6Addr>() {
                Ok(addr) => {
                    let _ = write!(out, "[{addr}]");
                }
                Err(_) => push_lower(out, self.host),
            },
            None => push_lower(out, self.host),
        }
        if let Some(port) = self.non_default_port() {
            let _ = write!(out, ":{port}");
        }
        if self.path.is_empty() {
            out.push(b'/');
        } else {
            for &b in self.path.as_bytes() {
                match b {
                    b' ' => out.extend_from_slice(b"%20"),
                    b => out.push(b),
                }
            }
        }
    }

    /// Writes the base string URI percent-encoded, as the base string holds it: the bytes
    /// of encoding what [`Url::write_base_uri`] writes. For a host of unreserved characters
    /// and a path without spaces (every URL of this API), the scheme, host, port and `/`
    /// separators are written as constants or copied and each path segment goes through
    /// `encode_bytes`; any other URL is written to `scratch` and encoded from there
    /// (`scratch` is left empty).
    pub(crate) fn write_encoded_base_uri(&self, out: &mut Vec<u8>, scratch: &mut Vec<u8>) {
        let path = self.path.as_bytes();
        if !all_unreserved(self.host.as_bytes()) || path.contains(&b' ') {
            scratch.clear();
            self.write_base_uri(scratch);
            encode_bytes(out, scratch);
            scratch.clear();
            return;
        }
        out.extend_from_slice(if self.https {
            b"https%3A%2F%2F"
        } else {
            b"http%3A%2F%2F"
        });
        push_lower(out, self.host);
        if let Some(port) = self.non_default_port() {
            let _ = write!(out, "%3A{port}");
        }
        if path.is_empty() {
            out.extend_from_slice(b"%2F");
        } else {
            let mut segments = path.split(|&b| b == b'/');
            if let Some(first) = segments.next() {
                encode_bytes(out, first);
            }
            for segment in segments {
                out.extend_from_slice(b"%2F");
                encode_bytes(out, segment);
            }
        }
    }

    /// The port, unless there is none or it is the scheme's default.
    fn non_default_port(&self) -> Option<u16> {
        let default = if self.https { 443 } else { 80 };
        self.port.filter(|&port| port != default)
    }

    /// The URL's query parameters, decoded as `application/x-www-form-urlencoded`.
    pub(crate) fn query_pairs(&self) -> FormPairs<'a> {
        FormPairs::new(self.query)
    }

    /// The scheme as given (not normalised).
    #[allow(dead_code)]
    pub(crate) fn scheme(&self) -> &'a str {
        self.scheme
    }
}

/// A request URL parsed once, for signing many requests to it with
/// [`Signer::sign_url_into`](crate::Signer::sign_url_into): the parse and the
/// encoded base string URI (§3.4.1.2) are done here, not at every signature. Its query
/// parameters, if any, are signed with every request.
///
/// ```
/// let endpoint = wbs_oauth::Endpoint::parse("HTTP://WBSAPI.withings.net:80/measure")?;
/// assert_eq!(endpoint.as_str(), "HTTP://WBSAPI.withings.net:80/measure");
/// assert!(wbs_oauth::Endpoint::parse("ftp://example.com/").is_err());
/// # Ok::<(), wbs_oauth::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    url: String,
    /// The length of everything before the query and fragment.
    prefix_len: usize,
    /// Where the raw query is in `url`.
    query: std::ops::Range<usize>,
    /// The base string URI, percent-encoded as the base string holds it.
    encoded_base_uri: Vec<u8>,
}

impl Endpoint {
    /// Parses an absolute `http` or `https` URL, as [`Signer::sign_url_into`](crate::Signer::sign_url_into)
    /// does. Userinfo is dropped from the base string and the fragment is ignored.
    pub fn parse(url: &str) -> Result<Self, Error> {
        let parsed = Url::parse(url)?;
        let mut encoded_base_uri = Vec::with_capacity(url.len() + 16);
        parsed.write_encoded_base_uri(&mut encoded_base_uri, &mut Vec::new());
        let prefix_len = parsed.prefix.len();
        let query_start = (prefix_len + 1).min(url.len());
        Ok(Self {
            url: url.to_owned(),
            prefix_len,
            query: query_start..query_start + parsed.query.len(),
            encoded_base_uri,
        })
    }

    /// The URL as given.
    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// Everything before the query and fragment.
    pub(crate) fn prefix(&self) -> &str {
        self.url.get(..self.prefix_len).unwrap_or("")
    }

    /// The raw query, without `?` and fragment.
    pub(crate) fn query(&self) -> &str {
        self.url.get(self.query.clone()).unwrap_or("")
    }

    /// The base string URI, encoded.
    pub(crate) fn encoded_base_uri(&self) -> &[u8] {
        &self.encoded_base_uri
    }
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Endpoint").field(&self.url).finish()
    }
}

/// Splits `[userinfo@]host[:port]` in one pass over its bytes.
fn split_authority(authority: &str) -> Result<(&str, Option<u16>), Error> {
    let bytes = authority.as_bytes();
    let mut host_start = 0;
    let mut bracket_end = None;
    let mut colon = None;
    let mut colons = 0;
    let mut bad = false;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'@' => {
                // Userinfo ends at the last '@': start over after it.
                host_start = i + 1;
                bracket_end = None;
                colon = None;
                colons = 0;
                bad = false;
            }
            b']' => bracket_end = Some(i),
            b':' => {
                colon = Some(i);
                colons += 1;
            }
            b' ' | b'\\' => bad = true,
            b if b.is_ascii_control() => bad = true,
            _ => {}
        }
    }
    let host_port = authority.get(host_start..).unwrap_or("");
    let rebase = |i: usize| i - host_start;
    if bad {
        return Err(Error::InvalidUrl("invalid character in host"));
    }
    let colon = if host_port.starts_with('[') {
        let end = rebase(bracket_end.ok_or(Error::InvalidUrl("unclosed IPv6 host"))?);
        match colon.map(rebase) {
            Some(c) if c == end + 1 => Some(c),
            Some(c) if c < end && end + 1 == host_port.len() => None,
            None if end + 1 == host_port.len() => None,
            _ => return Err(Error::InvalidUrl("junk after IPv6 host")),
        }
    } else if colons > 1 {
        return Err(Error::InvalidUrl("invalid character in host"));
    } else {
        colon.map(rebase)
    };
    let (host, port) = match colon {
        Some(c) => (
            host_port.get(..c).unwrap_or(""),
            host_port.get(c + 1..).unwrap_or(""),
        ),
        None => (host_port, ""),
    };
    if host.is_empty() {
        return Err(Error::InvalidUrl("no host"));
    }
    if port.is_empty() {
        return Ok((host, None));
    }
    if !port.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Error::InvalidUrl("port is not a number"));
    }
    match port.trim_start_matches('0').parse::<u16>() {
        Ok(p) if p > 0 => Ok((host, Some(p))),
        _ => Err(Error::InvalidUrl("port out of range")),
    }
}

fn push_lower(out: &mut Vec<u8>, s: &str) {
    out.extend(s.bytes().map(|b| b.to_ascii_lowercase()));
}

/// Checks that `url` is an absolute `http` or `https` URL with a host (and a valid port,
/// if any), without a fragment, whitespace or control characters: the one rule for every
/// URL this workspace is given to call or redirect to (callbacks, redirect URIs, base
/// URLs), parsed as the signer itself parses URLs.
///
/// ```
/// assert!(wbs_oauth::check_http_url("https://example.com:8443/cb?x=1").is_ok());
/// assert!(wbs_oauth::check_http_url("http://").is_err());
/// assert!(wbs_oauth::check_http_url("ftp://example.com/").is_err());
/// assert!(wbs_oauth::check_http_url("/relative").is_err());
/// assert!(wbs_oauth::check_http_url("https://example.com/cb#top").is_err());
/// assert!(wbs_oauth::check_http_url("https://example.com/a b").is_err());
/// ```
pub fn check_http_url(url: &str) -> Result<(), Error> {
    if url.contains('#') {
        return Err(Error::InvalidUrl("has a fragment"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::InvalidUrl("holds whitespace or control characters"));
    }
    Url::parse(url).map(|_| ())
}

/// Appends `name=value` pairs to a form body or a query, each name and value
/// percent-encoded (RFC 5849 §3.6), joined by `&`: the one writer of what [`form_pairs`]
/// reads.
///
/// ```
/// let mut body = String::new();
/// wbs_oauth::append_form(&mut body, [("a", "1"), ("b", "x y")]);
/// wbs_oauth::append_form(&mut body, [("c", "&")]);
/// assert_eq!(body, "a=1&b=x%20y&c=%26");
/// ```
pub fn append_form<'a>(out: &mut String, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) {
    for (name, value) in pairs {
        if !(out.is_empty() || out.ends_with(['?', '&'])) {
            out.push('&');
        }
        crate::encode::percent_encode_into(out, name);
        out.push('=');
        crate::encode::percent_encode_into(out, value);
    }
}

/// `url` with `pairs` added to its query (after `?`, or after the query it has).
///
/// ```
/// assert_eq!(wbs_oauth::with_query("https://e.com/cb", [("code", "c 1")]), "https://e.com/cb?code=c%201");
/// assert_eq!(wbs_oauth::with_query("https://e.com/cb?t=7", [("code", "c")]), "https://e.com/cb?t=7&code=c");
/// ```
pub fn with_query<'a>(url: &str, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::with_capacity(url.len() + 96);
    out.push_str(url);
    if !url.contains('?') {
        out.push('?');
    }
    append_form(&mut out, pairs);
    out
}

/// The `name=value` pairs of a query string or an `application/x-www-form-urlencoded`
/// body, decoded (`+` is a space), in order: the one parser of such text in the workspace.
/// Empty segments are skipped; a segment without `=` is a name with an empty value; a bad
/// escape or bytes that are not UTF-8 are an error for that pair.
///
/// ```
/// let pairs: Vec<_> = wbs_oauth::form_pairs("a=1&&b=x+y&c").collect::<Result<_, _>>()?;
/// assert_eq!(pairs, [("a".into(), "1".into()), ("b".into(), "x y".into()), ("c".into(), "".into())]);
/// assert!(wbs_oauth::form_pairs("a=%zz").next().unwrap().is_err());
/// # Ok::<(), wbs_oauth::Error>(())
/// ```
pub fn form_pairs(input: &str) -> FormPairs<'_> {
    FormPairs::new(input)
}

/// The iterator of [`form_pairs`].
#[derive(Clone, Debug)]
pub struct FormPairs<'a> {
    rest: Option<&'a str>,
}

impl<'a> FormPairs<'a> {
    pub(crate) fn new(input: &'a str) -> Self {
        Self { rest: Some(input) }
    }

    /// The first value of `name`, if it is there and decodes.
    pub fn find(mut self, name: &str) -> Option<std::borrow::Cow<'a, str>> {
        self.find_map(|pair| match pair {
            Ok((n, v)) if n == name => Some(v),
            _ => None,
        })
    }
}

impl<'a> Iterator for FormPairs<'a> {
    type Item = Result<(std::borrow::Cow<'a, str>, std::borrow::Cow<'a, str>), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let rest = self.rest?;
            let (segment, tail) = match rest.split_once('&') {
                Some((s, t)) => (s, Some(t)),
                None => (rest, None),
            };
            self.rest = tail;
            if segment.is_empty() {
                continue;
            }
            let (name, value) = segment.split_once('=').unwrap_or((segment, ""));
            let decoded = crate::encode::form_decode(name)
                .and_then(|n| crate::encode::form_decode(value).map(|v| (n, v)));
            return Some(decoded.map_err(Error::Decode));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base_uri(url: &str) -> String {
        let mut s = Vec::new();
        Url::parse(url).unwrap().write_base_uri(&mut s);
        String::from_utf8(s).unwrap()
    }

    #[test]
    fn rfc_examples() {
        assert_eq!(
            base_uri("HTTP://EXAMPLE.COM:80/r%20v/X?id=123"),
            "http://example.com/r%20v/X"
        );
        assert_eq!(
            base_uri("https://www.example.net:8080/?q=1"),
            "https://www.example.net:8080/"
        );
    }

    #[test]
    fn default_ports_only_dropped_for_own_scheme() {
        assert_eq!(base_uri("https://a.b:443/x"), "https://a.b/x");
        assert_eq!(base_uri("https://a.b:80/x"), "https://a.b:80/x");
        assert_eq!(base_uri("http://a.b:443/x"), "http://a.b:443/x");
        assert_eq!(base_uri("http://a.b:0080/x"), "http://a.b/x");
        assert_eq!(base_uri("http://a.b:/x"), "http://a.b/x");
    }

    #[test]
    fn empty_path_userinfo_fragment() {
        assert_eq!(
            base_uri("http://user:pw@Example.com"),
            "http://example.com/"
        );
        assert_eq!(base_uri("http://example.com#frag"), "http://example.com/");
        assert_eq!(
            base_uri("http://example.com/a b"),
            "http://example.com/a%20b"
        );
        assert_eq!(
            base_uri("http://[2001:DB8:0::0:1]:8080/"),
            "http://[2001:db8::1]:8080/"
        );
    }

    #[test]
    fn rejects_bad_urls() {
        for bad in [
            "example.com/x",
            "ftp://a/b",
            "http:///x",
            "http://a:99999/",
            "http://a:0/",
            "http://a:x/",
            "http://[::1/",
        ] {
            assert!(Url::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn query_pairs_follow_form_rules() {
        let url =
            Url::parse("http://e.com/?b5=%3D%253D&a3=a&c%40=&a2=r%20b&&c2&x=1+2#f=g").unwrap();
        let pairs: Vec<_> = url.query_pairs().map(|r| r.unwrap()).collect();
        let pairs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(a, b)| (a.as_ref(), b.as_ref()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("b5", "=%3D"),
                ("a3", "a"),
                ("c@", ""),
                ("a2", "r b"),
                ("c2", ""),
                ("x", "1 2")
            ]
        );
    }
}
