//! Routing patients' replies: by the number (or Messaging Service) that received
//! them to its tenant, then to the patient whose check-in awaits a reply; an SMS
//! that stays ambiguous is held unrouted, and each tenant concerned sees only a
//! review task without its text.

use serde_json::{Value, json};

use super::{
    eventually, finished, get_as, get_json, post_as, post_json, reply_to, run_for, runs, spawn,
    tasks_as,
};
use crate::both_backends;
use crate::helpers::{Backend, TestApp, step};

/// A number two clinics' patients share (a family phone, a typo).
const SHARED: &str = "+15551230777";
const NUMBER_A: &str = "+15550000010";
const SERVICE_B: &str = "MG0000000000000000000000000000000b";

/// A discharge of `patient` with `phone`, a day and an hour ago, as the holder of
/// `token`: the check-in goes out at once. Returns the check-in run.
async fn discharge_as(
    app: &TestApp,
    token: &str,
    patient: &str,
    phone: &str,
    hours: i64,
) -> String {
    let at = app.clock_now() - chrono::Duration::hours(hours);
    let (status, answer) = post_as(
        app,
        token,
        "/v1/events",
        json!({"name": "patient/discharged",
               "data": {"patientId": patient, "phone": phone, "dischargedAt": at.to_rfc3339()}}),
    )
    .await;
    assert_eq!(status, 202, "{answer}");
    answer["runs"][0]["runId"].as_str().unwrap().to_string()
}

/// Waits until the run the holder of `token` sees reaches `status`.
async fn run_reaches(app: &TestApp, token: &str, run: &str, status: &str) -> Value {
    eventually(&format!("run {run} {status}"), || async {
        let r = get_as(app, token, &format!("/v1/runs/{run}")).await;
        (r["status"] == status).then_some(r)
    })
    .await
}

async fn replies_go_to_the_tenant_of_the_receiving_number_or_service(backend: Backend) {
    let care = spawn(backend, |_| {}).await;
    let app = &care.app;
    let a = app.token.clone();
    let b = app.key_for("tenant-b").await;
    let (status, mine) =
        post_json(app, "/v1/twilio-numbers", json!({"phoneNumber": NUMBER_A})).await;
    assert_eq!(status, 201, "{mine}");
    assert_eq!(mine["sender"], true);
    let (status, theirs) = post_as(
        app,
        &b,
        "/v1/twilio-numbers",
        json!({"messagingServiceSid": SERVICE_B}),
    )
    .await;
    assert_eq!(status, 201, "{theirs}");

    let run_a = discharge_as(app, &a, "p-a1", SHARED, 25).await;
    let run_b = discharge_as(app, &b, "p-b1", SHARED, 25).await;
    run_reaches(app, &a, &run_a, "waiting").await;
    run_reaches(app, &b, &run_b, "waiting").await;
    // Each clinic's check-in goes out from its own sender, so replies come back to it.
    let sent = eventually("both check-in SMS", || async {
        let s = care.twilio.sms_to(SHARED);
        (s.len() == 2).then_some(s)
    })
    .await;
    assert!(
        sent.iter()
            .any(|s| s.from.as_deref() == Some(NUMBER_A) && s.messaging_service_sid.is_none()),
        "{sent:?}"
    );
    assert!(
        sent.iter()
            .any(|s| s.messaging_service_sid.as_deref() == Some(SERVICE_B)),
        "{sent:?}"
    );

    // Clinic A's patient answers A's number: A's patient, A's task; B sees nothing.
    reply_to(
        app,
        SHARED,
        NUMBER_A,
        None,
        "SMroute0001",
        "I have chest pain",
    )
    .await;
    let handled = run_for(app, "handle-checkin-response", "patientId", "p-a1").await;
    let handled = finished(app, &handled).await;
    assert_eq!(step(&handled, "record")["output"]["severity"], "CRITICAL");
    let done_a = finished(app, &run_a).await;
    assert_eq!(step(&done_a, "await-1")["output"]["replied"], true);
    let outreach_a = get_json(app, "/v1/patients/p-a1/outreach").await;
    assert_eq!(outreach_a["interactions"][0]["text"], "I have chest pain");
    assert_eq!(
        get_as(app, &b, &format!("/v1/runs/{run_b}")).await["status"],
        "waiting"
    );
    assert!(tasks_as(app, &b).await.is_empty());
    let outreach_b = get_as(app, &b, "/v1/patients/p-b1/outreach").await;
    assert!(
        outreach_b["interactions"].as_array().unwrap().is_empty(),
        "{outreach_b}"
    );

    // Clinic B's patient answers through B's Messaging Service (any of its numbers).
    reply_to(
        app,
        SHARED,
        "+15550000099",
        Some(SERVICE_B),
        "SMroute0002",
        "Doing fine",
    )
    .await;
    let done_b = run_reaches(app, &b, &run_b, "completed").await;
    assert_eq!(step(&done_b, "await-1")["output"]["replied"], true);
    let outreach_b = get_as(app, &b, "/v1/patients/p-b1/outreach").await;
    assert_eq!(outreach_b["interactions"][0]["text"], "Doing fine");
    let outreach_a = get_json(app, "/v1/patients/p-a1/outreach").await;
    assert_eq!(outreach_a["interactions"].as_array().unwrap().len(), 1);
}

async fn a_caregiver_number_shared_in_a_tenant_goes_to_the_patient_awaiting_a_checkin(
    backend: Backend,
) {
    let care = spawn(backend, |_| {}).await;
    let app = &care.app;
    let a = app.token.clone();
    let asked = discharge_as(app, &a, "p-c1", SHARED, 25).await;
    run_reaches(app, &a, &asked, "waiting").await;
    // Discharged a moment ago: a plan, but no check-in yet.
    let later = discharge_as(app, &a, "p-c2", SHARED, 0).await;
    run_reaches(app, &a, &later, "sleeping").await;

    reply_to(
        app,
        SHARED,
        "+15550000001",
        None,
        "SMcare0001",
        "she feels dizzy",
    )
    .await;
    let done = finished(app, &asked).await;
    assert_eq!(step(&done, "await-1")["output"]["replied"], true);
    let first = get_json(app, "/v1/patients/p-c1/outreach").await;
    assert_eq!(first["interactions"][0]["text"], "she feels dizzy");
    let second = get_json(app, "/v1/patients/p-c2/outreach").await;
    assert!(
        second["interactions"].as_array().unwrap().is_empty(),
        "{second}"
    );
}

async fn an_ambiguous_reply_is_held_unrouted_with_a_review_task_in_each_tenant(backend: Backend) {
    let care = spawn(backend, |_| {}).await;
    let app = &care.app;
    let a = app.token.clone();
    let b = app.key_for("tenant-b").await;
    // Neither clinic registered a number: both send from the shared configured one.
    let run_a = discharge_as(app, &a, "p-d1", SHARED, 25).await;
    let run_b = discharge_as(app, &b, "p-d2", SHARED, 25).await;
    run_reaches(app, &a, &run_a, "waiting").await;
    run_reaches(app, &b, &run_b, "waiting").await;

    let text = "chest pain and I cannot breathe";
    reply_to(app, SHARED, "+15550000001", None, "SMamb0001", text).await;
    // A repeated webhook stores nothing new.
    reply_to(app, SHARED, "+15550000001", None, "SMamb0001", text).await;
    let task_of = |token: String| async move {
        eventually("a review task", || async {
            let t = tasks_as(app, &token).await;
            (!t.is_empty()).then_some(t)
        })
        .await
    };
    for (token, patient) in [(a.clone(), "p-d1"), (b.clone(), "p-d2")] {
        let tasks = task_of(token.clone()).await;
        assert_eq!(tasks.len(), 1, "{tasks:?}");
        let task = &tasks[0];
        assert_eq!(task["title"], "An unrouted reply awaits review");
        assert_eq!(task["patientId"], patient);
        assert_eq!(task["origin"], "unrouted_reply");
        // As urgent as the text, which it never shows.
        assert_eq!(task["severity"], "critical");
        assert_eq!(task["priority"], "urgent");
        let shown = task.to_string();
        assert!(
            !shown.contains("chest") && !shown.contains("breathe"),
            "{shown}"
        );
        assert!(
            !shown.contains(SHARED) && !shown.contains("0777"),
            "{shown}"
        );
        // Filed under nobody: no interaction, no classification run, still waiting.
        let outreach = get_as(app, &token, &format!("/v1/patients/{patient}/outreach")).await;
        assert!(
            outreach["interactions"].as_array().unwrap().is_empty(),
            "{outreach}"
        );
        assert!(!outreach.to_string().contains("chest"));
    }
    assert_eq!(
        get_json(app, &format!("/v1/runs/{run_a}")).await["status"],
        "waiting"
    );
    assert_eq!(
        get_as(app, &b, &format!("/v1/runs/{run_b}")).await["status"],
        "waiting"
    );
    assert!(runs(app, "handle-checkin-response").await.is_empty());
    assert_eq!(runs(app, "review-unrouted-reply").await.len(), 1);

    // The sender of the CRITICAL text gets the safety message, once, whoever they are.
    let mut answered = 0;
    for token in [&a, &b] {
        let listed = get_as(app, token, "/v1/runs?workflow=review-unrouted-reply").await;
        let id = listed["runs"][0]["runId"].as_str().unwrap().to_string();
        let done = eventually("the review run finished", || async {
            let r = get_as(app, token, &format!("/v1/runs/{id}")).await;
            (r["status"] == "completed").then_some(r)
        })
        .await;
        if step(&done, "task")["output"]["criticalReply"] == true {
            answered += 1;
        }
    }
    assert_eq!(answered, 1);
    let safety = eventually("the safety SMS", || async {
        care.twilio
            .sms_to(SHARED)
            .into_iter()
            .find(|s| s.body.contains("988"))
    })
    .await;
    assert!(!safety.body.contains("chest"), "{}", safety.body);
}

async fn twilio_numbers_belong_to_one_tenant_and_bad_ones_list_every_problem(backend: Backend) {
    let care = spawn(backend, |_| {}).await;
    let app = &care.app;
    let b = app.key_for("tenant-b").await;
    let (status, p) = post_json(
        app,
        "/v1/twilio-numbers",
        json!({"phoneNumber": "555", "messagingServiceSid": "MG12", "label": 1}),
    )
    .await;
    assert_eq!(status, 422, "{p}");
    let pointers: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    for expected in ["/label", "/phoneNumber", "/messagingServiceSid", ""] {
        assert!(pointers.contains(&expected), "{pointers:?}");
    }
    let (status, p) = post_json(app, "/v1/twilio-numbers", json!({})).await;
    assert_eq!(status, 422, "{p}");
    assert_eq!(p["errors"][0]["pointer"], "/phoneNumber");

    let (status, first) =
        post_json(app, "/v1/twilio-numbers", json!({"phoneNumber": NUMBER_A})).await;
    assert_eq!(status, 201, "{first}");
    let (status, second) = post_json(
        app,
        "/v1/twilio-numbers",
        json!({"messagingServiceSid": SERVICE_B}),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(second["sender"], false);
    let (status, taken) = post_as(
        app,
        &b,
        "/v1/twilio-numbers",
        json!({"phoneNumber": NUMBER_A}),
    )
    .await;
    assert_eq!(status, 409, "{taken}");
    assert!(!taken["detail"].as_str().unwrap().contains("tenant-a"));
    let listed = get_json(app, "/v1/twilio-numbers").await;
    assert_eq!(listed["twilioNumbers"].as_array().unwrap().len(), 2);
    assert_eq!(listed["twilioNumbers"][0]["phoneNumber"], NUMBER_A);
    assert!(
        get_as(app, &b, "/v1/twilio-numbers").await["twilioNumbers"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let id = first["numberId"].as_str().unwrap();
    let other = app
        .http
        .delete(app.url(&format!("/v1/twilio-numbers/{id}")))
        .bearer_auth(&b)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
    let mine = app
        .http
        .delete(app.url(&format!("/v1/twilio-numbers/{id}")))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(mine.status(), 204);
    // Free again: tenant B may take it now.
    let (status, _) = post_as(
        app,
        &b,
        "/v1/twilio-numbers",
        json!({"phoneNumber": NUMBER_A}),
    )
    .await;
    assert_eq!(status, 201);
}

both_backends!(
    replies_go_to_the_tenant_of_the_receiving_number_or_service,
    a_caregiver_number_shared_in_a_tenant_goes_to_the_patient_awaiting_a_checkin,
    an_ambiguous_reply_is_held_unrouted_with_a_review_task_in_each_tenant,
    twilio_numbers_belong_to_one_tenant_and_bad_ones_list_every_problem,
);
