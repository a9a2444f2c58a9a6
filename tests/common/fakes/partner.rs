//! A fake partner server for service-call tests, on 127.0.0.1: it records every
//! request it receives and answers from a script (then with its default answer).

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use tokio::sync::Notify;

/// One request as the partner received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    /// Path and query.
    pub target: String,
    /// Lower-case names; repeated headers joined by `, `.
    pub headers: HashMap<String, String>,
    pub body: Vec<u8>,
}

/// How the partner answers one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// This status, with a short text body naming it.
    Status(u16),
    /// This status with a `Retry-After` header.
    RetryAfter(u16, &'static str),
    /// Never answers.
    Hang,
    /// `302 Found` to this location.
    Redirect(String),
    /// This status with exactly these body bytes (as `text/plain`).
    Raw(u16, &'static [u8]),
    /// Answers 200 once the test adds a permit to the semaphore.
    Gate(Arc<tokio::sync::Semaphore>),
    /// Answers 200 after this long, so requests are in flight for a while.
    // Only the crash target's chaos scenario uses it; the API suite builds this file too.
    #[allow(dead_code)]
    Delay(Duration),
}

#[derive(Default)]
struct Inner {
    received: Mutex<Vec<Received>>,
    script: Mutex<VecDeque<Reply>>,
    default: Mutex<Option<Reply>>,
    arrived: Notify,
}

#[derive(Clone)]
pub struct FakePartner {
    pub addr: SocketAddr,
    inner: Arc<Inner>,
}

impl FakePartner {
    pub async fn start() -> Self {
        let inner = Arc::new(Inner::default());
        let app = Router::new().fallback(receive).with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { addr, inner }
    }

    /// A URL on the partner by its literal address.
    pub fn url(&self, target: &str) -> String {
        format!("http://{}{target}", self.addr)
    }

    /// A URL on the partner by the name `localhost`.
    pub fn localhost_url(&self, target: &str) -> String {
        format!("http://localhost:{}{target}", self.addr.port())
    }

    /// Answers the next requests with these replies, in order.
    pub fn script(&self, replies: impl IntoIterator<Item = Reply>) {
        self.inner.script.lock().unwrap().extend(replies);
    }

    /// Answers every request not scripted with `reply` (default: 200).
    pub fn always(&self, reply: Reply) {
        *self.inner.default.lock().unwrap() = Some(reply);
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.received.lock().unwrap().clone()
    }

    /// Waits (woken by each arrival) until at least `n` requests arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let arrived = self.inner.arrived.notified();
            tokio::pin!(arrived);
            arrived.as_mut().enable();
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                panic!("the partner received {} requests, not {n}", got.len());
            }
        }
    }
}

async fn receive(
    State(inner): State<Arc<Inner>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut seen: HashMap<String, String> = HashMap::new();
    for (name, value) in &headers {
        let value = value.to_str().unwrap_or_default().to_string();
        seen.entry(name.as_str().to_string())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&value);
            })
            .or_insert(value);
    }
    inner.received.lock().unwrap().push(Received {
        method: method.to_string(),
        target: uri
            .path_and_query()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        headers: seen,
        body: body.to_vec(),
    });
    inner.arrived.notify_waiters();
    let reply = inner
        .script
        .lock()
        .unwrap()
        .pop_front()
        .or_else(|| inner.default.lock().unwrap().clone())
        .unwrap_or(Reply::Status(200));
    match reply {
        Reply::Status(200) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"ok":true}"#,
        )
            .into_response(),
        Reply::Status(code) => (
            StatusCode::from_u16(code).unwrap(),
            format!("partner says {code}"),
        )
            .into_response(),
        Reply::RetryAfter(code, after) => (
            StatusCode::from_u16(code).unwrap(),
            [(header::RETRY_AFTER, after)],
            "slow down",
        )
            .into_response(),
        Reply::Hang => std::future::pending().await,
        Reply::Redirect(to) => {
            (StatusCode::FOUND, [(header::LOCATION, to)], "moved").into_response()
        }
        Reply::Raw(code, body) => (
            StatusCode::from_u16(code).unwrap(),
            [(header::CONTENT_TYPE, "text/plain")],
            body,
        )
            .into_response(),
        Reply::Gate(gate) => {
            let _ = gate.acquire().await;
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                r#"{"ok":true}"#,
            )
                .into_response()
        }
        Reply::Delay(pause) => {
            tokio::time::sleep(pause).await;
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                r#"{"ok":true}"#,
            )
                .into_response()
        }
    }
}
