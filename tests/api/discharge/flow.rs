//! What a discharge orchestration does: every step from text and from structured
//! data, a stored case reused, steps switched off, a missing recipient, dry runs.

use serde_json::json;

use super::{ALL, Env, Setup, env, finished, names, orchestrate, run, s, text_input};
use crate::both_backends;
use crate::helpers::{Backend, json, step};

async fn a_text_case_runs_every_step_and_sends_the_email_and_call(backend: Backend) {
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
    let body = orchestrate(&app, json!({"input": text_input()})).await;
    assert_eq!(body["success"], true, "{body}");
    let data = &body["data"];
    assert_eq!(names(&data["completedSteps"]), ALL);
    assert!(names(&data["skippedSteps"]).is_empty() && names(&data["failedSteps"]).is_empty());
    assert_eq!(data["ingestion"]["patient"]["name"], "Bella");
    assert_eq!(data["ingestion"]["patient"]["breed"], "Beagle");
    assert_eq!(data["ingestion"]["entities"]["medications"], 1);
    assert_eq!(data["summary"]["generatedBy"], "template:standard");
    assert!(s(data, "/summary/content").contains("Acute gastroenteritis"));
    assert_eq!(data["email"]["status"], "scheduled");
    assert_eq!(
        data["email"]["subject"],
        "Discharge summary for Bella from Happy Paws"
    );
    assert!(s(data, "/email/html").contains("<p>Dear Jane Doe,</p>"));
    assert_eq!(data["call"]["status"], "scheduled");
    assert_eq!(data["call"]["to"], "+15551234567");
    assert_eq!(data["email"]["deliveryChannel"], "smtp");
    assert_eq!(data["call"]["placementChannel"], "voice");
    assert!(body["metadata"]["errors"].as_array().unwrap().is_empty());

    // The stored records are readable on their own.
    let case_id = s(data, "/ingestion/caseId");
    let case = json(app.get(&format!("/v1/cases/{case_id}")).await).await;
    assert_eq!(case["patient"]["species"], "canine");
    assert_eq!(case["data"]["owner"]["email"], "owner@example.com");
    assert_eq!(case["mode"], "text");
    assert_eq!(case["source"], "ehr-export");
    let summary_id = s(data, "/summary/summaryId");
    let summary = json(
        app.get(&format!("/v1/discharge/summaries/{summary_id}"))
            .await,
    )
    .await;
    assert_eq!(summary["content"], data["summary"]["content"]);
    assert_eq!(summary["caseId"], case_id);

    // Due at once: delivered to the SMTP server and placed with the voice provider.
    finished(&app, s(data, "/email/deliveryRunId")).await;
    finished(&app, s(data, "/call/placementRunId")).await;
    let inbox = smtp.as_ref().unwrap().inbox();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].rcpt_to, ["<owner@example.com>"]);
    assert!(
        inbox[0]
            .data
            .contains("Subject: Discharge summary for Bella from Happy Paws")
    );
    let email = json(
        app.get(&format!(
            "/v1/discharge/emails/{}",
            s(data, "/email/emailId")
        ))
        .await,
    )
    .await;
    assert_eq!(email["status"], "sent");
    assert_eq!(email["attempts"], 1);
    assert_eq!(email["deliveredVia"], "smtp");
    assert!(inbox[0].data.contains(s(&email, "/messageId")));
    let placed = voice.as_ref().unwrap().placed();
    assert_eq!(placed.len(), 1);
    assert_eq!(placed[0].to, "+15551234567");
    assert_eq!(placed[0].from, crate::fake_voice::FROM);
    assert_eq!(placed[0].account, crate::fake_voice::ACCOUNT);
    assert!(placed[0].authorized);
    assert!(
        placed[0]
            .twiml
            .starts_with("<Response><Say>Hello Jane Doe.")
    );
    let call = json(
        app.get(&format!("/v1/discharge/calls/{}", s(data, "/call/callId")))
            .await,
    )
    .await;
    assert_eq!(call["status"], "placed");
    assert_eq!(call["attempts"], 1);
    assert_eq!(call["providerStatus"], "queued");
    assert!(s(&call, "/providerCallId").starts_with("CA"));
}

async fn a_structured_case_without_providers_spools_the_email_and_records_the_call(
    backend: Backend,
) {
    let Env { app, spool, .. } = env(backend, Setup::default()).await;
    let input = json!({"rawData": {"mode": "structured", "data": {
        "patient": {"name": "Max", "species": "Feline", "age": 7},
        "owner": {"name": "Sam", "email": "sam@example.com", "phone": "+4915112345678"},
        "diagnoses": [{"text": "Otitis externa", "code": "H60"}],
        "medications": [{"name": "Otomax", "dose": "4 drops", "frequency": "twice daily"}],
        "instructions": ["Clean the ear daily"],
        "followUp": {"inDays": 10}
    }}});
    let body = orchestrate(
        &app,
        json!({"input": input, "steps": {"generateSummary": {"options": {"templateId": "detailed"}}}}),
    )
    .await;
    assert_eq!(body["success"], true, "{body}");
    let data = &body["data"];
    assert_eq!(data["ingestion"]["patient"]["age"], "7");
    assert_eq!(data["summary"]["generatedBy"], "template:detailed");
    assert!(s(data, "/summary/content").contains("How often: twice daily"));
    assert_eq!(data["ingestion"]["entities"]["fields"][0], "/patient/name");
    // Nothing is configured, and the answer says so before anything is due.
    assert_eq!(data["email"]["deliveryChannel"], "spool");
    assert_eq!(data["call"]["placementChannel"], "not_configured");

    finished(&app, s(data, "/email/deliveryRunId")).await;
    let email = json(
        app.get(&format!(
            "/v1/discharge/emails/{}",
            s(data, "/email/emailId")
        ))
        .await,
    )
    .await;
    assert_eq!(email["status"], "sent");
    assert_eq!(email["deliveredVia"], "spool");
    let files: Vec<_> = std::fs::read_dir(spool.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert!(files[0].extension().is_some_and(|e| e == "eml"));
    let eml = std::fs::read_to_string(&files[0]).unwrap();
    assert!(eml.contains("To: sam@example.com"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&files[0]), 0o600, "spooled emails hold patient data");
        assert_eq!(mode(spool.path()), 0o700);
    }

    let placement = finished(&app, s(data, "/call/placementRunId")).await;
    assert_eq!(
        step(&placement, "place")["output"]["status"],
        "not_configured"
    );
    let call = json(
        app.get(&format!("/v1/discharge/calls/{}", s(data, "/call/callId")))
            .await,
    )
    .await;
    assert_eq!(call["status"], "not_configured");
    assert_eq!(call["attempts"], 0);
}

async fn an_existing_case_is_reused_and_ingest_is_skipped(backend: Backend) {
    let Env { app, .. } = env(backend, Setup::default()).await;
    let first = orchestrate(
        &app,
        json!({"input": text_input(), "steps": {"scheduleCall": false}}),
    )
    .await;
    let case_id = s(&first, "/data/ingestion/caseId").to_string();
    let again = orchestrate(
        &app,
        json!({"input": {"existingCase": {"caseId": case_id}}, "steps": {"generateSummary": {"options": {"templateId": "brief"}}}}),
    )
    .await;
    assert_eq!(again["success"], true, "{again}");
    let data = &again["data"];
    assert_eq!(names(&data["skippedSteps"]), ["ingest"]);
    assert!(s(&again, "/metadata/skipReasons/ingest").contains("existingCase"));
    assert_eq!(
        names(&data["completedSteps"]),
        [
            "generateSummary",
            "prepareEmail",
            "scheduleEmail",
            "scheduleCall"
        ]
    );
    assert_eq!(data["ingestion"]["caseId"], case_id.as_str());
    assert_eq!(data["ingestion"]["existing"], true);
    assert_eq!(data["summary"]["generatedBy"], "template:brief");
    assert!(s(data, "/summary/content").starts_with("Discharge summary for Bella."));
    let summary = json(
        app.get(&format!(
            "/v1/discharge/summaries/{}",
            s(data, "/summary/summaryId")
        ))
        .await,
    )
    .await;
    assert_eq!(summary["caseId"], case_id.as_str());
    assert_ne!(
        data["summary"]["summaryId"],
        first["data"]["summary"]["summaryId"]
    );
}

async fn disabled_steps_and_their_dependents_are_skipped_with_reasons(backend: Backend) {
    let Env { app, .. } = env(backend, Setup::default()).await;
    let body = orchestrate(
        &app,
        json!({"input": text_input(), "steps": {"generateSummary": false, "scheduleCall": {"enabled": false}}}),
    )
    .await;
    assert_eq!(body["success"], true, "{body}");
    let data = &body["data"];
    assert_eq!(names(&data["completedSteps"]), ["ingest"]);
    assert_eq!(
        names(&data["skippedSteps"]),
        [
            "generateSummary",
            "prepareEmail",
            "scheduleEmail",
            "scheduleCall"
        ]
    );
    let reasons = &body["metadata"]["skipReasons"];
    assert_eq!(reasons["generateSummary"], "disabled by request");
    assert_eq!(
        reasons["prepareEmail"],
        "dependency 'generateSummary' was skipped"
    );
    assert_eq!(
        reasons["scheduleEmail"],
        "dependency 'prepareEmail' was skipped"
    );
    assert_eq!(reasons["scheduleCall"], "disabled by request");
    assert!(data["summary"].is_null() && data["email"].is_null() && data["call"].is_null());
    assert_eq!(body["metadata"]["stepTimings"]["scheduleCall"], 0);
}

async fn a_dry_run_returns_the_plan_and_writes_nothing(backend: Backend) {
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
    let body = orchestrate(
        &app,
        json!({"input": text_input(), "steps": {"scheduleCall": false}, "options": {"dryRun": true}}),
    )
    .await;
    assert_eq!(body["dryRun"], true);
    assert!(body["runId"].is_null());
    assert_eq!(
        body["plan"]["order"],
        json!(["ingest", "generateSummary", "prepareEmail", "scheduleEmail"])
    );
    assert_eq!(names(&body["data"]["skippedSteps"]), ["scheduleCall"]);
    let runs = json(app.get("/v1/runs").await).await;
    assert!(runs["runs"].as_array().unwrap().is_empty(), "{runs}");
    assert!(smtp.unwrap().inbox().is_empty());
    assert_eq!(voice.unwrap().requests(), 0);
}

async fn a_case_without_an_owner_email_fails_prepare_email_clearly(backend: Backend) {
    let Env { app, .. } = env(backend, Setup::default()).await;
    let input =
        json!({"rawData": {"mode": "text", "text": "Patient: Rex\nOwner phone: +15551234567"}});
    let body = orchestrate(&app, json!({"input": input})).await;
    assert_eq!(body["success"], false);
    assert_eq!(names(&body["data"]["failedSteps"]), ["prepareEmail"]);
    let error = s(&body, "/metadata/errors/0/error");
    assert!(error.contains("no recipient"), "{error}");
    assert_eq!(
        body["metadata"]["skipReasons"]["scheduleEmail"],
        "dependency 'prepareEmail' failed"
    );
    assert_eq!(body["data"]["call"]["status"], "scheduled");
    // With a recipient given, the same case goes out.
    let body = orchestrate(
        &app,
        json!({"input": input, "steps": {"prepareEmail": {"options": {"recipientEmail": "front-desk@example.com"}}}}),
    )
    .await;
    assert_eq!(body["success"], true, "{body}");
    assert_eq!(body["data"]["email"]["recipient"], "front-desk@example.com");
}

async fn a_case_given_through_the_runs_route_is_read_by_ingest(backend: Backend) {
    let Env { app, .. } = env(backend, Setup::default()).await;
    // The discharge route reads the input before the run starts; the run shows it
    // as the clinic sent it.
    let body = orchestrate(&app, json!({"input": text_input()})).await;
    let view = run(&app, s(&body, "/runId")).await;
    assert_eq!(view["input"]["rawData"], text_input()["rawData"], "{view}");

    // The generic route reads the input the same way when the run is submitted:
    // `ingest` takes the same case from it.
    let r = app
        .post(
            "/v1/workflows/discharge/runs?wait=20s",
            &json!({"input": text_input()}),
        )
        .await;
    let generic = json(r).await;
    assert_eq!(generic["status"], "completed", "{generic}");
    let ingest = step(&generic, "ingest");
    assert_eq!(ingest["output"]["patient"]["name"], "Bella", "{generic}");
    assert_eq!(ingest["output"]["entities"]["medications"], 1);

    // A case the client claims to have read already is not trusted: it is read
    // again from `rawData`.
    let mut forged = json!({"input": text_input()});
    forged["input"]["intake"] = view["input"]["intake"].clone();
    forged["input"]["intake"]["patient"]["name"] = json!("Forged");
    let r = app
        .post("/v1/workflows/discharge/runs?wait=20s", &forged)
        .await;
    let read_again = json(r).await;
    assert_eq!(read_again["status"], "completed", "{read_again}");
    assert_eq!(
        step(&read_again, "ingest")["output"]["patient"]["name"],
        "Bella",
        "{read_again}"
    );

    // A bad case is refused at submission, listed the way the discharge route
    // lists it.
    let bad = json!({"input": {"rawData": {"mode": "fax"}}});
    let r = app.post("/v1/workflows/discharge/runs", &bad).await;
    assert_eq!(r.status(), 422);
    let problem = json(r).await;
    let pointers: Vec<_> = problem["errors"]
        .as_array()
        .map(|a| a.iter().map(|e| e["pointer"].clone()).collect())
        .unwrap_or_default();
    assert_eq!(pointers, [json!("/input/rawData/mode")], "{problem}");
}

both_backends!(
    a_case_given_through_the_runs_route_is_read_by_ingest,
    a_text_case_runs_every_step_and_sends_the_email_and_call,
    a_structured_case_without_providers_spools_the_email_and_records_the_call,
    an_existing_case_is_reused_and_ingest_is_skipped,
    disabled_steps_and_their_dependents_are_skipped_with_reasons,
    a_dry_run_returns_the_plan_and_writes_nothing,
    a_case_without_an_owner_email_fails_prepare_email_clearly,
);
