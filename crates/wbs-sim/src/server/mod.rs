//! The sandbox over real HTTP: a hyper server on a loopback address, an admin path for
//! changing data while it runs, and the delivery of notifications.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Notify};
use wbs_hyper::serve::{self, respond, ServerLimits};
use wbs_proto::http::{header, HeaderValue, Request, Response, StatusCode};
use wbs_proto::wbs_oauth::form_pairs;
use wbs_proto::ACTION_PARAM;

use crate::faults::{Fault, Faults};
use crate::limit::Limit;
use crate::readers::Readers;
use crate::sandbox::{Sandbox, SimRequest};

mod admin;
mod deliver;

use admin::admin;
use deliver::deliver_notifications;

/// Largest request body read (a notify/subscribe form is well under 1 KiB).
pub const MAX_BODY: usize = 64 * 1024;
/// Connections served at once; further ones wait to be accepted.
pub const MAX_CONNECTIONS: usize = 256;
/// Attempts to deliver one notification (with doubling pauses from 100 ms).
pub const NOTIFY_ATTEMPTS: u32 = 5;
/// Notifications being delivered at once (each attempt holds one slot).
pub const NOTIFY_CONCURRENCY: usize = 64;

/// What shapes every API request's answer besides the sandbox's state: the consumer's
/// rate limit and a fixed latency.
#[derive(Debug, Default)]
struct Knobs {
    limit: Mutex<Limit>,
    /// Milliseconds every API answer waits.
    latency_ms: AtomicU64,
    /// Faults injected.
    faults: AtomicU64,
    /// getmeas answers in flight, by user (during the latency, when there is one).
    readers: Readers,
    /// Notifications a subscriber took (answered 2xx).
    delivered: AtomicU64,
    /// Notifications given up after [`NOTIFY_ATTEMPTS`] failed attempts.
    given_up: AtomicU64,
}

/// A running sandbox server. Dropping it stops the server.
#[derive(Debug)]
pub struct RunningSim {
    addr: SocketAddr,
    state: Arc<Mutex<Sandbox>>,
    knobs: Arc<Knobs>,
    wake: Arc<Notify>,
    stopped: Arc<AtomicBool>,
    stop: Option<oneshot::Sender<()>>,
}

impl RunningSim {
    /// 127.0.0.1 on a port the OS picks: where a sandbox usually listens.
    pub const LOOPBACK: SocketAddr = SocketAddr::V4(std::net::SocketAddrV4::new(
        std::net::Ipv4Addr::LOCALHOST,
        0,
    ));

    /// Serves `sandbox` on `addr`, which must be a loopback address (port 0 picks one).
    /// Notifications are delivered to loopback callback URLs only.
    pub async fn start(sandbox: Sandbox, addr: SocketAddr) -> io::Result<Self> {
        Self::start_with_faults(sandbox, addr, Faults::none()).await
    }

    /// Serves `sandbox` on 127.0.0.1, on a port the OS picks ([`RunningSim::LOOPBACK`]).
    pub async fn loopback(sandbox: Sandbox) -> io::Result<Self> {
        Self::start(sandbox, Self::LOOPBACK).await
    }

    /// As [`RunningSim::start`], injecting `faults` into API requests (not the admin path).
    pub async fn start_with_faults(
        sandbox: Sandbox,
        addr: SocketAddr,
        faults: Faults,
    ) -> io::Result<Self> {
        if !addr.ip().is_loopback() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the sandbox listens on loopback addresses only",
            ));
        }
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(sandbox));
        let faults = Arc::new(Mutex::new(faults));
        let knobs = Arc::new(Knobs::default());
        let wake = Arc::new(Notify::new());
        let (stop, stopped) = oneshot::channel();
        let (shared, waker, k) = (state.clone(), wake.clone(), knobs.clone());
        serve::spawn(
            listener,
            ServerLimits::new(MAX_CONNECTIONS),
            stopped,
            move |peer, req| {
                let ctx = Ctx {
                    state: shared.clone(),
                    wake: waker.clone(),
                    faults: faults.clone(),
                    knobs: k.clone(),
                };
                serve(ctx, peer, req)
            },
        );
        let stopped_flag = Arc::new(AtomicBool::new(false));
        tokio::spawn(deliver_notifications(
            state.clone(),
            wake.clone(),
            stopped_flag.clone(),
            knobs.clone(),
        ));
        Ok(Self {
            addr,
            state,
            knobs,
            wake,
            stopped: stopped_flag,
            stop: Some(stop),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Answers `{"status":601}` to API requests above `per_minute` in any 60 seconds, as
    /// the service did for one consumer key (`None`: no limit). Refused requests do not
    /// count against the window; `GET /admin/stats` reports `requests`, `rate_limited`,
    /// `max_per_minute` (the most admitted in one window), `faults` (injected) and
    /// `overlapping_reads` (getmeas answers for a user begun while another for the same user
    /// was in flight: with a latency, two clients working one user at once).
    pub fn set_rate_limit(&self, per_minute: Option<u32>) {
        self.knobs
            .limit
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .set(per_minute);
    }

    /// The requests the sandbox has seen outside its admin path, admitted or not (API
    /// calls, token endpoints, authorize pages: `requests` of `GET /admin/stats`): what
    /// counts against the consumer's limit.
    pub fn requests_seen(&self) -> u64 {
        self.knobs
            .limit
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .requests
    }

    /// Notifications delivered (a subscriber answered 2xx), and given up after
    /// [`NOTIFY_ATTEMPTS`] failed attempts (`notifications_delivered` and
    /// `notifications_given_up` of `GET /admin/stats`).
    pub fn notifications(&self) -> (u64, u64) {
        (
            self.knobs.delivered.load(Ordering::Relaxed),
            self.knobs.given_up.load(Ordering::Relaxed),
        )
    }

    /// getmeas answers begun while another for the same user was in flight
    /// (`overlapping_reads` of `GET /admin/stats`).
    pub fn overlapping_reads(&self) -> u64 {
        self.knobs.readers.overlapping()
    }

    /// Makes every API answer wait `latency` (a distant server): the sandbox answers at
    /// once (its state changed then), and the answer waits before it is sent. getmeas
    /// answers waiting for one user at the same time are counted
    /// ([`RunningSim::overlapping_reads`]).
    pub fn set_latency(&self, latency: Duration) {
        let ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        self.knobs.latency_ms.store(ms, Ordering::Relaxed);
    }

    /// `http://127.0.0.1:PORT`: the base URL to give a client.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The one JSON line the `wbs-sim` binary prints: `base_url`, `consumer_key`,
    /// `consumer_secret`, `client_id` and `client_secret` (OAuth 2), and `users` with
    /// `userid`, `token` and `token_secret`.
    pub fn describe(&self) -> Value {
        self.with(|s| {
            json!({
                "base_url": self.base_url(),
                "consumer_key": s.consumer().key,
                "consumer_secret": s.consumer().secret.expose(),
                "client_id": s.oauth2_client().client_id,
                "client_secret": s.oauth2_client().client_secret.expose(),
                "users": s.users().map(|u| json!({
                    "userid": u.user.id,
                    "token": u.token.key,
                    "token_secret": u.token.secret.expose(),
                })).collect::<Vec<_>>(),
            })
        })
    }

    /// Runs `f` on the sandbox's state (to add data, read credentials, …); notifications
    /// it causes are then delivered.
    pub fn with<R>(&self, f: impl FnOnce(&mut Sandbox) -> R) -> R {
        let result = {
            let mut guard = self
                .state
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            f(&mut guard)
        };
        self.wake.notify_one();
        result
    }
}

impl Drop for RunningSim {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.stopped.store(true, Ordering::Release);
        self.wake.notify_one();
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[derive(Debug, thiserror::Error)]
#[error("connection dropped by fault injection")]
struct Dropped;

/// What a request's handler shares with the server.
struct Ctx {
    state: Arc<Mutex<Sandbox>>,
    wake: Arc<Notify>,
    faults: Arc<Mutex<Faults>>,
    knobs: Arc<Knobs>,
}

async fn serve(
    ctx: Ctx,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Dropped> {
    let Ctx {
        state,
        wake,
        faults,
        knobs,
    } = ctx;
    let (parts, body) = req.into_parts();
    // The body has 10 s once the headers are in: a stalled client cannot hold a slot.
    let collect = Limited::new(body, MAX_BODY).collect();
    let body = match tokio::time::timeout(Duration::from_secs(10), collect).await {
        Ok(Ok(collected)) => collected.to_bytes().to_vec(),
        Ok(Err(_)) => {
            return Ok(respond(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request body too large",
            ))
        }
        Err(_) => {
            return Ok(respond(
                StatusCode::REQUEST_TIMEOUT,
                "request body too slow",
            ))
        }
    };
    let request = Request::from_parts(parts, body);
    if request.uri().path().starts_with("/admin/") {
        if !peer.ip().is_loopback() {
            return Ok(respond(
                StatusCode::FORBIDDEN,
                "the admin path is for loopback clients only",
            ));
        }
        let response = admin(&state, &knobs, &request);
        wake.notify_one();
        return Ok(response);
    }
    let admitted = knobs
        .limit
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .admit(tokio::time::Instant::now());
    let latency = Duration::from_millis(knobs.latency_ms.load(Ordering::Relaxed));
    if !admitted {
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        return Ok(json_reply(json!({"status": 601})));
    }
    let fault = {
        let action = action_of(&request);
        let mut plan = faults
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        plan.pick(&action)
    };
    if fault.is_some() {
        knobs.faults.fetch_add(1, Ordering::Relaxed);
    }
    let answered_now = matches!(
        fault,
        Some(Fault::Drop | Fault::Http500 | Fault::Http503 | Fault::Status2555 | Fault::RateLimit)
    );
    if answered_now && !latency.is_zero() {
        // A fault answered in place of the sandbox waits the latency too (the others wait
        // it below, after the sandbox's answer).
        tokio::time::sleep(latency).await;
    }
    match fault {
        Some(Fault::Drop) => return Err(Dropped),
        Some(Fault::Delay(d)) => tokio::time::sleep(d).await,
        Some(Fault::Http500) => {
            return Ok(respond(StatusCode::INTERNAL_SERVER_ERROR, "injected fault"))
        }
        Some(Fault::Http503) => {
            return Ok(respond(StatusCode::SERVICE_UNAVAILABLE, "injected fault"))
        }
        Some(Fault::Status2555) => return Ok(json_reply(json!({"status": 2555}))),
        Some(Fault::RateLimit) => return Ok(json_reply(json!({"status": 601}))),
        Some(Fault::Truncate) | None => {}
    }
    let (response, read) = {
        let mut sandbox = state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        (sandbox.handle(&request, now()), sandbox.take_last_read())
    };
    // The answer is made at once and then waits the latency: a getmeas is in flight for
    // its user all that time (two at once for one user are counted).
    if !latency.is_zero() {
        let reading = read.map(|user| knobs.readers.enter(user));
        tokio::time::sleep(latency).await;
        drop(reading);
    }
    let response = if fault == Some(Fault::Truncate) {
        response.map(|mut b| {
            b.truncate(b.len() / 2);
            b
        })
    } else {
        response
    };
    Ok(response.map(|b| Full::new(Bytes::from(b))))
}

/// The `action` parameter of a request (query or form body), for scripted faults; the
/// path when there is none.
fn action_of(request: &SimRequest) -> String {
    let query = request.uri().query().unwrap_or("");
    let body = std::str::from_utf8(request.body()).unwrap_or("");
    form_pairs(query)
        .find(ACTION_PARAM)
        .or_else(|| form_pairs(body).find(ACTION_PARAM))
        .map_or_else(
            || request.uri().path().trim_matches('/').to_owned(),
            |a| a.into_owned(),
        )
}

fn json_reply(v: Value) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(v.to_string())));
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}
