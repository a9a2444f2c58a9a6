//! A fake OpenAI-compatible chat-completions server on 127.0.0.1 for the encounter
//! analysis: it records each request and answers with a fixed prior-authorization
//! decision in a fenced JSON block, as models often do.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use serde_json::{Value, json};

/// One request the fake received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub authorization: Option<String>,
    pub body: String,
}

#[derive(Clone)]
pub struct FakeLlm {
    pub base: String,
    seen: Arc<Mutex<Vec<Seen>>>,
}

const ANSWER: &str = "```json\n{\"requiresPriorAuth\": true, \"criteriaMet\": [{\"rule\": \"inpatient-pneumonia\", \"description\": \"Inpatient admission for pneumonia\", \"evidence\": \"J18.9; SpO2 91 %\"}], \"justification\": \"Inpatient stay for pneumonia with hypoxia.\", \"confidence\": 0.8}\n```";

async fn complete(
    State(seen): State<Arc<Mutex<Vec<Seen>>>>,
    headers: HeaderMap,
    body: String,
) -> axum::Json<Value> {
    let model = serde_json::from_str::<Value>(&body)
        .ok()
        .and_then(|v| v["model"].as_str().map(str::to_owned))
        .unwrap_or_default();
    seen.lock().unwrap().push(Seen {
        authorization: headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body,
    });
    axum::Json(json!({
        "id": "chatcmpl-1", "object": "chat.completion", "model": model,
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": ANSWER}}],
        "usage": {"prompt_tokens": 120, "completion_tokens": 60, "total_tokens": 180}
    }))
}

impl FakeLlm {
    pub async fn start() -> Self {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new()
            .route("/v1/chat/completions", post(complete))
            .with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { base, seen }
    }

    pub fn requests(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}
