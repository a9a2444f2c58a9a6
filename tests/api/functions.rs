//! Event functions (Inngest-style) defined by the tests: triggers, waits for events,
//! cancellation, concurrency per key, idempotency, debounce, delayed triggers.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use careflow::app::Extensions;
use careflow::engine::{
    EventMatch, FunctionSpec, RetryPolicy, StepContext, StepError, StepOutcome, StepOutput,
    StepPolicy, Wake, WorkflowDefinition,
};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, eventually, json, step, until};

#[derive(Clone, Default)]
struct Calls(Arc<Mutex<Vec<Call>>>);

/// Function name, event data, start, end.
type Call = (String, Value, Instant, Instant);

impl Calls {
    fn of(&self, function: &str) -> Vec<(Value, Instant, Instant)> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.0 == function)
            .map(|c| (c.1.clone(), c.2, c.3))
            .collect()
    }
}

fn single(name: &str, calls: &Calls, sleep_ms: u64) -> WorkflowDefinition {
    let calls = calls.clone();
    let function = name.to_string();
    WorkflowDefinition::builder(name, 1)
        .step("work", &[], StepPolicy::new(), move |ctx: StepContext| {
            let calls = calls.clone();
            let function = function.clone();
            async move {
                let started = Instant::now();
                tokio::time::sleep(Duration::from_millis(sleep_ms)).await;
                let data = ctx.input["event"]["data"].clone();
                calls
                    .0
                    .lock()
                    .unwrap()
                    .push((function, data.clone(), started, Instant::now()));
                Ok::<_, StepError>(StepOutcome::Done(StepOutput::new(json!({"data": data}))))
            }
        })
        .build()
        .unwrap()
}

async fn ask(ctx: StepContext) -> Result<StepOutcome, StepError> {
    match &ctx.wake {
        None => Ok(StepOutcome::WaitForEvent {
            event: "test/reply".into(),
            matching: Some(EventMatch {
                path: "data.patientId".into(),
                value: ctx.input["event"]["data"]["patientId"].clone(),
            }),
            timeout: Duration::from_secs(3600),
            state: json!({"asked": true}),
        }),
        Some(Wake::Event { event, .. }) => Ok(StepOutcome::Done(StepOutput::new(
            json!({"reply": event["data"]["text"]}),
        ))),
        Some(_) => Ok(StepOutcome::Done(StepOutput::new(json!({"reply": null})))),
    }
}

async fn watch(ctx: StepContext) -> Result<StepOutcome, StepError> {
    match &ctx.wake {
        None => Ok(StepOutcome::SleepUntil {
            until: ctx.now() + chrono::Duration::hours(1),
            state: Value::Null,
        }),
        Some(_) => Ok(StepOutcome::Done(StepOutput::new(json!({})).emit(
            "test/warned",
            json!({"taskId": ctx.input["event"]["data"]["taskId"]}),
        ))),
    }
}

fn functions(calls: &Calls) -> Extensions {
    let quick = StepPolicy::new().retry(RetryPolicy::no_retries());
    let functions = vec![
        (
            single("greet", calls, 0),
            FunctionSpec::on("", "test/hello"),
        ),
        (
            WorkflowDefinition::builder("await-reply", 1)
                .step("ask", &[], quick.clone(), ask)
                .build()
                .unwrap(),
            FunctionSpec::on("", "test/ask"),
        ),
        (
            WorkflowDefinition::builder("watch", 1)
                .step("sleep", &[], quick.clone(), watch)
                .build()
                .unwrap(),
            FunctionSpec::on("", "test/task_created").cancel_on("test/task_resolved", "taskId"),
        ),
        (
            single("serial", calls, 300),
            FunctionSpec::on("", "test/job").concurrency(1, "data.nurseId"),
        ),
        (
            single("once", calls, 0),
            FunctionSpec::on("", "test/once").idempotency("data.key"),
        ),
        (
            single("quiet", calls, 0),
            FunctionSpec::on("", "test/noisy").debounce(Duration::from_secs(60), Some("data.key")),
        ),
    ];
    Extensions {
        functions,
        ..Extensions::default()
    }
}

async fn spawn(backend: Backend) -> (TestApp, Calls) {
    let calls = Calls::default();
    let c = calls.clone();
    let app = TestApp::spawn_with(backend, |_| {}, move || functions(&c)).await;
    (app, calls)
}

async fn send(app: &TestApp, body: Value) -> Value {
    let r = app.post("/v1/events", &body).await;
    assert_eq!(r.status(), 202);
    json(r).await
}

async fn an_event_starts_the_functions_it_triggers(backend: Backend) {
    let (app, calls) = spawn(backend).await;
    let answer = send(
        &app,
        json!({"name": "test/hello", "data": {"who": "ward 3"}, "id": "evt-1"}),
    )
    .await;
    assert_eq!(answer["events"][0]["duplicate"], false);
    let runs = answer["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "{answer}");
    assert_eq!(runs[0]["function"], "greet");
    let run = json(
        app.get(&format!(
            "/v1/runs/{}?wait=10s",
            runs[0]["runId"].as_str().unwrap()
        ))
        .await,
    )
    .await;
    assert_eq!(run["status"], "completed");
    assert_eq!(step(&run, "work")["output"]["data"]["who"], "ward 3");
    // The same id again is a duplicate and starts nothing.
    let again = send(
        &app,
        json!([{"name": "test/hello", "data": {"who": "ward 3"}, "id": "evt-1"}]),
    )
    .await;
    assert_eq!(again["events"][0]["duplicate"], true);
    assert_eq!(again["runs"].as_array().unwrap().len(), 0);
    assert_eq!(calls.of("greet").len(), 1);
    let listed = json(app.get("/v1/functions").await).await;
    let names: Vec<&str> = listed["functions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert!(names.contains(&"watch") && names.contains(&"serial"));
    let watch = listed["functions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "watch")
        .unwrap();
    assert_eq!(watch["cancelOn"][0]["event"], "test/task_resolved");
}

async fn bad_events_are_refused_listing_every_problem(backend: Backend) {
    let (app, _) = spawn(backend).await;
    let r = app
        .post(
            "/v1/events",
            &json!([{"data": {}}, {"name": "x", "data": 3, "ts": "soon"}]),
        )
        .await;
    assert_eq!(r.status(), 422);
    let p = json(r).await;
    let pointers: Vec<&str> = p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(pointers, ["/0/name", "/1/data", "/1/ts"]);
}

async fn a_waiting_step_resumes_with_the_matching_event_only(backend: Backend) {
    let (app, _) = spawn(backend).await;
    let answer = send(
        &app,
        json!({"name": "test/ask", "data": {"patientId": "p-1"}}),
    )
    .await;
    let id = answer["runs"][0]["runId"].as_str().unwrap().to_string();
    let other = send(
        &app,
        json!({"name": "test/ask", "data": {"patientId": "p-2"}}),
    )
    .await;
    let other_id = other["runs"][0]["runId"].as_str().unwrap().to_string();
    until(&app, &id, |v| v["status"] == "waiting").await;
    until(&app, &other_id, |v| v["status"] == "waiting").await;
    assert_eq!(
        app.app().engine.active_runs(),
        0,
        "waiting runs hold workers"
    );
    // A reply for another patient does not wake it.
    send(
        &app,
        json!({"name": "test/reply", "data": {"patientId": "p-9", "text": "hello"}}),
    )
    .await;
    send(
        &app,
        json!({"name": "test/reply", "data": {"patientId": "p-1", "text": "feeling better"}}),
    )
    .await;
    let run = json(app.get(&format!("/v1/runs/{id}?wait=10s")).await).await;
    assert_eq!(run["status"], "completed", "{run}");
    assert_eq!(step(&run, "ask")["output"]["reply"], "feeling better");
    let still = json(app.get(&format!("/v1/runs/{other_id}")).await).await;
    assert_eq!(still["status"], "waiting");
    // Without a reply, the wait times out with null.
    app.advance(Duration::from_secs(3601));
    let timed_out = json(app.get(&format!("/v1/runs/{other_id}?wait=10s")).await).await;
    assert_eq!(timed_out["status"], "completed", "{timed_out}");
    assert_eq!(step(&timed_out, "ask")["output"]["reply"], Value::Null);
}

async fn an_event_sent_before_the_wait_began_does_not_match(backend: Backend) {
    let (app, _) = spawn(backend).await;
    send(
        &app,
        json!({"name": "test/reply", "data": {"patientId": "p-5", "text": "early"}}),
    )
    .await;
    let answer = send(
        &app,
        json!({"name": "test/ask", "data": {"patientId": "p-5"}}),
    )
    .await;
    let id = answer["runs"][0]["runId"].as_str().unwrap().to_string();
    until(&app, &id, |v| v["status"] == "waiting").await;
    app.settle().await;
    assert_eq!(
        json(app.get(&format!("/v1/runs/{id}")).await).await["status"],
        "waiting"
    );
}

async fn a_cancelling_event_cancels_the_matching_run_only(backend: Backend) {
    let (app, _) = spawn(backend).await;
    let a = send(
        &app,
        json!({"name": "test/task_created", "data": {"taskId": "t-1"}}),
    )
    .await;
    let b = send(
        &app,
        json!({"name": "test/task_created", "data": {"taskId": "t-2"}}),
    )
    .await;
    let a = a["runs"][0]["runId"].as_str().unwrap().to_string();
    let b = b["runs"][0]["runId"].as_str().unwrap().to_string();
    until(&app, &a, |v| v["status"] == "sleeping").await;
    until(&app, &b, |v| v["status"] == "sleeping").await;
    send(
        &app,
        json!({"name": "test/task_resolved", "data": {"taskId": "t-1"}}),
    )
    .await;
    let cancelled = until(&app, &a, |v| v["status"] == "cancelled").await;
    assert_eq!(step(&cancelled, "sleep")["status"], "skipped");
    app.advance(Duration::from_secs(3601));
    let done = json(app.get(&format!("/v1/runs/{b}?wait=10s")).await).await;
    assert_eq!(done["status"], "completed");
    // Only the uncancelled run warned (events are listed once positioned, a moment
    // after their commit).
    let warned = eventually("a test/warned event", || async {
        let listed = json(app.get("/v1/events?eventType=test/warned").await).await;
        let warned = listed["events"].as_array().unwrap().clone();
        (!warned.is_empty()).then_some(warned)
    })
    .await;
    // Everything due has happened by now: a second warning would be listed too.
    app.settle().await;
    let listed = json(app.get("/v1/events?eventType=test/warned").await).await;
    assert_eq!(listed["events"].as_array().unwrap().len(), 1);
    assert_eq!(warned[0]["data"]["taskId"], "t-2");
}

async fn runs_with_the_same_concurrency_key_never_overlap(backend: Backend) {
    let (app, calls) = spawn(backend).await;
    let mut ids = Vec::new();
    for (nurse, n) in [("n-1", 0), ("n-1", 1), ("n-1", 2), ("n-2", 3)] {
        let a = send(
            &app,
            json!({"name": "test/job", "data": {"nurseId": nurse, "n": n}}),
        )
        .await;
        ids.push(a["runs"][0]["runId"].as_str().unwrap().to_string());
    }
    for id in &ids {
        let run = json(app.get(&format!("/v1/runs/{id}?wait=20s")).await).await;
        assert_eq!(run["status"], "completed");
    }
    let mut same: Vec<_> = calls
        .of("serial")
        .into_iter()
        .filter(|c| c.0["nurseId"] == "n-1")
        .collect();
    same.sort_by_key(|c| c.1);
    assert_eq!(same.len(), 3);
    for w in same.windows(2) {
        assert!(w[1].1 >= w[0].2, "two runs for one nurse overlapped");
    }
    let other = calls
        .of("serial")
        .into_iter()
        .find(|c| c.0["nurseId"] == "n-2")
        .unwrap();
    let overlaps = same.iter().any(|c| other.1 < c.2 && c.1 < other.2);
    assert!(
        overlaps,
        "runs for different nurses should run side by side"
    );
}

async fn an_idempotency_key_allows_one_run_per_day(backend: Backend) {
    let (app, calls) = spawn(backend).await;
    send(
        &app,
        json!({"name": "test/once", "data": {"key": "discharge-1"}}),
    )
    .await;
    send(
        &app,
        json!({"name": "test/once", "data": {"key": "discharge-1"}}),
    )
    .await;
    send(
        &app,
        json!({"name": "test/once", "data": {"key": "discharge-2"}}),
    )
    .await;
    let runs = json(app.get("/v1/runs?workflow=once&limit=10").await).await;
    assert_eq!(runs["runs"].as_array().unwrap().len(), 2);
    for r in runs["runs"].as_array().unwrap() {
        json(
            app.get(&format!(
                "/v1/runs/{}?wait=10s",
                r["runId"].as_str().unwrap()
            ))
            .await,
        )
        .await;
    }
    assert_eq!(calls.of("once").len(), 2);
}

async fn debounced_events_start_one_run_with_the_latest_event(backend: Backend) {
    let (app, calls) = spawn(backend).await;
    for n in 1..=3 {
        send(
            &app,
            json!({"name": "test/noisy", "data": {"key": "bed-4", "n": n}}),
        )
        .await;
    }
    let runs = json(app.get("/v1/runs?workflow=quiet").await).await;
    assert_eq!(runs["runs"].as_array().unwrap().len(), 1);
    let id = runs["runs"][0]["runId"].as_str().unwrap().to_string();
    assert_eq!(runs["runs"][0]["status"], "queued");
    app.advance(Duration::from_secs(61));
    let run = json(app.get(&format!("/v1/runs/{id}?wait=10s")).await).await;
    assert_eq!(run["status"], "completed");
    assert_eq!(step(&run, "work")["output"]["data"]["n"], 3);
    assert_eq!(calls.of("quiet").len(), 1);
}

async fn a_future_timestamp_delays_the_trigger(backend: Backend) {
    let (app, calls) = spawn(backend).await;
    let at = (chrono::Utc::now() + chrono::Duration::hours(2)).timestamp_millis();
    send(
        &app,
        json!({"name": "test/hello", "data": {"who": "later"}, "ts": at}),
    )
    .await;
    app.settle().await;
    let runs = json(app.get("/v1/runs?workflow=greet").await).await;
    let run = &runs["runs"][0];
    assert_eq!(run["status"], "queued", "{runs}");
    assert!(calls.of("greet").is_empty());
    app.advance(Duration::from_secs(2 * 3600 + 5));
    let done = json(
        app.get(&format!(
            "/v1/runs/{}?wait=10s",
            run["runId"].as_str().unwrap()
        ))
        .await,
    )
    .await;
    assert_eq!(done["status"], "completed");
}

both_backends!(
    an_event_starts_the_functions_it_triggers,
    bad_events_are_refused_listing_every_problem,
    a_waiting_step_resumes_with_the_matching_event_only,
    an_event_sent_before_the_wait_began_does_not_match,
    a_cancelling_event_cancels_the_matching_run_only,
    runs_with_the_same_concurrency_key_never_overlap,
    an_idempotency_key_allows_one_run_per_day,
    debounced_events_start_one_run_with_the_latest_event,
    a_future_timestamp_delays_the_trigger,
);
