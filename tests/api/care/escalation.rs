//! Escalation contacts: kept per tenant through the API, told by SMS when a task nobody
//! holds reaches its SLA warning and breach; CRITICAL and HIGH work goes past a
//! nurse's `max_open_tasks` rather than wait.

use std::time::Duration;

use serde_json::{Value, json};

use super::{
    events_n, eventually, get_json, nurse, on_shift, post_json, reaches, run_for, spawn, task,
};
use crate::both_backends;
use crate::helpers::{Backend, TestApp};

const CHARGE: &str = "+15552230001";
const SUPERVISOR: &str = "+15552230002";
const REMOVED: &str = "+15552230003";

async fn contact(app: &TestApp, body: Value) -> String {
    let (status, c) = post_json(app, "/v1/escalation-contacts", body).await;
    assert_eq!(status, 201, "{c}");
    c["contactId"].as_str().unwrap().to_string()
}

async fn contacts_are_validated_listed_unique_and_removable(backend: Backend) {
    let care = spawn(backend, |_| {}).await;
    let app = &care.app;
    let (status, p) = post_json(
        app,
        "/v1/escalation-contacts",
        json!({"phone": "555", "role": "janitor", "extra": true}),
    )
    .await;
    assert_eq!(status, 422, "{p}");
    let pointers: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    for expected in ["/extra", "/name", "/phone", "/role"] {
        assert!(pointers.contains(&expected), "{pointers:?}");
    }
    let charge = contact(app, json!({"name": "Charge nurse A", "phone": CHARGE})).await;
    contact(
        app,
        json!({"name": "Supervisor B", "phone": SUPERVISOR, "role": "supervisor"}),
    )
    .await;
    let (status, _) = post_json(
        app,
        "/v1/escalation-contacts",
        json!({"name": "Again", "phone": CHARGE}),
    )
    .await;
    assert_eq!(status, 409);
    let listed = get_json(app, "/v1/escalation-contacts").await["escalationContacts"].clone();
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
    assert_eq!(listed[0]["contactId"], charge.as_str());
    assert_eq!(listed[0]["role"], "charge_nurse");
    assert_eq!(listed[1]["role"], "supervisor");

    let path = format!("/v1/escalation-contacts/{charge}");
    assert_eq!(app.delete(&path).await.status(), 204);
    assert_eq!(app.delete(&path).await.status(), 404);
    let listed = get_json(app, "/v1/escalation-contacts").await["escalationContacts"].clone();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
}

async fn contacts_are_told_of_an_unassigned_task_at_its_warning_and_breach(backend: Backend) {
    let care = spawn(backend, |_| {}).await;
    let app = &care.app;
    contact(app, json!({"name": "Charge nurse A", "phone": CHARGE})).await;
    contact(
        app,
        json!({"name": "Supervisor B", "phone": SUPERVISOR, "role": "supervisor"}),
    )
    .await;
    let gone = contact(app, json!({"name": "Left the ward", "phone": REMOVED})).await;
    assert_eq!(
        app.delete(&format!("/v1/escalation-contacts/{gone}"))
            .await
            .status(),
        204
    );
    // Nobody is on shift: the task stays unassigned.
    let task_id = task(app, "p-1600", 60).await;
    events_n(app, "task/unassigned", 1).await;
    let monitor = run_for(app, "monitor-sla", "taskId", &task_id).await;
    reaches(app, &monitor, "sleeping").await;
    assert!(care.twilio.sms_to(CHARGE).is_empty());

    app.advance(Duration::from_secs(46 * 60));
    for phone in [CHARGE, SUPERVISOR] {
        let warning = eventually(&format!("the warning to {phone}"), || async {
            care.twilio.sms_to(phone).first().cloned()
        })
        .await;
        assert!(warning.body.starts_with("UNASSIGNED"), "{}", warning.body);
        assert!(warning.body.contains("SLA warning"), "{}", warning.body);
    }
    reaches(app, &monitor, "sleeping").await;
    app.advance(Duration::from_secs(15 * 60));
    for phone in [CHARGE, SUPERVISOR] {
        let breach = eventually(&format!("the breach to {phone}"), || async {
            care.twilio.sms_to(phone).get(1).cloned()
        })
        .await;
        assert!(breach.body.contains("breached its SLA"), "{}", breach.body);
    }
    // The provider has the messages before their log rows record the send: wait
    // until all four contact notifications say SENT.
    let log = eventually("the contact notifications recorded as sent", || async {
        let log = get_json(app, "/v1/notifications?limit=100").await["notifications"].clone();
        let sent = log
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["recipient"]["kind"] == "escalation_contact" && n["status"] == "sent")
            .count();
        (sent == 4).then_some(log)
    })
    .await;
    let to_contacts: Vec<&Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["recipient"]["kind"] == "escalation_contact")
        .collect();
    assert_eq!(to_contacts.len(), 4, "{log}");
    for n in &to_contacts {
        assert_eq!(n["status"], "sent", "{n}");
        assert_eq!(n["channel"], "sms");
        assert_eq!(n["taskId"], task_id.as_str());
    }
    let breaches = to_contacts.iter().filter(|n| n["kind"] == "sla_breach");
    assert!(
        breaches.clone().count() == 2 && breaches.into_iter().all(|n| n["priority"] == "urgent")
    );
    assert!(care.twilio.sms_to(REMOVED).is_empty());
    assert_eq!(care.twilio.sent().len(), 4);
}

async fn an_assigned_task_is_not_escalated_to_contacts(backend: Backend) {
    let care = spawn(backend, |_| {}).await;
    let app = &care.app;
    contact(app, json!({"name": "Charge nurse A", "phone": CHARGE})).await;
    let n = nurse(app, "Nurse F", "+15552230101").await;
    on_shift(app, &n).await;
    let task_id = task(app, "p-1700", 60).await;
    events_n(app, "task/assigned", 1).await;
    let monitor = run_for(app, "monitor-sla", "taskId", &task_id).await;
    reaches(app, &monitor, "sleeping").await;
    app.advance(Duration::from_secs(46 * 60));
    eventually("the warning to the nurse", || async {
        (care.twilio.sms_to("+15552230101").len() == 2).then_some(())
    })
    .await;
    reaches(app, &monitor, "sleeping").await;
    assert!(care.twilio.sms_to(CHARGE).is_empty());
}

/// A task created by staff with a severity.
async fn task_of(app: &TestApp, patient: &str, severity: &str) -> String {
    let (status, t) = post_json(
        app,
        "/v1/tasks",
        json!({"patientId": patient, "title": "Follow up", "severity": severity,
               "slaMinutes": 240}),
    )
    .await;
    assert_eq!(status, 201, "{t}");
    t["taskId"].as_str().unwrap().to_string()
}

async fn assigned_to(app: &TestApp, task_id: &str) -> Value {
    eventually(&format!("task {task_id} settled"), || async {
        let run = run_for(app, "assign-task", "taskId", task_id).await;
        let r = get_json(app, &format!("/v1/runs/{run}")).await;
        let assign = crate::helpers::step(&r, "assign").clone();
        (assign["status"] == "completed").then_some(())
    })
    .await;
    get_json(app, &format!("/v1/tasks/{task_id}")).await["assigneeId"].clone()
}

async fn critical_and_high_tasks_go_past_capacity_to_the_least_loaded_nurse(backend: Backend) {
    let care = spawn(backend, |_| {}).await;
    let app = &care.app;
    let mut nurses = Vec::new();
    for (name, phone) in [("Nurse G", "+15552230201"), ("Nurse H", "+15552230202")] {
        let (status, n) = post_json(
            app,
            "/v1/nurses",
            json!({"name": name, "phone": phone, "maxOpenTasks": 1}),
        )
        .await;
        assert_eq!(status, 201, "{n}");
        let id = n["nurseId"].as_str().unwrap().to_string();
        on_shift(app, &id).await;
        nurses.push(id);
    }
    // Each nurse takes one task and is full.
    let first = assigned_to(app, &task_of(app, "p-1800", "moderate").await).await;
    let second = assigned_to(app, &task_of(app, "p-1801", "moderate").await).await;
    assert_ne!(first, second);
    // Ordinary work waits for room.
    let waiting = task_of(app, "p-1802", "moderate").await;
    assert_eq!(assigned_to(app, &waiting).await, Value::Null);
    events_n(app, "task/unassigned", 1).await;
    // HIGH goes to a nurse anyway; CRITICAL then goes to the other, less loaded one.
    let high = assigned_to(app, &task_of(app, "p-1803", "high").await).await;
    assert!(nurses.iter().any(|n| high == n.as_str()), "{high}");
    let critical = assigned_to(app, &task_of(app, "p-1804", "critical").await).await;
    assert!(nurses.iter().any(|n| critical == n.as_str()), "{critical}");
    assert_ne!(high, critical);
    assert_eq!(
        get_json(app, &format!("/v1/tasks/{waiting}")).await["status"],
        "open"
    );
}

both_backends!(
    contacts_are_validated_listed_unique_and_removable,
    contacts_are_told_of_an_unassigned_task_at_its_warning_and_breach,
    an_assigned_task_is_not_escalated_to_contacts,
    critical_and_high_tasks_go_past_capacity_to_the_least_loaded_nurse,
);
