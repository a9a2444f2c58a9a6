//! The encounter workflow as a utilization-review team meets it over time: encounters
//! that need no prior authorization, encounters amended after processing (a new
//! version, a new analysis, the old form superseded), and FHIR outages that runs wait
//! out, with failed encounters retried once their source recovers.

use std::time::Duration;

use careflow::config::BreakerOverride;
use serde_json::{Value, json};

use crate::both_backends;
use crate::encounter::{events, pdf_text, spawn};
use crate::fake_fhir::FakeFhir;
use crate::helpers::{Backend, TestApp, json, step, until};

/// The tenant's events (every type) of one run.
async fn events_of_run(app: &TestApp, run: &str) -> Vec<Value> {
    let all = json(app.get(&format!("/v1/events?runId={run}&limit=1000")).await).await;
    all["events"].as_array().unwrap().clone()
}

async fn an_encounter_needing_no_prior_authorization_gets_pa_not_required_and_no_form(
    backend: Backend,
) {
    let fake = FakeFhir::start().await;
    fake.add_routine_visit("enc-1", "2025-03-03T14:05:00Z");
    let app = spawn(backend, &fake, false, |_| {}).await;

    let run = json(
        app.post("/v1/encounters?wait=30s", &json!({"encounterId": "enc-1"}))
            .await,
    )
    .await;
    assert_eq!(run["status"], "completed", "{run}");
    let run_id = run["runId"].as_str().unwrap();
    assert_eq!(step(&run, "generatePdf")["output"]["formGenerated"], false);

    let not_required = events(&app, "PA_NOT_REQUIRED", 1).await;
    let data = &not_required[0]["data"];
    assert_eq!(data["requiresPriorAuth"], false);
    assert_eq!(data["encounterId"], "enc-1");
    assert_eq!(data["analysis"]["requiresPriorAuth"], false);
    assert_eq!(data["analysis"]["analyzer"], "rules:default");
    assert!(data.get("formUrl").is_none(), "{data}");
    let analysed = events(&app, "IntelligenceAnalysisComplete", 1).await;
    assert_eq!(analysed[0]["data"]["requiresPriorAuth"], false);
    let ready = json(app.get("/v1/events?eventType=PA_FORM_READY").await).await;
    assert!(ready["events"].as_array().unwrap().is_empty(), "{ready}");
    let pdfs = json(app.get("/v1/events?eventType=PdfGenerated").await).await;
    assert!(pdfs["events"].as_array().unwrap().is_empty());

    let state = json(app.get("/v1/encounters/enc-1").await).await;
    assert_eq!(state["requiresPriorAuth"], false);
    assert_eq!(state["analysis"]["requiresPriorAuth"], false);
    assert_eq!(state["form"], Value::Null);
    assert_eq!(app.get("/v1/encounters/enc-1/form.pdf").await.status(), 404);

    // The seed's start event, and one correlation id for everything of the encounter.
    let started = events(&app, "EncounterProcessingStarted", 1).await;
    assert_eq!(started[0]["runId"], run_id);
    assert_eq!(started[0]["data"]["encounterId"], "enc-1");
    let all = events_of_run(&app, run_id).await;
    assert!(all.len() > 5, "{all:?}");
    for e in &all {
        assert_eq!(e["correlationId"], "enc-enc-1", "{e}");
    }
    let position = |t: &str| all.iter().position(|e| e["eventType"] == t).unwrap();
    assert!(position("EncounterProcessingStarted") < position("ClinicalDataHydrated"));
}

async fn an_amended_encounter_is_processed_again_and_its_old_form_is_superseded(backend: Backend) {
    let fake = FakeFhir::start().await;
    fake.add_encounter("enc-1", "2025-03-01T08:00:00Z");
    let app = spawn(backend, &fake, true, |_| {}).await;
    let first = events(&app, "PA_FORM_READY", 1).await;
    let run_1 = first[0]["runId"].as_str().unwrap().to_owned();

    // A new diagnosis is recorded: the server makes version 3.
    fake.amend(
        "enc-1",
        "3",
        "2025-03-02T08:00:00Z",
        "J96.00",
        "Acute respiratory failure",
    );
    let both = events(&app, "PA_FORM_READY", 2).await;
    let run_2 = both[1]["runId"].as_str().unwrap().to_owned();
    assert_ne!(run_1, run_2, "the amended encounter has a run of its own");

    let state = json(app.get("/v1/encounters/enc-1").await).await;
    assert_eq!(state["runId"], run_2.as_str());
    assert_eq!(state["versionId"], "3");
    assert_eq!(state["form"]["transactionId"], run_2.as_str());
    assert_eq!(state["form"]["versionId"], "3");
    let old = &state["supersededForms"][0];
    assert_eq!(old["transactionId"], run_1.as_str());
    assert_eq!(old["versionId"], "2");
    assert_eq!(old["supersededBy"], run_2.as_str());
    assert!(old["supersededAt"].is_string());

    let current = pdf_text(
        &app.get("/v1/encounters/enc-1/form.pdf")
            .await
            .bytes()
            .await
            .unwrap(),
    );
    assert!(current.contains("J96.00"), "{current}");
    let r = app
        .get(&format!(
            "/v1/encounters/enc-1/form.pdf?transactionId={run_1}"
        ))
        .await;
    assert_eq!(r.status(), 200);
    let superseded = pdf_text(&r.bytes().await.unwrap());
    assert!(superseded.contains(&run_1) && !superseded.contains("J96.00"));

    // An encounter pushed while in progress is processed once it is finished.
    fake.add_encounter_with_status("enc-2", "2025-03-03T08:00:00Z", "in-progress");
    let early = json(
        app.post("/v1/encounters?wait=30s", &json!({"encounterId": "enc-2"}))
            .await,
    )
    .await;
    assert_eq!(early["status"], "failed", "{early}");
    fake.set_status("enc-2", "finished", "3", "2025-03-03T09:00:00Z");
    let done = json(
        app.post("/v1/encounters?wait=30s", &json!({"encounterId": "enc-2"}))
            .await,
    )
    .await;
    assert_eq!(done["status"], "completed", "{done}");
    assert_ne!(done["runId"], early["runId"]);
    let state = json(app.get("/v1/encounters/enc-2").await).await;
    assert_eq!(state["status"], "completed");
    assert_eq!(state["versionId"], "3");
}

async fn runs_wait_out_a_fhir_outage_and_failed_encounters_are_retried_when_it_ends(
    backend: Backend,
) {
    let fake = FakeFhir::start().await;
    fake.add_encounter("enc-1", "2025-03-03T14:05:00Z");
    fake.add_encounter("enc-2", "2025-03-03T14:05:00Z");
    let app = spawn(backend, &fake, false, |s| {
        s.encounters.retry.max_attempts = 2;
        s.encounters.outage_retry_interval = Duration::from_secs(60);
        s.encounters.outage_max_wait = Duration::from_secs(120);
        s.encounters.recovery_interval = Duration::from_millis(100);
        // No breaker: every attempt reaches the server and fails on its 503.
        s.providers.fhir.breaker = BreakerOverride {
            failure_threshold: Some(0),
            failure_ratio: Some(0.0),
            min_calls: Some(1),
            window: Some(Duration::from_secs(30)),
            open_for: Some(Duration::from_millis(400)),
            half_open_max_calls: Some(1),
        };
    })
    .await;
    fake.set_down(true);
    let push = |id: &'static str| {
        let app = &app;
        async move {
            let r = app
                .post("/v1/encounters", &json!({"encounterId": id}))
                .await;
            assert_eq!(r.status(), 202);
            json(r).await["runId"].as_str().unwrap().to_owned()
        }
    };

    // Its attempts spent, enc-1 parks instead of failing.
    let run_1 = push("enc-1").await;
    let delayed = events(&app, "EncounterProcessingDelayed", 1).await;
    assert_eq!(delayed[0]["data"]["encounterId"], "enc-1");
    assert_eq!(delayed[0]["data"]["step"], "hydrate");
    let parked = until(&app, &run_1, |r| r["status"] == "sleeping").await;
    let first_wake = parked["wakesAt"].clone();

    // A minute later it tries again, fails, and parks again; enc-2 starts waiting.
    let reads = fake.count("/Encounter/enc-1");
    app.advance(Duration::from_secs(61));
    until(&app, &run_1, |r| {
        r["status"] == "sleeping" && r["wakesAt"] != first_wake
    })
    .await;
    assert_eq!(fake.count("/Encounter/enc-1"), reads + 1, "one more try");
    let run_2 = push("enc-2").await;
    events(&app, "EncounterProcessingDelayed", 2).await;

    // Past `outage_max_wait` enc-1 fails (a transient failure); enc-2 keeps waiting.
    app.advance(Duration::from_secs(61));
    let failed = events(&app, "EncounterProcessingFailed", 1).await;
    assert_eq!(failed[0]["data"]["encounterId"], "enc-1");
    assert_eq!(failed[0]["data"]["kind"], "retryable");
    until(&app, &run_1, |r| r["status"] == "failed").await;
    let waiting = json(app.get(&format!("/v1/runs/{run_2}")).await).await;
    assert_eq!(waiting["status"], "sleeping", "{waiting}");

    // The server recovers: enc-1 is retried by itself, enc-2 finishes at its next try.
    fake.set_down(false);
    let done_1 = until(&app, &run_1, |r| r["status"] == "completed").await;
    assert_eq!(step(&done_1, "notify")["status"], "completed");
    app.advance(Duration::from_secs(61));
    until(&app, &run_2, |r| r["status"] == "completed").await;
    for id in ["enc-1", "enc-2"] {
        let state = json(app.get(&format!("/v1/encounters/{id}")).await).await;
        assert_eq!(state["status"], "completed", "{state}");
        assert!(state["form"].is_object(), "{state}");
    }
    let failed = json(
        app.get("/v1/events?eventType=EncounterProcessingFailed")
            .await,
    )
    .await;
    assert_eq!(failed["events"].as_array().unwrap().len(), 1);
}

both_backends!(
    an_encounter_needing_no_prior_authorization_gets_pa_not_required_and_no_form,
    an_amended_encounter_is_processed_again_and_its_old_form_is_superseded,
    runs_wait_out_a_fhir_outage_and_failed_encounters_are_retried_when_it_ends,
);
