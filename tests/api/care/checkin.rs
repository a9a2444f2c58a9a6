//! The check-in: a reply before the timeout ends the follow-up; silence is retried
//! per the plan, then escalated; a repeated event id starts nothing.

use std::time::Duration;

use serde_json::json;

use super::{events_n, eventually, finished, get_json, reaches, reply, runs, send, spawn};
use crate::both_backends;
use crate::helpers::{Backend, step};

const PHONE: &str = "+15551239999";

/// A discharge a day and an hour ago: the check-in is due at once.
async fn discharged_yesterday(app: &crate::helpers::TestApp, patient: &str) -> String {
    let at = app.clock_now() - chrono::Duration::hours(25);
    let answer = send(
        app,
        json!({"name": "patient/discharged",
               "data": {"patientId": patient, "phone": PHONE, "dischargedAt": at.to_rfc3339()}}),
    )
    .await;
    answer["runs"][0]["runId"].as_str().unwrap().to_string()
}

async fn a_reply_before_the_timeout_ends_the_follow_up(backend: Backend) {
    let care = spawn(backend, |_| {}).await;
    let app = &care.app;
    let run = discharged_yesterday(app, "p-200").await;
    reaches(app, &run, "waiting").await;
    let first = eventually("the check-in SMS", || async {
        care.twilio.sms_to(PHONE).first().cloned()
    })
    .await;
    assert!(
        first.body.starts_with("Hello, this is your care team"),
        "{}",
        first.body
    );

    reply(
        app,
        PHONE,
        "SMfine0001",
        "Feeling good, thanks. No problems.",
    )
    .await;
    let done = finished(app, &run).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(step(&done, "await-1")["output"]["replied"], true);
    assert_eq!(step(&done, "checkin-2")["output"]["sent"], false);
    assert_eq!(step(&done, "escalate")["output"]["escalated"], false);

    // Long past every timeout: no second SMS; a person still reads the reply.
    app.advance(Duration::from_secs(10 * 3600));
    let handled = eventually("the reply handled", || async {
        let r = runs(app, "handle-checkin-response").await;
        r.first().map(|r| r["runId"].as_str().unwrap().to_string())
    })
    .await;
    let handled = finished(app, &handled).await;
    assert_eq!(step(&handled, "record")["output"]["severity"], "NONE");
    assert_eq!(step(&handled, "escalate")["output"]["escalated"], false);
    assert_eq!(care.twilio.sms_to(PHONE).len(), 1);
    let tasks = get_json(app, "/v1/tasks").await["tasks"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(tasks.len(), 1, "{tasks:?}");
    assert_eq!(tasks[0]["title"], "Review reply (NONE)");
    assert_eq!(tasks[0]["severity"], "low");
    assert_eq!(tasks[0]["priority"], "low");
    assert_eq!(tasks[0]["slaMinutes"], 1440);
    assert_eq!(tasks[0]["origin"], "checkin_response");
    assert!(super::events(app, "interaction/escalated").await.is_empty());
    let outreach = get_json(app, "/v1/patients/p-200/outreach").await;
    assert_eq!(outreach["plans"][0]["status"], "completed");
    assert_eq!(
        outreach["interactions"][0]["text"],
        "Feeling good, thanks. No problems."
    );
}

async fn silence_is_retried_per_the_plan_then_escalated(backend: Backend) {
    let care = spawn(backend, |s| {
        s.care.reply_timeout = Duration::from_secs(3600)
    })
    .await;
    let app = &care.app;
    let run = discharged_yesterday(app, "p-300").await;
    reaches(app, &run, "waiting").await;
    eventually("the first check-in", || async {
        (care.twilio.sms_to(PHONE).len() == 1).then_some(())
    })
    .await;
    app.advance(Duration::from_secs(3601));
    eventually("the second check-in", || async {
        (care.twilio.sms_to(PHONE).len() == 2).then_some(())
    })
    .await;
    reaches(app, &run, "waiting").await;
    app.advance(Duration::from_secs(3601));
    let done = finished(app, &run).await;
    assert_eq!(done["status"], "completed", "{done}");
    let task_id = step(&done, "escalate")["output"]["taskId"]
        .as_str()
        .unwrap()
        .to_string();
    let task = get_json(app, &format!("/v1/tasks/{task_id}")).await;
    assert_eq!(task["origin"], "checkin_no_reply");
    assert_eq!(task["severity"], "moderate");
    assert_eq!(task["slaMinutes"], 480);
    let escalated = events_n(app, "interaction/escalated", 1).await;
    assert_eq!(escalated[0]["data"]["reason"], "no_reply");
    let outreach = get_json(app, "/v1/patients/p-300/outreach").await;
    let plan = &outreach["plans"][0];
    assert_eq!(plan["status"], "escalated");
    let statuses: Vec<&str> = plan["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["no_response", "no_response"]);
    assert_eq!(care.twilio.sms_to(PHONE).len(), 2);
}

async fn a_repeated_event_id_starts_one_checkin(backend: Backend) {
    let care = spawn(backend, |_| {}).await;
    let app = &care.app;
    let event = json!({"name": "patient/discharged", "id": "discharge-dup",
                       "data": {"patientId": "p-400", "phone": PHONE}});
    let first = send(app, event.clone()).await;
    assert_eq!(first["events"][0]["duplicate"], false);
    assert_eq!(first["runs"].as_array().unwrap().len(), 1);
    let again = send(app, json!([event])).await;
    assert_eq!(again["events"][0]["duplicate"], true);
    assert!(again["runs"].as_array().unwrap().is_empty());
    assert_eq!(runs(app, "schedule-checkin").await.len(), 1);
}

async fn an_invalid_discharge_fails_its_run_naming_every_problem(backend: Backend) {
    let care = spawn(backend, |_| {}).await;
    let app = &care.app;
    let answer = send(
        app,
        json!({"name": "patient/discharged", "data": {"phone": "555", "dischargedAt": "soon"}}),
    )
    .await;
    let run = answer["runs"][0]["runId"].as_str().unwrap().to_string();
    let done = finished(app, &run).await;
    assert_eq!(done["status"], "failed");
    let message = step(&done, "plan")["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    for pointer in ["/data/patientId", "/data/phone", "/data/dischargedAt"] {
        assert!(message.contains(pointer), "{message}");
    }
}

async fn a_reply_sent_through_the_api_is_classified_and_escalated(backend: Backend) {
    let care = spawn(backend, |_| {}).await;
    let app = &care.app;
    let answer = send(
        app,
        json!({"name": "interaction/response_received",
               "data": {"patientId": "p-800", "text": "My incision is swollen and it hurts", "channel": "phone"}}),
    )
    .await;
    let run = answer["runs"][0]["runId"].as_str().unwrap().to_string();
    let done = finished(app, &run).await;
    assert_eq!(done["status"], "completed", "{done}");
    let record = &step(&done, "record")["output"];
    assert_eq!(record["severity"], "MODERATE");
    assert_eq!(record["matchedRules"], json!(["pain", "swelling"]));
    let task_id = step(&done, "escalate")["output"]["taskId"]
        .as_str()
        .unwrap()
        .to_string();
    let task = get_json(app, &format!("/v1/tasks/{task_id}")).await;
    assert_eq!(task["origin"], "checkin_response");
    assert_eq!(task["priority"], "normal");
    assert_eq!(task["slaMinutes"], 480);
    let outreach = get_json(app, "/v1/patients/p-800/outreach").await;
    assert_eq!(outreach["interactions"][0]["channel"], "phone");
    assert_eq!(outreach["interactions"][0]["taskId"], task_id.as_str());
    // The task it raised starts assignment and the SLA monitor.
    events_n(app, "task/unassigned", 1).await;
    let monitor = super::run_for(app, "monitor-sla", "taskId", &task_id).await;
    reaches(app, &monitor, "sleeping").await;
}

async fn a_reply_seconds_after_discharge_is_recorded_classified_and_escalated(backend: Backend) {
    let care = spawn(backend, |_| {}).await;
    let app = &care.app;
    let answer = send(
        app,
        json!({"name": "patient/discharged", "data": {"patientId": "p-900", "phone": PHONE}}),
    )
    .await;
    let run = answer["runs"][0]["runId"].as_str().unwrap().to_string();
    // The plan exists from the discharge on; the first check-in is a day away.
    let sleeping = reaches(app, &run, "sleeping").await;
    assert_eq!(step(&sleeping, "plan")["status"], "completed");
    app.advance(Duration::from_secs(2));
    reply(app, PHONE, "SMearly0001", "chest pain and cannot breathe").await;

    let handled = super::run_for(app, "handle-checkin-response", "patientId", "p-900").await;
    let handled = finished(app, &handled).await;
    assert_eq!(handled["status"], "completed", "{handled}");
    assert_eq!(step(&handled, "record")["output"]["severity"], "CRITICAL");
    let task_id = step(&handled, "escalate")["output"]["taskId"]
        .as_str()
        .unwrap()
        .to_string();
    let task = get_json(app, &format!("/v1/tasks/{task_id}")).await;
    assert_eq!(task["severity"], "critical");
    assert_eq!(task["patientId"], "p-900");
    let outreach = get_json(app, "/v1/patients/p-900/outreach").await;
    assert_eq!(outreach["plans"][0]["status"], "active");
    assert_eq!(
        outreach["interactions"][0]["planId"],
        outreach["plans"][0]["planId"]
    );
    assert_eq!(outreach["interactions"][0]["severity"], "critical");
    // The check-in still goes out a day after the discharge (the one SMS so far is
    // the safety message a CRITICAL reply gets).
    assert_eq!(
        get_json(app, &format!("/v1/runs/{run}")).await["status"],
        "sleeping"
    );
    let safety = eventually("the safety SMS", || async {
        care.twilio.sms_to(PHONE).first().cloned()
    })
    .await;
    assert!(safety.body.contains("988"), "{}", safety.body);
    assert_eq!(care.twilio.sms_to(PHONE).len(), 1);
}

both_backends!(
    a_reply_seconds_after_discharge_is_recorded_classified_and_escalated,
    a_reply_before_the_timeout_ends_the_follow_up,
    a_reply_sent_through_the_api_is_classified_and_escalated,
    silence_is_retried_per_the_plan_then_escalated,
    a_repeated_event_id_starts_one_checkin,
    an_invalid_discharge_fails_its_run_naming_every_problem,
);
