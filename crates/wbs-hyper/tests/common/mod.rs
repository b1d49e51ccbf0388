//! What the client's integration tests share: a sandbox on loopback and a client for one
//! of its users.
// Each test file uses the part it needs.
#![allow(dead_code)]

use wbs_hyper::{Client, UserId};
use wbs_sim::{RunningSim, Sandbox};

/// Serves `sandbox` on 127.0.0.1 and builds a client for `user` (default settings).
pub async fn serve(sandbox: Sandbox, user: UserId) -> (RunningSim, Client) {
    let sim = RunningSim::start(sandbox, RunningSim::LOOPBACK)
        .await
        .unwrap();
    let (consumer, token) =
        sim.with(|s| (s.consumer().clone(), s.user(user).unwrap().token.clone()));
    let client = Client::builder(consumer, token)
        .base_url(sim.base_url())
        .build()
        .unwrap();
    (sim, client)
}

/// A book of rate-limit slots that grants each at once and counts them: how a test sees
/// that every request it expects booked a slot.
#[derive(Default)]
pub struct CountedSlots {
    /// Slots booked so far.
    pub booked: std::sync::atomic::AtomicU64,
}

impl wbs_hyper::SlotBook for CountedSlots {
    fn book(
        &self,
        _: std::time::Duration,
    ) -> wbs_hyper::BoxFuture<'_, Result<std::time::Duration, wbs_hyper::BookError>> {
        self.booked
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Box::pin(std::future::ready(Ok(std::time::Duration::ZERO)))
    }

    fn hold(
        &self,
        _: std::time::Duration,
    ) -> wbs_hyper::BoxFuture<'_, Result<(), wbs_hyper::BookError>> {
        Box::pin(std::future::ready(Ok(())))
    }
}
