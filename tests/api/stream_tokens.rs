//! Stream tokens: `POST /v1/stream-tokens` and `GET /v1/events/stream?token=`, the
//! way a browser's EventSource opens the live stream without a header.

use std::time::Duration;

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, json, lab};
use crate::lab::Recorder;
use crate::sse::SseClient;

const T: Duration = crate::helpers::DEADLINE;

async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |_| {}, lab(&Recorder::default())).await
}

async fn token(app: &TestApp, bearer: &str, filters: &Value) -> Value {
    let r = app
        .http
        .post(app.url("/v1/stream-tokens"))
        .bearer_auth(bearer)
        .json(filters)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    json(r).await
}

async fn run(app: &TestApp, bearer: &str, workflow: &str) -> String {
    let r = app
        .http
        .post(app.url(&format!("/v1/workflows/{workflow}/runs?wait=0")))
        .bearer_auth(bearer)
        .json(&json!({"input": {"seconds": 60}}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    json(r).await["runId"].as_str().unwrap().to_string()
}

async fn a_stream_token_opens_the_stream_without_a_header(backend: Backend) {
    let app = spawn(backend).await;
    let issued = token(&app, &app.token, &json!({})).await;
    let t = issued["token"].as_str().unwrap();
    assert!(t.starts_with("cfs_"));
    let expires: chrono::DateTime<chrono::Utc> =
        issued["expiresAt"].as_str().unwrap().parse().unwrap();
    let ttl = expires - careflow::engine::Clock::now(&*app.clock);
    assert!(
        (59..=60).contains(&ttl.num_seconds()),
        "default lifetime is 60 s, got {ttl}"
    );
    let url = app.url(issued["streamUrl"].as_str().unwrap());
    let mut stream = SseClient::open(&app.http, &url)
        .await
        .expect("stream opens");
    let run_id = run(&app, &app.token, "lab").await;
    let events = stream.collect_until("run.completed", T).await;
    let last = events.last().expect("events arrive").json();
    assert_eq!(last["eventType"], "run.completed");
    assert_eq!(last["runId"], run_id);
    assert_eq!(last["tenantId"], "tenant-a");
    // `named=false`: messages without an `event:` name, so EventSource's `onmessage`
    // sees every type; the type is in the data.
    let mut unnamed = SseClient::open(&app.http, &format!("{url}&named=false&lastEventId=0"))
        .await
        .expect("stream opens");
    let first = unnamed.next_event(T).await.expect("replayed event");
    assert_eq!(first.event, None);
    assert_eq!(first.json()["eventType"], "run.queued");
}

async fn a_stream_keeps_the_tokens_tenant_and_filters(backend: Backend) {
    let app = spawn(backend).await;
    let other = app.key_for("tenant-b").await;
    let issued = token(&app, &app.token, &json!({"workflow": "nap"})).await;
    let url = app.url(issued["streamUrl"].as_str().unwrap());
    let mut stream = SseClient::open(&app.http, &url)
        .await
        .expect("stream opens");
    // Another tenant's nap and this tenant's lab run are not this stream's business.
    run(&app, &other, "nap").await;
    let lab_run = run(&app, &app.token, "lab").await;
    crate::helpers::until(&app, &lab_run, |v| v["status"] == "completed").await;
    let nap = run(&app, &app.token, "nap").await;
    let first = stream.next_event(T).await.expect("an event").json();
    assert_eq!(
        first["runId"], nap,
        "only this tenant's nap events: {first}"
    );
    assert_eq!(first["workflow"], "nap");
    // Asking the token for a wider or other filter is refused, naming the field.
    let widened = format!("{url}&workflow=lab");
    let (status, body) = SseClient::open(&app.http, &widened).await.err().unwrap();
    assert_eq!(status, 422);
    assert!(body.contains("/query/workflow"), "{body}");
    // The same filter as the token's is fine.
    assert!(
        SseClient::open(&app.http, &format!("{url}&workflow=nap"))
            .await
            .is_ok()
    );
}

async fn expired_or_forged_tokens_are_refused(backend: Backend) {
    let app = spawn(backend).await;
    let issued = token(&app, &app.token, &json!({})).await;
    let url = app.url(issued["streamUrl"].as_str().unwrap());
    // A forged signature.
    let forged = url.replace("token=cfs_", "token=cfs_A");
    let (status, body) = SseClient::open(&app.http, &forged).await.err().unwrap();
    assert_eq!(status, 401, "{body}");
    // No token and no header.
    let (status, _) = SseClient::open(&app.http, &app.url("/v1/events/stream"))
        .await
        .err()
        .unwrap();
    assert_eq!(status, 401);
    // Past its lifetime.
    app.clock.advance(Duration::from_secs(61));
    let r = app.http.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("www-authenticate"));
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let body = json(r).await;
    assert!(
        body["detail"].as_str().unwrap().contains("expired"),
        "{body}"
    );
}

async fn bad_token_requests_list_every_problem(backend: Backend) {
    let app = spawn(backend).await;
    let r = app
        .post(
            "/v1/stream-tokens",
            &json!({"runId": "not-a-run", "workflow": 7, "tenantId": "tenant-b"}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let body = json(r).await;
    let mut pointers: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    pointers.sort();
    assert_eq!(pointers, ["/runId", "/tenantId", "/workflow"], "{body}");
    // Issuing needs a bearer credential; a stream token cannot mint another.
    let issued = token(&app, &app.token, &json!({})).await;
    let r = app
        .http
        .post(app.url("/v1/stream-tokens"))
        .bearer_auth(issued["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

/// Replicas share PostgreSQL (SQLite serves one process), and so the signing key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_from_one_replica_opens_the_stream_on_another() {
    let app = spawn(Backend::Postgres).await;
    let second = app.replica(lab(&Recorder::default())()).await;
    let issued = token(&app, &app.token, &json!({})).await;
    let url = format!(
        "http://{}{}",
        second.addr,
        issued["streamUrl"].as_str().unwrap()
    );
    assert!(SseClient::open(&app.http, &url).await.is_ok());
    second.shutdown().await;
}

both_backends!(
    a_stream_token_opens_the_stream_without_a_header,
    a_stream_keeps_the_tokens_tenant_and_filters,
    expired_or_forged_tokens_are_refused,
    bad_token_requests_list_every_problem,
    a_configured_key_is_shared_by_services_and_a_bad_one_stops_start_up,
);

async fn a_configured_key_is_shared_by_services_and_a_bad_one_stops_start_up(backend: Backend) {
    use base64::Engine as _;
    let key = base64::engine::general_purpose::STANDARD.encode([42u8; 32]);
    let configure = |s: &mut careflow::config::Settings| {
        s.events.stream_token_key = careflow::config::Secret::new(key.clone());
    };
    // Two services on separate databases: only the configured key is common.
    let one = TestApp::spawn_with(backend, configure, lab(&Recorder::default())).await;
    let two = TestApp::spawn_with(backend, configure, lab(&Recorder::default())).await;
    let issued = token(&one, &one.token, &json!({})).await;
    let url = two.url(issued["streamUrl"].as_str().unwrap());
    assert!(SseClient::open(&two.http, &url).await.is_ok());
    // A service with its own (database) key refuses the token.
    let other = spawn(backend).await;
    let url = other.url(issued["streamUrl"].as_str().unwrap());
    let (status, _) = SseClient::open(&other.http, &url).await.err().unwrap();
    assert_eq!(status, 401);
    // A key that is not base64 of at least 32 bytes stops start-up, naming the setting.
    let db = crate::helpers::TestDb::new(backend).await;
    let mut settings = crate::helpers::test_settings(&db);
    settings.events.stream_token_key = careflow::config::Secret::new("c2hvcnQ=");
    let err = careflow::app::App::start(settings, Default::default())
        .await
        .err()
        .expect("start-up refused");
    assert!(err.to_string().contains("events.stream_token_key"), "{err}");
}
