//! The notification listener: the service's POSTs, handed to a consumer that acknowledges
//! each by taking it.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::stream::{self, Stream};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};
use wbs_proto::http::{Method, Request, Response, StatusCode};
use wbs_proto::wbs_model::Notification;
use wbs_proto::{parse_notification, NotificationError};

use crate::serve::{self, ServerLimits};

/// Largest notification body read (the service sends a few dozen bytes).
pub const MAX_NOTIFICATION_BODY: usize = 8 * 1024;
/// Notification connections served at once (idle ones time out after the header-read
/// timeout, so they cannot hold the listener).
pub const MAX_NOTIFICATION_CONNECTIONS: usize = 256;
/// Time a notification's body has to arrive once its headers have.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a notification's POST waits for the consumer to take it before the answer is
/// 503 (and the service sends it again).
pub const ACK_TIMEOUT: Duration = Duration::from_secs(2);

/// What the listener received: a notification, or a request it refused (with why).
pub type Received = Result<Notification, NotificationError>;

/// Receives the service's notification POSTs at a path and hands each one over as a stream
/// item. It stops when the `NotificationListener` is dropped (with the stream dropped
/// first, every notification is answered 503).
///
/// The guarantee: a notification is answered 200 only once the consumer has taken it from
/// the stream. If it does not within the acknowledgement timeout ([`ACK_TIMEOUT`] by
/// default), the notification is withdrawn (never delivered) and answered 503, so that the
/// service sends it again: nothing acknowledged is lost, nothing withdrawn is delivered.
/// HEAD and GET on the path answer 200 (the service checks callback URLs so); a malformed
/// notification is answered 400 and handed over as an error item when the queue has room,
/// without waiting.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use futures_util::StreamExt;
/// let (listener, notifications) = wbs_hyper::NotificationListener::bind("127.0.0.1:8086".parse().unwrap(), "/wbs").await?;
/// println!("subscribe with {}", listener.url());
/// let mut notifications = std::pin::pin!(notifications);
/// while let Some(Ok(n)) = notifications.next().await {
///     println!("user {} has data between {} and {}", n.userid, n.startdate, n.enddate);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct NotificationListener {
    addr: SocketAddr,
    path: String,
    _stop: oneshot::Sender<()>,
}

impl NotificationListener {
    /// Listens on `addr` (port 0 picks one) for POSTs at `path`.
    pub async fn bind(
        addr: SocketAddr,
        path: &str,
    ) -> io::Result<(Self, impl Stream<Item = Received> + Send + 'static)> {
        Self::bind_with_ack_timeout(addr, path, ACK_TIMEOUT).await
    }

    /// As [`NotificationListener::bind`], with another acknowledgement timeout.
    pub async fn bind_with_ack_timeout(
        addr: SocketAddr,
        path: &str,
        ack_timeout: Duration,
    ) -> io::Result<(Self, impl Stream<Item = Received> + Send + 'static)> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let path: Arc<str> = Arc::from(path);
        let (tx, rx) = mpsc::channel::<Handed>(256);
        let (stop, stopped) = oneshot::channel();
        let serve_path = path.clone();
        serve::spawn(
            listener,
            ServerLimits::new(MAX_NOTIFICATION_CONNECTIONS)
                .header_read_timeout(Duration::from_secs(5)),
            stopped,
            move |_, req| receive(req, serve_path.clone(), tx.clone(), ack_timeout),
        );
        let notifications = stream::unfold(rx, |mut rx| async move {
            loop {
                let (item, ack) = rx.recv().await?;
                match ack {
                    // Taken: tell the waiting POST; a withdrawn one (its POST gave up and
                    // answered 503) is not delivered.
                    Some(ack) => {
                        if ack.send(()).is_ok() {
                            return Some((item, rx));
                        }
                    }
                    None => return Some((item, rx)),
                }
            }
        });
        Ok((
            Self {
                addr,
                path: path.to_string(),
                _stop: stop,
            },
            notifications,
        ))
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The callback URL to subscribe with (`http://ADDR/PATH`).
    pub fn url(&self) -> String {
        format!("http://{}{}", self.addr, self.path)
    }
}

/// Reads a notification's POST: its body bounded in size ([`MAX_NOTIFICATION_BODY`]) and
/// time (10 s), then parsed (from the body, or the query). The error is what
/// to answer instead: 413 (too large) or 408 (too slow).
pub async fn read_notification(req: Request<Incoming>) -> Result<Received, StatusCode> {
    let query = req.uri().query().map(str::to_owned);
    let collect = Limited::new(req.into_body(), MAX_NOTIFICATION_BODY).collect();
    match tokio::time::timeout(BODY_TIMEOUT, collect).await {
        Ok(Ok(body)) => Ok(parse_notification(query.as_deref(), &body.to_bytes())),
        Ok(Err(_)) => Err(StatusCode::PAYLOAD_TOO_LARGE),
        Err(_) => Err(StatusCode::REQUEST_TIMEOUT),
    }
}

/// A received item, with the acknowledgement its POST waits for (none for a refused one).
type Handed = (Received, Option<oneshot::Sender<()>>);

async fn receive(
    req: Request<Incoming>,
    path: Arc<str>,
    tx: mpsc::Sender<Handed>,
    ack_timeout: Duration,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    if req.uri().path() != &*path {
        return Ok(crate::serve::respond(StatusCode::NOT_FOUND, Bytes::new()));
    }
    // The service checked callback URLs with HEAD before subscribing.
    if req.method() == Method::HEAD || req.method() == Method::GET {
        return Ok(crate::serve::respond(StatusCode::OK, Bytes::new()));
    }
    let parsed = match read_notification(req).await {
        Ok(parsed) => parsed,
        Err(code) => return Ok(crate::serve::respond(code, Bytes::new())),
    };
    if parsed.is_err() {
        // Refused: reported to the consumer if there is room, answered at once.
        let _ = tx.try_send((parsed, None));
        return Ok(crate::serve::respond(StatusCode::BAD_REQUEST, Bytes::new()));
    }
    let (ack, mut taken) = oneshot::channel();
    if tx.try_send((parsed, Some(ack))).is_err() {
        return Ok(crate::serve::respond(
            StatusCode::SERVICE_UNAVAILABLE,
            Bytes::new(),
        ));
    }
    let delivered = match tokio::time::timeout(ack_timeout, &mut taken).await {
        Ok(result) => result.is_ok(),
        Err(_) => {
            // Withdraw it; if the consumer took it in the meantime, it counts.
            taken.close();
            taken.try_recv().is_ok()
        }
    };
    let code = if delivered {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    Ok(crate::serve::respond(code, Bytes::new()))
}

/// Follows each received notification with the groups it announces, fetched through
/// `client`, one notification at a time.
///
/// ```no_run
/// # async fn demo(client: wbs_hyper::Client) -> std::io::Result<()> {
/// use futures_util::StreamExt;
/// let (_listener, notifications) = wbs_hyper::NotificationListener::bind("127.0.0.1:0".parse().unwrap(), "/wbs").await?;
/// let mut fetched = std::pin::pin!(wbs_hyper::fetch_each(client, notifications));
/// while let Some((notification, groups)) = fetched.next().await {
///     println!("{notification:?}: {} groups", groups.map(|f| f.groups.len()).unwrap_or(0));
/// }
/// # Ok(()) }
/// ```
pub fn fetch_each(
    client: crate::Client,
    notifications: impl Stream<Item = Received> + Send + 'static,
) -> impl Stream<Item = (Notification, Result<crate::Fetched, crate::Error>)> + Send + 'static {
    use futures_util::StreamExt;
    notifications
        .filter_map(|received| async move { received.ok() })
        .then(move |n| {
            let client = client.clone();
            async move {
                let groups = client.fetch_notified(&n).await;
                (n, groups)
            }
        })
}
