//! A raw HTTP/1.1 exchange on a fresh connection, with timeouts.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::Duration;

/// Sends `method` to an absolute `http://host:port/path` URL with an optional bearer token
/// and a form body, on a fresh connection (5 s to connect, 60 s to read); the whole reply,
/// or `None` if the URL is not such a URL, the connection failed or nothing came back (a
/// server being killed).
pub fn try_send(method: &str, url: &str, bearer: Option<&str>, body: &str) -> Option<String> {
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest
        .split_once('/')
        .map(|(h, p)| (h, format!("/{p}")))
        .unwrap_or((rest, "/".into()));
    let addr: SocketAddr = host.parse().ok()?;
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(60))).ok()?;
    let auth = bearer
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {host}\r\n{auth}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut reply = String::new();
    s.read_to_string(&mut reply).ok()?;
    (!reply.is_empty()).then_some(reply)
}

/// [`try_send`], for a server that must answer: panics (naming the request) if it did not.
pub fn send(method: &str, url: &str, bearer: Option<&str>, body: &str) -> String {
    try_send(method, url, bearer, body).unwrap_or_else(|| panic!("no reply to {method} {url}"))
}

/// The `Location` header of a reply, trimmed (its name in any case).
pub fn location(reply: &str) -> Option<String> {
    reply.lines().find_map(|l| {
        let (name, value) = l.split_once(':')?;
        name.eq_ignore_ascii_case("location")
            .then(|| value.trim().to_owned())
    })
}

/// A free address on 127.0.0.1 (for a server that must be told where to listen).
pub fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port on 127.0.0.1")
}

/// The port of [`free_addr`].
pub fn free_port() -> u16 {
    free_addr().port()
}
