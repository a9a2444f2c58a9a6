//! `TestApp::settle`, the engine's wait until idle: once it returns, whatever was
//! due by the clock has happened, through every hop (the event router, claims,
//! steps, the runs their events start), so a test may read the outcome without
//! waiting and assert that nothing else happened.

use std::time::Duration;

use serde_json::json;

use crate::both_backends;
use crate::care::{runs, send, spawn as spawn_care};
use crate::helpers::{Backend, TestApp, json, lab, until};
use crate::lab::Recorder;

async fn a_timer_due_by_the_clock_has_fired_once_settled(backend: Backend) {
    let rec = Recorder::default();
    let app = TestApp::spawn_with(backend, |_| {}, lab(&rec)).await;
    let r = app
        .post(
            "/v1/workflows/nap/runs?wait=0",
            &json!({"input": {"seconds": 3600}}),
        )
        .await;
    let id = json(r).await["runId"].as_str().unwrap().to_string();
    until(&app, &id, |v| v["status"] == "sleeping").await;
    app.settle().await;
    let run = json(app.get(&format!("/v1/runs/{id}")).await).await;
    assert_eq!(run["status"], "sleeping", "not due yet");

    app.advance(Duration::from_secs(3601));
    app.settle().await;
    // Read at once, without `?wait=`: settling is the wait.
    let run = json(app.get(&format!("/v1/runs/{id}")).await).await;
    assert_eq!(run["status"], "completed", "{run}");
    assert_eq!(rec.calls_of(&id).len(), 1);
}

async fn an_event_is_routed_to_the_runs_it_starts_before_the_engine_settles(backend: Backend) {
    let care = spawn_care(backend, |_| {}).await;
    let app = &care.app;
    let phone = "+15551237777";
    send(
        app,
        json!({"name": "patient/discharged",
               "data": {"patientId": "p-900", "phone": phone}}),
    )
    .await;
    app.settle().await;
    let checkins = runs(app, "schedule-checkin").await;
    assert_eq!(checkins.len(), 1);
    assert_eq!(checkins[0]["status"], "sleeping", "{checkins:?}");
    assert!(care.twilio.sms_to(phone).is_empty());

    // The check-in emits `notification/send`; the router starts its own run, which
    // sends the SMS: all of it is done once the engine has settled.
    app.advance(Duration::from_secs(24 * 3600));
    app.settle().await;
    assert_eq!(care.twilio.sms_to(phone).len(), 1);
    let sends = runs(app, "send-notification").await;
    assert_eq!(sends.len(), 1);
    assert_eq!(sends[0]["status"], "completed", "{sends:?}");
}

both_backends!(
    a_timer_due_by_the_clock_has_fired_once_settled,
    an_event_is_routed_to_the_runs_it_starts_before_the_engine_settles,
);
