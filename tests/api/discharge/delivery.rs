//! Durable delivery: the owner's email and the follow-up call wait on engine timers
//! until their time, survive a restart while they wait, go out exactly once, and
//! retry transient provider failures.

use std::time::Duration;

use careflow::app::Extensions;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{Env, Setup, env, finished, from_now, orchestrate, run, s, text_input};
use crate::both_backends;
use crate::helpers::{Backend, TestApp, json, step, until};

async fn email(app: &TestApp, id: &str) -> Value {
    json(app.get(&format!("/v1/discharge/emails/{id}")).await).await
}

fn time(v: &Value, key: &str) -> DateTime<Utc> {
    s(v, &format!("/{key}")).parse().unwrap()
}

async fn call(app: &TestApp, id: &str) -> Value {
    json(app.get(&format!("/v1/discharge/calls/{id}")).await).await
}

async fn the_email_and_call_go_out_at_their_time_exactly_once_across_restarts(backend: Backend) {
    let Env {
        mut app,
        smtp,
        voice,
        ..
    } = env(
        backend,
        Setup {
            smtp: Some(0),
            voice: Some(0),
            ..Setup::default()
        },
    )
    .await;
    let (smtp, voice) = (smtp.unwrap(), voice.unwrap());
    let email_at = from_now(&app, Duration::from_secs(2 * 3600));
    let call_at = from_now(&app, Duration::from_secs(3 * 3600));
    let r = app
        .post(
            "/v1/discharge/orchestrations?wait=0",
            &json!({
                "input": text_input(),
                "steps": {
                    "scheduleEmail": {"options": {"scheduledFor": email_at}},
                    "scheduleCall": {"options": {"scheduledFor": call_at}}
                }
            }),
        )
        .await;
    assert_eq!(r.status(), 202);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let run_id = json(r).await["runId"].as_str().unwrap().to_string();
    assert_eq!(location, format!("/v1/runs/{run_id}"));
    let body = json(
        app.get(&format!("/v1/discharge/orchestrations/{run_id}?wait=15s"))
            .await,
    )
    .await;
    assert_eq!(body["success"], true, "{body}");
    let data = &body["data"];
    assert_eq!(data["email"]["status"], "scheduled");
    assert_eq!(data["call"]["status"], "scheduled");
    let (email_id, call_id) = (s(data, "/email/emailId"), s(data, "/call/callId"));
    let (delivery, placement) = (
        s(data, "/email/deliveryRunId"),
        s(data, "/call/placementRunId"),
    );
    // Both delivery runs park on their timers and hold no worker.
    let parked = until(&app, delivery, |v| v["status"] == "sleeping").await;
    assert_eq!(
        time(&parked, "wakesAt"),
        time(&json!({"at": email_at}), "at")
    );
    until(&app, placement, |v| v["status"] == "sleeping").await;
    assert_eq!(email(&app, email_id).await["deliveryRunId"], delivery);

    // A redeploy while they wait loses nothing.
    app.restart(Extensions::default()).await;
    app.advance(Duration::from_secs(3600));
    app.settle().await;
    assert!(smtp.inbox().is_empty(), "sent before its time");
    assert_eq!(run(&app, delivery).await["status"], "sleeping");

    app.advance(Duration::from_secs(3600 + 5));
    let delivered = finished(&app, delivery).await;
    assert_eq!(delivered["status"], "completed", "{delivered}");
    assert_eq!(step(&delivered, "deliver")["output"]["status"], "sent");
    assert_eq!(smtp.inbox().len(), 1);
    assert_eq!(voice.requests(), 0, "the call is not due yet");
    let sent = email(&app, email_id).await;
    assert_eq!(
        (sent["status"].as_str(), sent["attempts"].as_i64()),
        (Some("sent"), Some(1))
    );
    assert!(time(&sent, "sentAt") >= time(&json!({"at": email_at}), "at"));

    app.restart(Extensions::default()).await;
    app.advance(Duration::from_secs(3600));
    let placed = finished(&app, placement).await;
    assert_eq!(
        step(&placed, "place")["output"]["status"],
        "placed",
        "{placed}"
    );
    assert_eq!(voice.placed().len(), 1);
    let c = call(&app, call_id).await;
    assert_eq!(
        (c["status"].as_str(), c["attempts"].as_i64()),
        (Some("placed"), Some(1))
    );

    // Later restarts and clock moves send nothing more.
    app.restart(Extensions::default()).await;
    app.advance(Duration::from_secs(24 * 3600));
    app.settle().await;
    assert_eq!(smtp.inbox().len(), 1);
    assert_eq!(smtp.attempts(), 1);
    assert_eq!(voice.requests(), 1);
}

async fn transient_provider_failures_are_retried_by_the_delivery_runs(backend: Backend) {
    let Env {
        app, smtp, voice, ..
    } = env(
        backend,
        Setup {
            smtp: Some(1),
            voice: Some(1),
            ..Setup::default()
        },
    )
    .await;
    let (smtp, voice) = (smtp.unwrap(), voice.unwrap());
    let body = orchestrate(&app, json!({"input": text_input()})).await;
    let data = &body["data"];
    finished(&app, s(data, "/email/deliveryRunId")).await;
    finished(&app, s(data, "/call/placementRunId")).await;
    let e = email(&app, s(data, "/email/emailId")).await;
    assert_eq!(e["status"], "sent", "{e}");
    assert_eq!(e["attempts"], 2);
    assert!(e["lastError"].is_null());
    assert_eq!((smtp.attempts(), smtp.inbox().len()), (2, 1));
    let c = call(&app, s(data, "/call/callId")).await;
    assert_eq!(c["status"], "placed", "{c}");
    assert_eq!(c["attempts"], 2);
    assert_eq!((voice.requests(), voice.placed().len()), (2, 1));
}

async fn a_delivery_that_keeps_failing_is_marked_failed(backend: Backend) {
    let Env { app, smtp, .. } = env(
        backend,
        Setup {
            smtp: Some(u32::MAX),
            ..Setup::default()
        },
    )
    .await;
    let body = orchestrate(
        &app,
        json!({"input": text_input(), "steps": {"scheduleCall": false}}),
    )
    .await;
    let data = &body["data"];
    let delivery = finished(&app, s(data, "/email/deliveryRunId")).await;
    assert_eq!(step(&delivery, "deliver")["status"], "failed");
    let e = email(&app, s(data, "/email/emailId")).await;
    assert_eq!(e["status"], "failed");
    assert_eq!(e["attempts"], 3, "the delivery policy's attempts");
    assert!(s(&e, "/lastError").contains("451"), "{e}");
    assert!(smtp.unwrap().inbox().is_empty());
}

async fn a_second_delivery_run_for_the_same_email_sends_nothing(backend: Backend) {
    let Env { app, smtp, .. } = env(
        backend,
        Setup {
            smtp: Some(0),
            ..Setup::default()
        },
    )
    .await;
    let smtp = smtp.unwrap();
    let at = from_now(&app, Duration::from_secs(3600));
    let body = orchestrate(
        &app,
        json!({"input": text_input(), "steps": {
            "scheduleEmail": {"options": {"scheduledFor": at}},
            "scheduleCall": false
        }}),
    )
    .await;
    let email_id = s(&body, "/data/email/emailId");
    // Anyone may start the delivery workflow by hand; it must not double the email.
    let r = app
        .post(
            "/v1/workflows/discharge-email-delivery/runs?wait=0",
            &json!({"input": {"emailId": email_id}}),
        )
        .await;
    let rogue = json(r).await["runId"].as_str().unwrap().to_string();
    until(&app, &rogue, |v| v["status"] == "sleeping").await;
    app.advance(Duration::from_secs(3601));
    finished(&app, s(&body, "/data/email/deliveryRunId")).await;
    let rogue = finished(&app, &rogue).await;
    let outcome = &step(&rogue, "deliver");
    assert!(
        outcome["output"]["status"] == "sent"
            || s(outcome, "/error/message").contains("delivered by another run"),
        "{rogue}"
    );
    assert_eq!(smtp.inbox().len(), 1);
    let e = email(&app, email_id).await;
    assert_eq!(
        (e["status"].as_str(), e["attempts"].as_i64()),
        (Some("sent"), Some(1))
    );
    assert_eq!(e["deliveryRunId"], body["data"]["email"]["deliveryRunId"]);
}

both_backends!(
    a_second_delivery_run_for_the_same_email_sends_nothing,
    the_email_and_call_go_out_at_their_time_exactly_once_across_restarts,
    transient_provider_failures_are_retried_by_the_delivery_runs,
    a_delivery_that_keeps_failing_is_marked_failed,
);
