//! The delivery of notifications to subscribers' callback URLs: loopback only, bounded in
//! flight, retried with doubling pauses.

use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use tokio::sync::{Notify, Semaphore};
use wbs_proto::http::{self, header, HeaderValue, Request};

use super::{Knobs, NOTIFY_ATTEMPTS, NOTIFY_CONCURRENCY};
use crate::sandbox::{Outgoing, Sandbox};

/// Delivers queued notifications whenever the state changes.
pub(super) async fn deliver_notifications(
    state: Arc<Mutex<Sandbox>>,
    wake: Arc<Notify>,
    stopped: Arc<AtomicBool>,
    knobs: Arc<Knobs>,
) {
    let client: Client<_, Full<Bytes>> = Client::builder(TokioExecutor::new()).build_http();
    let slots = Arc::new(Semaphore::new(NOTIFY_CONCURRENCY));
    loop {
        wake.notified().await;
        if stopped.load(Ordering::Acquire) {
            return;
        }
        let outgoing = {
            let mut sandbox = state
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            sandbox.take_notifications()
        };
        for n in outgoing {
            if is_loopback_http(&n.url) {
                tokio::spawn(deliver(client.clone(), slots.clone(), n, knobs.clone()));
            }
        }
    }
}

async fn deliver(
    client: Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
    slots: Arc<Semaphore>,
    n: Outgoing,
    knobs: Arc<Knobs>,
) {
    let mut pause = Duration::from_millis(100);
    for _ in 0..NOTIFY_ATTEMPTS {
        let Ok(slot) = slots.acquire().await else {
            return;
        };
        let request = Request::post(n.url.as_str())
            .header(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/x-www-form-urlencoded"),
            )
            .body(Full::new(Bytes::from(n.body.clone())));
        let Ok(request) = request else {
            knobs.given_up.fetch_add(1, Ordering::Relaxed);
            return;
        };
        if let Ok(Ok(response)) =
            tokio::time::timeout(Duration::from_secs(5), client.request(request)).await
        {
            if response.status().is_success() {
                knobs.delivered.fetch_add(1, Ordering::Relaxed);
                return;
            }
        }
        drop(slot);
        tokio::time::sleep(pause).await;
        pause *= 2;
    }
    knobs.given_up.fetch_add(1, Ordering::Relaxed);
}

/// Whether a callback URL is plain HTTP to a loopback host (the only ones the sandbox calls).
fn is_loopback_http(url: &str) -> bool {
    let Ok(uri) = url.parse::<http::Uri>() else {
        return false;
    };
    let host = uri.host().unwrap_or("");
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    uri.scheme_str() == Some("http")
        && (host.eq_ignore_ascii_case("localhost")
            || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()))
}

#[cfg(test)]
mod tests {
    use super::is_loopback_http;

    #[test]
    fn only_loopback_http_callbacks_are_called() {
        for ok in [
            "http://127.0.0.1:8080/x",
            "http://localhost/cb",
            "http://[::1]:9/a",
            "http://127.5.5.5",
        ] {
            assert!(is_loopback_http(ok), "{ok}");
        }
        for no in [
            "https://127.0.0.1/x",
            "http://10.0.0.1/x",
            "http://example.com/",
            "http://192.168.1.1:80/",
            "ftp://127.0.0.1/",
        ] {
            assert!(!is_loopback_http(no), "{no}");
        }
    }
}
