//! The one-shot listener that catches the OAuth callback: the redirect to this machine
//! after the user approves.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use wbs_proto::http::{Response, StatusCode};
use wbs_proto::wbs_oauth::flow::AuthorizationCallback;

use crate::error::{Error, Kind};
use crate::serve::{self, ServerLimits};

/// The path the callback URL names.
pub const CALLBACK_PATH: &str = "/callback";

/// A one-shot listener for the OAuth callback: the redirect after the user approves
/// carries `oauth_token`, `oauth_verifier` (and, from this service, `userid`).
///
/// Only a request to [`CALLBACK_PATH`] with a verifier and the request token named with
/// [`CallbackListener::expect_token`] (call it as soon as the token is known; nothing is
/// taken before) is taken; anything else is answered 404 or 400 and waited past, so that a
/// stray or forged request cannot end the login. The server stops when the listener is
/// dropped or its wait ends.
#[derive(Debug)]
pub struct CallbackListener {
    addr: SocketAddr,
    rx: oneshot::Receiver<AuthorizationCallback>,
    expected: Arc<Mutex<Option<String>>>,
    _stop: oneshot::Sender<()>,
}

impl CallbackListener {
    /// Listens on `addr` (use a loopback address; port 0 picks one).
    pub async fn bind(addr: SocketAddr) -> io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = oneshot::channel();
        let (stop, stopped) = oneshot::channel::<()>();
        let expected: Arc<Mutex<Option<String>>> = Arc::default();
        let once = Arc::new(Mutex::new(Some(tx)));
        let wanted = expected.clone();
        serve::spawn(listener, ServerLimits::new(8), stopped, move |_, req| {
            let (once, wanted) = (once.clone(), wanted.clone());
            async move {
                if req.uri().path() != CALLBACK_PATH {
                    return Ok::<_, std::convert::Infallible>(page(
                        StatusCode::NOT_FOUND,
                        "Not the authorization callback.",
                    ));
                }
                let callback = match AuthorizationCallback::parse(req.uri().query().unwrap_or("")) {
                    Ok(c) => c,
                    Err(_) => {
                        return Ok(page(
                            StatusCode::BAD_REQUEST,
                            "The authorization callback is missing its token or verifier.",
                        ))
                    }
                };
                let expected = wanted.lock().unwrap_or_else(|p| p.into_inner()).clone();
                if expected.is_none_or(|t| t != callback.token) {
                    return Ok(page(
                        StatusCode::BAD_REQUEST,
                        "This callback is for another request token.",
                    ));
                }
                if let Some(sender) = once.lock().unwrap_or_else(|p| p.into_inner()).take() {
                    let _ = sender.send(callback);
                }
                Ok(page(
                    StatusCode::OK,
                    "Authorized: you can close this window.",
                ))
            }
        });
        Ok(Self {
            addr,
            rx,
            expected,
            _stop: stop,
        })
    }

    /// The callback URL to give the request-token step.
    pub fn url(&self) -> String {
        format!("http://{}{CALLBACK_PATH}", self.addr)
    }

    /// Takes only a callback for this request token (call it once the request token is
    /// known).
    pub fn expect_token(&self, request_token: &str) {
        *self.expected.lock().unwrap_or_else(|p| p.into_inner()) = Some(request_token.to_owned());
    }

    /// Waits for the redirect, at most `timeout` (a timeout error then); the listener
    /// stops either way.
    pub async fn wait(self, timeout: Duration) -> Result<AuthorizationCallback, Error> {
        match tokio::time::timeout(timeout, self.rx).await {
            Ok(Ok(callback)) => Ok(callback),
            Ok(Err(_)) => Err(Error::new(Kind::Closed, None)),
            Err(_) => Err(Error::new(Kind::Timeout, None)),
        }
    }
}

fn page(code: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *r.status_mut() = code;
    r
}
