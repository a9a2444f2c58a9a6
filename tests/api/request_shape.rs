//! Request-shape problems are answered alike on both backends, before any handler
//! runs: `422` problem+json with the pointer of every offending value (a NUL
//! character PostgreSQL cannot store, a value of the wrong type, malformed JSON),
//! `415` for a body that is not JSON, and nothing written.

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, json, lab};
use crate::lab::Recorder;

async fn spawn(backend: Backend) -> TestApp {
    let rec = Recorder::default();
    TestApp::spawn_with(backend, |_| {}, lab(&rec)).await
}

/// Sends `method path` with `body` (JSON when given) and answers the status and the
/// problem document.
async fn send(app: &TestApp, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = app
        .http
        .request(method, app.url(path))
        .bearer_auth(&app.token);
    if let Some(body) = body {
        request = request.json(body);
    }
    let r = request.send().await.expect("request");
    let status = r.status().as_u16();
    let content_type = r.headers()["content-type"].to_str().unwrap().to_string();
    let problem = json(r).await;
    if status >= 400 {
        assert_eq!(
            content_type, "application/problem+json",
            "{path}: {problem}"
        );
    }
    (status, problem)
}

fn pointers(problem: &Value) -> Vec<&str> {
    problem["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(|p| p["pointer"].as_str()).collect())
        .unwrap_or_default()
}

async fn a_nul_character_anywhere_is_refused_with_its_pointer_on_every_route(backend: Backend) {
    let app = spawn(backend).await;
    let cases: Vec<(&str, &str, Option<Value>, &str)> = vec![
        (
            "POST",
            "/v1/events",
            Some(json!({"name": "test/nul", "data": {"note": "a\u{0}b"}})),
            "/data/note",
        ),
        (
            "POST",
            "/v1/tasks",
            Some(json!({"patientId": "p-1", "title": "Call\u{0}back", "severity": "high"})),
            "/title",
        ),
        (
            "POST",
            "/v1/nurses",
            Some(json!({"name": "Ann\u{0}", "phone": "+15550001234"})),
            "/name",
        ),
        (
            "POST",
            "/v1/workflows/lab/runs?wait=0",
            Some(json!({"input": {"list": ["ok", "x\u{0}"]}})),
            "/input/list/1",
        ),
        (
            "POST",
            "/v1/workflows/lab/runs?wait=0",
            Some(json!({"input": {"key\u{0}": 1}})),
            "/input/key\u{0}",
        ),
        ("GET", "/v1/runs?workflow=lab%00", None, "/query/workflow"),
        (
            "GET",
            "/v1/encounters/enc-1?source=a%00",
            None,
            "/query/source",
        ),
        (
            "GET",
            "/v1/encounters/enc-1/form.pdf?source=a%00",
            None,
            "/query/source",
        ),
        ("GET", "/v1/runs/%00", None, "/path/id"),
        ("GET", "/v1/tasks/ab%00cd", None, "/path/id"),
    ];
    for (method, path, body, pointer) in &cases {
        let (status, problem) = send(&app, method, path, body.as_ref()).await;
        assert_eq!(status, 422, "{backend:?} {method} {path}: {problem}");
        assert_eq!(pointers(&problem), [*pointer], "{backend:?} {path}");
        assert!(
            problem["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("NUL"),
            "{problem}"
        );
    }
    // Nothing was half-written.
    assert_eq!(json(app.get("/v1/runs").await).await["runs"], json!([]));
    assert_eq!(json(app.get("/v1/tasks").await).await["tasks"], json!([]));
    assert_eq!(json(app.get("/v1/nurses").await).await["nurses"], json!([]));
}

async fn every_problem_of_a_body_is_listed_at_once(backend: Backend) {
    let app = spawn(backend).await;
    let body = json!({"name": "test/nul\u{0}", "data": {"a": "\u{0}", "b": ["\u{0}"]}});
    let (status, problem) = send(&app, "POST", "/v1/events", Some(&body)).await;
    assert_eq!(status, 422, "{problem}");
    let mut found = pointers(&problem);
    found.sort_unstable();
    assert_eq!(found, ["/data/a", "/data/b/0", "/name"], "{problem}");
}

async fn request_shape_problems_are_422_with_pointers_never_400(backend: Backend) {
    let app = spawn(backend).await;
    // A query value of the wrong type.
    let (status, problem) = send(&app, "GET", "/v1/runs?limit=abc", None).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(pointers(&problem), ["/query/limit"], "{problem}");
    assert_eq!(problem["type"], "https://careflow.dev/problems/validation");
    let (status, problem) = send(&app, "GET", "/v1/events?limit=-", None).await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(pointers(&problem), ["/query/limit"], "{problem}");

    // Malformed JSON: the whole body is at fault.
    let r = app
        .http
        .post(app.url("/v1/tasks"))
        .bearer_auth(&app.token)
        .header("content-type", "application/json")
        .body("{\"patientId\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let problem = json(r).await;
    assert_eq!(pointers(&problem), [""], "{problem}");
    assert!(
        problem["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not valid JSON"),
        "{problem}"
    );
    assert_eq!(json(app.get("/v1/tasks").await).await["tasks"], json!([]));
}

async fn a_body_that_is_not_json_is_415(backend: Backend) {
    let app = spawn(backend).await;
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        None,
    ] {
        let mut r = app
            .http
            .post(app.url("/v1/workflows/lab/runs?wait=0"))
            .bearer_auth(&app.token)
            .body("{\"input\": {}}");
        if let Some(t) = content_type {
            r = r.header("content-type", t);
        }
        let r = r.send().await.unwrap();
        assert_eq!(r.status(), 415, "{content_type:?}");
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        let problem = json(r).await;
        assert_eq!(
            problem["type"],
            "https://careflow.dev/problems/unsupported-media-type"
        );
    }
    // A JSON media type with parameters or a +json suffix is JSON.
    let r = app
        .http
        .post(app.url("/v1/workflows/lab/runs?wait=0"))
        .bearer_auth(&app.token)
        .header("content-type", "application/json; charset=utf-8")
        .body("{\"input\": {}}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
}

async fn an_inbound_sms_with_a_nul_character_is_stored_with_a_replacement(backend: Backend) {
    let care = crate::care::spawn(backend, |_| {}).await;
    let app = &care.app;
    let phone = "+15551230999";
    let at = app.clock_now() - chrono::Duration::hours(25);
    let (status, answer) = crate::care::post_json(
        app,
        "/v1/events",
        json!({"name": "patient/discharged",
               "data": {"patientId": "p-nul", "phone": phone, "dischargedAt": at.to_rfc3339()}}),
    )
    .await;
    assert_eq!(status, 202, "{answer}");
    crate::care::eventually("the check-in SMS", || async {
        (!care.twilio.sms_to(phone).is_empty()).then_some(())
    })
    .await;
    // Twilio cannot be answered 422: the text is kept, NUL replaced, on both backends.
    crate::care::reply_to(
        app,
        phone,
        "+15550000001",
        None,
        "SMnul0001",
        "fine\u{0}thanks",
    )
    .await;
    let outreach = crate::care::eventually("the reply recorded", || async {
        let o = crate::care::get_json(app, "/v1/patients/p-nul/outreach").await;
        o["interactions"]
            .as_array()
            .is_some_and(|i| !i.is_empty())
            .then_some(o)
    })
    .await;
    assert_eq!(outreach["interactions"][0]["text"], "fine\u{FFFD}thanks");
}

both_backends!(
    an_inbound_sms_with_a_nul_character_is_stored_with_a_replacement,
    a_nul_character_anywhere_is_refused_with_its_pointer_on_every_route,
    every_problem_of_a_body_is_listed_at_once,
    request_shape_problems_are_422_with_pointers_never_400,
    a_body_that_is_not_json_is_415
);
