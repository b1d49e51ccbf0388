//! The [`Session`]: the credentials and settings one user's requests share, and the one
//! place a [`Call`] becomes a signed `http::Request`.

use std::cell::RefCell;
use std::fmt;

use http::header::{HeaderValue, CONTENT_TYPE};
use wbs_oauth::{Credentials, Endpoint, Placement, TokenSigner, UrlBuffer};

use crate::error::InvalidRequest;
use crate::params::{Call, ParamValue, ParamsOut, ACTION_PARAM, SERVICES};

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
    base: Base,
    /// `None` for a session that authenticates with `Authorization: Bearer` (OAuth 2).
    oauth1: Option<TokenSigner>,
    method: HttpMethod,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Session");
        d.field("base_url", &self.base.url);
        if let Some(o) = &self.oauth1 {
            d.field("consumer_key", &o.consumer_key())
                .field("token", &o.token());
        }
        d.field("method", &self.method).finish_non_exhaustive()
    }
}

impl Session {
    /// A session for a consumer (the application) and a user's access token, against
    /// [`DEFAULT_BASE_URL`] with GET.
    pub fn new(consumer: Credentials, token: Credentials) -> Self {
        Self {
            base: Base::new(DEFAULT_BASE_URL.to_owned()),
            oauth1: Some(TokenSigner::new(&consumer, Some(&token))),
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
            base: Base::new(DEFAULT_BASE_URL.to_owned()),
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
        self.base = Base::new(check_base_url(base_url)?);
        Ok(self)
    }

    /// GET (the default) or POST.
    pub fn with_method(mut self, method: HttpMethod) -> Self {
        self.method = method;
        self
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        &self.base.url
    }

    /// Writes the call's endpoint, `{base_url}/{service}`, into `out`.
    fn endpoint_into<C: Call>(&self, out: &mut String) {
        out.clear();
        out.push_str(&self.base.url);
        out.push('/');
        out.push_str(C::SERVICE);
    }

    /// The signed GET URI of a call: through the endpoint parsed once for the services of
    /// this crate's calls, and parsed here for another `Call`'s.
    fn signed_uri<C: Call>(
        &self,
        o: &TokenSigner,
        params: &ParamsOut<'_>,
        (nonce, timestamp): (&str, &str),
        buffer: &mut UrlBuffer,
    ) -> Result<http::Uri, InvalidRequest> {
        let known = self
            .base
            .endpoints
            .iter()
            .find_map(|(service, endpoint)| (*service == C::SERVICE).then_some(endpoint));
        let parsed;
        let endpoint = match known {
            Some(endpoint) => endpoint,
            None => {
                let mut url = String::new();
                self.endpoint_into::<C>(&mut url);
                parsed = Endpoint::parse(&url)?;
                &parsed
            }
        };
        let url = o.sign_url_into("GET", endpoint, params, nonce, timestamp, buffer)?;
        let uri = match &self.base.origin {
            Some(origin) => origin.uri(url),
            None => http::Uri::try_from(url).map_err(http::Error::from),
        };
        Ok(uri?)
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
        match self.method {
            // The zero-allocation engine into this thread's reused buffer (the path the
            // `sign/session_request` bench measures); the URI is the one copy made.
            HttpMethod::Get => {
                let uri = SCRATCH.with(|scratch| match scratch.try_borrow_mut() {
                    Ok(mut buffer) => {
                        self.signed_uri::<C>(o, &params, (nonce, timestamp), &mut buffer)
                    }
                    // Re-entered on this thread (not done here): a fresh buffer.
                    Err(_) => {
                        self.signed_uri::<C>(o, &params, (nonce, timestamp), &mut UrlBuffer::new())
                    }
                })?;
                // A GET by default; built in place rather than through `http`'s builder,
                // which moves its parts about (about 300 instructions a request).
                let mut request = http::Request::new(Vec::new());
                *request.uri_mut() = uri;
                Ok(request)
            }
            // POST renders a form body through `Signed` (allocating): the API was called
            // with GET, the path that is measured.
            HttpMethod::Post => {
                let mut endpoint = String::new();
                self.endpoint_into::<C>(&mut endpoint);
                let oauth = o.oauth_params(nonce, timestamp);
                let rendered = o
                    .signer()
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

thread_local! {
    /// One thread's buffer for signing, kept so that signing stops allocating once it has
    /// grown (it reads no clock, no RNG and does no I/O: the crate stays sans-IO).
    static SCRATCH: RefCell<UrlBuffer> = RefCell::new(UrlBuffer::new());
}

/// What a session derives from its base URL, once: the endpoints of its calls' services
/// and the scheme and authority as `http` holds them.
#[derive(Clone)]
struct Base {
    url: String,
    /// Each of [`SERVICES`] with its endpoint (one that does not parse, which a checked
    /// base URL never gives, is missing here and parsed, and refused, at its request).
    endpoints: Vec<(&'static str, Endpoint)>,
    origin: Option<Origin>,
}

impl Base {
    fn new(url: String) -> Self {
        let endpoints = SERVICES
            .iter()
            .filter_map(|&service| {
                let endpoint = Endpoint::parse(&format!("{url}/{service}")).ok()?;
                Some((service, endpoint))
            })
            .collect();
        let origin = Origin::of(&url);
        Self {
            url,
            endpoints,
            origin,
        }
    }
}

/// A base URL's scheme and authority, and where the path of a URL under it starts.
#[derive(Clone, Debug)]
struct Origin {
    scheme: http::uri::Scheme,
    authority: http::uri::Authority,
    path_at: usize,
}

impl Origin {
    /// `None` if `http` does not take the base URL (it is then refused at each request).
    fn of(base_url: &str) -> Option<Self> {
        let parts = http::Uri::try_from(base_url).ok()?.into_parts();
        let (scheme, authority) = (parts.scheme?, parts.authority?);
        let path_at = base_url.find("://")? + 3 + authority.as_str().len();
        Some(Self {
            scheme,
            authority,
            path_at,
        })
    }

    /// The URI of a URL under the base URL. Only the path and query are parsed: about 600
    /// of the 4,000 instructions that `http` spends on a whole signed URL are the scheme
    /// and authority it already holds here.
    fn uri(&self, url: &str) -> Result<http::Uri, http::Error> {
        let Some(path_and_query) = url.get(self.path_at..) else {
            return Ok(http::Uri::try_from(url)?);
        };
        let mut parts = http::uri::Parts::default();
        parts.scheme = Some(self.scheme.clone());
        parts.authority = Some(self.authority.clone());
        parts.path_and_query = Some(http::uri::PathAndQuery::try_from(path_and_query)?);
        Ok(http::Uri::from_parts(parts)?)
    }
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
