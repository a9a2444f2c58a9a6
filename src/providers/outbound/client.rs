//! The guarded HTTP client: performs one outbound request under the outbound
//! policy (checked at resolution, before sending and on each redirect hop),
//! with time limits, a redirect limit and a bounded body excerpt.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::Method;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use url::Url;

use super::error::{self, OutboundError};
use super::guard::{self, GuardedResolver};
use super::policy::OutboundPolicy;
use super::response::{self, Excerpt, OutboundResponse};

/// Limits and identity of the guarded client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundSettings {
    /// Total time for a call: connecting, sending, headers and body.
    pub timeout: Duration,
    /// Time for resolving and establishing the connection.
    pub connect_timeout: Duration,
    /// How many body bytes are kept as the excerpt (the rest is only counted).
    pub max_response_bytes: usize,
    /// How many redirects are followed; past that the redirect is the answer.
    pub max_redirects: usize,
    /// The `User-Agent` sent unless the request sets its own.
    pub user_agent: String,
}

impl Default for OutboundSettings {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_response_bytes: 16 * 1024,
            max_redirects: 5,
            user_agent: format!("careflow/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

impl OutboundSettings {
    /// The limits `[providers.outbound]` sets, with the default identity.
    pub fn from_settings(settings: &crate::config::OutboundProviderSettings) -> Self {
        Self {
            timeout: settings.timeout,
            connect_timeout: settings.connect_timeout,
            max_response_bytes: settings.max_response_bytes,
            max_redirects: settings.max_redirects,
            ..Self::default()
        }
    }
}

/// One HTTP request to perform.
#[derive(Clone, PartialEq, Eq)]
pub struct OutboundRequest {
    /// HTTP method.
    pub method: Method,
    /// Absolute http or https URL.
    pub url: Url,
    /// Request headers, in order; repeated names are sent repeatedly.
    pub headers: Vec<(String, String)>,
    /// Request body bytes.
    pub body: Option<Vec<u8>>,
}

/// Debug shows no header values, query or body: they may hold secrets.
impl fmt::Debug for OutboundRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("OutboundRequest")
            .field("method", &self.method)
            .field("scheme", &self.url.scheme())
            .field("host", &self.url.host_str())
            .field("path", &self.url.path())
            .field("header_names", &names)
            .field("body_len", &self.body.as_ref().map(Vec::len))
            .finish()
    }
}

/// An HTTP client that cannot reach destinations the policy refuses.
#[derive(Debug, Clone)]
pub struct GuardedClient {
    http: reqwest::Client,
    policy: Arc<OutboundPolicy>,
    max_response_bytes: usize,
}

impl GuardedClient {
    /// Builds the client. Proxies from the environment are ignored, since a
    /// proxy would resolve and connect on our behalf, out of the guard's reach.
    pub fn new(
        policy: Arc<OutboundPolicy>,
        settings: OutboundSettings,
    ) -> Result<Self, OutboundError> {
        let http = reqwest::Client::builder()
            .dns_resolver(Arc::new(GuardedResolver::new(Arc::clone(&policy))))
            .redirect(guard::redirect_policy(
                Arc::clone(&policy),
                settings.max_redirects,
            ))
            .no_proxy()
            .referer(false)
            .timeout(settings.timeout)
            .connect_timeout(settings.connect_timeout)
            .user_agent(settings.user_agent)
            .build()
            .map_err(|e| OutboundError::Setup(e.to_string()))?;
        Ok(Self {
            http,
            policy,
            max_response_bytes: settings.max_response_bytes,
        })
    }

    /// Performs the request. A 2xx answer is `Ok`; any other answer is
    /// [`OutboundError::HttpStatus`] carrying the recorded response.
    pub async fn execute(&self, req: OutboundRequest) -> Result<OutboundResponse, OutboundError> {
        guard::check_destination(&self.policy, &req.url)?;
        let host = req.url.host_str().unwrap_or_default().to_owned();
        let mut builder = self
            .http
            .request(req.method, req.url)
            .headers(header_map(&req.headers)?);
        if let Some(body) = req.body {
            builder = builder.body(body);
        }
        let started = Instant::now();
        let outcome = self.exchange(builder, &host, started).await;
        match &outcome {
            Ok(r) => {
                tracing::debug!(%host, status = r.status, latency_ms = r.latency_ms, "outbound call answered")
            }
            Err(e) => tracing::debug!(%host, kind = ?e.kind(), "outbound call failed"),
        }
        let response = outcome?;
        if (200..300).contains(&response.status) {
            Ok(response)
        } else {
            Err(OutboundError::HttpStatus(Box::new(response)))
        }
    }

    async fn exchange(
        &self,
        builder: reqwest::RequestBuilder,
        host: &str,
        started: Instant,
    ) -> Result<OutboundResponse, OutboundError> {
        let classify = |e: reqwest::Error| error::from_reqwest(&e, host);
        // The trace of the attempt making the call, when spans are exported.
        let builder = builder.headers(crate::telemetry::trace_context::outbound_headers());
        let mut resp = builder.send().await.map_err(classify)?;
        let status = resp.status().as_u16();
        let headers = response::kept_headers(resp.headers());
        // Stream so that memory stays bounded whatever the server sends; the
        // total timeout bounds how long we keep counting.
        let mut excerpt = Excerpt::new(self.max_response_bytes);
        while let Some(chunk) = resp.chunk().await.map_err(classify)? {
            excerpt.push(&chunk);
        }
        let (body_size, body_excerpt) = excerpt.finish();
        Ok(OutboundResponse {
            status,
            headers,
            body_size,
            body_excerpt,
            latency_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        })
    }
}

/// Header names and values checked for wire validity; values are never echoed.
fn header_map(headers: &[(String, String)]) -> Result<HeaderMap, OutboundError> {
    let mut map = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let header = HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            OutboundError::InvalidRequest(format!("header name {name:?} is not valid"))
        })?;
        let value = HeaderValue::from_str(value).map_err(|_| {
            OutboundError::InvalidRequest(format!("value of header {header} is not valid"))
        })?;
        map.append(header, value);
    }
    Ok(map)
}

#[cfg(test)]
#[path = "client_tests.rs"]
mod tests;
