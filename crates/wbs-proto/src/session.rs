//! The [`Session`]: the credentials and settings one user's requests share, and the one
//! place a [`Call`] becomes a signed `http::Request`.

use std::cell::RefCell;
use std::fmt;

use http::header::{HeaderValue, CONTENT_TYPE};
use wbs_oauth::{Credentials, OAuthParams, Placement, Signer, UrlBuffer};

use crate::error::InvalidRequest;
use crate::params::{Call, ParamValue, ParamsOut, ACTION_PARAM};

/// The API's default base URL.
pub const DEFAULT_BASE_URL: &str = "https://wbsapi.withings.net";

/// How parameters travel: the WBS API took both.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum HttpMethod {
    /// GET with every parameter in the query, sorted (as the reference's examples).
    #[default]
    Get,
    /// POST with every parameter in an `application/x-www-form-urlencoded` body.
    Post,
}

/// The credentials and settings that every request of one user shares.
///
/// ```
/// use wbs_oauth::Credentials;
/// use wbs_proto::{GetMeas, Session};
/// use wbs_model::UserId;
///
/// let session = Session::new(
///     Credentials::new("consumer-key", "consumer-secret"),
///     Credentials::new("token", "token-secret"),
/// )
/// .with_base_url("http://127.0.0.1:8080")?;
/// let request = session.request(&GetMeas::new(UserId::new(29)), "f22d74f2", 1309783586)?;
/// assert_eq!(request.method(), http::Method::GET);
/// assert!(request.uri().to_string().starts_with("http://127.0.0.1:8080/measure?action=getmeas&"));
/// # Ok::<(), wbs_proto::InvalidRequest>(())
/// ```
#[derive(Clone)]
pub struct Session {
    base_url: String,
    /// `None` for a session that authenticates with `Authorization: Bearer` (OAuth 2).
    oauth1: Option<OAuth1>,
    method: HttpMethod,
}

/// What OAuth 1 signing needs: the keys, and the signer keyed with both secrets.
#[derive(Clone)]
struct OAuth1 {
    consumer_key: String,
    token: String,
    signer: Signer,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Session");
        d.field("base_url", &self.base_url);
        if let Some(o) = &self.oauth1 {
            d.field("consumer_key", &o.consumer_key)
                .field("token", &o.token);
        }
        d.field("method", &self.method).finish_non_exhaustive()
    }
}

impl Session {
    /// A session for a consumer (the application) and a user's access token, against
    /// [`DEFAULT_BASE_URL`] with GET.
    pub fn new(consumer: Credentials, token: Credentials) -> Self {
        let signer = Signer::hmac_sha1(&consumer.secret, Some(&token.secret));
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            oauth1: Some(OAuth1 {
                consumer_key: consumer.key,
                token: token.key,
                signer,
            }),
            method: HttpMethod::Get,
        }
    }

    /// A session for today's service, OAuth 2: each request carries an access token in
    /// `Authorization: Bearer` ([`Session::request_bearer`]), given per request because it
    /// changes at every refresh.
    ///
    /// ```
    /// use wbs_oauth::Secret;
    /// use wbs_proto::{GetMeas, Session};
    /// use wbs_model::UserId;
    ///
    /// let session = Session::bearer().with_base_url("http://127.0.0.1:8080")?;
    /// let request = session.request_bearer(&GetMeas::new(UserId::new(29)), &Secret::new("at"))?;
    /// assert_eq!(request.uri(), "http://127.0.0.1:8080/measure?action=getmeas&userid=29");
    /// assert_eq!(request.headers()["authorization"], "Bearer at");
    /// # Ok::<(), wbs_proto::InvalidRequest>(())
    /// ```
    pub fn bearer() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.to_owned(),
            oauth1: None,
            method: HttpMethod::Get,
        }
    }

    /// Builds a call's request with `Authorization: Bearer ACCESS_TOKEN` (marked sensitive:
    /// `http` keeps it out of `Debug`), the parameters in the query (GET) or a form body
    /// (POST). Any session can send one.
    pub fn request_bearer<C: Call>(
        &self,
        call: &C,
        access_token: &wbs_oauth::Secret,
    ) -> Result<http::Request<Vec<u8>>, InvalidRequest> {
        let mut params: ParamsOut<'_> = Vec::with_capacity(8);
        params.push((ACTION_PARAM, ParamValue::from(C::ACTION)));
        call.params(&mut params)?;
        let mut bearer = HeaderValue::try_from(format!("Bearer {}", access_token.expose()))
            .map_err(|_| InvalidRequest::AccessToken)?;
        bearer.set_sensitive(true);
        // The parameters straight into the query (GET) or the form body (POST).
        let mut url = String::with_capacity(128);
        self.endpoint_into::<C>(&mut url);
        let mut form = String::new();
        let out = match self.method {
            HttpMethod::Get => {
                url.push('?');
                &mut url
            }
            HttpMethod::Post => &mut form,
        };
        wbs_oauth::append_form(out, params.iter().map(|(n, v)| (*n, v.as_ref())));
        let builder = http::Request::builder().header(http::header::AUTHORIZATION, bearer);
        Ok(match self.method {
            HttpMethod::Get => builder
                .method(http::Method::GET)
                .uri(url)
                .body(Vec::new())?,
            HttpMethod::Post => builder
                .method(http::Method::POST)
                .uri(url)
                .header(
                    CONTENT_TYPE,
                    HeaderValue::from_static("application/x-www-form-urlencoded"),
                )
                .body(form.into_bytes())?,
        })
    }

    /// Another base URL (the sandbox's, say): absolute http(s), no query or fragment.
    pub fn with_base_url(mut self, base_url: &str) -> Result<Self, InvalidRequest> {
        self.base_url = check_base_url(base_url)?;
        Ok(self)
    }

    /// GET (the default) or POST.
    pub fn with_method(mut self, method: HttpMethod) -> Self {
        self.method = method;
        self
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Writes the call's endpoint, `{base_url}/{service}`, into `out`.
    fn endpoint_into<C: Call>(&self, out: &mut String) {
        out.clear();
        out.push_str(&self.base_url);
        out.push('/');
        out.push_str(C::SERVICE);
    }

    /// Builds the signed request for a call. Nonce and timestamp are inputs (use a fresh
    /// random nonce for every request, also for every retry).
    pub fn request<C: Call>(
        &self,
        call: &C,
        nonce: &str,
        timestamp: u64,
    ) -> Result<http::Request<Vec<u8>>, InvalidRequest> {
        let o = self.oauth1.as_ref().ok_or(InvalidRequest::NotOAuth1)?;
        let mut params: ParamsOut<'_> = Vec::with_capacity(12);
        params.push((ACTION_PARAM, ParamValue::from(C::ACTION)));
        call.params(&mut params)?;
        let mut timestamp_text = itoa::Buffer::new();
        let timestamp = timestamp_text.format(timestamp);
        let oauth = OAuthParams::new(&o.consumer_key, nonce, timestamp).token(&o.token);
        match self.method {
            // The zero-allocation engine into this thread's reused buffers (the path the
            // `sign/session_request` bench measures); the URL is the one copy made.
            HttpMethod::Get => {
                let url = SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
                    Ok(mut scratch) => {
                        let Scratch { endpoint, buffer } = &mut *scratch;
                        self.endpoint_into::<C>(endpoint);
                        o.signer
                            .sign_url_into("GET", endpoint, &params, &oauth, buffer)
                            .map(str::to_owned)
                    }
                    // Re-entered on this thread (not done here): fresh buffers.
                    Err(_) => {
                        let mut endpoint = String::new();
                        self.endpoint_into::<C>(&mut endpoint);
                        o.signer
                            .sign_url_into("GET", &endpoint, &params, &oauth, &mut UrlBuffer::new())
                            .map(str::to_owned)
                    }
                })?;
                Ok(http::Request::get(url).body(Vec::new())?)
            }
            // POST renders a form body through `Signed` (allocating): the API was called
            // with GET, the path that is measured.
            HttpMethod::Post => {
                let mut endpoint = String::new();
                self.endpoint_into::<C>(&mut endpoint);
                let rendered = o
                    .signer
                    .sign("POST", &endpoint, &params, &oauth)?
                    .render(Placement::Body);
                Ok(http::Request::post(rendered.url)
                    .header(
                        CONTENT_TYPE,
                        HeaderValue::from_static("application/x-www-form-urlencoded"),
                    )
                    .body(rendered.body.unwrap_or_default().into_bytes())?)
            }
        }
    }
}

/// One thread's buffers for signing: the endpoint and the engine's scratch space. Kept so
/// that signing stops allocating once they have grown (it reads no clock, no RNG and does
/// no I/O: the crate stays sans-IO).
#[derive(Default)]
struct Scratch {
    endpoint: String,
    buffer: UrlBuffer,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// An absolute http(s) URL with a host ([`wbs_oauth::check_http_url`]), without query or
/// fragment or spaces, without its trailing `/`.
pub(crate) fn check_base_url(url: &str) -> Result<String, InvalidRequest> {
    // The one URL rule refuses fragments and spaces; a base URL also has no query.
    if url.contains('?') || wbs_oauth::check_http_url(url).is_err() {
        return Err(InvalidRequest::BaseUrl);
    }
    Ok(url.trim_end_matches('/').to_owned())
}
