//! A small Server-Sent Events client for the tests, parsing the stream per the
//! WHATWG rules: `field: value` lines, blank line dispatches, `:` comments. It
//! connects through the checked client, so a stream's status and media type, and
//! a refusal's problem document, are checked against the API description.

use std::time::Duration;

use futures::StreamExt;
use serde_json::Value;

/// One dispatched message (or a retry hint / comment).
#[derive(Debug, Clone, Default)]
pub struct Message {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: String,
    pub retry: Option<u64>,
}

impl Message {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or(Value::Null)
    }
}

pub struct SseClient {
    body: std::pin::Pin<Box<dyn futures::Stream<Item = reqwest::Result<bytes::Bytes>> + Send>>,
    buf: String,
    pub comments: usize,
}

impl SseClient {
    pub async fn connect(
        http: &crate::checked::Client,
        url: &str,
        token: &str,
        last_event_id: Option<&str>,
    ) -> Self {
        let mut req = http
            .get(url)
            .bearer_auth(token)
            .header("accept", "text/event-stream");
        if let Some(id) = last_event_id {
            req = req.header("last-event-id", id);
        }
        let r = req.send().await.expect("stream request");
        assert_eq!(r.status(), 200, "stream refused");
        assert_eq!(r.headers()["content-type"], "text/event-stream");
        Self {
            body: Box::pin(r.bytes_stream()),
            buf: String::new(),
            comments: 0,
        }
    }

    /// Opens a stream the way a browser's EventSource does: no Authorization header
    /// (the URL carries a stream token); `Err` with the refusal's status and body.
    pub async fn open(http: &crate::checked::Client, url: &str) -> Result<Self, (u16, String)> {
        let r = http
            .get(url)
            .header("accept", "text/event-stream")
            .send()
            .await
            .expect("stream request");
        if r.status() != 200 {
            return Err((r.status().as_u16(), r.text().await.unwrap_or_default()));
        }
        Ok(Self {
            body: Box::pin(r.bytes_stream()),
            buf: String::new(),
            comments: 0,
        })
    }

    /// The next dispatched message, or `None` at the end or after `timeout`.
    pub async fn next(&mut self, timeout: Duration) -> Option<Message> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut msg = Message::default();
        let mut has_fields = false;
        loop {
            while let Some(nl) = self.buf.find('\n') {
                let line: String = self.buf.drain(..=nl).collect();
                let line = line.trim_end_matches(['\n', '\r']);
                if line.is_empty() {
                    if has_fields {
                        if msg.data.ends_with('\n') {
                            msg.data.pop();
                        }
                        return Some(msg);
                    }
                    continue;
                }
                if line.starts_with(':') {
                    self.comments += 1;
                    continue;
                }
                let (field, value) = match line.split_once(':') {
                    Some((f, v)) => (f, v.strip_prefix(' ').unwrap_or(v)),
                    None => (line, ""),
                };
                has_fields = true;
                match field {
                    "id" => msg.id = Some(value.to_string()),
                    "event" => msg.event = Some(value.to_string()),
                    "data" => {
                        msg.data.push_str(value);
                        msg.data.push('\n');
                    }
                    "retry" => msg.retry = value.parse().ok(),
                    _ => {}
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.body.next())
                .await
                .ok()??;
            self.buf.push_str(&String::from_utf8_lossy(&chunk.ok()?));
        }
    }

    /// The next message that carries an event (skips retry hints).
    pub async fn next_event(&mut self, timeout: Duration) -> Option<Message> {
        loop {
            let m = self.next(timeout).await?;
            if m.event.is_some() || !m.data.is_empty() {
                return Some(m);
            }
        }
    }

    /// Events until one of type `until` (included) arrives.
    pub async fn collect_until(&mut self, until: &str, timeout: Duration) -> Vec<Message> {
        let mut out = Vec::new();
        while let Some(m) = self.next_event(timeout).await {
            let done = m.event.as_deref() == Some(until);
            out.push(m);
            if done {
                break;
            }
        }
        out
    }
}
