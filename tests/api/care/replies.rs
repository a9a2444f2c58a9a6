//! What becomes of a patient's reply: every one reaches a person (a LOW review task at
//! least), a CRITICAL one answers the patient with the safety message at once, the
//! optional model can raise a severity but never lower the rule table's, and tasks
//! carry short references that tell them apart in nurses' SMS.

use std::time::Duration;

use serde_json::{Value, json};

use super::{
    eventually, finished, get_json, nurse, on_shift, post_as, post_json, reaches, reply, run_for,
    runs, send, spawn, task,
};
use crate::both_backends;
use crate::fake_llm::{Behaviour, FakeLlm};
use crate::helpers::{Backend, TestApp, step};

/// A discharge just now: the plan exists, so replies are routed to the patient.
async fn discharged(app: &TestApp, patient: &str, phone: &str) {
    let answer = send(
        app,
        json!({"name": "patient/discharged",
               "data": {"patientId": patient, "phone": phone, "name": "Ana Lopez"}}),
    )
    .await;
    let run = answer["runs"][0]["runId"].as_str().unwrap().to_string();
    reaches(app, &run, "sleeping").await;
}

/// The finished `handle-checkin-response` run of the patient's only reply.
async fn handled(app: &TestApp, patient: &str) -> Value {
    let run = run_for(app, "handle-checkin-response", "patientId", patient).await;
    let done = finished(app, &run).await;
    assert_eq!(done["status"], "completed", "{done}");
    done
}

/// A reply sent through the API as an event.
async fn api_reply(app: &TestApp, patient: &str, text: &str) -> Value {
    send(
        app,
        json!({"name": "interaction/response_received",
               "data": {"patientId": patient, "text": text}}),
    )
    .await;
    handled(app, patient).await
}

async fn task_of(app: &TestApp, run: &Value) -> Value {
    let id = step(run, "escalate")["output"]["taskId"]
        .as_str()
        .unwrap()
        .to_string();
    get_json(app, &format!("/v1/tasks/{id}")).await
}

/// Whether a `send-notification` run was started for the patient.
async fn notified(app: &TestApp, patient: &str) -> bool {
    for r in runs(app, "send-notification").await {
        let id = r["runId"].as_str().unwrap();
        let full = get_json(app, &format!("/v1/runs/{id}")).await;
        if full["input"]["event"]["data"]["patientId"] == patient {
            return true;
        }
    }
    false
}

async fn every_reply_reaches_a_person_and_a_critical_one_answers_the_patient(backend: Backend) {
    let safety = "If this is an emergency call 911 now, or call or text 988.";
    let care = spawn(backend, move |s| s.care.critical_reply = safety.into()).await;
    let app = &care.app;

    // CRITICAL by SMS: an urgent task, and the safety message to the patient at once.
    discharged(app, "p-r1", "+15551231001").await;
    reply(app, "+15551231001", "SMr1", "I feel like killing myself").await;
    let run = handled(app, "p-r1").await;
    let record = &step(&run, "record")["output"];
    assert_eq!(record["severity"], "CRITICAL");
    assert_eq!(record["matchedRules"], json!(["self-harm"]));
    assert_eq!(record["decidedBy"], "rules");
    let critical = task_of(app, &run).await;
    assert_eq!(critical["severity"], "critical");
    assert_eq!(critical["priority"], "urgent");
    let sms = eventually("the safety SMS", || async {
        care.twilio.sms_to("+15551231001").first().cloned()
    })
    .await;
    assert_eq!(sms.body, safety);
    let log = eventually("the safety message logged as sent", || async {
        let log = get_json(app, "/v1/notifications?channel=sms&status=sent").await;
        log["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .find(|n| n["kind"] == "critical_reply")
            .cloned()
    })
    .await;
    assert_eq!(log["recipient"], json!({"kind": "patient", "id": "p-r1"}));
    assert_eq!(log["priority"], "urgent");
    assert_eq!(log["body"], safety);
    let outreach = get_json(app, "/v1/patients/p-r1/outreach").await;
    assert_eq!(outreach["interactions"][0]["decidedBy"], "rules");

    // HIGH: a prompt task, no safety message.
    discharged(app, "p-r2", "+15551231002").await;
    reply(app, "+15551231002", "SMr2", "temperature is 101.5").await;
    let run = handled(app, "p-r2").await;
    assert_eq!(step(&run, "record")["output"]["severity"], "HIGH");
    assert_eq!(step(&run, "escalate")["output"]["criticalReply"], false);
    assert_eq!(task_of(app, &run).await["severity"], "high");
    assert!(!notified(app, "p-r2").await);

    // In Spanish, accents or not.
    let run = api_reply(app, "p-r3", "me caí y me golpeé la cabeza").await;
    let record = &step(&run, "record")["output"];
    assert_eq!(record["severity"], "HIGH");
    assert_eq!(record["matchedRules"], json!(["head-injury", "fall"]));

    // Only LOW, or nothing at all: still a LOW task, so a person reads it.
    for (patient, text, found) in [
        ("p-r4", "I have a question about my diet", "LOW"),
        ("p-r5", "see you on Monday", "NONE"),
    ] {
        let run = api_reply(app, patient, text).await;
        assert_eq!(step(&run, "record")["output"]["severity"], found);
        assert_eq!(step(&run, "escalate")["output"]["escalated"], false);
        let review = task_of(app, &run).await;
        assert_eq!(review["title"], format!("Review reply ({found})"));
        assert_eq!(review["severity"], "low");
        assert_eq!(review["priority"], "low");
        assert_eq!(review["patientId"], patient);
    }
    let escalated = super::events(app, "interaction/escalated").await;
    assert_eq!(escalated.len(), 3, "{escalated:?}");
}

/// A service whose replies are also classified by a fake model behaving so.
async fn with_model(backend: Backend, behaviour: Behaviour) -> (super::Care, FakeLlm) {
    let llm = FakeLlm::spawn(behaviour).await;
    let base = llm.base_url.clone();
    let care = spawn(backend, move |s| {
        s.providers.llm.base_url = base;
        s.care.model_classification = true;
        s.care.model_timeout = Duration::from_millis(500);
    })
    .await;
    (care, llm)
}

async fn the_model_can_raise_a_severity_and_is_sent_the_reply_alone(backend: Backend) {
    let (care, llm) = with_model(
        backend,
        Behaviour {
            answer: Some("CRITICAL"),
            ..Behaviour::default()
        },
    )
    .await;
    let app = &care.app;
    discharged(app, "p-m1", "+15551232001").await;
    let text = "I just feel really off today";
    reply(app, "+15551232001", "SMm1", text).await;
    let run = handled(app, "p-m1").await;
    let record = &step(&run, "record")["output"];
    assert_eq!(record["severity"], "CRITICAL", "{record}");
    assert_eq!(record["rulesSeverity"], "NONE");
    assert_eq!(record["decidedBy"], "model");
    assert_eq!(task_of(app, &run).await["severity"], "critical");
    let outreach = get_json(app, "/v1/patients/p-m1/outreach").await;
    assert_eq!(outreach["interactions"][0]["decidedBy"], "model");
    assert_eq!(outreach["interactions"][0]["severity"], "critical");
    eventually("the safety SMS", || async {
        care.twilio.sms_to("+15551232001").first().cloned()
    })
    .await;

    // The model saw the reply and the instructions, nothing that identifies anyone.
    let calls = llm.calls();
    assert_eq!(calls.len(), 1);
    let messages = calls[0].body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0]["role"], "system");
    assert_eq!(messages[1], json!({"role": "user", "content": text}));
    let sent = calls[0].body.to_string();
    for private in ["p-m1", "Ana", "Lopez", "2322001", "SMm1"] {
        assert!(!sent.contains(private), "{private} in {sent}");
    }
}

async fn the_rule_table_is_the_floor_when_the_model_rates_lower_or_fails(backend: Backend) {
    let (care, llm) = with_model(
        backend,
        Behaviour {
            answer: Some("LOW"),
            fail_first: 1,
            ..Behaviour::default()
        },
    )
    .await;
    let app = &care.app;
    // The model fails (500): the rule table decides alone.
    let run = api_reply(app, "p-f1", "blood in my stool").await;
    let record = &step(&run, "record")["output"];
    assert_eq!(record["severity"], "HIGH", "{record}");
    assert_eq!(record["decidedBy"], "rules");
    assert_eq!(record["model"]["error"], "the model call failed");
    // The model answers LOW: the rule table's HIGH stands.
    let run = api_reply(app, "p-f2", "there is blood in my urine").await;
    let record = &step(&run, "record")["output"];
    assert_eq!(record["severity"], "HIGH", "{record}");
    assert_eq!(record["decidedBy"], "rules");
    assert_eq!(record["model"]["severity"], "LOW");
    assert_eq!(task_of(app, &run).await["severity"], "high");
    assert_eq!(llm.calls().len(), 2);
}

async fn a_slow_model_is_not_waited_for(backend: Backend) {
    let (care, _llm) = with_model(
        backend,
        Behaviour {
            answer: Some("NONE"),
            delay: Duration::from_secs(20),
            ..Behaviour::default()
        },
    )
    .await;
    let app = &care.app;
    let run = api_reply(app, "p-s1", "SOB and my ankles are huge").await;
    let record = &step(&run, "record")["output"];
    assert_eq!(record["severity"], "HIGH", "{record}");
    assert_eq!(record["decidedBy"], "rules");
    assert_eq!(record["model"]["error"], "the model timed out");
}

async fn task_references_differ_per_task_and_name_tasks_in_sms(backend: Backend) {
    let care = spawn(backend, |_| {}).await;
    let app = &care.app;
    let phone = "+15552229001";
    let id = nurse(app, "Nurse Ref", phone).await;
    on_shift(app, &id).await;
    // Created moments apart (their UUIDv7 prefixes, which the SMS used to show, agree).
    let first = task(app, "p-t1", 60).await;
    let second = task(app, "p-t2", 60).await;
    let one = get_json(app, &format!("/v1/tasks/{first}")).await;
    let two = get_json(app, &format!("/v1/tasks/{second}")).await;
    assert_eq!(one["reference"], "T-0001");
    assert_eq!(two["reference"], "T-0002");
    let listed = get_json(app, "/v1/tasks").await;
    assert_eq!(listed["tasks"][0]["reference"], "T-0002");
    // Another tenant counts its own tasks.
    let b = app.key_for("tenant-b").await;
    let (status, theirs) = post_as(
        app,
        &b,
        "/v1/tasks",
        json!({"patientId": "p-t3", "title": "Call back", "severity": "low"}),
    )
    .await;
    assert_eq!(status, 201, "{theirs}");
    assert_eq!(theirs["reference"], "T-0001");
    let (status, again) = post_json(
        app,
        "/v1/tasks",
        json!({"patientId": "p-t4", "title": "Call back", "severity": "low"}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(again["reference"], "T-0003");

    // Each assignment SMS names its own task.
    let sms = eventually("three assignment SMS", || async {
        let s = care.twilio.sms_to(phone);
        (s.len() == 3).then_some(s)
    })
    .await;
    let mut endings: Vec<String> = sms
        .iter()
        .map(|s| s.body.rsplit("Task ").next().unwrap().to_string())
        .collect();
    endings.sort();
    assert_eq!(endings, ["T-0001.", "T-0002.", "T-0003."]);
}

both_backends!(
    every_reply_reaches_a_person_and_a_critical_one_answers_the_patient,
    the_model_can_raise_a_severity_and_is_sent_the_reply_alone,
    the_rule_table_is_the_floor_when_the_model_rates_lower_or_fails,
    a_slow_model_is_not_waited_for,
    task_references_differ_per_task_and_name_tasks_in_sms,
);
