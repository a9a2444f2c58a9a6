//! Stopping check-ins: readmission, opt-out and death cancel a patient's pending
//! check-ins; STOP (and Twilio's other opt-out keywords) ends outreach to the number
//! and is recorded, START lets it resume; the check-in announces itself with
//! `checkin/scheduled` and `checkin/completed`.

use std::time::Duration;

use serde_json::{Value, json};

use super::{events, events_n, eventually, finished, get_json, reaches, reply, runs, send, spawn};
use crate::both_backends;
use crate::helpers::{Backend, TestApp, step};

/// A discharge now: the first check-in is a day away.
async fn discharged(app: &TestApp, patient: &str, phone: &str) -> String {
    let answer = send(
        app,
        json!({"name": "patient/discharged", "data": {"patientId": patient, "phone": phone}}),
    )
    .await;
    answer["runs"][0]["runId"].as_str().unwrap().to_string()
}

/// A discharge a day and an hour ago: the check-in is due at once.
async fn discharged_yesterday(app: &TestApp, patient: &str, phone: &str) -> String {
    let at = app.clock_now() - chrono::Duration::hours(25);
    let answer = send(
        app,
        json!({"name": "patient/discharged",
               "data": {"patientId": patient, "phone": phone, "dischargedAt": at.to_rfc3339()}}),
    )
    .await;
    answer["runs"][0]["runId"].as_str().unwrap().to_string()
}

async fn outreach(app: &TestApp, patient: &str) -> Value {
    get_json(app, &format!("/v1/patients/{patient}/outreach")).await
}

async fn readmission_opt_out_or_death_cancels_the_pending_checkins(backend: Backend) {
    let care = spawn(backend, |_| {}).await;
    let app = &care.app;
    let cases = [
        ("patient/readmitted", "p-2001", "+15551240001"),
        ("patient/opted_out", "p-2002", "+15551240002"),
        ("patient/deceased", "p-2003", "+15551240003"),
    ];
    let mut stopped = Vec::new();
    for (_, patient, phone) in cases {
        let run = discharged(app, patient, phone).await;
        reaches(app, &run, "sleeping").await;
        stopped.push(run);
    }
    let control = discharged(app, "p-2004", "+15551240004").await;
    reaches(app, &control, "sleeping").await;
    let scheduled = events_n(app, "checkin/scheduled", 4).await;
    assert!(
        scheduled
            .iter()
            .all(|e| e["data"]["planId"].is_string() && e["data"]["dueAt"].is_string()),
        "{scheduled:?}"
    );

    for ((event, patient, _), run) in cases.iter().zip(&stopped) {
        send(app, json!({"name": event, "data": {"patientId": patient}})).await;
        let done = reaches(app, run, "cancelled").await;
        assert_ne!(step(&done, "checkin-1")["status"], "completed", "{event}");
        let plan = eventually(&format!("the plan of {patient} ended"), || async {
            let o = outreach(app, patient).await;
            (o["plans"][0]["status"] == "cancelled").then_some(o)
        })
        .await;
        assert!(plan["plans"][0]["finishedAt"].is_string());
    }
    // A day later only the control patient is texted.
    app.advance(Duration::from_secs(25 * 3600));
    eventually("the control patient's check-in", || async {
        (care.twilio.sms_to("+15551240004").len() == 1).then_some(())
    })
    .await;
    reaches(app, &control, "waiting").await;
    for (_, _, phone) in cases {
        assert!(care.twilio.sms_to(phone).is_empty(), "{phone}");
    }
    assert_eq!(care.twilio.sent().len(), 1);
}

async fn stop_ends_outreach_to_the_number_and_start_resumes_it(backend: Backend) {
    let care = spawn(backend, |_| {}).await;
    let app = &care.app;
    const PHONE: &str = "+15551240100";
    let run = discharged_yesterday(app, "p-2100", PHONE).await;
    reaches(app, &run, "waiting").await;
    eventually("the check-in", || async {
        (care.twilio.sms_to(PHONE).len() == 1).then_some(())
    })
    .await;

    reply(app, PHONE, "SMstop0001", " stop ").await;
    // Twilio may repeat the webhook: one record, one event.
    reply(app, PHONE, "SMstop0001", " stop ").await;
    let done = reaches(app, &run, "cancelled").await;
    assert_ne!(step(&done, "checkin-2")["status"], "completed");
    let opted = events_n(app, "patient/opted_out", 1).await;
    assert_eq!(opted[0]["data"]["patientId"], "p-2100");
    assert_eq!(opted[0]["data"]["keyword"], "STOP");
    let o = eventually("the plan opted out", || async {
        let o = outreach(app, "p-2100").await;
        (o["plans"][0]["status"] == "opted_out").then_some(o)
    })
    .await;
    assert_eq!(o["plans"][0]["attempts"][0]["status"], "cancelled");
    assert_eq!(o["smsConsent"]["optedOut"], true);
    assert_eq!(o["smsConsent"]["keyword"], "STOP");
    // The keyword is not a clinical reply.
    assert!(o["interactions"].as_array().unwrap().is_empty(), "{o}");
    assert!(runs(app, "handle-checkin-response").await.is_empty());

    // A new discharge to the opted-out number sends nothing.
    let again = discharged_yesterday(app, "p-2101", PHONE).await;
    let done = finished(app, &again).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(step(&done, "checkin-1")["output"]["stopped"], "opted_out");
    assert_eq!(step(&done, "escalate")["output"]["escalated"], false);
    assert_eq!(
        outreach(app, "p-2101").await["plans"][0]["status"],
        "opted_out"
    );
    let completed = events_n(app, "checkin/completed", 1).await;
    assert_eq!(completed[0]["data"]["outcome"], "opted_out");
    // A message to the number is withheld, not sent.
    let answer = send(
        app,
        json!({"name": "notification/send", "data": {"to": PHONE, "message": "Your results are in"}}),
    )
    .await;
    let withheld = answer["runs"][0]["runId"].as_str().unwrap().to_string();
    let withheld = finished(app, &withheld).await;
    assert_eq!(step(&withheld, "send")["output"]["status"], "CANCELLED");
    assert_eq!(care.twilio.sms_to(PHONE).len(), 1);
    assert_eq!(events(app, "patient/opted_out").await.len(), 1);

    // START: texting resumes.
    reply(app, PHONE, "SMstart0001", "Start").await;
    eventually("consent back", || async {
        let o = outreach(app, "p-2101").await;
        (o["smsConsent"]["optedOut"] == false).then_some(())
    })
    .await;
    let resumed = discharged_yesterday(app, "p-2102", PHONE).await;
    reaches(app, &resumed, "waiting").await;
    eventually("the check-in after START", || async {
        (care.twilio.sms_to(PHONE).len() == 2).then_some(())
    })
    .await;
}

async fn a_checkin_announces_its_completion(backend: Backend) {
    let care = spawn(backend, |s| {
        s.care.reply_timeout = Duration::from_secs(3600);
        s.care.checkin_attempts = 1;
    })
    .await;
    let app = &care.app;
    let replied = discharged_yesterday(app, "p-2200", "+15551240200").await;
    let silent = discharged_yesterday(app, "p-2201", "+15551240201").await;
    reaches(app, &replied, "waiting").await;
    reaches(app, &silent, "waiting").await;
    reply(app, "+15551240200", "SMok0001", "All fine, stop worrying").await;
    assert_eq!(finished(app, &replied).await["status"], "completed");
    app.advance(Duration::from_secs(3601));
    assert_eq!(finished(app, &silent).await["status"], "completed");
    let completed = events_n(app, "checkin/completed", 2).await;
    let outcome = |patient: &str| {
        completed
            .iter()
            .find(|e| e["data"]["patientId"] == patient)
            .map(|e| e["data"]["outcome"].clone())
    };
    assert_eq!(outcome("p-2200"), Some(json!("replied")));
    assert_eq!(outcome("p-2201"), Some(json!("no_reply")));
    // A sentence with "stop" in it is a reply like any other.
    assert!(events(app, "patient/opted_out").await.is_empty());
}

both_backends!(
    readmission_opt_out_or_death_cancels_the_pending_checkins,
    stop_ends_outreach_to_the_number_and_start_resumes_it,
    a_checkin_announces_its_completion,
);
