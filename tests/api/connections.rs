//! Slow and silent connections: a client that never finishes its request head is
//! dropped after `server.header_read_timeout`, an idle keep-alive connection after
//! `server.idle_timeout`, while event streams and long polls, however long, are not.

use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, json, lab, until};
use crate::lab::Recorder;
use crate::sse::SseClient;

/// How long a test waits for something that should happen within a second or two;
/// only a hang reaches it.
const GENEROUS: Duration = Duration::from_secs(30);
const SHORT: Duration = Duration::from_secs(1);
const LONG: Duration = Duration::from_secs(3600);

async fn spawn(backend: Backend, header_read: Duration, idle: Duration) -> TestApp {
    TestApp::spawn_with(
        backend,
        |s| {
            s.server.header_read_timeout = header_read;
            s.server.idle_timeout = idle;
        },
        lab(&Recorder::default()),
    )
    .await
}

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.app().addr).await.expect("connect")
}

/// Reads until the service closes the connection; what it sent before that.
async fn until_closed(stream: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    let read = tokio::time::timeout(GENEROUS, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                // A reset is a close too.
                Err(_) => return,
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the connection stayed open");
    got
}

/// Sends one request on a kept-alive connection and reads its response: status
/// line and body.
async fn exchange(stream: &mut TcpStream, request: &str) -> (String, String) {
    stream.write_all(request.as_bytes()).await.expect("write");
    read_response(stream).await
}

/// Reads one whole response (these answers carry a Content-Length).
async fn read_response(stream: &mut TcpStream) -> (String, String) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&got).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let head = &text[..end];
            let length: usize = head
                .lines()
                .find_map(|l| {
                    let (name, value) = l.split_once(':')?;
                    name.eq_ignore_ascii_case("content-length")
                        .then(|| value.trim().parse().ok())?
                })
                .expect("a content-length");
            if got.len() >= end + 4 + length {
                let status = head.lines().next().unwrap_or_default().to_string();
                return (status, text[end + 4..end + 4 + length].to_string());
            }
        }
        let n = tokio::time::timeout(GENEROUS, stream.read(&mut buf))
            .await
            .expect("a response")
            .expect("read");
        assert!(n > 0, "closed mid-response: {text}");
        got.extend_from_slice(&buf[..n]);
    }
}

const HEALTH: &str = "GET /healthz HTTP/1.1\r\nHost: careflow\r\n\r\n";

/// Opens a keep-alive connection, makes one request and waits until the service
/// closes it as idle: proof that the idle timeout has passed since now.
async fn outlast_the_idle_timeout(app: &TestApp) {
    let mut idle = connect(app).await;
    let (status, _) = exchange(&mut idle, HEALTH).await;
    assert!(status.contains(" 200 "), "{status}");
    assert!(until_closed(&mut idle).await.is_empty());
}

async fn half_a_request_line_is_closed_after_the_header_read_timeout(backend: Backend) {
    let app = spawn(backend, SHORT, LONG).await;
    let mut slow = connect(&app).await;
    slow.write_all(b"GET /heal").await.unwrap();
    let answer = until_closed(&mut slow).await;
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    // The service itself is fine.
    assert_eq!(app.get("/healthz").await.status(), 200);
}

async fn a_silent_connection_is_closed_after_the_header_read_timeout(backend: Backend) {
    let app = spawn(backend, SHORT, LONG).await;
    let mut silent = connect(&app).await;
    assert!(until_closed(&mut silent).await.is_empty());
}

async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout(backend: Backend) {
    // The header timeout is long, so only the idle timeout can close it.
    let app = spawn(backend, LONG, SHORT).await;
    let mut conn = connect(&app).await;
    // Kept alive between requests...
    for _ in 0..2 {
        let (status, _) = exchange(&mut conn, HEALTH).await;
        assert!(status.contains(" 200 "), "{status}");
    }
    // ...and closed, without a word, once idle for long enough.
    assert!(until_closed(&mut conn).await.is_empty());
}

async fn an_event_stream_outlives_the_idle_timeout(backend: Backend) {
    let app = spawn(backend, SHORT, SHORT).await;
    let url = app.url("/v1/events/stream?workflow=lab");
    let mut stream =
        SseClient::connect(&crate::checked::Client::new(), &url, &app.token, None).await;
    assert_eq!(stream.next(GENEROUS).await.unwrap().retry, Some(3000));

    outlast_the_idle_timeout(&app).await;

    let r = app
        .post("/v1/workflows/lab/runs?wait=0", &json!({"input": {}}))
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    let run = json(r).await["runId"].as_str().unwrap().to_string();
    let events = stream.collect_until("run.completed", GENEROUS).await;
    let last = events.last().expect("events after the idle timeout").json();
    assert_eq!(last["eventType"], "run.completed");
    assert_eq!(last["data"]["runId"], run);
}

async fn a_long_poll_outlives_the_idle_timeout(backend: Backend) {
    let app = spawn(backend, SHORT, SHORT).await;
    let r = app
        .post("/v1/workflows/nap/runs?wait=0", &json!({"input": {}}))
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    let run = json(r).await["runId"].as_str().unwrap().to_string();
    until(&app, &run, |v| v["status"] == "sleeping").await;

    // The long poll's request is on the wire before the idle spell starts.
    let mut poll = connect(&app).await;
    let request = format!(
        "GET /v1/runs/{run}?wait=50s HTTP/1.1\r\nHost: careflow\r\nAuthorization: Bearer {}\r\n\r\n",
        app.token
    );
    poll.write_all(request.as_bytes()).await.unwrap();
    let answer = tokio::spawn(async move { read_response(&mut poll).await });

    outlast_the_idle_timeout(&app).await;
    app.advance(Duration::from_secs(61));

    let (status, body) = answer.await.unwrap();
    assert!(status.contains(" 200 "), "{status}: {body}");
    let view: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(view["status"], "completed", "{view}");
}

both_backends!(
    half_a_request_line_is_closed_after_the_header_read_timeout,
    a_silent_connection_is_closed_after_the_header_read_timeout,
    an_idle_keep_alive_connection_is_closed_after_the_idle_timeout,
    an_event_stream_outlives_the_idle_timeout,
    a_long_poll_outlives_the_idle_timeout,
);
