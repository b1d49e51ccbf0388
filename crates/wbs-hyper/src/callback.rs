//! The one-shot listener that catches the OAuth callback: the redirect to this machine
//! after the user approves (OAuth 1: a token and a verifier; OAuth 2: a code and a state).

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use wbs_proto::http::StatusCode;
use wbs_proto::wbs_oauth::flow::AuthorizationCallback;
use wbs_proto::wbs_oauth2::{parse_redirect, RedirectError};

use crate::error::{Error, Kind};
use crate::serve::{self, ServerLimits};

/// The path the callback URL names.
pub const CALLBACK_PATH: &str = "/callback";

/// What a listener makes of a callback's query, given what it expects: the value to hand
/// over, or the text of a 400 page (and it waits on).
type Accept<T> = Arc<dyn Fn(&str, Option<&str>) -> Result<T, &'static str> + Send + Sync>;

/// A one-shot listener for the OAuth callback.
///
/// OAuth 1 ([`CallbackListener::bind`]): the redirect after the user approves carries
/// `oauth_token`, `oauth_verifier` (and, from this service, `userid`); only a request with
/// a verifier and the request token named with [`CallbackListener::expect_token`] (call it
/// as soon as the token is known; nothing is taken before) is taken.
///
/// OAuth 2 ([`CallbackListener::bind_oauth2`]): the redirect carries `code` and the
/// `state` sent; only a request with that state is taken (a refusal with it too, which
/// ends the wait with the refusal).
///
/// Anything else is answered 404 or 400 and waited past, so that a stray or forged
/// request cannot end the login. The server stops when the listener is dropped or its wait
/// ends.
pub struct CallbackListener<T = AuthorizationCallback> {
    addr: SocketAddr,
    rx: oneshot::Receiver<T>,
    expected: Arc<Mutex<Option<String>>>,
    _stop: oneshot::Sender<()>,
}

impl<T> std::fmt::Debug for CallbackListener<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackListener")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl CallbackListener<AuthorizationCallback> {
    /// Listens on `addr` for an OAuth 1 callback (use a loopback address; port 0 picks
    /// one).
    pub async fn bind(addr: SocketAddr) -> io::Result<Self> {
        let accept: Accept<AuthorizationCallback> = Arc::new(|query, expected| {
            let callback = AuthorizationCallback::parse(query)
                .map_err(|_| "The authorization callback is missing its token or verifier.")?;
            if expected.is_none_or(|t| t != callback.token) {
                return Err("This callback is for another request token.");
            }
            Ok(callback)
        });
        listen(addr, None, accept).await
    }

    /// Takes only a callback for this request token (call it once the request token is
    /// known).
    pub fn expect_token(&self, request_token: &str) {
        *self.expected.lock().unwrap_or_else(|p| p.into_inner()) = Some(request_token.to_owned());
    }
}

impl CallbackListener<Result<String, RedirectError>> {
    /// Listens on `addr` for an OAuth 2 redirect carrying `state` (drawn by the caller,
    /// unguessable); [`CallbackListener::wait`] then gives the code, or the refusal.
    pub async fn bind_oauth2(addr: SocketAddr, state: &str) -> io::Result<Self> {
        let accept: Accept<Result<String, RedirectError>> =
            Arc::new(
                |query, expected| match parse_redirect(query, expected.unwrap_or("")) {
                    Err(RedirectError::StateMismatch) => {
                        Err("This callback is not the answer to this login's request.")
                    }
                    other => Ok(other),
                },
            );
        listen(addr, Some(state.to_owned()), accept).await
    }
}

impl<T: Send + 'static> CallbackListener<T> {
    /// The callback URL to give the service (OAuth 1's request token step, OAuth 2's
    /// `redirect_uri`).
    pub fn url(&self) -> String {
        format!("http://{}{CALLBACK_PATH}", self.addr)
    }

    /// Waits for the redirect, at most `timeout` (a timeout error then); the listener
    /// stops either way.
    pub async fn wait(self, timeout: Duration) -> Result<T, Error> {
        match tokio::time::timeout(timeout, self.rx).await {
            Ok(Ok(callback)) => Ok(callback),
            Ok(Err(_)) => Err(Error::new(Kind::Closed, None)),
            Err(_) => Err(Error::new(Kind::Timeout, None)),
        }
    }
}

/// Serves the callback path until one request is accepted.
async fn listen<T: Send + 'static>(
    addr: SocketAddr,
    expected: Option<String>,
    accept: Accept<T>,
) -> io::Result<CallbackListener<T>> {
    let listener = TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = oneshot::channel();
    let (stop, stopped) = oneshot::channel::<()>();
    let expected: Arc<Mutex<Option<String>>> = Arc::new(Mutex::new(expected));
    let once = Arc::new(Mutex::new(Some(tx)));
    let wanted = expected.clone();
    serve::spawn(listener, ServerLimits::new(8), stopped, move |_, req| {
        let (once, wanted, accept) = (once.clone(), wanted.clone(), accept.clone());
        async move {
            if req.uri().path() != CALLBACK_PATH {
                return Ok::<_, std::convert::Infallible>(crate::serve::respond(
                    StatusCode::NOT_FOUND,
                    "Not the authorization callback.",
                ));
            }
            let expected = wanted.lock().unwrap_or_else(|p| p.into_inner()).clone();
            let value = match accept(req.uri().query().unwrap_or(""), expected.as_deref()) {
                Ok(v) => v,
                Err(why) => return Ok(crate::serve::respond(StatusCode::BAD_REQUEST, why)),
            };
            if let Some(sender) = once.lock().unwrap_or_else(|p| p.into_inner()).take() {
                let _ = sender.send(value);
            }
            Ok(crate::serve::respond(
                StatusCode::OK,
                "Done: you can close this window.",
            ))
        }
    });
    Ok(CallbackListener {
        addr,
        rx,
        expected,
        _stop: stop,
    })
}
