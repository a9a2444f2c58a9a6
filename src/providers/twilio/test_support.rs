//! A fake Twilio for tests: records every request and answers with what the test decides.

use super::{TwilioClient, TwilioSettings};
use crate::config::Secret;
use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use std::sync::{Arc, Mutex};

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: Method,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub form: Vec<(String, String)>,
}

impl Seen {
    /// Every value of a form field, in order.
    pub fn form_all(&self, name: &str) -> Vec<&str> {
        self.form
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The single value of a form field.
    pub fn form_one(&self, name: &str) -> Option<&str> {
        self.form_all(name).first().copied()
    }

    /// The value of a query parameter.
    pub fn query_one(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What the fake answers: status, extra headers, JSON body.
pub type Answer = (StatusCode, Vec<(&'static str, String)>, String);

fn decode_pairs(encoded: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(&format!("http://decode.invalid/?{encoded}"))
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default()
}

/// Starts the fake on 127.0.0.1; returns its base URL and the requests it records.
pub async fn spawn<F>(answer: F) -> (String, Arc<Mutex<Vec<Seen>>>)
where
    F: Fn(&Seen) -> Answer + Send + Sync + 'static,
{
    let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
    let record = Arc::clone(&seen);
    let answer = Arc::new(answer);
    let app = axum::Router::new().fallback(
        move |method: Method, uri: Uri, headers: HeaderMap, body: Bytes| {
            let record = Arc::clone(&record);
            let answer = Arc::clone(&answer);
            async move {
                let header = |name: &str| {
                    headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                };
                let request = Seen {
                    method,
                    path: uri.path().to_owned(),
                    query: decode_pairs(uri.query().unwrap_or("")),
                    authorization: header("authorization"),
                    content_type: header("content-type"),
                    form: decode_pairs(&String::from_utf8_lossy(&body)),
                };
                let (status, extra, json) = answer(&request);
                record.lock().unwrap().push(request);
                let mut response = axum::response::Response::builder()
                    .status(status)
                    .header("content-type", "application/json");
                for (name, value) in extra {
                    response = response.header(name, value);
                }
                response.body(axum::body::Body::from(json)).unwrap()
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

/// Test account credentials.
pub const SID: &str = "AC00000000000000000000000000000001";
pub const TOKEN: &str = "test-auth-token";

/// A client of the fake at `base_url`.
pub fn client(base_url: &str, messaging_service_sid: Option<&str>) -> TwilioClient {
    TwilioClient::new(
        reqwest::Client::new(),
        TwilioSettings {
            base_url: format!("{base_url}/"),
            account_sid: SID.to_owned(),
            auth_token: Secret::new(TOKEN),
            from: "+15005550001".to_owned(),
            messaging_service_sid: messaging_service_sid.map(str::to_owned),
        },
    )
}

/// The Basic auth header Twilio expects for the test account.
pub fn expected_basic_auth() -> String {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(format!("{SID}:{TOKEN}"));
    format!("Basic {encoded}")
}
