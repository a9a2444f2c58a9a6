use std::sync::{Arc, Mutex};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::Value;

use super::*;

/// What the fake saw: the Authorization header and the JSON body.
type Seen = Arc<Mutex<Vec<(Option<String>, Value)>>>;

/// Starts a fake chat-completions server answering every request with
/// `status`, `headers` and `body`; returns its base URL and what it saw.
async fn fake(
    status: u16,
    headers: &[(&'static str, &'static str)],
    body: Value,
) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let record = seen.clone();
    let headers: Vec<_> = headers.to_vec();
    let handler = move |req_headers: HeaderMap, axum::Json(req): axum::Json<Value>| {
        let auth = req_headers
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_string());
        record.lock().unwrap().push((auth, req));
        let mut response = (
            StatusCode::from_u16(status).unwrap(),
            axum::Json(body.clone()),
        )
            .into_response();
        for (k, v) in &headers {
            response.headers_mut().insert(*k, v.parse().unwrap());
        }
        async move { response }
    };
    let app = Router::new().route("/v1/chat/completions", post(handler));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/"), seen)
}

fn settings(base_url: String) -> LlmSettings {
    LlmSettings {
        base_url,
        api_key: Some(Secret::new("sk-test-123")),
        model: "summary-model".into(),
        temperature: 0.2,
        max_tokens: 600,
        max_tokens_field: MaxTokensField::MaxTokens,
    }
}

fn client(base_url: String) -> LlmClient {
    LlmClient::new(reqwest::Client::new(), settings(base_url))
}

fn answer(content: Value, finish_reason: &str) -> Value {
    json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "summary-model-2024",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish_reason}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 42, "total_tokens": 142}
    })
}

#[tokio::test]
async fn a_nul_in_the_answer_becomes_a_replacement_character_so_it_can_be_stored() {
    let (url, _) = fake(200, &[], answer(json!("Max\u{0} is well."), "stop")).await;
    let done = client(url).complete("sys", "facts").await.unwrap();
    assert_eq!(done.content, "Max\u{FFFD} is well.");
}

#[tokio::test]
async fn a_successful_completion_returns_the_text_model_and_usage() {
    let (url, _) = fake(200, &[], answer(json!("  Max is doing well.\n"), "stop")).await;
    let done = client(url).complete("sys", "facts").await.unwrap();
    assert_eq!(
        done,
        Completion {
            content: "Max is doing well.".into(),
            model: "summary-model-2024".into(),
            finish_reason: Some("stop".into()),
            total_tokens: Some(142),
        }
    );
}

#[tokio::test]
async fn the_request_carries_the_model_messages_limits_and_bearer_token() {
    let (url, seen) = fake(200, &[], answer(json!("ok"), "stop")).await;
    client(url)
        .complete("be factual", "Patient: Max")
        .await
        .unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 1);
    let (auth, body) = &seen[0];
    assert_eq!(auth.as_deref(), Some("Bearer sk-test-123"));
    assert_eq!(body["model"], "summary-model");
    assert_eq!(
        body["messages"][0],
        json!({"role": "system", "content": "be factual"})
    );
    assert_eq!(
        body["messages"][1],
        json!({"role": "user", "content": "Patient: Max"})
    );
    assert_eq!(body["max_tokens"], 600);
    assert!(body.get("max_completion_tokens").is_none());
}

#[tokio::test]
async fn newer_models_get_max_completion_tokens_instead() {
    let (url, seen) = fake(200, &[], answer(json!("ok"), "stop")).await;
    let mut s = settings(url);
    s.max_tokens_field = MaxTokensField::MaxCompletionTokens;
    s.api_key = None;
    LlmClient::new(reqwest::Client::new(), s)
        .complete("s", "u")
        .await
        .unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].0, None, "no key, no Authorization header");
    assert_eq!(seen[0].1["max_completion_tokens"], 600);
    assert!(seen[0].1.get("max_tokens").is_none());
}

#[tokio::test]
async fn a_server_error_is_retryable_and_keeps_the_provider_message() {
    let (url, _) = fake(
        500,
        &[],
        json!({"error": {"message": "upstream overloaded", "type": "server_error"}}),
    )
    .await;
    let err = client(url).complete("s", "u").await.unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(err.retry_after(), None);
    assert_eq!(
        err.to_string(),
        "the LLM service answered 500: upstream overloaded"
    );
}

#[tokio::test]
async fn rate_limiting_is_retryable_after_the_delay_the_server_asked_for() {
    let (url, _) = fake(
        429,
        &[("retry-after", "7")],
        json!({"error": {"message": "Rate limit reached"}}),
    )
    .await;
    let err = client(url).complete("s", "u").await.unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
}

#[tokio::test]
async fn an_authentication_failure_is_permanent() {
    let (url, _) = fake(
        401,
        &[],
        json!({"error": {"message": "Incorrect API key provided"}}),
    )
    .await;
    let err = client(url).complete("s", "u").await.unwrap_err();
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("401: Incorrect API key provided"));
    assert!(!err.to_string().contains("sk-test-123"));
}

#[tokio::test]
async fn a_missing_model_is_permanent_even_without_a_json_body() {
    let (url, _) = fake(404, &[], json!("not here")).await;
    let err = client(url).complete("s", "u").await.unwrap_err();
    assert!(!err.is_retryable());
    assert_eq!(err.to_string(), "the LLM service answered 404: Not Found");
}

#[tokio::test]
async fn a_truncated_answer_is_a_permanent_error() {
    let (url, _) = fake(200, &[], answer(json!("Max was trea"), "length")).await;
    let err = client(url).complete("s", "u").await.unwrap_err();
    assert!(matches!(err, LlmError::Truncated));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn filtered_and_empty_answers_are_permanent_errors() {
    let (url, _) = fake(200, &[], answer(Value::Null, "content_filter")).await;
    let err = client(url).complete("s", "u").await.unwrap_err();
    assert!(matches!(err, LlmError::ContentFiltered) && !err.is_retryable());
    let (url, _) = fake(200, &[], answer(json!("   "), "stop")).await;
    let err = client(url).complete("s", "u").await.unwrap_err();
    assert!(matches!(err, LlmError::EmptyContent) && !err.is_retryable());
}

#[tokio::test]
async fn an_unreachable_server_is_retryable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = client(format!("http://{addr}"))
        .complete("s", "u")
        .await
        .unwrap_err();
    assert!(matches!(err, LlmError::Transport(_)), "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_silent_server_times_out_retryably() {
    let app = Router::new().route("/v1/chat/completions", post(std::future::pending::<String>));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let http = reqwest::Client::builder()
        .timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let err = LlmClient::new(http, settings(format!("http://{addr}")))
        .complete("s", "u")
        .await
        .unwrap_err();
    assert!(matches!(err, LlmError::Timeout) && err.is_retryable());
}

#[test]
fn settings_debug_output_hides_the_api_key() {
    let shown = format!("{:?}", settings("http://127.0.0.1:1".into()));
    assert!(shown.contains("[redacted]"));
    assert!(!shown.contains("sk-test-123"));
}

#[test]
fn retry_after_also_accepts_an_http_date() {
    let later = (chrono::Utc::now() + chrono::Duration::seconds(120))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let delay = parse_retry_after(&later).unwrap();
    assert!(delay > Duration::from_secs(100) && delay <= Duration::from_secs(120));
    assert_eq!(parse_retry_after("soon"), None);
}

#[test]
fn settings_deserialise_with_defaults() {
    let s: LlmSettings = serde_json::from_value(json!({
        "base_url": "http://llm.internal",
        "api_key": "k",
        "model": "m",
        "max_tokens_field": "max_completion_tokens"
    }))
    .unwrap();
    assert_eq!(s.max_tokens, 1024);
    assert_eq!(s.max_tokens_field, MaxTokensField::MaxCompletionTokens);
    assert_eq!(s.api_key.unwrap().expose(), "k");
}
