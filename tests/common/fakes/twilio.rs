//! A fake Twilio on 127.0.0.1: accepts Messages and Calls like the real API (form
//! bodies, Basic auth, JSON answers), lists sent messages, records every request with
//! when it started and ended, and can be told to fail or to hold
//! the requests for one number until released.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::json;

/// One message or call the fake accepted.
#[derive(Debug, Clone)]
pub struct Sent {
    pub kind: &'static str,
    pub sid: String,
    pub to: String,
    pub body: String,
    /// The sender number, when the request named one.
    pub from: Option<String>,
    /// The Messaging Service, when the request named one.
    pub messaging_service_sid: Option<String>,
    pub status_callback: Option<String>,
    pub authorized: bool,
    pub started: Instant,
    pub ended: Instant,
}

#[derive(Default)]
struct Inner {
    sent: Vec<Sent>,
    /// Statuses to answer instead of accepting, one per request.
    failures: Vec<u16>,
    counter: u64,
    /// Numbers whose requests wait at the gate until it is released (closed).
    held: HashMap<String, Arc<tokio::sync::Semaphore>>,
    /// Requests waiting at a gate, by number.
    waiting: HashMap<String, usize>,
}

/// The fake's handle.
#[derive(Clone)]
pub struct FakeTwilio {
    pub base: String,
    inner: Arc<Mutex<Inner>>,
}

pub const ACCOUNT: &str = "AC0000000000000000000000000000care";
pub const TOKEN: &str = "fake-twilio-auth-token";

fn form(body: &Bytes) -> HashMap<String, String> {
    url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn authorized(headers: &HeaderMap) -> bool {
    use base64::Engine;
    let expected = base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT}:{TOKEN}"));
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Basic {expected}"))
}

async fn create(
    State(inner): State<Arc<Mutex<Inner>>>,
    Path((_account, resource)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let f = form(&body);
    let to = f.get("To").cloned().unwrap_or_default();
    let gate = {
        let mut i = inner.lock().unwrap();
        let gate = i.held.get(&to).cloned();
        if gate.is_some() {
            *i.waiting.entry(to.clone()).or_default() += 1;
        }
        gate
    };
    if let Some(gate) = gate {
        // A closed gate answers at once: that is the release.
        let _ = gate.acquire().await;
        *inner.lock().unwrap().waiting.entry(to.clone()).or_default() -= 1;
    }
    let failure = {
        let mut i = inner.lock().unwrap();
        (!i.failures.is_empty()).then(|| i.failures.remove(0))
    };
    if let Some(status) = failure {
        let status = StatusCode::from_u16(status).unwrap();
        let body = json!({"code": 20500, "message": "fake failure", "status": status.as_u16()});
        return (status, axum::Json(body)).into_response();
    }
    let (kind, prefix, text) = match resource.as_str() {
        "Messages.json" => ("sms", "SM", f.get("Body").cloned().unwrap_or_default()),
        "Calls.json" => ("call", "CA", f.get("Twiml").cloned().unwrap_or_default()),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let mut i = inner.lock().unwrap();
    i.counter += 1;
    let sid = format!("{prefix}{:032x}", i.counter);
    i.sent.push(Sent {
        kind,
        sid: sid.clone(),
        to: to.clone(),
        body: text,
        from: f.get("From").cloned(),
        messaging_service_sid: f.get("MessagingServiceSid").cloned(),
        status_callback: f.get("StatusCallback").cloned(),
        authorized: authorized(&headers),
        started,
        ended: Instant::now(),
    });
    let answer = json!({
        "sid": sid,
        "account_sid": ACCOUNT,
        "to": to,
        "from": f.get("From"),
        "status": "queued",
        "direction": "outbound-api",
        "num_segments": "1",
        "date_created": "Mon, 03 Mar 2025 14:00:00 +0000",
    });
    (StatusCode::CREATED, axum::Json(answer)).into_response()
}

async fn list(State(inner): State<Arc<Mutex<Inner>>>) -> Response {
    // The fake keeps no dates; an empty list means "nothing sent earlier".
    let _ = inner;
    axum::Json(json!({"messages": [], "next_page_uri": null})).into_response()
}

impl FakeTwilio {
    /// Starts the fake.
    pub async fn start() -> Self {
        let inner: Arc<Mutex<Inner>> = Arc::default();
        let app = Router::new()
            .route(
                "/2010-04-01/Accounts/{account}/{resource}",
                post(create).get(list),
            )
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { base, inner }
    }

    /// Requests for `to` wait at the fake until [`FakeTwilio::release`].
    pub fn hold(&self, to: &str) {
        let gate = Arc::new(tokio::sync::Semaphore::new(0));
        self.inner.lock().unwrap().held.insert(to.to_string(), gate);
    }

    /// Lets the held requests for `to` (and later ones) through.
    pub fn release(&self, to: &str) {
        if let Some(gate) = self.inner.lock().unwrap().held.remove(to) {
            gate.close();
        }
    }

    /// How many requests for `to` wait at its gate now.
    pub fn waiting(&self, to: &str) -> usize {
        self.inner
            .lock()
            .unwrap()
            .waiting
            .get(to)
            .copied()
            .unwrap_or(0)
    }

    /// The next requests answer these statuses instead of accepting.
    pub fn fail_next(&self, statuses: &[u16]) {
        self.inner
            .lock()
            .unwrap()
            .failures
            .extend_from_slice(statuses);
    }

    /// Everything accepted so far.
    pub fn sent(&self) -> Vec<Sent> {
        self.inner.lock().unwrap().sent.clone()
    }

    /// SMS accepted for `to`.
    pub fn sms_to(&self, to: &str) -> Vec<Sent> {
        self.sent()
            .into_iter()
            .filter(|s| s.kind == "sms" && s.to == to)
            .collect()
    }
}
