//! A worker: claims one user's pending notifications, fetches the union of their windows
//! with that user's credentials, stores the groups and completes the claim in one
//! transaction; gives the claim back with a backoff on a transient failure, and, with
//! what it fetched kept, when malformed groups were left out (`complete_and_retry`).

use std::sync::Arc;
use std::time::Duration;

use wbs_hyper::{Fetched, Notification};
use wbs_store::Claim;

use crate::metrics::Metrics;
use crate::Shared;

/// How long a claim is held without renewal: a worker that dies loses it after this (a
/// live one renews it every third of it while it fetches).
pub const LEASE: Duration = Duration::from_secs(30);
/// The least time between two fetches of one user: a user notified without end (a forged
/// flood, or a scale sending every few seconds) is fetched at most once in it, all of
/// their notifications coalesced, while every other user gets their turn.
pub const USER_PAUSE: Duration = Duration::from_secs(2);
/// How often an idle worker deletes long-done notifications.
const PRUNE_EVERY: Duration = Duration::from_secs(600);
/// A fetch that left malformed groups out is made again while its notifications were
/// tried fewer times than this (failures included), after the usual backoff (from 1 s,
/// doubling): when nothing else failed, 8 fetches again after the first, over 255 s. A
/// claim's tries are its most tried notification's, so one coalesced with an older one
/// shares its count.
const MALFORMED_RETRIES: i64 = 8;
/// The longest wait before a failed claim is tried again.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

pub(crate) async fn run(shared: Arc<Shared>, owner: String) {
    let mut last_prune = std::time::Instant::now();
    loop {
        let claim = match shared.store.claim(&owner, LEASE, USER_PAUSE).await {
            Ok(Some(c)) => c,
            Ok(None) => {
                // Nothing to do: a moment to forget what was done long ago, then wait until
                // a notification arrives, or a lease or a backoff may have ended.
                if last_prune.elapsed() >= PRUNE_EVERY {
                    last_prune = std::time::Instant::now();
                    if let Err(e) = shared.store.prune_done().await {
                        tracing::warn!(error = %e, "cannot prune the queue");
                    }
                }
                let _ = tokio::time::timeout(Duration::from_secs(1), shared.wake.notified()).await;
                continue;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot claim");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        work(&shared, &claim).await;
    }
}

async fn work(shared: &Shared, claim: &Claim) {
    let token = match shared.store.token(claim.userid).await {
        Ok(Some(token)) => token,
        other => {
            // The database failed (or the credentials are gone): the claim waits, kept.
            let why = other
                .err()
                .map_or("no credentials kept".into(), |e| e.to_string());
            tracing::warn!(userid = %claim.userid, error = %why, "cannot read the user's credentials");
            let _ = shared.store.release(claim, backoff(claim)).await;
            return;
        }
    };
    let started = std::time::Instant::now();
    let notification = Notification {
        userid: claim.userid,
        startdate: claim.startdate,
        enddate: claim.enddate,
        appli: None,
    };
    let fetching = async {
        let client = shared.client_for(token.clone())?;
        // A token set an earlier claim traded for and could not keep: kept by this one.
        shared
            .unsaved
            .hand_over(claim.userid, &token, &client)
            .await;
        let fetched = client.fetch_notified(&notification).await;
        shared.unsaved.take_from(claim.userid, &client).await;
        fetched
    };
    let Some(outcome) = renewing(shared, claim, fetching).await else {
        tracing::warn!(userid = %claim.userid, "a claim's lease was lost while fetching; its new holder fetches again");
        return;
    };
    shared.metrics.fetch.observe(started.elapsed());
    let result = match outcome {
        Ok(Fetched {
            groups, skipped, ..
        }) => {
            // Malformed groups are kept pending and fetched again a few times, backing off
            // (the service may send them whole by then); after that they stay pending,
            // reported, for the next fetch of their dates or a sync.
            let kept = if !skipped.is_empty() && claim.attempts < MALFORMED_RETRIES {
                let retry_in = backoff(claim);
                tracing::info!(userid = %claim.userid, count = skipped.len(), ?retry_in, "malformed groups left out; fetched again later");
                shared
                    .store
                    .complete_and_retry(claim, &groups, &skipped, retry_in)
                    .await
            } else {
                shared.store.complete(claim, &groups, &skipped, None).await
            };
            if kept.is_ok() {
                Metrics::add(&shared.metrics.fetches);
            }
            kept.map_err(|e| e.to_string())
        }
        Err(e) if refused(&e) => {
            // Not retried: the user's notifications wait, kept, until they authorize again
            // (new credentials clear the mark). Unless other credentials were saved while
            // these were tried: then those are tried at once.
            match shared.store.mark_needs_reauth(claim.userid, &token).await {
                Ok(true) => {
                    Metrics::add(&shared.metrics.refused);
                    tracing::info!(userid = %claim.userid, error = %e, "credentials refused: the user must authorize again");
                    shared.store.release(claim, Duration::ZERO).await
                }
                Ok(false) => {
                    tracing::info!(userid = %claim.userid, error = %e, "credentials refused, and replaced meanwhile: trying the new ones");
                    shared.store.release(claim, Duration::ZERO).await
                }
                Err(e) => Err(e),
            }
            .map_err(|e| e.to_string())
        }
        Err(e) => {
            Metrics::add(&shared.metrics.retries);
            tracing::debug!(userid = %claim.userid, error = %e, "fetch failed; retried later");
            shared
                .store
                .release(claim, backoff(claim))
                .await
                .map_err(|e| e.to_string())
        }
    };
    if let Err(e) = result {
        // The lease ends and another worker (or this one) takes the claim again.
        tracing::warn!(userid = %claim.userid, error = %e, "a claim could not be kept");
    }
}

/// Runs `work` while renewing the claim's lease every third of [`LEASE`]; `None` if the
/// lease was lost (the work is abandoned: another worker holds the user).
async fn renewing<T>(
    shared: &Shared,
    claim: &Claim,
    work: impl std::future::Future<Output = T>,
) -> Option<T> {
    let mut work = std::pin::pin!(work);
    let every = LEASE / 3;
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    loop {
        tokio::select! {
            done = &mut work => return Some(done),
            _ = tick.tick() => match shared.store.renew(claim, LEASE).await {
                Ok(()) => {}
                Err(wbs_store::Error::LeaseLost) => return None,
                // The database is unreachable: keep fetching; completing will say.
                Err(e) => tracing::warn!(error = %e, "cannot renew a lease"),
            },
        }
    }
}

/// Whether the service refused the user's credentials (not the application's or the
/// network's fault): 250 or 342 from the API, or an OAuth 2 refresh the token endpoint
/// refused.
fn refused(e: &wbs_hyper::Error) -> bool {
    e.api_status().is_some_and(|s| s.is_auth_failure())
        || e.oauth2_error().is_some_and(|t| !t.is_transient())
        || (e.is_refresh_failure() && !e.is_transient())
}

/// The wait before a failed claim is tried again: doubling from a second with each attempt,
/// at most [`MAX_BACKOFF`].
fn backoff(claim: &Claim) -> Duration {
    let exp = u32::try_from(claim.attempts.clamp(0, 16)).unwrap_or(16);
    Duration::from_secs(1u64 << exp).min(MAX_BACKOFF)
}
