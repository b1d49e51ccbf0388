//! The sandbox over real HTTP: a hyper server on a loopback address.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Semaphore};
use wbs_proto::http::{Request, Response, StatusCode};

use crate::sandbox::Sandbox;

/// Largest request body read (a notify/subscribe form is well under 1 KiB).
pub const MAX_BODY: usize = 64 * 1024;
/// Connections served at once; further ones wait to be accepted.
pub const MAX_CONNECTIONS: usize = 256;

/// A running sandbox server. Dropping it stops the server.
#[derive(Debug)]
pub struct RunningSim {
    addr: SocketAddr,
    state: Arc<Mutex<Sandbox>>,
    stop: Option<oneshot::Sender<()>>,
}

impl RunningSim {
    /// Serves `sandbox` on `addr`, which must be a loopback address (port 0 picks one).
    pub async fn start(sandbox: Sandbox, addr: SocketAddr) -> io::Result<Self> {
        if !addr.ip().is_loopback() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the sandbox listens on loopback addresses only",
            ));
        }
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(sandbox));
        let (stop, mut stopped) = oneshot::channel();
        let shared = state.clone();
        let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
        tokio::spawn(async move {
            loop {
                let Ok(permit) = permits.clone().acquire_owned().await else {
                    return;
                };
                let accepted = tokio::select! {
                    _ = &mut stopped => return,
                    accepted = listener.accept() => accepted,
                };
                let Ok((stream, _)) = accepted else { continue };
                let state = shared.clone();
                tokio::spawn(async move {
                    let service = service_fn(move |req| serve(state.clone(), req));
                    let _ = http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                    drop(permit);
                });
            }
        });
        Ok(Self {
            addr,
            state,
            stop: Some(stop),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: the base URL to give a client.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Runs `f` on the sandbox's state (to add data, read credentials, …).
    pub fn with<R>(&self, f: impl FnOnce(&mut Sandbox) -> R) -> R {
        let mut guard = self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        f(&mut guard)
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

async fn serve(
    state: Arc<Mutex<Sandbox>>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => collected.to_bytes().to_vec(),
        Err(_) => {
            let mut r = Response::new(Full::new(Bytes::from_static(b"request body too large")));
            *r.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
            return Ok(r);
        }
    };
    let request = Request::from_parts(parts, body);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let response = {
        let mut sandbox = state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        sandbox.handle(&request, now)
    };
    Ok(response.map(|b| Full::new(Bytes::from(b))))
}
