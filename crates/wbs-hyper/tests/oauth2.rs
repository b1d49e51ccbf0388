//! Today's service, OAuth 2, against the sandbox over HTTP: the whole flow and its
//! refusals, 30 simulated days of hourly syncs without a new authorization, the refreshed
//! token kept before its first use, a crash between refresh and write recovered, a set the
//! sink refused kept once it works (past the old refresh token's 8 hours too), and 50
//! concurrent requests at the expiry costing one refresh.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test fails by panicking

mod common;

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use futures_util::StreamExt;
use wbs_hyper::{
    exchange_code, Client, ClientCredentials, GetMeas, MeasureGroup, SinkFuture, SyncCursor,
    TokenSet, TokenSink, UserId,
};
use wbs_proto::wbs_oauth2::{authorize_url, parse_redirect, RedirectError, DEFAULT_SCOPE};
use wbs_sim::{RunningSim, Sandbox};

const REDIRECT: &str = "http://127.0.0.1:9/callback";

async fn sandbox() -> RunningSim {
    RunningSim::loopback(Sandbox::generated(2, 300, 3, 1_700_000_000))
        .await
        .unwrap()
}

/// The authorize page's redirect for a user (the sandbox approves at once).
async fn approve(sim: &RunningSim, userid: i64, state: &str) -> String {
    let url = authorize_url(
        &format!(
            "{}{}",
            sim.base_url(),
            wbs_proto::wbs_oauth2::AUTHORIZE_PATH
        ),
        wbs_sim::CLIENT_ID,
        REDIRECT,
        DEFAULT_SCOPE,
        state,
    );
    let url = format!("{url}&userid={userid}");
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Empty<bytes::Bytes>>();
    let response = client.get(url.parse().unwrap()).await.unwrap();
    assert_eq!(response.status(), 302);
    response.headers()["location"].to_str().unwrap().to_owned()
}

fn app() -> ClientCredentials {
    ClientCredentials::new(wbs_sim::CLIENT_ID, wbs_sim::CLIENT_SECRET)
}

/// A sink that records every set it keeps, checks (through the sandbox) that its access
/// token was not used before, and can be told to fail.
struct Recorder {
    sim: Arc<RunningSim>,
    saved: Mutex<Vec<TokenSet>>,
    fail: AtomicBool,
}

impl Recorder {
    fn new(sim: &Arc<RunningSim>, fail: bool) -> Arc<Self> {
        Arc::new(Self {
            sim: sim.clone(),
            saved: Mutex::new(Vec::new()),
            fail: AtomicBool::new(fail),
        })
    }
}

/// User 10 000's token set, through the whole flow.
async fn login(sim: &RunningSim) -> TokenSet {
    let code = parse_redirect(&approve(sim, 10_000, "s").await, "s").unwrap();
    exchange_code(&sim.base_url(), &app(), &code, REDIRECT)
        .await
        .unwrap()
}

impl TokenSink for Recorder {
    fn save<'a>(&'a self, set: &'a TokenSet) -> SinkFuture<'a, ()> {
        Box::pin(async move {
            if self.fail.load(Ordering::SeqCst) {
                return Err("the disk is full".into());
            }
            let used = self
                .sim
                .with(|s| s.access_token_used(set.access_token.expose()));
            assert!(
                !used,
                "a refreshed access token was used before it was kept"
            );
            self.saved.lock().unwrap().push(set.clone());
            Ok(())
        })
    }
}

async fn all_groups(client: &Client, user: i64) -> Vec<MeasureGroup> {
    let stream = client.measures_all(GetMeas::new(UserId::new(user)));
    stream.map(|g| g.unwrap()).collect().await
}

#[tokio::test]
async fn the_flow_over_http_and_its_refusals() {
    let sim = Arc::new(sandbox().await);
    let redirect = approve(&sim, 10_000, "st@te 1").await;
    assert!(redirect.starts_with(REDIRECT), "{redirect}");
    // A wrong state is refused before any code is used.
    assert_eq!(
        parse_redirect(&redirect, "another"),
        Err(RedirectError::StateMismatch)
    );
    let code = parse_redirect(&redirect, "st@te 1").unwrap();
    let set = exchange_code(&sim.base_url(), &app(), &code, REDIRECT)
        .await
        .unwrap();
    assert_eq!(set.userid, 10_000);
    assert!(!format!("{set:?}").contains(set.access_token.expose()));

    // Reused: refused, and says so.
    let again = exchange_code(&sim.base_url(), &app(), &code, REDIRECT)
        .await
        .unwrap_err();
    assert!(again.to_string().contains("invalid code"), "{again}");
    assert!(again.oauth2_error().is_some());
    // Expired: 31 seconds later.
    let code = parse_redirect(&approve(&sim, 10_000, "s2").await, "s2").unwrap();
    sim.with(|s| s.advance_clock(31));
    let expired = exchange_code(&sim.base_url(), &app(), &code, REDIRECT)
        .await
        .unwrap_err();
    assert!(expired.to_string().contains("expired"), "{expired}");
    // Another redirect_uri, or a wrong secret.
    let code = parse_redirect(&approve(&sim, 10_000, "s3").await, "s3").unwrap();
    let other = exchange_code(&sim.base_url(), &app(), &code, "http://127.0.0.1:9/other").await;
    assert!(other.unwrap_err().to_string().contains("redirect_uri"));
    let code = parse_redirect(&approve(&sim, 10_000, "s4").await, "s4").unwrap();
    let wrong = ClientCredentials::new(wbs_sim::CLIENT_ID, "not-the-secret");
    assert!(exchange_code(&sim.base_url(), &wrong, &code, REDIRECT)
        .await
        .is_err());

    // The same export over Bearer as over OAuth 1.
    let bearer = Client::builder_oauth2(app(), set, Arc::new(wbs_hyper::NoSink))
        .base_url(sim.base_url())
        .build()
        .unwrap();
    let (consumer, token) = sim.with(|s| {
        (
            s.consumer().clone(),
            s.user(UserId::new(10_000)).unwrap().token.clone(),
        )
    });
    let oauth1 = Client::builder(consumer, token)
        .base_url(sim.base_url())
        .build()
        .unwrap();
    let groups = all_groups(&bearer, 10_000).await;
    assert_eq!(groups.len(), 300);
    assert_eq!(groups, all_groups(&oauth1, 10_000).await);
    // And the same sync: groups and cursor.
    let cursor = SyncCursor::new(UserId::new(10_000));
    let (a, b) = (
        bearer.sync(&cursor).await.unwrap(),
        oauth1.sync(&cursor).await.unwrap(),
    );
    assert_eq!((a.groups, a.cursor.lastupdate.is_some()), (b.groups, true));
    // Another user's data with this user's token: refused as with OAuth 1.
    let err = bearer
        .measures(&GetMeas::new(UserId::new(10_001)))
        .await
        .unwrap_err();
    assert!(err.api_status().is_some(), "{err}");
}

#[tokio::test]
async fn thirty_days_of_hourly_syncs_never_ask_to_authorize_again() {
    let sim = Arc::new(sandbox().await);
    let first = login(&sim).await;
    // The client's clock follows the sandbox's moved one.
    let offset = Arc::new(AtomicI64::new(0));
    let clock_offset = offset.clone();
    let system = wbs_hyper::system_clock();
    let recorder = Recorder::new(&sim, false);
    let seen_before = sim.requests_seen();
    let book = Arc::new(common::CountedSlots::default());
    let client = Client::builder_oauth2(app(), first.clone(), recorder.clone())
        .base_url(sim.base_url())
        .rate_limit(wbs_hyper::RateLimiter::shared(600_000, book.clone()))
        .clock(Arc::new(move || {
            system() + clock_offset.load(Ordering::SeqCst)
        }))
        .build()
        .unwrap();
    let mut cursor = SyncCursor::new(UserId::new(10_000));
    let mut fetched = 0;
    for hour in 0..(30 * 24) {
        let synced = client
            .sync(&cursor)
            .await
            .unwrap_or_else(|e| panic!("hour {hour}: {e}"));
        fetched += synced.groups.len();
        cursor = synced.cursor;
        sim.with(|s| s.advance_clock(3_600));
        offset.fetch_add(3_600, Ordering::SeqCst);
    }
    assert_eq!(fetched, 300);
    let saved = recorder.saved.lock().unwrap().clone();
    // Refreshed before each 3-hour expiry (5 minutes ahead): every third hour.
    assert_eq!(saved.len() as u64, client.token_refreshes());
    assert!(
        (235..=245).contains(&saved.len()),
        "{} refreshes",
        saved.len()
    );
    let mut refresh_tokens: Vec<&str> = saved.iter().map(|s| s.refresh_token.expose()).collect();
    refresh_tokens.push(first.refresh_token.expose());
    refresh_tokens.sort();
    refresh_tokens.dedup();
    assert_eq!(
        refresh_tokens.len(),
        saved.len() + 1,
        "a refresh token came back twice"
    );
    assert_eq!(client.token_set().await.unwrap(), *saved.last().unwrap());
    // The refreshes kept the consumer's limit with the calls: each booked its slot.
    assert_eq!(
        book.booked.load(Ordering::SeqCst),
        sim.requests_seen() - seen_before
    );

    // Without the clock (the sandbox's clock ahead of the client's): a 401, one refresh,
    // the call goes through.
    let lagging = Client::builder_oauth2(app(), saved.last().unwrap().clone(), recorder.clone())
        .base_url(sim.base_url())
        .build()
        .unwrap();
    sim.with(|s| s.advance_clock(4 * 3_600));
    lagging.probe().await.unwrap();
    assert_eq!(lagging.token_refreshes(), 1);
}

#[tokio::test]
async fn a_crash_between_refresh_and_write_recovers_with_the_old_refresh_token() {
    let sim = Arc::new(sandbox().await);
    let kept = login(&sim).await;
    let recorder = Recorder::new(&sim, true);
    let client = Client::builder_oauth2(app(), kept.clone(), recorder.clone())
        .base_url(sim.base_url())
        .build()
        .unwrap();
    sim.with(|s| s.advance_clock(4 * 3_600));
    // The refresh succeeds at the service, the write fails: the call fails, nothing used.
    let err = client.probe().await.unwrap_err();
    assert!(err.is_persist(), "{err}");
    drop(client);
    // The next run starts from what was kept: the old refresh token still works.
    recorder.fail.store(false, Ordering::SeqCst);
    let next = Client::builder_oauth2(app(), kept.clone(), recorder.clone())
        .base_url(sim.base_url())
        .build()
        .unwrap();
    next.probe().await.unwrap();
    assert_eq!(next.token_refreshes(), 1);
    assert_eq!(recorder.saved.lock().unwrap().len(), 1);
    // The old refresh token died with the new access token's first use; the new one works.
    let old = exchange_refresh(&sim, kept.refresh_token.expose())
        .await
        .unwrap_err();
    let why = std::error::Error::source(&old)
        .map(|s| s.to_string())
        .unwrap_or_default();
    assert!(why.contains("invalid refresh_token"), "{old}: {why}");
    let newest = recorder.saved.lock().unwrap()[0]
        .refresh_token
        .expose()
        .to_owned();
    assert!(exchange_refresh(&sim, &newest).await.is_ok());
}

/// A sink that fails while the process runs on: the set the service issued is held, never
/// used, and kept once the sink works again, not traded a second time; and held past the
/// old refresh token's 8 hours, it still saves the user (its own refresh token is traded).
#[tokio::test]
async fn a_set_the_sink_could_not_keep_is_kept_later_not_lost() {
    let sim = Arc::new(sandbox().await);
    let kept = login(&sim).await;
    let recorder = Recorder::new(&sim, true);
    // On the sandbox's clock: it refreshes ahead of the expiry, without a 401 first.
    let (clock_of, system) = (sim.clone(), wbs_hyper::system_clock());
    let client = Client::builder_oauth2(app(), kept, recorder.clone())
        .base_url(sim.base_url())
        .clock(Arc::new(move || {
            system() + clock_of.with(|s| s.clock_offset())
        }))
        .build()
        .unwrap();
    sim.with(|s| s.advance_clock(4 * 3_600));
    assert!(client.probe().await.unwrap_err().is_persist());
    // The sink works again: the held set is kept and used; the only request is the call.
    recorder.fail.store(false, Ordering::SeqCst);
    let seen = sim.requests_seen();
    client.probe().await.unwrap();
    assert_eq!(sim.requests_seen() - seen, 1, "traded again");
    assert_eq!(client.token_refreshes(), 1);
    assert_eq!(recorder.saved.lock().unwrap().len(), 1);
    assert_eq!(
        client.token_set().await.unwrap(),
        recorder.saved.lock().unwrap()[0]
    );

    // Again, and the sink stays down past the kept refresh token's grace.
    let kept = client.token_set().await.unwrap();
    recorder.fail.store(true, Ordering::SeqCst);
    sim.with(|s| s.advance_clock(4 * 3_600));
    assert!(client.probe().await.unwrap_err().is_persist());
    sim.with(|s| s.advance_clock(9 * 3_600));
    assert!(
        exchange_refresh(&sim, kept.refresh_token.expose())
            .await
            .is_err(),
        "the kept refresh token outlived its 8 hours"
    );
    recorder.fail.store(false, Ordering::SeqCst);
    client.probe().await.unwrap();
    assert_eq!(client.token_refreshes(), 2);
    let saved = recorder.saved.lock().unwrap().clone();
    assert_eq!(saved.len(), 2);
    assert_eq!(client.token_set().await.unwrap(), saved[1]);
}

/// A client per task (as the service makes one per claim): the set one client could not
/// keep is taken from it and handed to the next, which keeps it once the sink works, past
/// the kept refresh token's 8 hours.
#[tokio::test]
async fn a_set_not_kept_is_handed_to_the_next_client() {
    let sim = Arc::new(sandbox().await);
    let kept = login(&sim).await;
    let recorder = Recorder::new(&sim, true);
    let client = |set: TokenSet| {
        let (clock_of, system) = (sim.clone(), wbs_hyper::system_clock());
        Client::builder_oauth2(app(), set, recorder.clone())
            .base_url(sim.base_url())
            .clock(Arc::new(move || {
                system() + clock_of.with(|s| s.clock_offset())
            }))
            .build()
            .unwrap()
    };
    let first = client(kept.clone());
    sim.with(|s| s.advance_clock(4 * 3_600));
    assert!(first.probe().await.unwrap_err().is_persist());
    let held = first.take_unsaved().await.expect("the traded set is held");
    assert!(first.take_unsaved().await.is_none(), "taken once");
    drop(first);
    sim.with(|s| s.advance_clock(9 * 3_600));
    recorder.fail.store(false, Ordering::SeqCst);
    let next = client(kept);
    next.hold_unsaved(held).await;
    next.probe().await.unwrap();
    assert_eq!(next.token_refreshes(), 1);
    assert_eq!(recorder.saved.lock().unwrap().len(), 1);
    assert!(next.take_unsaved().await.is_none());
}

/// A refresh by hand (what another process holding the token would send).
async fn exchange_refresh(sim: &RunningSim, refresh: &str) -> Result<TokenSet, wbs_hyper::Error> {
    let set = TokenSet::new(10_000, "unused", refresh.to_owned(), 0, "");
    let client = Client::builder_oauth2(app(), set, Arc::new(wbs_hyper::NoSink))
        .base_url(sim.base_url())
        .build()
        .unwrap();
    client.probe().await?;
    Ok(client.token_set().await.unwrap())
}

/// The v2 signature service over HTTP: a nonce for a signed getnonce request, then a
/// refresh signed with it in place of the client secret; the nonce works once, and a bad
/// signature gets none.
#[tokio::test]
async fn the_signature_service_and_a_signed_refresh() {
    use wbs_proto::wbs_oauth2::{
        decode_token_response, nonce_request_body, token_request_body, ClientAuth, Grant,
    };
    let sim = Arc::new(sandbox().await);
    let set = login(&sim).await;
    let http = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Full<bytes::Bytes>>();
    let post = |path: &str, body: String| {
        let request = hyper::Request::post(format!("{}{path}", sim.base_url()))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(http_body_util::Full::new(bytes::Bytes::from(body)))
            .unwrap();
        let http = http.clone();
        async move {
            use http_body_util::BodyExt;
            let response = http.request(request).await.unwrap();
            response.into_body().collect().await.unwrap().to_bytes()
        }
    };
    // Signed with another secret: no nonce.
    let forged = ClientCredentials::new(wbs_sim::CLIENT_ID, "not-the-secret");
    let refused = post("/v2/signature", nonce_request_body(&forged, 1_700_000_000)).await;
    assert!(String::from_utf8_lossy(&refused).contains("\"status\":503"));
    let answer: serde_json::Value = serde_json::from_slice(
        &post("/v2/signature", nonce_request_body(&app(), 1_700_000_000)).await,
    )
    .unwrap();
    let nonce = answer["body"]["nonce"].as_str().unwrap().to_owned();
    let body = || {
        token_request_body(
            &app(),
            Grant::RefreshToken(&set.refresh_token),
            ClientAuth::Signed { nonce: &nonce },
        )
    };
    let refreshed = decode_token_response(&post("/v2/oauth2", body()).await, 0).unwrap();
    assert_eq!(refreshed.userid, 10_000);
    // The nonce is spent.
    assert!(decode_token_response(&post("/v2/oauth2", body()).await, 0).is_err());
}

/// The sandbox, user 10 000's first token set, and a SQLite store (in its directory) to keep
/// the sets in.
async fn sandbox_login_store() -> (
    Arc<RunningSim>,
    TokenSet,
    tempfile::TempDir,
    Arc<wbs_store::Store>,
) {
    let sim = Arc::new(sandbox().await);
    let first = login(&sim).await;
    let (dir, store) = wbs_testkit::temp_sqlite("s.sqlite").await;
    (sim, first, dir, Arc::new(store))
}

/// A client of `set` on the sandbox, keeping its sets in `store`; on the sandbox's clock
/// (it refreshes ahead of the expiry), or on the system's (it learns of the expiry from a
/// 401).
fn client_on(
    sim: &Arc<RunningSim>,
    store: &Arc<wbs_store::Store>,
    set: TokenSet,
    sandbox_clock: bool,
) -> Client {
    let mut builder = Client::builder_oauth2(app(), set, store.clone()).base_url(sim.base_url());
    if sandbox_clock {
        let (clock_of, system) = (sim.clone(), wbs_hyper::system_clock());
        builder = builder.clock(Arc::new(move || {
            system() + clock_of.with(|s| s.clock_offset())
        }));
    }
    builder.build().unwrap()
}

/// The store as the client's sink: each refreshed set lands in it; a second client (another
/// process) holding the old set takes the stored newer one instead of trading a retired
/// refresh token.
#[tokio::test]
async fn the_store_keeps_refreshed_sets_and_hands_newer_ones_over() {
    let (sim, first, _dir, store) = sandbox_login_store().await;
    let user = UserId::new(10_000);
    // The system's clock: each client learns of the expiry from a 401.
    let build = |set: TokenSet| client_on(&sim, &store, set, false);
    let one = build(first.clone());
    sim.with(|s| s.advance_clock(4 * 3_600));
    one.probe().await.unwrap();
    let kept = store.token(user).await.unwrap().unwrap();
    assert_eq!(
        kept,
        wbs_store::StoredToken::OAuth2(one.token_set().await.unwrap())
    );
    // The other process still holds the first set: it adopts the stored one.
    let two = build(first);
    two.probe().await.unwrap();
    assert_eq!(two.token_set().await, one.token_set().await);
    assert_eq!(
        sim.with(|s| s.oauth2_issued().1),
        1,
        "no second refresh at the service"
    );
}

/// A process holding a retired set whose store holds a newer one that has itself expired
/// trades the stored set's refresh token: its own was retired when the other process used
/// the access token it refreshed to (trading it would be refused, and the user asked to
/// authorize again).
#[tokio::test]
async fn a_stored_set_that_expired_too_is_refreshed_from_its_own_token() {
    let (sim, first, _dir, store) = sandbox_login_store().await;
    let build = |set: TokenSet| client_on(&sim, &store, set, true);
    let one = build(first.clone());
    sim.with(|s| s.advance_clock(4 * 3_600));
    one.probe().await.unwrap();
    // The stored set's access token has expired as well when the other process wakes.
    sim.with(|s| s.advance_clock(4 * 3_600));
    let two = build(first);
    two.probe().await.unwrap();
    assert_eq!(sim.with(|s| s.oauth2_issued().1), 2, "two refreshes");
    assert_eq!(
        store.token(UserId::new(10_000)).await.unwrap(),
        Some(wbs_store::StoredToken::OAuth2(
            two.token_set().await.unwrap()
        ))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_requests_at_the_expiry_cost_one_refresh() {
    let sim = Arc::new(sandbox().await);
    let set = login(&sim).await;
    let recorder = Recorder::new(&sim, false);
    let client = Client::builder_oauth2(app(), set, recorder.clone())
        .base_url(sim.base_url())
        .build()
        .unwrap();
    client.probe().await.unwrap();
    // Past the expiry by the sandbox's clock only: every request meets a 401 first.
    sim.with(|s| s.advance_clock(3 * 3_600 + 1));
    let before = sim.with(|s| s.oauth2_issued().1);
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.measures(&GetMeas::new(UserId::new(10_000))).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(
        sim.with(|s| s.oauth2_issued().1) - before,
        1,
        "one refresh at the service"
    );
    assert_eq!(client.token_refreshes(), 1);
    assert_eq!(recorder.saved.lock().unwrap().len(), 1);
}

/// Just before the expiry by the client's clock (within the margin): 50 concurrent
/// requests, one refresh, before any 401. And when the token endpoint fails once, the 50
/// waiters share that failure (one request to it), then retry into one refresh.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_before_the_expiry_and_through_a_failed_refresh() {
    let faults: wbs_sim::Faults = "requesttoken#2=503".parse().unwrap();
    let mut sandbox = Sandbox::with_reference_data();
    sandbox.generate(1, 20, 3, 1_700_000_000);
    let sim = Arc::new(
        RunningSim::start_with_faults(sandbox, RunningSim::LOOPBACK, faults)
            .await
            .unwrap(),
    );
    let set = login(&sim).await;
    let offset = Arc::new(AtomicI64::new(0));
    let follow = offset.clone();
    let system = wbs_hyper::system_clock();
    let recorder = Recorder::new(&sim, false);
    let client = Client::builder_oauth2(app(), set, recorder.clone())
        .base_url(sim.base_url())
        .clock(Arc::new(move || system() + follow.load(Ordering::SeqCst)))
        .build()
        .unwrap();
    let run_fifty = || async {
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(
                    async move { client.measures(&GetMeas::new(UserId::new(10_000))).await },
                )
            })
            .collect();
        for t in tasks {
            t.await.unwrap().unwrap();
        }
    };
    // One minute before the expiry, both clocks: a refresh is due (the margin is 5
    // minutes), and the token endpoint fails it (the scripted 503). The waiters share that
    // failure instead of each trying again, and every call goes through on the token that
    // is still valid.
    let ahead = 3 * 3_600 - 60;
    sim.with(|s| s.advance_clock(ahead));
    offset.store(ahead, Ordering::SeqCst);
    run_fifty().await;
    assert!(client.token_refreshes() <= 1);
    // Later calls refresh, once, still before the expiry: no 401 was needed.
    run_fifty().await;
    assert_eq!(client.token_refreshes(), 1);
    assert_eq!(sim.with(|s| s.oauth2_issued().1), 1);
    assert_eq!(recorder.saved.lock().unwrap().len(), 1);
}
