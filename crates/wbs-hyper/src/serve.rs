//! The accept loop every server of the workspace shares (the notification listener, the
//! OAuth callback listener, the `wbs-sim` sandbox): HTTP/1 connections on a bound listener,
//! at most so many at once, each with a header-read timeout, until told to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::{Body, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Semaphore};

/// A response: `code` and `body`, no other header (what every server of the workspace
/// answers with).
pub fn respond(
    code: hyper::StatusCode,
    body: impl Into<bytes::Bytes>,
) -> Response<http_body_util::Full<bytes::Bytes>> {
    let mut r = Response::new(http_body_util::Full::new(body.into()));
    *r.status_mut() = code;
    r
}

/// How a server accepts connections.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServerLimits {
    /// Connections served at once; further ones wait in the kernel's backlog.
    pub max_connections: usize,
    /// Time a connection has to send a request's headers (hyper's timer): an idle or
    /// slow-header client cannot hold a connection slot longer than this.
    pub header_read_timeout: Duration,
}

impl ServerLimits {
    /// At most `max_connections` at once, 10 s to send headers.
    pub fn new(max_connections: usize) -> Self {
        Self {
            max_connections,
            header_read_timeout: Duration::from_secs(10),
        }
    }

    /// Another header-read timeout.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }
}

/// Serves `listener` on a spawned task until `stop` fires (or its sender is dropped):
/// each connection gets `handle(peer, request)` for each of its requests. A handler's
/// error closes that connection without an answer.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use bytes::Bytes;
/// use http_body_util::Full;
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
/// wbs_hyper::serve::spawn(listener, wbs_hyper::serve::ServerLimits::new(64), stopped, |_peer, _req| async {
///     Ok::<_, std::convert::Infallible>(hyper::Response::new(Full::new(Bytes::from_static(b"ok"))))
/// });
/// drop(stop); // stops accepting
/// # Ok(()) }
/// ```
pub fn spawn<H, F, B, E>(
    listener: TcpListener,
    limits: ServerLimits,
    mut stop: oneshot::Receiver<()>,
    handle: H,
) where
    H: Fn(SocketAddr, Request<Incoming>) -> F + Clone + Send + Sync + 'static,
    F: Future<Output = Result<Response<B>, E>> + Send + 'static,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    tokio::spawn(async move {
        loop {
            let permit = tokio::select! {
                _ = &mut stop => return,
                permit = permits.clone().acquire_owned() => match permit {
                    Ok(p) => p,
                    Err(_) => return,
                },
            };
            let accepted = tokio::select! {
                _ = &mut stop => return,
                accepted = listener.accept() => accepted,
            };
            let Ok((stream, peer)) = accepted else {
                // Out of file descriptors, say: pause rather than spin.
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            };
            let handle = handle.clone();
            let timeout = limits.header_read_timeout;
            tokio::spawn(async move {
                let service = service_fn(move |req| handle(peer, req));
                let _ = http1::Builder::new()
                    .timer(TokioTimer::new())
                    .header_read_timeout(timeout)
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
                drop(permit);
            });
        }
    });
}
