//! The webhook's writer: notifications that arrive together are committed together, in
//! one transaction (one disk flush), and each request learns when its own is durable.
//! The channel is bounded: when the database falls behind, requests wait (and the API's
//! servers, which retry, slow down) instead of memory growing.

use tokio::sync::{mpsc, oneshot};
use wbs_hyper::Notification;
use wbs_store::Store;

/// Notifications waiting for the writer, at most.
const WAITING: usize = 1_024;
/// Notifications in one transaction, at most.
const BATCH: usize = wbs_store::MAX_BATCH;

/// The longest a webhook request waits for its user check and its commit.
pub(crate) const WAIT: std::time::Duration = std::time::Duration::from_secs(10);

type Entry = (Notification, oneshot::Sender<bool>);

/// The webhook's side of the writer.
#[derive(Debug)]
pub(crate) struct Ingest {
    tx: mpsc::Sender<Entry>,
}

/// The writer's side, until the service starts it.
#[derive(Debug)]
pub(crate) struct Writer {
    rx: mpsc::Receiver<Entry>,
}

pub(crate) fn channel() -> (Ingest, Writer) {
    let (tx, rx) = mpsc::channel(WAITING);
    (Ingest { tx }, Writer { rx })
}

impl Ingest {
    /// Whether the notification is committed to the queue: false if it could not be, or
    /// not by `deadline` (the request's, at most [`WAIT`] after it came: the webhook
    /// answers 503 and the API's servers send it again; if it was committed after all,
    /// the repeat is coalesced).
    pub(crate) async fn keep(&self, n: Notification, deadline: tokio::time::Instant) -> bool {
        let (done, committed) = oneshot::channel();
        let kept =
            async { self.tx.send((n, done)).await.is_ok() && committed.await.unwrap_or(false) };
        tokio::time::timeout_at(deadline, kept)
            .await
            .unwrap_or(false)
    }
}

impl Writer {
    /// Commits what is waiting, a batch at a time, until the service stops.
    pub(crate) async fn run(mut self, store: Store) {
        while let Some(first) = self.rx.recv().await {
            let mut batch = vec![first];
            while batch.len() < BATCH {
                match self.rx.try_recv() {
                    Ok(entry) => batch.push(entry),
                    Err(_) => break,
                }
            }
            let (notes, dones): (Vec<Notification>, Vec<_>) = batch.into_iter().unzip();
            let committed = match store.enqueue_all(&notes).await {
                Ok(_) => true,
                Err(e) => {
                    tracing::warn!(error = %e, count = notes.len(), "notifications could not be queued");
                    false
                }
            };
            for done in dones {
                let _ = done.send(committed);
            }
        }
    }
}
