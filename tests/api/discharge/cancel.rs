//! Cancelling deliveries: a cancelled delivery run cancels its email or call, the
//! outbox routes cancel them directly, and a resend puts an email back in the
//! outbox with a Message-ID of its own.

use std::time::Duration;

use serde_json::{Value, json};

use super::{Env, Setup, env, finished, from_now, orchestrate, run, s, text_input};
use crate::both_backends;
use crate::helpers::{Backend, TestApp, eventually, json, until};

async fn record(app: &TestApp, kind: &str, id: &str) -> Value {
    json(app.get(&format!("/v1/discharge/{kind}/{id}")).await).await
}

/// Reads a record until its status is `want`: the router settles cancellations
/// of runs that were executing, a few milliseconds after they commit.
async fn until_status(app: &TestApp, kind: &str, id: &str, want: &str) -> Value {
    eventually(&format!("{kind} {id} to become {want}"), || async {
        let v = record(app, kind, id).await;
        if v["status"] == want { Ok(v) } else { Err(v) }
    })
    .await
}

/// An orchestration whose email and call are due in two hours.
async fn scheduled_later(app: &TestApp) -> Value {
    let at = from_now(app, Duration::from_secs(2 * 3600));
    let body = orchestrate(
        app,
        json!({
            "input": text_input(),
            "steps": {
                "scheduleEmail": {"options": {"scheduledFor": at}},
                "scheduleCall": {"options": {"scheduledFor": at}}
            }
        }),
    )
    .await;
    let data = body["data"].clone();
    until(app, s(&data, "/email/deliveryRunId"), |v| {
        v["status"] == "sleeping"
    })
    .await;
    until(app, s(&data, "/call/placementRunId"), |v| {
        v["status"] == "sleeping"
    })
    .await;
    data
}

async fn cancelling_a_delivery_run_cancels_its_email_and_call(backend: Backend) {
    let Env {
        app, smtp, voice, ..
    } = env(
        backend,
        Setup {
            smtp: Some(0),
            voice: Some(0),
            ..Setup::default()
        },
    )
    .await;
    let data = scheduled_later(&app).await;
    for (kind, id, run) in [
        ("emails", "/email/emailId", "/email/deliveryRunId"),
        ("calls", "/call/callId", "/call/placementRunId"),
    ] {
        let r = app
            .post(&format!("/v1/runs/{}/cancel", s(&data, run)), &json!({}))
            .await;
        assert_eq!(json(r).await["status"], "cancelled");
        let row = until_status(&app, kind, s(&data, id), "cancelled").await;
        assert_eq!(row["attempts"], 0, "{row}");
    }
    app.advance(Duration::from_secs(3 * 3600));
    app.settle().await;
    assert!(smtp.unwrap().inbox().is_empty());
    assert_eq!(voice.unwrap().requests(), 0);
    let retried = app
        .post(
            &format!("/v1/runs/{}/retry", s(&data, "/email/deliveryRunId")),
            &json!({}),
        )
        .await;
    assert_eq!(retried.status(), 202);
    finished(&app, s(&data, "/email/deliveryRunId")).await;
    assert_eq!(
        record(&app, "emails", s(&data, "/email/emailId")).await["status"],
        "cancelled",
        "retrying the run does not revive a cancelled email"
    );
}

async fn the_outbox_routes_cancel_and_resend(backend: Backend) {
    let Env {
        app, smtp, voice, ..
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
    let data = scheduled_later(&app).await;
    let email_id = s(&data, "/email/emailId").to_string();
    let first_run = s(&data, "/email/deliveryRunId").to_string();
    let cancel = format!("/v1/discharge/emails/{email_id}/cancel");
    let r = app.post(&cancel, &json!({})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(json(r).await["status"], "cancelled");
    assert_eq!(run(&app, &first_run).await["status"], "cancelled");
    let again = app.post(&cancel, &json!({})).await;
    assert_eq!(again.status(), 200, "cancelling twice answers the email");

    let call_id = s(&data, "/call/callId");
    let r = app
        .post(&format!("/v1/discharge/calls/{call_id}/cancel"), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(json(r).await["status"], "cancelled");
    assert_eq!(
        run(&app, s(&data, "/call/placementRunId")).await["status"],
        "cancelled"
    );
    app.advance(Duration::from_secs(3 * 3600));
    app.settle().await;
    assert!(smtp.inbox().is_empty());
    assert_eq!(voice.requests(), 0);

    // Sent again on request: a new run, due now.
    let resend = format!("/v1/discharge/emails/{email_id}/resend");
    let r = app.post(&resend, &json!({})).await;
    assert_eq!(r.status(), 202);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let queued = json(r).await;
    assert_eq!(queued["status"], "scheduled");
    assert_eq!(queued["resends"], 1);
    let second_run = s(&queued, "/deliveryRunId").to_string();
    assert_ne!(second_run, first_run);
    assert_eq!(location, format!("/v1/runs/{second_run}"));
    finished(&app, &second_run).await;
    let sent = until_status(&app, "emails", &email_id, "sent").await;
    assert_eq!(smtp.inbox().len(), 1);
    // A sent email can be sent once more, under another Message-ID; it cannot be
    // cancelled.
    let r = app.post(&resend, &json!({})).await;
    assert_eq!(r.status(), 202);
    let third_run = s(&json(r).await, "/deliveryRunId").to_string();
    finished(&app, &third_run).await;
    let resent = until_status(&app, "emails", &email_id, "sent").await;
    let inbox = smtp.inbox();
    assert_eq!(inbox.len(), 2);
    assert_ne!(sent["messageId"], resent["messageId"]);
    assert_eq!(resent["resends"], 2);
    let r = app.post(&cancel, &json!({})).await;
    assert_eq!(r.status(), 409);
    assert_eq!(
        app.post("/v1/discharge/emails/not-an-id/cancel", &json!({}))
            .await
            .status(),
        404
    );
    let other = app.key_for("tenant-b").await;
    let foreign = app
        .http
        .post(app.url(&resend))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), 404);
}

both_backends!(
    cancelling_a_delivery_run_cancels_its_email_and_call,
    the_outbox_routes_cancel_and_resend,
);
