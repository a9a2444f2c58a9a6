//! How owner contacts are read and what the owner receives: national phone numbers
//! in the configured region, internationalised email domains, and the email's
//! follow-up timing, "as needed" medications and single closing sentence.

use serde_json::{Value, json};

use super::{Env, Setup, env, finished, orchestrate, s};
use crate::both_backends;
use crate::helpers::{Backend, json};

const IDN_NOTE: &str = "\
Patient: Bella
Species: canine
Owner: Jana Müller
Owner email: owner@tierklinik-müller.de
Owner phone: (555) 123-4567
Diagnosis: Otitis externa
Follow-up: Recheck in 14 days
";

async fn a_national_phone_and_an_internationalised_email_are_accepted_and_used(backend: Backend) {
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
    let body = orchestrate(
        &app,
        json!({"input": {"rawData": {"mode": "text", "text": IDN_NOTE}}}),
    )
    .await;
    assert_eq!(body["success"], true, "{body}");
    let data = &body["data"];
    assert_eq!(data["call"]["to"], "+15551234567");
    assert_eq!(data["email"]["recipient"], "owner@tierklinik-müller.de");
    finished(&app, s(data, "/email/deliveryRunId")).await;
    finished(&app, s(data, "/call/placementRunId")).await;
    let inbox = smtp.inbox();
    assert_eq!(inbox.len(), 1);
    assert_eq!(
        inbox[0].rcpt_to,
        ["<owner@xn--tierklinik-mller-uzb.de>"],
        "the envelope carries the domain in ASCII"
    );
    assert_eq!(voice.placed().len(), 1);

    // Structured data and the call option are read the same way.
    let body = orchestrate(
        &app,
        json!({
            "input": {"rawData": {"mode": "structured", "data": {
                "patient": {"name": "Max"},
                "owner": {"email": "jane@例え.テスト", "phone": "1-212-555-0142"}
            }}},
            "steps": {"scheduleCall": {"options": {"phoneNumber": "(646) 555-0199"}}}
        }),
    )
    .await;
    assert_eq!(body["success"], true, "{body}");
    let case_id = s(&body, "/data/ingestion/caseId");
    let case = json(app.get(&format!("/v1/cases/{case_id}")).await).await;
    assert_eq!(case["data"]["owner"]["phone"], "+12125550142");
    assert_eq!(body["data"]["call"]["to"], "+16465550199");
}

async fn without_a_default_region_a_national_number_is_refused(backend: Backend) {
    let Env { app, .. } = env(
        backend,
        Setup {
            phone_region: Some(""),
            ..Setup::default()
        },
    )
    .await;
    let r = app
        .post(
            "/v1/discharge/orchestrations",
            &json!({"input": {"rawData": {"mode": "text", "text": IDN_NOTE}}}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let problem = json(r).await;
    assert_eq!(problem["errors"][0]["pointer"], "/input/rawData/text");
    let message = s(&problem, "/errors/0/message");
    assert!(message.contains("country code"), "{message}");
    assert!(
        !message.contains("555"),
        "the number is not echoed: {message}"
    );
    let r = app
        .post(
            "/v1/discharge/orchestrations?wait=20s",
            &json!({"input": {"rawData": {"mode": "structured", "data": {
                "patient": {"name": "Max"},
                "owner": {"email": "jane@example.com", "phone": "+44 20 7946 0958"}
            }}}}),
        )
        .await;
    assert_eq!(r.status(), 200, "an international number needs no region");
}

fn rendered(body: &Value) -> (&str, &str) {
    (s(body, "/data/email/text"), s(body, "/data/email/html"))
}

async fn the_email_keeps_follow_up_timing_and_as_needed_and_closes_once(backend: Backend) {
    let Env { app, .. } = env(backend, Setup::default()).await;
    let case = json!({
        "patient": {"name": "Max", "species": "Canine"},
        "owner": {"name": "Jane Doe", "email": "jane@example.com"},
        "diagnoses": ["Urinary tract infection"],
        "medications": [
            {"name": "Amoxicillin", "dose": "250 mg", "frequency": "twice daily", "duration": "10 days"},
            {"name": "Buprenorphine", "dose": "0.2 mg", "frequency": "every 8 hours", "asNeeded": true}
        ],
        "followUp": {"text": "Recheck urinalysis", "inDays": 7}
    });
    for template in ["standard", "detailed", "brief"] {
        let body = orchestrate(
            &app,
            json!({
                "input": {"rawData": {"mode": "structured", "data": case}},
                "steps": {"generateSummary": {"options": {"templateId": template}}, "scheduleCall": false}
            }),
        )
        .await;
        let (text, html) = rendered(&body);
        for rendered in [text, html] {
            assert!(
                rendered.contains("Recheck urinalysis in 7 days"),
                "{template}: {rendered}"
            );
            assert_eq!(
                rendered.matches("If you have any questions").count(),
                1,
                "{template}: {rendered}"
            );
        }
        assert!(text.contains("as needed"), "{template}: {text}");
        if template == "detailed" {
            assert!(
                text.contains("How often: every 8 hours, as needed"),
                "{text}"
            );
        }
    }
    // The follow-up call says the timing too.
    let body = orchestrate(
        &app,
        json!({"input": {"rawData": {"mode": "structured", "data": {
            "patient": {"name": "Max"},
            "owner": {"phone": "+15551234567", "email": "jane@example.com"},
            "followUp": {"text": "Recheck bloodwork", "date": "2030-06-17"}
        }}}}),
    )
    .await;
    let call_id = s(&body, "/data/call/callId");
    let call = json(app.get(&format!("/v1/discharge/calls/{call_id}")).await).await;
    assert!(
        s(&call, "/script").contains("Recheck bloodwork on Monday, June 17, 2030"),
        "{call}"
    );
}

both_backends!(
    a_national_phone_and_an_internationalised_email_are_accepted_and_used,
    without_a_default_region_a_national_number_is_refused,
    the_email_keeps_follow_up_timing_and_as_needed_and_closes_once,
);
