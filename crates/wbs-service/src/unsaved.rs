//! OAuth 2 token sets the store refused to keep (it was down when they were traded for),
//! held between the claims of their user: each claim makes its own client, and a set
//! dropped with one would be traded again by the next, from a refresh token that dies 8 h
//! after the first trade; held, it is kept by the first claim that finds the store back.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use wbs_hyper::{Client, Secret, TokenSet, UserId};
use wbs_store::StoredToken;

/// Users whose sets are held at most (one set each; beyond, a set is dropped, logged, and
/// its user falls back on the kept refresh token).
const MAX_HELD: usize = 100_000;

/// The held sets, by user.
#[derive(Debug, Default)]
pub(crate) struct Unsaved {
    held: Mutex<HashMap<UserId, Held>>,
}

/// A set, and the refresh token the store kept when it was traded for: handed on only
/// while the store still holds that one (a new authorization, or another instance's
/// refresh, makes it moot).
#[derive(Debug)]
struct Held {
    kept: Secret,
    set: TokenSet,
}

impl Unsaved {
    /// Gives `client` the set held for `user`, if it was traded from the stored `token`.
    pub(crate) async fn hand_over(&self, user: UserId, token: &StoredToken, client: &Client) {
        let StoredToken::OAuth2(stored) = token else {
            return;
        };
        let held = self
            .held
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&user);
        if let Some(held) = held.filter(|h| h.kept == stored.refresh_token) {
            client.hold_unsaved(held.set).await;
        }
    }

    /// Takes from `client` the set it could not keep, if any, to hand to the user's next.
    pub(crate) async fn take_from(&self, user: UserId, client: &Client) {
        let Some(set) = client.take_unsaved().await else {
            return;
        };
        let Some(kept) = client.token_set().await.map(|s| s.refresh_token) else {
            return;
        };
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        if held.len() >= MAX_HELD && !held.contains_key(&user) {
            tracing::warn!(userid = %user, "too many token sets waiting for the store: this one is dropped");
            return;
        }
        held.insert(user, Held { kept, set });
    }
}
