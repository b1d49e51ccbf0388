//! A raw HTTP/1.1 exchange on a fresh connection, with timeouts.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::time::Duration;

/// What a request's body is, for its `Content-Type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Body {
    /// No `Content-Type` (a GET, a JSON body the server reads whatever it is called).
    Untyped,
    /// `application/x-www-form-urlencoded`.
    Form,
}

/// Sends `method` to an absolute `http://host:port/path` URL with an optional bearer token
/// and a body, on a fresh connection (5 s to connect, 60 s to read); the whole reply.
pub fn exchange(
    method: &str,
    url: &str,
    bearer: Option<&str>,
    kind: Body,
    body: &str,
) -> io::Result<String> {
    let bad_url = || {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("not an http URL: {url}"),
        )
    };
    let rest = url.strip_prefix("http://").ok_or_else(bad_url)?;
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let addr = host.to_socket_addrs()?.next().ok_or_else(bad_url)?;
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let auth = bearer
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let content_type = match kind {
        Body::Untyped => "",
        Body::Form => "Content-Type: application/x-www-form-urlencoded\r\n",
    };
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\n{auth}{content_type}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut reply = String::new();
    s.read_to_string(&mut reply)?;
    Ok(reply)
}

/// [`exchange`] of a form body; `None` if the connection failed or nothing came back (a
/// server being killed).
pub fn try_send(method: &str, url: &str, bearer: Option<&str>, body: &str) -> Option<String> {
    exchange(method, url, bearer, Body::Form, body)
        .ok()
        .filter(|reply| !reply.is_empty())
}

/// [`exchange`] with a server that must be there: panics (naming the request) if the
/// connection fails. The reply may be empty.
pub fn send(method: &str, url: &str, bearer: Option<&str>, kind: Body, body: &str) -> String {
    exchange(method, url, bearer, kind, body).unwrap_or_else(|e| panic!("{method} {url}: {e}"))
}

/// The `Location` header of a reply, trimmed (its name in any case).
pub fn location(reply: &str) -> Option<String> {
    reply.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("location")
            .then(|| value.trim().to_owned())
    })
}

/// A free address on 127.0.0.1 (for a server that must be told where to listen). Panics
/// if the OS has no port to give: a test's setup.
pub fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port on 127.0.0.1")
}

/// The port of [`free_addr`].
pub fn free_port() -> u16 {
    free_addr().port()
}
