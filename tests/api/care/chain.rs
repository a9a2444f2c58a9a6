//! The whole chain: a discharge, the check-in a day later, a worrying reply, the
//! escalation, the assignment, and the SLA warning and breach.

use std::time::Duration;

use serde_json::json;

use super::{
    events_n, eventually, finished, get_json, nurse, on_shift, reaches, reply, run_for, send, spawn,
};
use crate::both_backends;
use crate::helpers::{Backend, step};

const PATIENT_PHONE: &str = "+15551230001";

async fn a_discharge_runs_through_checkin_escalation_assignment_warning_and_breach(
    backend: Backend,
) {
    let care = spawn(backend, |_| {}).await;
    let app = &care.app;
    let phones = ["+15552220001", "+15552220002"];
    let mut nurses = Vec::new();
    for (i, phone) in phones.iter().enumerate() {
        let id = nurse(app, &format!("Nurse {i}"), phone).await;
        on_shift(app, &id).await;
        nurses.push(id);
    }

    let answer = send(
        app,
        json!({"name": "patient/discharged", "id": "discharge-100",
               "data": {"patientId": "p-100", "phone": PATIENT_PHONE, "name": "Ana"}}),
    )
    .await;
    assert_eq!(
        answer["runs"][0]["function"], "schedule-checkin",
        "{answer}"
    );
    let checkin = answer["runs"][0]["runId"].as_str().unwrap().to_string();
    reaches(app, &checkin, "sleeping").await;
    assert!(care.twilio.sms_to(PATIENT_PHONE).is_empty());

    // A day later the check-in goes out and the run waits for the reply.
    app.advance(Duration::from_secs(24 * 3600 + 1));
    let sms = eventually("the check-in SMS", || async {
        care.twilio.sms_to(PATIENT_PHONE).first().cloned()
    })
    .await;
    assert!(
        sms.body.starts_with("Hello Ana, this is your care team"),
        "{}",
        sms.body
    );
    assert!(sms.authorized, "the fake saw wrong credentials");
    assert_eq!(
        sms.status_callback.as_deref(),
        Some("https://careflow.example.test/v1/webhooks/twilio/status")
    );
    reaches(app, &checkin, "waiting").await;

    reply(
        app,
        PATIENT_PHONE,
        "SMreply0001",
        "I have chest pain and I can't breathe well",
    )
    .await;

    // The reply is classified and escalated; the check-in ends.
    let handled = run_for(app, "handle-checkin-response", "patientId", "p-100").await;
    let handled = finished(app, &handled).await;
    assert_eq!(handled["status"], "completed", "{handled}");
    assert_eq!(step(&handled, "record")["output"]["severity"], "CRITICAL");
    let task_id = step(&handled, "escalate")["output"]["taskId"]
        .as_str()
        .unwrap()
        .to_string();
    let done = finished(app, &checkin).await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_eq!(step(&done, "await-1")["output"]["replied"], true);
    assert_eq!(step(&done, "checkin-2")["output"]["sent"], false);
    assert_eq!(step(&done, "escalate")["output"]["escalated"], false);
    let escalated = events_n(app, "interaction/escalated", 1).await;
    assert_eq!(escalated[0]["data"]["taskId"], task_id.as_str());

    // The task is assigned to a nurse on shift, who is told by SMS.
    let assign = run_for(app, "assign-task", "taskId", &task_id).await;
    assert_eq!(finished(app, &assign).await["status"], "completed");
    let task = get_json(app, &format!("/v1/tasks/{task_id}")).await;
    assert_eq!(task["status"], "assigned", "{task}");
    assert_eq!(task["severity"], "critical");
    assert_eq!(task["priority"], "urgent");
    assert_eq!(task["slaMinutes"], 30);
    let assignee = task["assigneeId"].as_str().unwrap().to_string();
    let nurse_phone = phones[nurses.iter().position(|n| *n == assignee).unwrap()];
    eventually("the assignment SMS", || async {
        care.twilio
            .sms_to(nurse_phone)
            .iter()
            .any(|s| s.body.starts_with("New task assigned"))
            .then_some(())
    })
    .await;

    // 75% of 30 minutes: the warning; 100%: the breach and an urgent SMS.
    let monitor = run_for(app, "monitor-sla", "taskId", &task_id).await;
    reaches(app, &monitor, "sleeping").await;
    app.advance(Duration::from_secs(23 * 60));
    let warning = events_n(app, "task/sla_warning", 1).await;
    assert_eq!(warning[0]["data"]["taskId"], task_id.as_str());
    assert_eq!(warning[0]["data"]["nurseId"], assignee.as_str());
    eventually("the warning SMS", || async {
        care.twilio
            .sms_to(nurse_phone)
            .iter()
            .any(|s| s.body.starts_with("SLA warning"))
            .then_some(())
    })
    .await;
    reaches(app, &monitor, "sleeping").await;
    assert!(super::events(app, "task/sla_breach").await.is_empty());
    app.advance(Duration::from_secs(8 * 60));
    let breach = events_n(app, "task/sla_breach", 1).await;
    assert_eq!(breach[0]["data"]["taskId"], task_id.as_str());
    eventually("the urgent SMS", || async {
        care.twilio
            .sms_to(nurse_phone)
            .iter()
            .any(|s| s.body.starts_with("URGENT"))
            .then_some(())
    })
    .await;
    assert_eq!(finished(app, &monitor).await["status"], "completed");
    let task = get_json(app, &format!("/v1/tasks/{task_id}")).await;
    assert!(task["sla"]["warnedAt"].is_string() && task["sla"]["breachedAt"].is_string());
    assert_eq!(task["sla"]["standing"], "breached");

    // The record: outreach, interaction, and the notification log.
    let outreach = get_json(app, "/v1/patients/p-100/outreach").await;
    let plan = &outreach["plans"][0];
    assert_eq!(plan["status"], "completed", "{outreach}");
    assert_eq!(plan["phone"], "***0001");
    assert_eq!(plan["attempts"].as_array().unwrap().len(), 1);
    assert_eq!(plan["attempts"][0]["status"], "responded");
    assert_eq!(plan["attempts"][0]["notification"]["status"], "sent");
    let interaction = &outreach["interactions"][0];
    assert_eq!(interaction["severity"], "critical");
    assert_eq!(interaction["taskId"], task_id.as_str());
    let log = eventually("five SMS notifications sent", || async {
        let log = get_json(app, "/v1/notifications?channel=sms&status=sent").await;
        (log["notifications"].as_array().unwrap().len() == 5).then_some(log)
    })
    .await;
    let mut kinds: Vec<&str> = log["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        [
            "checkin",
            "critical_reply",
            "sla_breach",
            "sla_warning",
            "task_assigned"
        ]
    );
    // Every task SMS names the task by its short reference.
    let reference = task["reference"].as_str().unwrap().to_string();
    assert_eq!(reference, "T-0001");
    for sms in care.twilio.sms_to(nurse_phone) {
        assert!(
            sms.body.ends_with(&format!("Task {reference}.")),
            "{}",
            sms.body
        );
    }
}

both_backends!(a_discharge_runs_through_checkin_escalation_assignment_warning_and_breach);
