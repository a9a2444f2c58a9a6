//! An urgent call nobody answers is followed by one SMS with the same text; a normal
//! call that goes unanswered, and an answered urgent call, are not.

use serde_json::{Value, json};

use super::{eventually, finished, get_json, post_json, runs, send, spawn, twilio_post};
use crate::both_backends;
use crate::helpers::{Backend, TestApp};

const PHONE: &str = "+15552220701";

/// Asks for a call to the nurse and returns its notification id and Twilio's call id.
async fn call(care: &super::Care, nurse: &str, priority: &str, message: &str) -> (String, String) {
    let app = &care.app;
    let answer = send(
        app,
        json!({"name": "notification/send",
               "data": {"nurseId": nurse, "priority": priority, "message": message}}),
    )
    .await;
    let run = answer["runs"][0]["runId"].as_str().unwrap().to_string();
    let done = finished(app, &run).await;
    assert_eq!(done["status"], "completed", "{done}");
    let id = crate::helpers::step(&done, "log")["output"]["notificationId"]
        .as_str()
        .unwrap()
        .to_string();
    let sid = care
        .twilio
        .sent()
        .into_iter()
        .rev()
        .find(|s| s.kind == "call" && s.body.contains(message))
        .unwrap()
        .sid;
    (id, sid)
}

async fn call_status(app: &TestApp, sid: &str, status: &str) {
    let r = twilio_post(
        app,
        "/v1/webhooks/twilio/status",
        &[("CallSid", sid), ("CallStatus", status)],
        None,
    )
    .await;
    assert_eq!(r.status(), 204);
}

async fn log(app: &TestApp) -> Vec<Value> {
    get_json(app, "/v1/notifications?limit=100").await["notifications"]
        .as_array()
        .unwrap()
        .clone()
}

async fn sms_count(care: &super::Care) -> usize {
    care.twilio.sms_to(PHONE).len()
}

async fn an_unanswered_urgent_call_falls_back_to_one_sms(backend: Backend) {
    let care = spawn(backend, |_| {}).await;
    let app = &care.app;
    let (status, n) = post_json(
        app,
        "/v1/nurses",
        json!({"name": "Nurse V", "phone": PHONE, "preferredChannel": "voice"}),
    )
    .await;
    assert_eq!(status, 201, "{n}");
    let nurse = n["nurseId"].as_str().unwrap().to_string();

    // Unanswered but not urgent, and urgent but answered: no SMS.
    let (_, normal) = call(&care, &nurse, "normal", "Rota changes tomorrow").await;
    call_status(app, &normal, "no-answer").await;
    let (_, answered) = call(&care, &nurse, "urgent", "Bed 2 needs a review").await;
    call_status(app, &answered, "in-progress").await;
    call_status(app, &answered, "completed").await;

    for (i, outcome) in ["no-answer", "busy", "failed", "canceled"]
        .iter()
        .enumerate()
    {
        let text = format!("Bed {} is deteriorating", 10 + i);
        let (id, sid) = call(&care, &nurse, "urgent", &text).await;
        call_status(app, &sid, "ringing").await;
        call_status(app, &sid, outcome).await;
        // Repeated, as Twilio may: still one SMS.
        call_status(app, &sid, outcome).await;
        let sms = eventually(&format!("the SMS after {outcome}"), || async {
            log(app)
                .await
                .into_iter()
                .find(|n| n["fallbackFor"] == id.as_str() && n["status"] == "sent")
        })
        .await;
        assert_eq!(sms["channel"], "sms");
        assert_eq!(sms["body"], text.as_str());
        assert_eq!(sms["priority"], "urgent");
        assert_eq!(sms["recipient"]["id"], nurse.as_str());
        let texts: Vec<String> = care
            .twilio
            .sms_to(PHONE)
            .into_iter()
            .map(|s| s.body)
            .collect();
        assert_eq!(texts.last(), Some(&text), "{texts:?}");
        assert_eq!(texts.len(), i + 1, "{texts:?}");
        let call_entry = log(app)
            .await
            .into_iter()
            .find(|n| n["notificationId"] == id.as_str())
            .unwrap();
        assert_eq!(call_entry["providerStatus"], *outcome);
        assert_eq!(call_entry["fallbackFor"], Value::Null);

        // Asking again for the same fallback logs and sends nothing new.
        let again = send(
            app,
            json!({"name": "notification/send", "data": {"fallbackFor": id, "nurseId": nurse}}),
        )
        .await;
        let run = again["runs"][0]["runId"].as_str().unwrap().to_string();
        assert_eq!(finished(app, &run).await["status"], "completed");
        assert_eq!(sms_count(&care).await, i + 1);
    }
    let fallbacks = log(app)
        .await
        .into_iter()
        .filter(|n| !n["fallbackFor"].is_null())
        .count();
    assert_eq!(fallbacks, 4);
    // Every send-notification run ended; none is left to send another SMS.
    for r in runs(app, "send-notification").await {
        assert_eq!(r["status"], "completed", "{r}");
    }
}

async fn a_fallback_for_anything_but_an_unanswered_urgent_call_is_refused(backend: Backend) {
    let care = spawn(backend, |_| {}).await;
    let app = &care.app;
    let (_, n) = post_json(
        app,
        "/v1/nurses",
        json!({"name": "Nurse W", "phone": PHONE, "preferredChannel": "voice"}),
    )
    .await;
    let nurse = n["nurseId"].as_str().unwrap().to_string();
    let (id, _) = call(&care, &nurse, "urgent", "Bed 7 call back").await;
    // Still ringing as far as anyone knows: no SMS.
    let answer = send(
        app,
        json!({"name": "notification/send", "data": {"fallbackFor": id, "nurseId": nurse}}),
    )
    .await;
    let run = answer["runs"][0]["runId"].as_str().unwrap().to_string();
    let done = finished(app, &run).await;
    assert_eq!(done["status"], "failed", "{done}");
    let message = crate::helpers::step(&done, "log")["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.contains("urgent call that was not answered"),
        "{message}"
    );
    assert_eq!(sms_count(&care).await, 0);
}

both_backends!(
    an_unanswered_urgent_call_falls_back_to_one_sms,
    a_fallback_for_anything_but_an_unanswered_urgent_call_is_refused,
);
