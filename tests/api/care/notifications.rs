//! The notification log: the shared provider clients, the daily SMS cap, channels
//! without a provider, transient provider failures, and status callbacks out of order
//! and repeated.

use serde_json::{Value, json};

use super::{
    events, events_n, eventually, finished, get_json, nurse, post_json, runs, send, spawn,
    twilio_post,
};
use crate::both_backends;
use crate::helpers::{Backend, TestApp};

/// Sends one free-text notification and returns its log entry once settled.
async fn notify(app: &TestApp, data: Value) -> Value {
    let answer = send(app, json!({"name": "notification/send", "data": data})).await;
    let run = answer["runs"][0]["runId"].as_str().unwrap().to_string();
    let done = finished(app, &run).await;
    assert_eq!(done["status"], "completed", "{done}");
    let id = crate::helpers::step(&done, "log")["output"]["notificationId"]
        .as_str()
        .unwrap()
        .to_string();
    let log = get_json(app, "/v1/notifications?limit=100").await;
    log["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["notificationId"] == id.as_str())
        .cloned()
        .unwrap()
}

async fn sends_beyond_the_daily_sms_cap_fail_clearly(backend: Backend) {
    let care = spawn(backend, |s| s.care.daily_sms_cap = 2).await;
    let app = &care.app;
    let mut statuses = Vec::new();
    for i in 0..3 {
        let n = notify(
            app,
            json!({"to": format!("+1555333000{i}"), "message": "Your appointment is at 9"}),
        )
        .await;
        statuses.push((n["status"].clone(), n["error"].clone()));
    }
    assert_eq!(statuses[0].0, "sent");
    assert_eq!(statuses[1].0, "sent");
    assert_eq!(statuses[2].0, "failed");
    let error = statuses[2].1.as_str().unwrap();
    assert!(error.contains("daily sms cap of 2 reached"), "{error}");
    assert_eq!(care.twilio.sent().len(), 2);
    let failed = events_n(app, "notification/failed", 1).await;
    assert!(failed[0]["data"]["error"].as_str().unwrap().contains("cap"));
    let listed = get_json(app, "/v1/notifications?status=failed&channel=sms").await;
    assert_eq!(listed["notifications"].as_array().unwrap().len(), 1);
}

async fn sms_without_twilio_fails_as_not_configured_while_email_is_spooled(backend: Backend) {
    let spool = tempfile::tempdir().unwrap();
    let dir = spool.path().to_path_buf();
    let app = TestApp::spawn_with(
        backend,
        move |s| s.providers.smtp.spool_dir = dir,
        Default::default,
    )
    .await;
    let sms = notify(&app, json!({"to": "+15553330001", "message": "Hello"})).await;
    assert_eq!(sms["status"], "failed");
    assert_eq!(sms["error"], "channel sms not configured");
    let push = notify(
        &app,
        json!({"to": "+15553330001", "channel": "push", "message": "Hi"}),
    )
    .await;
    assert_eq!(push["error"], "channel push not configured");
    let email = notify(
        &app,
        json!({"to": "ward@clinic.example", "subject": "Rota", "message": "New rota is out"}),
    )
    .await;
    assert_eq!(email["status"], "sent", "{email}");
    assert_eq!(email["provider"], "spool");
    let files: Vec<_> = std::fs::read_dir(spool.path())
        .unwrap()
        .filter_map(Result::ok)
        .collect();
    assert_eq!(files.len(), 1);
    let eml = std::fs::read_to_string(files[0].path()).unwrap();
    assert!(eml.contains("Subject: Rota"), "{eml}");
}

async fn a_transient_provider_failure_is_retried_and_a_permanent_one_is_logged(backend: Backend) {
    let care = spawn(backend, |_| {}).await;
    let app = &care.app;
    care.twilio.fail_next(&[503]);
    let retried = notify(app, json!({"to": "+15553330002", "message": "Hello"})).await;
    assert_eq!(retried["status"], "sent", "{retried}");
    assert_eq!(retried["attempts"], 2);
    care.twilio.fail_next(&[400]);
    let refused = notify(app, json!({"to": "+15553330003", "message": "Hello"})).await;
    assert_eq!(refused["status"], "failed", "{refused}");
    assert!(
        refused["error"].as_str().unwrap().contains("HTTP 400"),
        "{refused}"
    );
    assert_eq!(refused["attempts"], 1);
}

async fn status_callbacks_out_of_order_and_repeated_never_move_a_status_backwards(
    backend: Backend,
) {
    let care = spawn(backend, |_| {}).await;
    let app = &care.app;
    let nurse = nurse(app, "Nurse C", "+15552220301").await;
    let sent = notify(
        app,
        json!({"nurseId": nurse, "kind": "message", "message": "Handover at 7"}),
    )
    .await;
    assert_eq!(sent["status"], "sent");
    assert_eq!(sent["recipient"]["kind"], "nurse");
    let sid = sent["providerId"].as_str().unwrap().to_string();
    assert_eq!(care.twilio.sms_to("+15552220301")[0].sid, sid);
    let id = sent["notificationId"].as_str().unwrap().to_string();
    let callback = |status: &'static str| {
        let sid = sid.clone();
        async move {
            let r = twilio_post(
                app,
                "/v1/webhooks/twilio/status",
                &[
                    ("MessageSid", sid.as_str()),
                    ("SmsSid", sid.as_str()),
                    ("MessageStatus", status),
                    ("SmsStatus", status),
                    ("AccountSid", crate::fake_twilio::ACCOUNT),
                    ("To", "+15552220301"),
                    ("From", "+15550000001"),
                ],
                None,
            )
            .await;
            assert_eq!(r.status(), 204, "{status}");
        }
    };
    let status_now = || async {
        let log = get_json(app, "/v1/notifications?channel=sms").await;
        log["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["notificationId"] == id.as_str())
            .map(|n| (n["status"].clone(), n["providerStatus"].clone()))
            .unwrap()
    };
    callback("sent").await;
    assert_eq!(status_now().await, (json!("sent"), json!("sent")));
    callback("delivered").await;
    callback("delivered").await;
    callback("sent").await;
    callback("failed").await;
    assert_eq!(status_now().await, (json!("delivered"), json!("delivered")));
    callback("read").await;
    callback("delivered").await;
    assert_eq!(status_now().await, (json!("read"), json!("read")));
    let delivered = events_n(app, "notification/delivered", 1).await;
    assert_eq!(delivered[0]["data"]["notificationId"], id.as_str());
    assert_eq!(delivered[0]["data"]["nurseId"], nurse.as_str());
    assert_eq!(delivered[0]["source"], "twilio");
    events_n(app, "notification/read", 1).await;
    assert_eq!(events(app, "notification/delivered").await.len(), 1);
    assert!(events(app, "notification/failed").await.is_empty());
    // A callback for a message careflow never sent changes nothing.
    let r = twilio_post(
        app,
        "/v1/webhooks/twilio/status",
        &[("MessageSid", "SMunknown"), ("MessageStatus", "delivered")],
        None,
    )
    .await;
    assert_eq!(r.status(), 204);
    eventually("one send-notification run", || async {
        (runs(app, "send-notification").await.len() == 1).then_some(())
    })
    .await;
}

async fn a_voice_notification_is_a_call_whose_completion_counts_as_delivered(backend: Backend) {
    let care = spawn(backend, |_| {}).await;
    let app = &care.app;
    let (status, n) = post_json(
        app,
        "/v1/nurses",
        json!({"name": "Nurse V", "phone": "+15552220601", "preferredChannel": "voice"}),
    )
    .await;
    assert_eq!(status, 201, "{n}");
    let nurse = n["nurseId"].as_str().unwrap().to_string();
    let called = notify(
        app,
        json!({"nurseId": nurse, "message": "Bed 4 needs you <now> & fast"}),
    )
    .await;
    assert_eq!(called["channel"], "voice");
    assert_eq!(called["status"], "sent", "{called}");
    let calls: Vec<_> = care
        .twilio
        .sent()
        .into_iter()
        .filter(|s| s.kind == "call")
        .collect();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].body,
        "<Response><Say>Bed 4 needs you &lt;now&gt; &amp; fast</Say></Response>"
    );
    let sid = calls[0].sid.clone();
    for status in ["ringing", "completed", "in-progress"] {
        let r = twilio_post(
            app,
            "/v1/webhooks/twilio/status",
            &[("CallSid", sid.as_str()), ("CallStatus", status)],
            None,
        )
        .await;
        assert_eq!(r.status(), 204);
    }
    let log = get_json(app, "/v1/notifications?channel=voice").await;
    let entry = &log["notifications"][0];
    assert_eq!(entry["status"], "delivered");
    assert_eq!(entry["providerStatus"], "completed");
    events_n(app, "notification/delivered", 1).await;
}

/// The care functions send through the clients built once at start-up, so their calls
/// count on the same breakers as every other workflow's: one per provider account.
async fn sms_and_email_go_through_the_shared_provider_clients(backend: Backend) {
    let smtp = crate::fake_smtp::FakeSmtp::spawn(0).await;
    let port = smtp.port;
    let care = spawn(backend, move |s| {
        let relay = &mut s.providers.smtp;
        relay.host = "127.0.0.1".into();
        relay.port = port;
        relay.tls = careflow::config::TlsMode::None;
    })
    .await;
    let app = &care.app;
    let sms = notify(app, json!({"to": "+15553330009", "message": "Hello"})).await;
    assert_eq!(sms["status"], "sent", "{sms}");
    let email = notify(
        app,
        json!({"to": "ward@clinic.example", "subject": "Rota", "message": "New rota is out"}),
    )
    .await;
    assert_eq!(email["status"], "sent", "{email}");
    assert_eq!(email["provider"], "smtp");
    assert_eq!(smtp.inbox().len(), 1);

    let listed = get_json(app, "/v1/providers").await;
    let breakers = listed["providers"].as_array().unwrap();
    let calls = |name: &str| {
        breakers
            .iter()
            .find(|b| b["name"] == name)
            .map(|b| b["calls"].clone())
    };
    assert_eq!(calls("twilio"), Some(json!(1)), "{listed}");
    assert_eq!(calls("smtp"), Some(json!(1)), "{listed}");
    // One account, one breaker: no separate SMS or voice breakers any more.
    assert_eq!(calls("sms"), None, "{listed}");
    assert_eq!(calls("voice"), None, "{listed}");
}

both_backends!(
    sms_and_email_go_through_the_shared_provider_clients,
    sends_beyond_the_daily_sms_cap_fail_clearly,
    a_voice_notification_is_a_call_whose_completion_counts_as_delivered,
    sms_without_twilio_fails_as_not_configured_while_email_is_spooled,
    a_transient_provider_failure_is_retried_and_a_permanent_one_is_logged,
    status_callbacks_out_of_order_and_repeated_never_move_a_status_backwards,
);
