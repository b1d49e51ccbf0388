//! The multi-user notification service the API was designed for: each user authorizes
//! once and is subscribed; the service POSTs to the webhook when a user has new data; the
//! notification is committed to a durable queue before the 200; workers claim one user's
//! pending notifications at a time (a lease: a crashed worker's claim is taken again),
//! fetch the union of their windows with that user's credentials under the consumer's
//! shared rate limit, and store the groups and the claim's completion in one transaction.
//!
//! ```text
//!   service ──POST /notify──> webhook ──(known user?)──> writer ──> 200
//!        (requests arriving together: Store::enqueue_all, one transaction) │ (durable)
//!   workers: Store::claim(user, lease) ──> Client::for_user ──> getmeas window(s)
//!            ──> Store::complete (groups + done, one transaction) | release (backoff)
//!              | complete_and_retry (groups kept, malformed ones fetched again, backoff)
//!            (each request in a slot of the consumer's RateLimiter)
//!   GET /healthz · GET /metrics (Prometheus text)
//!   GET /connect ──> authorize ──> GET /callback: credentials kept, subscribed, first sync
//!        (the request token's secret waits in the store: Store::keep_login / take_login;
//!         kept again when the access-token request fails on the way, for a reload)
//!   /admin/users[/{id}/history] (bearer token): list, history, add a user (subscribe +
//!   first full sync queued)
//! ```
//!
//! Instances share nothing but the store, so on PostgreSQL any number may run behind a
//! load balancer: claims lock a user `FOR UPDATE SKIP LOCKED` (one instance works a user at
//! a time; a killed instance's claims are retaken when their lease ends), and
//! [`StoreSlots`] books the consumer's request slots in the database, so that together the
//! instances keep one rate limit.
//!
//! ```text
//!   instance 1 ─┐                        ┌─ notifications (queue, leases)
//!   instance 2 ─┼── PostgreSQL (Store) ──┼─ rate_slots (the consumer's next slot)
//!   instance 3 ─┘                        └─ pending_logins · credentials · history
//! ```
//!
//! ```no_run
//! # async fn demo(store: wbs_store::Store, client: wbs_hyper::Client) -> std::io::Result<()> {
//! let running = wbs_service::Service::new(store, client)
//!     .start("127.0.0.1:8086".parse().unwrap(), 4)
//!     .await?;
//! println!("subscribe users to {}", running.notify_url());
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]

mod admin;
mod connect;
mod enroll;
mod ingest;
mod metrics;
mod slots;
mod unsaved;
mod webhook;
mod worker;

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::{oneshot, Notify};
use wbs_hyper::serve::{self, ServerLimits};
use wbs_hyper::{Client, ClientCredentials, OAuthDance, Secret};
use wbs_store::Store;

pub use metrics::Metrics;
pub use slots::StoreSlots;
pub use webhook::NOTIFY_PATH;
pub use worker::{LEASE, USER_PAUSE};

/// What the HTTP side and the workers share.
pub(crate) struct Shared {
    pub(crate) store: Store,
    /// The store as the keeper of users' refreshed OAuth 2 token sets.
    pub(crate) sink: Arc<Store>,
    /// The application's client (its settings, pool and rate limit); each user's is made
    /// from it.
    pub(crate) client: Client,
    pub(crate) oauth2_app: Option<ClientCredentials>,
    /// The admin API's bearer token (no admin API without one).
    pub(crate) admin_token: Option<Secret>,
    /// The service's public base URL (the callback of `/connect`).
    pub(crate) public_url: Option<String>,
    /// The three-legged flow of `/connect` and `/callback`.
    pub(crate) login: Option<connect::Login>,
    pub(crate) metrics: Metrics,
    /// Wakes idle workers when a notification is queued.
    pub(crate) wake: Notify,
    /// The webhook's notifications, committed in batches.
    pub(crate) ingest: ingest::Ingest,
    /// OAuth 2 token sets traded for while the store could not keep them.
    pub(crate) unsaved: unsaved::Unsaved,
}

/// The service, before it runs.
pub struct Service {
    shared: Shared,
    writer: ingest::Writer,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service").finish_non_exhaustive()
    }
}

impl Service {
    /// A service over a store and the application's client (give it a rate limit:
    /// `ClientBuilder::rate_limit`).
    pub fn new(store: Store, client: Client) -> Self {
        let (ingest, writer) = ingest::channel();
        Self {
            writer,
            shared: Shared {
                sink: Arc::new(store.clone()),
                store,
                client,
                oauth2_app: None,
                admin_token: None,
                public_url: None,
                login: None,
                metrics: Metrics::default(),
                wake: Notify::new(),
                ingest,
                unsaved: unsaved::Unsaved::default(),
            },
        }
    }

    /// Serves OAuth 2 users too, as this application.
    pub fn oauth2_app(mut self, app: ClientCredentials) -> Self {
        self.shared.oauth2_app = Some(app);
        self
    }

    /// The admin API's bearer token: without it (or with another), every `/admin/` request
    /// gets 401 and an empty body.
    pub fn admin_token(mut self, token: Secret) -> Self {
        self.shared.admin_token = Some(token);
        self
    }

    /// The service's public base URL (what the API's servers reach): users added through
    /// the admin API are subscribed to `{url}/notify`.
    pub fn public_url(mut self, url: &str) -> Self {
        let base = url.trim_end_matches('/');
        self.shared.public_url = Some(base.to_owned());
        self
    }

    /// `GET /connect` starts the three-legged OAuth 1 flow for a new user, against these
    /// endpoints, back to `{public_url}/callback`, which keeps the user's credentials,
    /// subscribes them and queues a first full sync. Without it (or a public URL), 404.
    ///
    /// The flow's token requests book their slots in the application client's rate limit,
    /// as its API calls do: together they keep the consumer's limit.
    pub fn oauth1_login(mut self, dance: OAuthDance) -> Self {
        let dance = match self.shared.client.rate_limiter() {
            Some(limit) => dance.rate_limit(limit.clone()),
            None => dance,
        };
        self.shared.login = Some(connect::Login { dance });
        self
    }

    /// Listens on `addr` and starts `workers` workers; runs until the returned handle is
    /// dropped.
    pub async fn start(self, addr: SocketAddr, workers: usize) -> std::io::Result<Running> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        if let Err(e) = self.shared.store.analyze_queue().await {
            tracing::warn!(error = %e, "cannot analyze the queue");
        }
        // Unique among every instance on the database, wherever they run (containers
        // share addresses and process ids), and among the services of one process: a
        // claim's rows are matched by their owner. 128 bits from the OS, as a nonce is.
        let instance = wbs_hyper::random_nonce().map_err(std::io::Error::other)?;
        let shared = Arc::new(self.shared);
        let mut tasks = tokio::task::JoinSet::new();
        tasks.spawn(self.writer.run(shared.store.clone()));
        let (stop, stopped) = oneshot::channel();
        let http = shared.clone();
        serve::spawn(listener, ServerLimits::new(512), stopped, move |_, req| {
            webhook::handle(http.clone(), req)
        });
        for w in 0..workers.max(1) {
            let owner = format!("{addr}#{w}#{}#{instance}", std::process::id());
            tasks.spawn(worker::run(shared.clone(), owner));
        }
        Ok(Running {
            addr,
            _stop: stop,
            _workers: tasks,
        })
    }
}

impl Shared {
    /// The webhook's public URL, which users are subscribed to (with a public URL).
    pub(crate) fn notify_url(&self) -> Option<String> {
        self.public_url
            .as_ref()
            .map(|base| format!("{base}{NOTIFY_PATH}"))
    }
}

/// A running service: it stops when this is dropped.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    _stop: oneshot::Sender<()>,
    _workers: tokio::task::JoinSet<()>,
}

impl Running {
    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The callback URL to subscribe users with, on this address.
    pub fn notify_url(&self) -> String {
        format!("http://{}{NOTIFY_PATH}", self.addr)
    }
}
