//! A fake OpenAI-compatible chat-completions server on 127.0.0.1: answers
//! `POST /v1/chat/completions` (with the summary, or the answer it is given) after an
//! optional delay, failing the first calls with 500 when told to, and records every
//! request.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::{Value, json};

/// What the fake writes as the summary.
pub const SUMMARY: &str = "Bella was treated for gastroenteritis and is going home today.";
/// The model the fake says it is.
pub const MODEL: &str = "fake-model-1";

/// How the fake behaves.
#[derive(Debug, Clone, Copy, Default)]
pub struct Behaviour {
    /// Answer 500 to this many calls first (`u32::MAX`: always).
    pub fail_first: u32,
    /// Work this long before answering.
    pub delay: Duration,
    /// What to answer instead of [`SUMMARY`].
    pub answer: Option<&'static str>,
}

/// One call the fake answered.
#[derive(Debug, Clone)]
pub struct Call {
    pub body: Value,
    pub failed: bool,
}

#[derive(Clone)]
struct Shared {
    behaviour: Behaviour,
    calls: Arc<Mutex<Vec<Call>>>,
}

/// A running fake.
pub struct FakeLlm {
    pub base_url: String,
    calls: Arc<Mutex<Vec<Call>>>,
}

impl FakeLlm {
    pub async fn spawn(behaviour: Behaviour) -> Self {
        let calls: Arc<Mutex<Vec<Call>>> = Arc::default();
        let shared = Shared {
            behaviour,
            calls: calls.clone(),
        };
        let app = axum::Router::new()
            .route("/v1/chat/completions", post(complete))
            .with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { base_url, calls }
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }
}

async fn complete(State(s): State<Shared>, Json(body): Json<Value>) -> impl IntoResponse {
    tokio::time::sleep(s.behaviour.delay).await;
    let mut calls = s.calls.lock().unwrap();
    let failed = (calls.len() as u64) < u64::from(s.behaviour.fail_first);
    calls.push(Call { body, failed });
    if failed {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({"error": {"message": "the model is overloaded"}})),
        );
    }
    (
        StatusCode::OK,
        Json(json!({
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": MODEL,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": s.behaviour.answer.unwrap_or(SUMMARY)},
                "finish_reason": "stop"
            }],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}
        })),
    )
}
