//! What the discharge API refuses, and how: every problem of a request at once
//! (422), a case of another tenant or none at all (404).

use serde_json::{Value, json};

use super::{Env, Setup, env, orchestrate, s, text_input};
use crate::both_backends;
use crate::helpers::{Backend, json};

async fn problems(app: &crate::helpers::TestApp, body: Value) -> Vec<(String, String)> {
    let r = app.post("/v1/discharge/orchestrations", &body).await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    json(r).await["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["pointer"].as_str().unwrap().to_string(),
                e["message"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pointers(p: &[(String, String)]) -> Vec<&str> {
    p.iter().map(|(ptr, _)| ptr.as_str()).collect()
}

async fn a_bad_request_lists_every_problem_at_once(backend: Backend) {
    let Env { app, .. } = env(backend, Setup::default()).await;
    let found = problems(
        &app,
        json!({
            "input": {"rawData": {"mode": "text", "text": "Patient: Bella"}, "existingCase": {"caseId": "x"}},
            "steps": {
                "notify": true,
                "generateSummary": {"options": {"templateId": "fancy"}},
                "prepareEmail": {"options": {"recipientEmail": "owner@@example.com"}},
                "scheduleEmail": {"options": {"scheduledFor": "next tuesday"}},
                "scheduleCall": {"options": {"phoneNumber": "555-0100", "scheduledFor": "2026-13-45"}}
            },
            "options": {"parallel": "yes"}
        }),
    )
    .await;
    assert_eq!(
        pointers(&found),
        [
            "/input",
            "/input/existingCase/caseId",
            "/steps/notify",
            "/options/parallel",
            "/steps/generateSummary/options/templateId",
            "/steps/prepareEmail/options/recipientEmail",
            "/steps/scheduleCall/options/scheduledFor",
            "/steps/scheduleCall/options/phoneNumber",
            "/steps/scheduleEmail/options/scheduledFor",
        ],
        "{found:?}"
    );
    assert!(found[0].1.contains("not both"));
    assert!(found[2].1.contains("unknown step"));
    assert!(found[4].1.contains("standard, brief, detailed"));
    assert!(found[6].1.contains("RFC 3339"));
}

async fn missing_or_doubled_input_is_refused(backend: Backend) {
    let Env { app, .. } = env(backend, Setup::default()).await;
    let found = problems(&app, json!({"steps": {"scheduleCall": false}})).await;
    assert_eq!(pointers(&found), ["/input"]);
    assert!(found[0].1.contains("rawData"));
    let found = problems(
        &app,
        json!({"input": {"rawData": text_input()["rawData"], "existingCase": {"caseId": uuid::Uuid::new_v4()}}}),
    )
    .await;
    assert_eq!(pointers(&found), ["/input"]);
    assert!(found[0].1.contains("not both"));
    let found = problems(&app, json!({"input": {}})).await;
    assert_eq!(pointers(&found), ["/input"]);
}

async fn bad_case_data_is_located_inside_raw_data(backend: Backend) {
    let Env { app, .. } = env(backend, Setup::default()).await;
    let found = problems(
        &app,
        json!({"input": {"rawData": {"mode": "structured", "data": {
            "patient": {"species": "Canine"},
            "owner": {"email": "not-an-email", "phone": "0555 123"}
        }}}}),
    )
    .await;
    assert_eq!(
        pointers(&found),
        [
            "/input/rawData/data/patient/name",
            "/input/rawData/data/owner/email",
            "/input/rawData/data/owner/phone",
        ]
    );
    let found = problems(
        &app,
        json!({"input": {"rawData": {"mode": "text", "text": "Species: cat\nEmail: nobody@"}}}),
    )
    .await;
    assert_eq!(
        pointers(&found),
        ["/input/rawData/text", "/input/rawData/text"]
    );
    let found = problems(&app, json!({"input": {"rawData": {"mode": "pdf"}}})).await;
    assert_eq!(pointers(&found), ["/input/rawData/mode"]);
}

async fn an_unknown_or_foreign_case_is_not_found(backend: Backend) {
    let Env { app, .. } = env(backend, Setup::default()).await;
    let r = app
        .post(
            "/v1/discharge/orchestrations",
            &json!({"input": {"existingCase": {"caseId": uuid::Uuid::new_v4()}}}),
        )
        .await;
    assert_eq!(r.status(), 404);
    assert_eq!(json(r).await["detail"], "No such case.");

    // Another tenant's case, summary, email and call are not found either.
    let body = orchestrate(&app, json!({"input": text_input()})).await;
    let other = app.key_for("tenant-b").await;
    let data = &body["data"];
    let case_id = s(data, "/ingestion/caseId");
    let r = app
        .http
        .post(app.url("/v1/discharge/orchestrations"))
        .bearer_auth(&other)
        .json(&json!({"input": {"existingCase": {"caseId": case_id}}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    for path in [
        format!("/v1/cases/{case_id}"),
        format!("/v1/discharge/summaries/{}", s(data, "/summary/summaryId")),
        format!("/v1/discharge/emails/{}", s(data, "/email/emailId")),
        format!("/v1/discharge/calls/{}", s(data, "/call/callId")),
        format!("/v1/discharge/orchestrations/{}", s(&body, "/runId")),
    ] {
        assert_eq!(app.get(&path).await.status(), 200, "{path}");
        let r = app
            .http
            .get(app.url(&path))
            .bearer_auth(&other)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
    assert_eq!(app.get("/v1/cases/not-a-uuid").await.status(), 404);
}

both_backends!(
    a_bad_request_lists_every_problem_at_once,
    missing_or_doubled_input_is_refused,
    bad_case_data_is_located_inside_raw_data,
    an_unknown_or_foreign_case_is_not_found,
);
