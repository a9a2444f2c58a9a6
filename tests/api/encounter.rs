//! The prior-authorization `encounter` workflow against a fake FHIR server: pushes,
//! polling across restarts and replicas, retries, the breaker, failure events, the
//! PDF form, SSE delivery and a burst of encounters.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use careflow::config::{BreakerOverride, Settings, SourceAuth, SourceSettings};
use careflow::engine::Clock;
use careflow::store::{SourceCursor, TenantId};
use serde_json::{Value, json};

use crate::both_backends;
use crate::fake_fhir::FakeFhir;
use crate::fake_pa_llm::FakeLlm;
use crate::helpers::{Backend, TestApp, eventually, json, step};
use crate::sse::SseClient;

const T: Duration = crate::helpers::DEADLINE;

pub(crate) fn source(name: &str, base_url: &str, poll: bool) -> SourceSettings {
    SourceSettings {
        name: name.into(),
        base_url: base_url.into(),
        tenant: "tenant-a".into(),
        auth: SourceAuth::Bearer,
        token: careflow::config::Secret::new("fhir-token"),
        username: String::new(),
        password: Default::default(),
        poll,
        interval: Duration::from_millis(50),
        payer: Some("Acme Health".into()),
        page_size: 2,
    }
}

pub(crate) async fn spawn(
    backend: Backend,
    fake: &FakeFhir,
    poll: bool,
    adjust: impl FnOnce(&mut Settings),
) -> TestApp {
    let src = source("ehr", &fake.base, poll);
    TestApp::spawn_with(
        backend,
        move |s| {
            s.encounters.sources.push(src);
            adjust(s);
        },
        Default::default,
    )
    .await
}

/// The tenant's events of one type, once at least `n` are listed.
pub(crate) async fn events(app: &TestApp, event_type: &str, n: usize) -> Vec<Value> {
    eventually(&format!("{n} {event_type} events"), || async {
        let listed = json(
            app.get(&format!("/v1/events?eventType={event_type}&limit=1000"))
                .await,
        )
        .await;
        let found = listed["events"].as_array().unwrap().clone();
        if found.len() >= n {
            Ok(found)
        } else {
            Err(format!("{} of them", found.len()))
        }
    })
    .await
}

/// The tenant's `encounter` runs, every page.
async fn runs(app: &TestApp) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = json(
            app.get(&format!("/v1/runs?workflow=encounter&limit=100{cursor}"))
                .await,
        )
        .await;
        all.extend(page["runs"].as_array().unwrap().iter().cloned());
        match page["nextCursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return all,
        }
    }
}

/// Waits until `n` encounter runs completed, each wait bounded by the one deadline:
/// a burst may take longer in all, so the wait is for progress (one more form
/// ready) until all are. Their `PA_FORM_READY` events are counted first (one cheap
/// query), then the runs are read.
async fn completed(app: &TestApp, n: usize) -> Vec<Value> {
    let ready_forms = || async {
        let ready = json(
            app.get("/v1/events?eventType=PA_FORM_READY&limit=1000")
                .await,
        )
        .await;
        ready["events"].as_array().unwrap().len()
    };
    let mut ready = 0;
    while ready < n {
        let before = ready;
        ready = eventually(
            &format!("more than {before} of {n} forms ready"),
            || async {
                let now = ready_forms().await;
                if now > before { Ok(now) } else { Err(now) }
            },
        )
        .await;
    }
    eventually(&format!("{n} encounter runs completed"), || async {
        let all = runs(app).await;
        let done = all.iter().filter(|r| r["status"] == "completed").count();
        if done >= n {
            Ok(all)
        } else {
            Err(format!("{done} completed"))
        }
    })
    .await
}

/// Checks that each encounter has exactly one run and that the FHIR server was read
/// for it by that run alone: as many `Encounter/{id}` reads as its `hydrate` attempts
/// (a retry under load reads again; another run or replica would read more).
fn processed_once_each(fake: &FakeFhir, runs: &[Value], expected: usize) {
    let mut reads: HashMap<String, usize> = HashMap::new();
    for r in fake.requests() {
        if let Some(id) = r.strip_prefix("/Encounter/") {
            *reads.entry(id.to_string()).or_default() += 1;
        }
    }
    let mut seen = std::collections::HashSet::new();
    for run in runs {
        let id = run["input"]["encounterId"].as_str().unwrap().to_string();
        assert!(seen.insert(id.clone()), "{id} has two runs");
        let attempts = step(run, "hydrate")["attempts"].as_u64().unwrap() as usize;
        assert_eq!(
            reads.get(&id).copied(),
            Some(attempts),
            "{id} was read by another run"
        );
    }
    assert_eq!(seen.len(), expected);
    assert_eq!(reads.len(), expected);
}

pub(crate) fn pdf_text(pdf: &[u8]) -> String {
    let doc = lopdf::Document::load_mem(pdf).expect("a PDF a parser can read");
    let pages: Vec<u32> = doc.get_pages().keys().copied().collect();
    doc.extract_text(&pages).unwrap()
}

async fn a_pushed_encounter_runs_end_to_end_into_a_readable_pdf_form(backend: Backend) {
    let fake = FakeFhir::start().await;
    fake.add_encounter("enc-1", "2025-03-03T14:05:00Z");
    let app = spawn(backend, &fake, false, |_| {}).await;

    let r = app
        .post("/v1/encounters?wait=30s", &json!({"encounterId": "enc-1"}))
        .await;
    assert_eq!(r.status(), 200);
    let run = json(r).await;
    assert_eq!(run["status"], "completed", "{run}");
    let hydrate = step(&run, "hydrate");
    assert_eq!(
        hydrate["output"]["counts"],
        json!({"conditions": 2, "diagnosisCodes": 2, "observations": 1, "numericObservations": 1}),
        "entries in error are left out"
    );
    assert_eq!(step(&run, "analyze")["output"]["provider"], "rules");
    let run_id = run["runId"].as_str().unwrap();

    let state = json(app.get("/v1/encounters/enc-1").await).await;
    assert_eq!(state["runId"], run_id);
    assert_eq!(state["status"], "completed");
    assert_eq!(state["analysis"]["requiresPriorAuth"], true);
    assert_eq!(state["analysis"]["analyzer"], "rules:default");
    assert_eq!(state["form"]["transactionId"], run_id);

    let r = app.get("/v1/encounters/enc-1/form.pdf").await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let pdf = r.bytes().await.unwrap();
    assert_eq!(state["form"]["sizeBytes"], pdf.len());
    let text = pdf_text(&pdf);
    for expected in [
        "J18.9",
        "Pneumonia, unspecified organism",
        "E11.9",
        "Ada Okafor",
        "enc-1",
        "Prior authorization required",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
    assert!(
        !text.contains("I21.9"),
        "a condition entered in error was printed"
    );

    // The encounter was read twice (its version at submission, then by `hydrate`).
    assert!(fake.count("/Encounter/enc-1") == 2 && fake.count("/Patient/pat-enc-1") == 1);
    assert_eq!(
        fake.count("/Condition?"),
        2,
        "conditions are read across two pages"
    );

    // Each milestone once, and no patient name in any event.
    let ready = events(&app, "PA_FORM_READY", 1).await;
    for t in [
        "EncounterDetected",
        "ClinicalDataHydrated",
        "IntelligenceAnalysisComplete",
        "PdfGenerated",
    ] {
        let found = events(&app, t, 1).await;
        assert_eq!(found.len(), 1, "{t}");
        assert_eq!(found[0]["runId"], run_id, "{t}");
    }
    let pdf_event = &events(&app, "PdfGenerated", 1).await[0];
    assert_eq!(pdf_event["data"]["sizeBytes"], pdf.len());
    assert_eq!(ready[0]["data"]["patientId"], "pat-enc-1");
    let everything = json(app.get("/v1/events?limit=1000").await)
        .await
        .to_string();
    assert!(
        !everything.contains("Okafor"),
        "a patient name reached an event"
    );

    // Submitting again finds the same run.
    let again = app
        .post(
            "/v1/encounters",
            &json!({"source": "ehr", "encounterId": "enc-1"}),
        )
        .await;
    let again = json(again).await;
    assert_eq!(again["runId"], run_id);
    assert_eq!(again["created"], false);

    // Another tenant sees neither the encounter nor its form.
    let other = app.key_for("tenant-b").await;
    for path in ["/v1/encounters/enc-1", "/v1/encounters/enc-1/form.pdf"] {
        let r = app
            .http
            .get(app.url(path))
            .bearer_auth(&other)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
}

async fn a_submission_lists_every_problem_and_never_calls_an_unconfigured_url(backend: Backend) {
    let fake = FakeFhir::start().await;
    let app = spawn(backend, &fake, false, |s| {
        // Configured for another tenant; never called.
        let mut other = source("elsewhere", "http://127.0.0.1:9/fhir", false);
        other.tenant = "tenant-b".into();
        s.encounters.sources.push(other);
    })
    .await;

    let r = app
        .post(
            "/v1/encounters",
            &json!({"encounterId": "../Patient/x", "fhirBaseUrl": "http://evil.example/fhir",
                    "extra": true}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let problem = json(r).await;
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(pointers, ["/extra", "/encounterId", "/fhirBaseUrl"]);

    // Another tenant's source is unknown here, by name and by URL.
    for body in [
        json!({"source": "elsewhere", "encounterId": "enc-1"}),
        json!({"fhirBaseUrl": "http://127.0.0.1:9/fhir", "encounterId": "enc-1"}),
    ] {
        let r = app.post("/v1/encounters", &body).await;
        assert_eq!(r.status(), 422, "{body}");
    }
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
    // Before any submission the encounter is unknown.
    assert_eq!(app.get("/v1/encounters/enc-1").await.status(), 404);
    assert_eq!(app.get("/v1/encounters/enc-1/form.pdf").await.status(), 404);

    // The configured URL (written without the trailing slash difference) is accepted.
    let r = app
        .post(
            "/v1/encounters",
            &json!({"fhirBaseUrl": format!("{}/", fake.base), "encounterId": "enc-404"}),
        )
        .await;
    assert_eq!(r.status(), 202);
}

async fn polled_encounters_are_submitted_once_each_across_restarts(backend: Backend) {
    let fake = FakeFhir::start().await;
    for (id, at) in [
        ("enc-1", "2025-03-01T08:00:00Z"),
        ("enc-2", "2025-03-01T09:00:00Z"),
        ("enc-3", "2025-03-01T10:00:00.250Z"),
        ("enc-4", "2025-03-01T11:00:00Z"),
        ("enc-5", "2025-03-01T11:00:00Z"),
    ] {
        fake.add_encounter(id, at);
    }
    fake.add_encounter_with_status("enc-open", "2025-03-01T09:30:00Z", "in-progress");
    let mut app = spawn(backend, &fake, true, |_| {}).await;
    completed(&app, 5).await;

    app.restart(Default::default()).await;
    // One written later at the cursor's very instant, one after it.
    fake.add_encounter("enc-6", "2025-03-01T11:00:00Z");
    fake.add_encounter("enc-7", "2025-03-01T12:00:00Z");
    let all = completed(&app, 7).await;

    // Let the poller search a few more times: nothing may be submitted again.
    let searches = fake.count("/Encounter?");
    eventually("six more searches by the poller", || async {
        let now = fake.count("/Encounter?");
        if now >= searches + 6 {
            Ok(())
        } else {
            Err(now - searches)
        }
    })
    .await;
    assert_eq!(runs(&app).await.len(), 7);
    let mut ids: Vec<String> = all
        .iter()
        .map(|r| r["input"]["encounterId"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    assert_eq!(
        ids,
        [
            "enc-1", "enc-2", "enc-3", "enc-4", "enc-5", "enc-6", "enc-7"
        ]
    );
    let detected = events(&app, "EncounterDetected", 7).await;
    assert_eq!(detected.len(), 7);
    processed_once_each(&fake, &all, 7);
    // The search resumed from the stored cursor, inclusive of its instant.
    assert!(
        fake.requests()
            .iter()
            .any(|r| r.contains("_lastUpdated=ge2025-03-01T11%3A00%3A00Z")),
        "{:?}",
        fake.requests()
    );
}

async fn a_crash_before_the_cursor_was_saved_repeats_nothing(backend: Backend) {
    let fake = FakeFhir::start().await;
    for (id, at) in [
        ("enc-1", "2025-03-01T08:00:00Z"),
        ("enc-2", "2025-03-01T09:00:00Z"),
        ("enc-3", "2025-03-01T10:00:00Z"),
    ] {
        fake.add_encounter(id, at);
    }
    let mut app = spawn(backend, &fake, true, |_| {}).await;
    completed(&app, 3).await;

    // A crash that lost every cursor save: the runs exist, the cursor says nothing
    // was submitted, and the dead poller's lease is left to expire.
    let crashed = app.app.take().unwrap();
    let owner = crashed.engine.owner().to_string();
    let store = crashed.store.clone();
    crashed.abort();
    let now = app.clock.now();
    let tenant = TenantId::parse("tenant-a").unwrap();
    let reset = store
        .save_encounter_cursor(
            &tenant,
            "ehr",
            &owner,
            &SourceCursor::default(),
            now,
            now - chrono::Duration::seconds(1),
        )
        .await
        .unwrap();
    assert!(reset);
    let from_scratch = |fake: &FakeFhir| {
        fake.requests()
            .iter()
            .filter(|r| {
                r.starts_with("/Encounter?")
                    && !r.contains("_lastUpdated=")
                    && !r.contains("_offset")
            })
            .count()
    };
    assert_eq!(from_scratch(&fake), 1);
    app.restart(Default::default()).await;

    // The new poller takes the expired lease, reads everything again, and then polls
    // from its new cursor.
    eventually(
        "a search from scratch, then one from the new cursor",
        || async {
            let requests = fake.requests();
            if from_scratch(&fake) >= 2 && requests.last().unwrap().contains("_lastUpdated=ge") {
                Ok(())
            } else {
                Err(requests)
            }
        },
    )
    .await;
    processed_once_each(&fake, &runs(&app).await, 3);
    assert_eq!(events(&app, "EncounterDetected", 3).await.len(), 3);
}

async fn fhir_answering_503_twice_then_200_is_retried_and_succeeds(backend: Backend) {
    let fake = FakeFhir::start().await;
    fake.add_encounter("enc-1", "2025-03-03T14:05:00Z");
    let app = spawn(backend, &fake, false, |_| {}).await;
    // The first 503 answers the version read at submission, two more `hydrate`.
    fake.fail_next(3);

    let run = json(
        app.post("/v1/encounters?wait=30s", &json!({"encounterId": "enc-1"}))
            .await,
    )
    .await;

    assert_eq!(run["status"], "completed", "{run}");
    assert_eq!(step(&run, "hydrate")["attempts"], 3);
    let retries = json(app.get("/v1/events?eventType=step.retrying").await).await;
    assert_eq!(retries["events"].as_array().unwrap().len(), 2);
    let failed = json(
        app.get("/v1/events?eventType=EncounterProcessingFailed")
            .await,
    )
    .await;
    assert!(failed["events"].as_array().unwrap().is_empty());
}

async fn fhir_down_opens_the_breaker_and_runs_wait_then_finish_when_it_recovers(backend: Backend) {
    let fake = FakeFhir::start().await;
    for i in 1..=3 {
        fake.add_encounter(&format!("enc-{i}"), "2025-03-03T14:05:00Z");
    }
    let app = spawn(backend, &fake, false, |s| {
        s.encounters.retry.max_attempts = 6;
        s.providers.fhir.breaker = BreakerOverride {
            failure_threshold: Some(2),
            failure_ratio: Some(0.0),
            min_calls: Some(1),
            window: Some(Duration::from_secs(30)),
            open_for: Some(Duration::from_millis(400)),
            half_open_max_calls: Some(1),
        };
    })
    .await;
    fake.set_down(true);
    let mut ids = Vec::new();
    for i in 1..=3 {
        let r = app
            .post(
                "/v1/encounters",
                &json!({"encounterId": format!("enc-{i}")}),
            )
            .await;
        assert_eq!(r.status(), 202);
        ids.push(json(r).await["runId"].as_str().unwrap().to_string());
    }

    // The breaker opens and the steps wait for it instead of failing.
    let deferred = events(&app, "step.deferred", 1).await;
    assert!(
        deferred[0]["data"]["reason"]
            .as_str()
            .unwrap()
            .contains("circuit open")
    );
    let providers = json(app.get("/v1/providers").await).await;
    let fhir = providers["providers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["provider"] == "fhir")
        .unwrap()
        .clone();
    // It opened; with `open_for` at 400 ms a loaded machine may already see it
    // half-open for its trial call.
    assert!(
        ["open", "half_open"].contains(&fhir["state"].as_str().unwrap_or_default()),
        "{fhir}"
    );
    assert!(fhir["openedAt"].is_string(), "{fhir}");
    for id in &ids {
        let run = json(app.get(&format!("/v1/runs/{id}")).await).await;
        assert!(
            !["failed", "completed"].contains(&run["status"].as_str().unwrap()),
            "{run}"
        );
    }

    fake.set_down(false);
    for id in &ids {
        let run = json(app.get(&format!("/v1/runs/{id}?wait=30s")).await).await;
        assert_eq!(run["status"], "completed", "{run}");
    }
    let failed = json(
        app.get("/v1/events?eventType=EncounterProcessingFailed")
            .await,
    )
    .await;
    assert!(failed["events"].as_array().unwrap().is_empty());
}

async fn a_failed_encounter_publishes_encounter_processing_failed_with_its_attempts(
    backend: Backend,
) {
    let fake = FakeFhir::start().await;
    fake.add_encounter("enc-1", "2025-03-03T14:05:00Z");
    let app = spawn(backend, &fake, false, |s| {
        s.encounters.retry.max_attempts = 2;
        // No waiting out the outage here: the last attempt fails the run.
        s.encounters.outage_max_wait = Duration::ZERO;
        // No breaker here: every attempt reaches the server.
        s.resilience.breaker.failure_threshold = 0;
        s.resilience.breaker.failure_ratio = 0.0;
    })
    .await;

    // Unknown to the server: a permanent error, one attempt.
    let run = json(
        app.post(
            "/v1/encounters?wait=30s",
            &json!({"encounterId": "enc-unknown"}),
        )
        .await,
    )
    .await;
    assert_eq!(run["status"], "failed", "{run}");
    assert_eq!(step(&run, "hydrate")["attempts"], 1);
    assert_eq!(step(&run, "notify")["status"], "skipped");

    // Down for good: retryable errors until the attempts run out.
    fake.set_down(true);
    let run2 = json(
        app.post("/v1/encounters?wait=30s", &json!({"encounterId": "enc-1"}))
            .await,
    )
    .await;
    assert_eq!(run2["status"], "failed", "{run2}");
    assert_eq!(step(&run2, "hydrate")["attempts"], 2);

    let failed = events(&app, "EncounterProcessingFailed", 2).await;
    assert_eq!(failed.len(), 2);
    let first = &failed[0]["data"];
    assert_eq!(failed[0]["runId"], run["runId"]);
    assert_eq!(first["encounterId"], "enc-unknown");
    assert_eq!(first["step"], "hydrate");
    assert_eq!(first["attempts"], 1);
    assert!(
        first["error"].as_str().unwrap().contains("404")
            && first["error"].as_str().unwrap().contains("is not known"),
        "the OperationOutcome's diagnostics are kept: {first}"
    );
    let second = &failed[1]["data"];
    assert_eq!(failed[1]["runId"], run2["runId"]);
    assert_eq!(second["attempts"], 2);
    assert!(
        second["error"].as_str().unwrap().contains("503"),
        "{second}"
    );
    let state = json(app.get("/v1/encounters/enc-1").await).await;
    assert_eq!(state["status"], "failed");
    assert_eq!(state["form"], Value::Null);
    assert_eq!(app.get("/v1/encounters/enc-1/form.pdf").await.status(), 404);
}

async fn pa_form_ready_reaches_two_sse_subscribers(backend: Backend) {
    let fake = FakeFhir::start().await;
    fake.add_encounter("enc-1", "2025-03-03T14:05:00Z");
    let app = spawn(backend, &fake, false, |_| {}).await;
    let url = app.url("/v1/events/stream?eventType=PA_FORM_READY");
    let mut one = SseClient::connect(&app.http, &url, &app.token, None).await;
    let mut two = SseClient::connect(&app.http, &url, &app.token, None).await;
    assert!(one.next(T).await.unwrap().retry.is_some());
    assert!(two.next(T).await.unwrap().retry.is_some());

    let r = app
        .post("/v1/encounters", &json!({"encounterId": "enc-1"}))
        .await;
    let run_id = json(r).await["runId"].as_str().unwrap().to_string();

    for client in [&mut one, &mut two] {
        let got = client.collect_until("PA_FORM_READY", T).await;
        let last = got.last().expect("an event").json();
        assert_eq!(last["eventType"], "PA_FORM_READY");
        assert_eq!(last["correlationId"], "enc-enc-1");
        let data = &last["data"];
        assert_eq!(data["transactionId"], run_id.as_str());
        assert_eq!(data["encounterId"], "enc-1");
        assert_eq!(data["patientId"], "pat-enc-1");
        assert_eq!(data["requiresPriorAuth"], true);
        assert!(data["message"].as_str().unwrap().contains("enc-1"));
    }
}

async fn a_burst_of_encounters_is_absorbed_with_bounded_concurrency(backend: Backend) {
    const BURST: usize = 200;
    const SLOTS: usize = 8;
    let fake = FakeFhir::start().await;
    for i in 0..BURST {
        // Ten encounters share each instant, as a bulk update would write them.
        fake.add_encounter(
            &format!("enc-{i:03}"),
            &format!("2025-03-01T10:{:02}:00Z", i / 10),
        );
    }
    fake.set_delay(Duration::from_millis(2));
    let started = Instant::now();
    let app = spawn(backend, &fake, true, |s| {
        s.engine.max_concurrent_runs = SLOTS;
        s.encounters.sources[0].page_size = 50;
    })
    .await;

    let all = completed(&app, BURST).await;

    let elapsed = started.elapsed();
    assert_eq!(all.len(), BURST);
    // Hydration makes at most three calls at once per run.
    let peak = fake.max_in_flight();
    // (plus the poller's own search).
    assert!(peak <= SLOTS * 3 + 1, "{peak} requests at once");
    assert!(
        peak > 3,
        "runs were not processed in parallel (peak {peak})"
    );
    processed_once_each(&fake, &all, BURST);
    eprintln!("{BURST} encounters processed in {elapsed:?} (peak {peak} FHIR requests at once)");
}

async fn a_configured_model_makes_the_decision_from_de_identified_facts(backend: Backend) {
    let fake = FakeFhir::start().await;
    fake.add_encounter("enc-1", "2025-03-03T14:05:00Z");
    let llm = FakeLlm::start().await;
    let base = llm.base.clone();
    let app = spawn(backend, &fake, false, move |s| {
        s.providers.llm.base_url = base;
        s.providers.llm.model = "pa-model-1".into();
        s.providers.llm.api_key = careflow::config::Secret::new("sk-test");
        s.encounters.analysis = careflow::config::Analysis::Llm;
    })
    .await;

    let run = json(
        app.post("/v1/encounters?wait=30s", &json!({"encounterId": "enc-1"}))
            .await,
    )
    .await;

    assert_eq!(run["status"], "completed", "{run}");
    let analysis = &step(&run, "analyze")["output"]["analysis"];
    assert_eq!(analysis["analyzer"], "llm:pa-model-1");
    assert_eq!(analysis["confidence"], 0.8);
    assert_eq!(analysis["criteriaMet"][0]["rule"], "inpatient-pneumonia");
    let prompts = llm.requests();
    assert_eq!(prompts.len(), 1);
    assert_eq!(prompts[0].authorization.as_deref(), Some("Bearer sk-test"));
    assert!(prompts[0].body.contains("J18.9"));
    assert!(
        !prompts[0].body.contains("Okafor"),
        "the prompt names the patient"
    );
    assert!(
        !prompts[0].body.contains("MRN-enc-1"),
        "the prompt carries the MRN"
    );
}

both_backends!(
    a_pushed_encounter_runs_end_to_end_into_a_readable_pdf_form,
    a_submission_lists_every_problem_and_never_calls_an_unconfigured_url,
    polled_encounters_are_submitted_once_each_across_restarts,
    a_crash_before_the_cursor_was_saved_repeats_nothing,
    fhir_answering_503_twice_then_200_is_retried_and_succeeds,
    fhir_down_opens_the_breaker_and_runs_wait_then_finish_when_it_recovers,
    a_failed_encounter_publishes_encounter_processing_failed_with_its_attempts,
    pa_form_ready_reaches_two_sse_subscribers,
    a_burst_of_encounters_is_absorbed_with_bounded_concurrency,
    a_configured_model_makes_the_decision_from_de_identified_facts,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_never_process_the_same_encounter_twice() {
    const N: usize = 40;
    let fake = FakeFhir::start().await;
    for i in 0..N {
        fake.add_encounter(
            &format!("enc-{i:02}"),
            &format!("2025-03-01T10:{:02}:00Z", i / 4),
        );
    }
    fake.set_delay(Duration::from_millis(5));
    let app = spawn(Backend::Postgres, &fake, true, |s| {
        s.engine.max_concurrent_runs = 4;
    })
    .await;
    let second = app.replica(Default::default()).await;

    let all = completed(&app, N).await;

    assert_eq!(all.len(), N);
    processed_once_each(&fake, &all, N);
    assert_eq!(events(&app, "EncounterDetected", N).await.len(), N);
    assert_eq!(events(&app, "PA_FORM_READY", N).await.len(), N);
    second.shutdown().await;
}
