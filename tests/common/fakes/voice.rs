//! A fake voice provider speaking Twilio's Calls API on 127.0.0.1: accepts
//! `POST /2010-04-01/Accounts/{sid}/Calls.json` (form-encoded, Basic auth), records
//! each call, and answers 201 with a queued call, or 503 for the first calls when
//! told to.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::json;

/// One call request the fake received.
#[derive(Debug, Clone)]
pub struct Placed {
    pub account: String,
    pub to: String,
    pub from: String,
    pub twiml: String,
    pub authorized: bool,
    pub failed: bool,
}

#[derive(Clone)]
struct Shared {
    fail_first: u32,
    calls: Arc<Mutex<Vec<Placed>>>,
}

/// A running fake.
pub struct FakeVoice {
    pub base_url: String,
    calls: Arc<Mutex<Vec<Placed>>>,
}

pub const ACCOUNT: &str = "AC0123456789abcdef";
pub const TOKEN: &str = "voice-token";
pub const FROM: &str = "+15005550006";

impl FakeVoice {
    pub async fn spawn(fail_first: u32) -> Self {
        let calls: Arc<Mutex<Vec<Placed>>> = Arc::default();
        let shared = Shared {
            fail_first,
            calls: calls.clone(),
        };
        let app = axum::Router::new()
            .route("/2010-04-01/Accounts/{sid}/Calls.json", post(place))
            .with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { base_url, calls }
    }

    /// Calls that were accepted (not the ones answered with an error).
    pub fn placed(&self) -> Vec<Placed> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| !c.failed)
            .cloned()
            .collect()
    }

    /// Every request, failed ones included.
    pub fn requests(&self) -> usize {
        self.calls.lock().unwrap().len()
    }
}

async fn place(
    State(s): State<Shared>,
    Path(sid): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    use base64::Engine as _;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{ACCOUNT}:{TOKEN}"))
    );
    let authorized = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == expected);
    let mut calls = s.calls.lock().unwrap();
    let failed = (calls.len() as u64) < u64::from(s.fail_first);
    calls.push(Placed {
        account: sid.clone(),
        to: field("To"),
        from: field("From"),
        twiml: field("Twiml"),
        authorized,
        failed,
    });
    if failed {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"code": 20503, "message": "Service unavailable", "status": 503})),
        );
    }
    let n = calls.len();
    (
        StatusCode::CREATED,
        Json(json!({
            "sid": format!("CA{n:032x}"),
            "account_sid": sid,
            "status": "queued",
            "to": field("To"),
            "from": field("From"),
            "direction": "outbound-api",
            "date_created": "Mon, 23 Nov 2026 09:00:00 +0000"
        })),
    )
}
