//! The API tests' HTTP client: reqwest's builder API, and every answer it receives
//! is checked against the API description (`contract.rs`) before the test sees it,
//! so an undocumented status, media type or body fails the test that met it.
//!
//! A request whose answer is deliberately outside the description (a method no
//! route has, the dashboard's static assets, a CORS preflight) says so at its call
//! site with [`RequestBuilder::unchecked`]; that is meant to stay rare.

use std::fmt::Display;

use reqwest::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use reqwest::{IntoUrl, Method, ResponseBuilderExt};
use serde::Serialize;

/// A reqwest client whose answers are checked against the API description.
#[derive(Clone, Debug, Default)]
pub struct Client {
    inner: reqwest::Client,
}

impl From<reqwest::Client> for Client {
    /// Checks the answers of a client built with other settings (no redirects, ...).
    fn from(inner: reqwest::Client) -> Self {
        Self { inner }
    }
}

impl Client {
    /// A client with reqwest's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// A request with `method` to `url`.
    pub fn request<U: IntoUrl>(&self, method: Method, url: U) -> RequestBuilder {
        RequestBuilder {
            inner: self.inner.request(method, url),
            checked: true,
        }
    }

    pub fn get<U: IntoUrl>(&self, url: U) -> RequestBuilder {
        self.request(Method::GET, url)
    }

    pub fn post<U: IntoUrl>(&self, url: U) -> RequestBuilder {
        self.request(Method::POST, url)
    }

    pub fn put<U: IntoUrl>(&self, url: U) -> RequestBuilder {
        self.request(Method::PUT, url)
    }

    pub fn delete<U: IntoUrl>(&self, url: U) -> RequestBuilder {
        self.request(Method::DELETE, url)
    }
}

/// reqwest's request builder, whose `send` checks the answer.
#[must_use = "a request does nothing until it is sent"]
pub struct RequestBuilder {
    inner: reqwest::RequestBuilder,
    checked: bool,
}

impl RequestBuilder {
    fn map(self, f: impl FnOnce(reqwest::RequestBuilder) -> reqwest::RequestBuilder) -> Self {
        Self {
            inner: f(self.inner),
            checked: self.checked,
        }
    }

    /// Leaves this request's answer unchecked, for an answer the description does
    /// not cover on purpose; `why` says which, for the reader of the call site.
    pub fn unchecked(self, why: &str) -> Self {
        assert!(!why.trim().is_empty(), "say why an answer goes unchecked");
        Self {
            inner: self.inner,
            checked: false,
        }
    }

    // The builders below are reqwest's own, passed through.

    pub fn header<K, V>(self, key: K, value: V) -> Self
    where
        HeaderName: TryFrom<K>,
        <HeaderName as TryFrom<K>>::Error: Into<http::Error>,
        HeaderValue: TryFrom<V>,
        <HeaderValue as TryFrom<V>>::Error: Into<http::Error>,
    {
        self.map(|r| r.header(key, value))
    }

    pub fn bearer_auth<T: Display>(self, token: T) -> Self {
        self.map(|r| r.bearer_auth(token))
    }

    pub fn json<T: Serialize + ?Sized>(self, body: &T) -> Self {
        self.map(|r| r.json(body))
    }

    pub fn form<T: Serialize + ?Sized>(self, form: &T) -> Self {
        self.map(|r| r.form(form))
    }

    pub fn body<T: Into<reqwest::Body>>(self, body: T) -> Self {
        self.map(|r| r.body(body))
    }

    /// Sends the request; the answer is checked (panicking with what is wrong)
    /// unless the call site said otherwise. An event stream is checked by its
    /// status and media type only, and handed back still streaming.
    pub async fn send(self) -> reqwest::Result<reqwest::Response> {
        let (client, request) = self.inner.build_split();
        let request = request?;
        let method = request.method().clone();
        let response = client.execute(request).await?;
        if !self.checked {
            return Ok(response);
        }
        checked(method.as_str(), response).await
    }
}

/// Reads `response`, checks it, and gives back an equal response to read again.
async fn checked(method: &str, response: reqwest::Response) -> reqwest::Result<reqwest::Response> {
    let status = response.status();
    let url = response.url().clone();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    if content_type.starts_with("text/event-stream") {
        // The stream never ends by itself: its events are the test's to read.
        crate::contract::check(method, url.path(), status.as_u16(), &content_type, b"");
        return Ok(response);
    }
    let version = response.version();
    let headers = response.headers().clone();
    let body = response.bytes().await?;
    crate::contract::check(method, url.path(), status.as_u16(), &content_type, &body);
    let mut rebuilt = http::Response::builder()
        .status(status)
        .version(version)
        .url(url)
        .body(body)
        .expect("a response rebuilt from a valid one");
    *rebuilt.headers_mut() = headers;
    Ok(reqwest::Response::from(rebuilt))
}
