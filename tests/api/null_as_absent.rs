//! What the description shows nullable, the parsers take: an optional body sent
//! as a JSON `null`, and an optional member given as `null`, are the same as
//! leaving them out (what clients that serialize an absent value send).

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, json};

both_backends!(
    a_null_body_is_the_same_as_no_body,
    optional_members_given_as_null_are_left_out,
);

/// `method path` with the raw JSON text `body` as the test tenant.
async fn send(app: &TestApp, method: reqwest::Method, path: &str, body: &str) -> (u16, Value) {
    let r = app
        .http
        .request(method, app.url(path))
        .bearer_auth(&app.token)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("request");
    let status = r.status().as_u16();
    (status, json(r).await)
}

async fn task(app: &TestApp) -> String {
    let r = app
        .post(
            "/v1/tasks",
            &json!({"patientId": "p-1", "title": "Call back", "severity": "high"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    json(r).await["taskId"].as_str().unwrap().to_string()
}

async fn a_null_body_is_the_same_as_no_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let id = task(&app).await;
    let (status, resolved) = send(
        &app,
        reqwest::Method::POST,
        &format!("/v1/tasks/{id}/resolve"),
        "null",
    )
    .await;
    assert_eq!(status, 200, "{resolved}");
    assert_eq!(resolved["resolvedNow"], true, "{resolved}");
    assert_eq!(resolved["status"], "resolved", "{resolved}");

    let (status, issued) = send(&app, reqwest::Method::POST, "/v1/stream-tokens", " null ").await;
    assert_eq!(status, 201, "{issued}");
    assert_eq!(issued["filters"], json!({}), "{issued}");

    // `null` is no body, not a licence for any other non-object.
    let (status, problem) = send(
        &app,
        reqwest::Method::POST,
        &format!("/v1/tasks/{id}/resolve"),
        "false",
    )
    .await;
    assert_eq!(status, 422, "{problem}");
}

async fn optional_members_given_as_null_are_left_out(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let id = task(&app).await;
    let (status, resolved) = send(
        &app,
        reqwest::Method::POST,
        &format!("/v1/tasks/{id}/resolve"),
        r#"{"resolution": null}"#,
    )
    .await;
    assert_eq!(status, 200, "{resolved}");

    // A workflow's every trigger option, each `null`: a plain workflow.
    let definition = json!({
        "description": null,
        "steps": [{"name": "nap", "kind": "sleep", "duration": "1m"}],
        "triggers": null, "cancelOn": null, "concurrency": null, "idempotency": null,
        "debounce": null, "rateLimit": null, "throttle": null,
    });
    let (status, stored) = send(
        &app,
        reqwest::Method::PUT,
        "/v1/workflows/napper",
        &definition.to_string(),
    )
    .await;
    assert_eq!(status, 201, "{stored}");
    let (status, dry) = send(
        &app,
        reqwest::Method::PUT,
        "/v1/workflows/napper?dryRun=true",
        &json!({"steps": definition["steps"], "concurrency": null, "rateLimit": {"limit": 0}})
            .to_string(),
    )
    .await;
    // A non-null option is still checked.
    assert_eq!(status, 422, "{dry}");
    assert!(dry.to_string().contains("/rateLimit"), "{dry}");

    // A purge names one selector; the other one `null` is not a second.
    let (status, purge) = send(
        &app,
        reqwest::Method::POST,
        "/v1/purges",
        r#"{"correlationId": "order-1", "patientReference": null}"#,
    )
    .await;
    assert_eq!(status, 201, "{purge}");
    assert_eq!(purge["selector"]["kind"], "correlation_id", "{purge}");
    let (status, problem) = send(
        &app,
        reqwest::Method::POST,
        "/v1/purges",
        r#"{"correlationId": null, "patientReference": null}"#,
    )
    .await;
    assert_eq!(status, 422, "{problem}");
}
