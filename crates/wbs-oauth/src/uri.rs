//! Request URL parsing and the base string URI (RFC 5849 §3.4.1.2).

use std::net::Ipv6Addr;

use crate::error::Error;
use crate::sink::Sink;

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
        let (scheme, rest) = url
            .split_once("://")
            .ok_or(Error::InvalidUrl("not an absolute URL (no scheme)"))?;
        let https = if scheme.eq_ignore_ascii_case("https") {
            true
        } else if scheme.eq_ignore_ascii_case("http") {
            false
        } else {
            return Err(Error::InvalidUrl("scheme is not http or https"));
        };
        let before_fragment = rest.split('#').next().unwrap_or(rest);
        let (head, query) = match before_fragment.split_once('?') {
            Some((head, query)) => (head, query),
            None => (before_fragment, ""),
        };
        let (authority, path) = match head.find('/') {
            Some(i) => head.split_at(i),
            None => (head, ""),
        };
        let host_port = match authority.rfind('@') {
            Some(i) => authority.get(i + 1..).unwrap_or(""),
            None => authority,
        };
        let (host, port) = split_host_port(host_port)?;
        if host.is_empty() {
            return Err(Error::InvalidUrl("no host"));
        }
        if host
            .bytes()
            .any(|b| b.is_ascii_control() || b == b' ' || b == b'/' || b == b'\\')
        {
            return Err(Error::InvalidUrl("invalid character in host"));
        }
        if path.bytes().any(|b| b.is_ascii_control()) {
            return Err(Error::InvalidUrl("control character in path"));
        }
        let prefix_len = scheme.len() + 3 + head.len();
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
    pub(crate) fn write_base_uri<S: Sink + ?Sized>(&self, out: &mut S) {
        out.put(if self.https { "https://" } else { "http://" });
        match self
            .host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
        {
            Some(v6) => match v6.parse::<Ipv6Addr>() {
                // Canonical text form (RFC 5952), as other implementations normalise it.
                Ok(addr) => {
                    out.put("[");
                    out.put(&addr.to_string());
                    out.put("]");
                }
                Err(_) => put_lower(out, self.host),
            },
            None => put_lower(out, self.host),
        }
        if let Some(port) = self.port {
            let default = if self.https { 443 } else { 80 };
            if port != default {
                out.put(":");
                let mut digits = [0u8; 5];
                out.put(format_u16(port, &mut digits));
            }
        }
        if self.path.is_empty() {
            out.put("/");
        } else {
            let mut rest = self.path;
            while let Some(i) = rest.find(' ') {
                out.put(rest.get(..i).unwrap_or(""));
                out.put("%20");
                rest = rest.get(i + 1..).unwrap_or("");
            }
            out.put(rest);
        }
    }

    /// The scheme as given (not normalised).
    #[allow(dead_code)]
    pub(crate) fn scheme(&self) -> &'a str {
        self.scheme
    }

    /// The URL's query parameters, decoded as `application/x-www-form-urlencoded`.
    pub(crate) fn query_pairs(&self) -> FormPairs<'a> {
        FormPairs::new(self.query)
    }
}

fn split_host_port(host_port: &str) -> Result<(&str, Option<u16>), Error> {
    let (host, port) = if host_port.starts_with('[') {
        match host_port.find(']') {
            Some(end) => {
                let host = host_port.get(..=end).unwrap_or(host_port);
                let rest = host_port.get(end + 1..).unwrap_or("");
                match rest.strip_prefix(':') {
                    Some(port) => (host, Some(port)),
                    None if rest.is_empty() => (host, None),
                    None => return Err(Error::InvalidUrl("junk after IPv6 host")),
                }
            }
            None => return Err(Error::InvalidUrl("unclosed IPv6 host")),
        }
    } else {
        match host_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        }
    };
    let port = match port {
        None | Some("") => None,
        Some(digits) => {
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(Error::InvalidUrl("port is not a number"));
            }
            let trimmed = digits.trim_start_matches('0');
            match trimmed.parse::<u16>() {
                Ok(p) if p > 0 => Some(p),
                _ => return Err(Error::InvalidUrl("port out of range")),
            }
        }
    };
    Ok((host, port))
}

fn put_lower<S: Sink + ?Sized>(out: &mut S, s: &str) {
    if s.bytes().any(|b| b.is_ascii_uppercase()) {
        let mut buf = [0u8; 64];
        for chunk in s.as_bytes().chunks(buf.len()) {
            let dst = buf.get_mut(..chunk.len()).unwrap_or(&mut []);
            dst.copy_from_slice(chunk);
            dst.make_ascii_lowercase();
            // Lower-casing ASCII bytes keeps UTF-8 valid, but a chunk boundary may split a
            // multi-byte character, so fall back to a lossless char-wise path then.
            match std::str::from_utf8(dst) {
                Ok(text) => out.put(text),
                Err(_) => {
                    out.put(&s.to_ascii_lowercase());
                    return;
                }
            }
        }
    } else {
        out.put(s);
    }
}

fn format_u16(mut n: u16, buf: &mut [u8; 5]) -> &str {
    let mut i = buf.len();
    loop {
        i -= 1;
        if let Some(slot) = buf.get_mut(i) {
            *slot = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    std::str::from_utf8(buf.get(i..).unwrap_or(&[])).unwrap_or("")
}

/// Iterator over the `name=value` pairs of a form-encoded string, decoded. Empty segments
/// are skipped; a segment without `=` is a name with an empty value.
#[derive(Clone, Debug)]
pub(crate) struct FormPairs<'a> {
    rest: Option<&'a str>,
}

impl<'a> FormPairs<'a> {
    pub(crate) fn new(input: &'a str) -> Self {
        Self { rest: Some(input) }
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
        let mut s = String::new();
        Url::parse(url).unwrap().write_base_uri(&mut s);
        s
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
