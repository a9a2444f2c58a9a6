//! Webhook signatures, request validation, tenant isolation, and the function list.

use careflow::providers::twilio::signature::compute_signature;
use serde_json::json;

use super::{PUBLIC, get_json, post_json, spawn, task, twilio_post};
use crate::both_backends;
use crate::fake_twilio::TOKEN;
use crate::helpers::{Backend, json};

async fn webhooks_with_a_bad_or_missing_signature_are_refused(backend: Backend) {
    let care = spawn(backend, |_| {}).await;
    let app = &care.app;
    let params = [("MessageSid", "SM1"), ("MessageStatus", "delivered")];
    for path in ["/v1/webhooks/twilio/status", "/v1/webhooks/twilio/inbound"] {
        let forged = twilio_post(app, path, &params, Some("bm90IGEgc2lnbmF0dXJl".into())).await;
        assert_eq!(forged.status(), 403, "{path}");
        assert!(
            forged.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/problem+json")
        );
        let problem = json(forged).await;
        assert_eq!(problem["status"], 403);
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains("X-Twilio-Signature")
        );
        let missing = app
            .http
            .post(app.url(path))
            .form(&params)
            .send()
            .await
            .unwrap();
        assert_eq!(missing.status(), 403, "{path}");
        // Signed over the URL the service listens on rather than its public one.
        let owned: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let local = compute_signature(TOKEN, &app.url(path), &owned);
        assert_eq!(
            twilio_post(app, path, &params, Some(local)).await.status(),
            403
        );
        // Signed with the right key over the public URL: accepted without a bearer.
        let good = compute_signature(TOKEN, &format!("{PUBLIC}{path}"), &owned);
        assert!(
            twilio_post(app, path, &params, Some(good))
                .await
                .status()
                .is_success()
        );
    }
}

async fn bad_requests_list_every_problem_and_other_tenants_see_nothing(backend: Backend) {
    let care = spawn(backend, |_| {}).await;
    let app = &care.app;
    let (status, p) = post_json(
        app,
        "/v1/nurses",
        json!({"phone": "555", "email": "nope", "preferredChannel": "pager", "extra": 1}),
    )
    .await;
    assert_eq!(status, 422);
    let pointers: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    for expected in ["/extra", "/name", "/phone", "/email", "/preferredChannel"] {
        assert!(pointers.contains(&expected), "{pointers:?}");
    }
    let (status, p) = post_json(
        app,
        "/v1/tasks",
        json!({"title": "", "severity": "SEVERE", "slaMinutes": 0}),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(p["errors"].as_array().unwrap().len(), 4, "{p}");
    let r = app.get("/v1/notifications?status=LOST&channel=fax").await;
    assert_eq!(r.status(), 422);
    assert_eq!(json(r).await["errors"].as_array().unwrap().len(), 2);

    let mine = task(app, "p-700", 60).await;
    let other = app.key_for("tenant-b").await;
    let r = app
        .http
        .get(app.url(&format!("/v1/tasks/{mine}")))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = app
        .http
        .post(app.url(&format!("/v1/tasks/{mine}/resolve")))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let theirs = app
        .http
        .get(app.url("/v1/tasks"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert!(json(theirs).await["tasks"].as_array().unwrap().is_empty());
    assert_eq!(
        get_json(app, &format!("/v1/tasks/{mine}")).await["status"],
        "open"
    );
    assert_eq!(app.get("/v1/patients/nobody/outreach").await.status(), 404);
}

async fn the_five_care_functions_are_listed_with_their_triggers_and_policies(backend: Backend) {
    let care = spawn(backend, |_| {}).await;
    let listed = get_json(&care.app, "/v1/functions").await;
    let find = |name: &str| {
        listed["functions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} missing from {listed}"))
    };
    assert_eq!(
        find("schedule-checkin")["trigger"]["event"],
        "patient/discharged"
    );
    assert_eq!(
        find("handle-checkin-response")["trigger"]["event"],
        "interaction/response_received"
    );
    let assign = find("assign-task");
    assert_eq!(assign["trigger"]["event"], "task/created");
    assert_eq!(assign["idempotency"], "data.taskId");
    let sla = find("monitor-sla");
    assert_eq!(
        sla["cancelOn"][0],
        json!({"event": "task/resolved", "field": "taskId"})
    );
    let notify = find("send-notification");
    assert_eq!(
        notify["concurrency"],
        json!({"limit": 1, "key": "data.nurseId"})
    );
    let steps = find("schedule-checkin")["steps"].clone();
    assert_eq!(
        steps,
        json!([
            "plan",
            "sleep",
            "checkin-1",
            "await-1",
            "checkin-2",
            "await-2",
            "escalate"
        ])
    );
}

both_backends!(
    webhooks_with_a_bad_or_missing_signature_are_refused,
    bad_requests_list_every_problem_and_other_tenants_see_nothing,
    the_five_care_functions_are_listed_with_their_triggers_and_policies,
);
