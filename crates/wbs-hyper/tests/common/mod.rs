//! What the client's integration tests share: a sandbox on loopback and a client for one
//! of its users.
// Each test file uses the part it needs.
#![allow(dead_code)]

use wbs_hyper::{Client, UserId};
use wbs_sim::{RunningSim, Sandbox};

/// Serves `sandbox` on 127.0.0.1 and builds a client for `user` (default settings).
pub async fn serve(sandbox: Sandbox, user: UserId) -> (RunningSim, Client) {
    let sim = RunningSim::start(sandbox, "127.0.0.1:0".parse().unwrap())
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
