//! Admission: the queue's bounds (shared and per tenant) hold exactly, a refusal
//! writes nothing, and work parked for later never blocks work due now.

use careflow::app::Extensions;
use careflow::config::Settings;
use careflow::engine::{
    FunctionSpec, StepContext, StepError, StepOutcome, StepOutput, StepPolicy, WorkflowDefinition,
};
use serde_json::{Value, json};

use crate::both_backends;
use crate::fake_partner::FakePartner;
use crate::helpers::{Backend, TestApp, json, until};
use crate::lab::Recorder;
use crate::service_calls::{call_to, open_to_partner};

/// A run that holds the replica's only slot for a while.
const BLOCKER: &str = r#"{"input": {"steps": {"a": {"sleepMs": 4000}}}}"#;

/// The lab workflows, and a function started by `test/admit` events.
fn workflows(rec: &Recorder) -> impl Fn() -> Extensions + use<> {
    let rec = rec.clone();
    move || {
        let echo = WorkflowDefinition::builder("admit-echo", 1)
            .step(
                "echo",
                &[],
                StepPolicy::new(),
                |ctx: StepContext| async move {
                    Ok::<_, StepError>(StepOutcome::Done(StepOutput::new(
                        ctx.input["event"]["data"].clone(),
                    )))
                },
            )
            .build()
            .unwrap();
        Extensions {
            workflows: crate::lab::workflows(&rec),
            functions: vec![(echo, FunctionSpec::on("", "test/admit"))],
            ..Extensions::default()
        }
    }
}

/// A service with one slot per replica, taken by a long run, so every further
/// submission enters the queue.
async fn spawn_busy(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let rec = Recorder::default();
    let app = TestApp::spawn_with(
        backend,
        |s| {
            s.engine.max_concurrent_runs = 1;
            open_to_partner(s);
            adjust(s);
        },
        workflows(&rec),
    )
    .await;
    occupy(&app, &app.base).await;
    app
}

/// Takes the only slot of the replica at `base`.
async fn occupy(app: &TestApp, base: &str) {
    let r = app
        .http
        .post(format!("{base}/v1/workflows/lab/runs?wait=0"))
        .bearer_auth(&app.token)
        .json(&serde_json::from_str::<Value>(BLOCKER).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let id = json(r).await["runId"].as_str().unwrap().to_string();
    until(app, &id, |v| v["status"] == "running").await;
}

async fn submit_as(app: &TestApp, token: &str) -> reqwest::Response {
    app.http
        .post(app.url("/v1/workflows/lab/runs?wait=0"))
        .bearer_auth(token)
        .json(&json!({"input": {}}))
        .send()
        .await
        .unwrap()
}

fn assert_refused(r: &reqwest::Response) {
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"), "no Retry-After");
    assert_eq!(r.headers()["content-type"], "application/problem+json");
}

async fn events_of_type(app: &TestApp, event_type: &str) -> Vec<Value> {
    let page = json(app.get(&format!("/v1/events?eventType={event_type}")).await).await;
    page["events"].as_array().cloned().unwrap_or_default()
}

async fn a_refused_service_call_records_nothing(backend: Backend) {
    let partner = FakePartner::start().await;
    let app = spawn_busy(backend, |s| s.engine.max_queued_runs = 1).await;
    // One queued run fills the queue.
    assert_eq!(submit_as(&app, &app.token).await.status(), 202);
    for _ in 0..3 {
        let r = app
            .post("/v1/service-calls", &call_to(&partner.url("/hook")))
            .await;
        assert_refused(&r);
    }
    let calls = json(app.get("/v1/service-calls").await).await;
    assert_eq!(calls["serviceCalls"], json!([]), "a refusal left a call");
    assert!(
        events_of_type(&app, "ServiceCallSubmitted")
            .await
            .is_empty(),
        "a refusal published an event"
    );
    assert!(
        events_of_type(&app, "ServiceCallFailed").await.is_empty(),
        "a refusal published an event"
    );
    let runs = json(app.get("/v1/runs?workflow=service-call").await).await;
    assert_eq!(runs["runs"], json!([]), "a refusal left a run");
    assert!(partner.received().is_empty());
}

async fn concurrent_submissions_never_pass_the_bound(backend: Backend) {
    let app = spawn_busy(backend, |s| s.engine.max_queued_runs = 5).await;
    // On PostgreSQL a second replica takes submissions too: the bound is shared.
    let second = match backend {
        Backend::Postgres => {
            let rec = Recorder::default();
            let replica = app.replica(workflows(&rec)()).await;
            let base = format!("http://{}", replica.addr);
            occupy(&app, &base).await;
            Some((replica, base))
        }
        Backend::Sqlite => None,
    };
    let bases: Vec<String> = std::iter::once(app.base.clone())
        .chain(second.as_ref().map(|(_, b)| b.clone()))
        .collect();
    let sends = (0..30).map(|i| {
        let url = format!("{}/v1/workflows/lab/runs?wait=0", bases[i % bases.len()]);
        let req = app
            .http
            .post(url)
            .bearer_auth(&app.token)
            .json(&json!({"input": {}}));
        async move { req.send().await.unwrap().status().as_u16() }
    });
    let statuses = futures::future::join_all(sends).await;
    let accepted = statuses.iter().filter(|s| **s == 202).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    let all = json(app.get("/v1/runs?limit=100").await).await;
    let seen: Vec<(Value, Value)> = all["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["status"].clone(), r["startedAt"].clone()))
        .collect();
    assert_eq!((accepted, refused), (5, 25), "{statuses:?} {seen:?}");
    let queued = json(app.get("/v1/runs?status=queued&limit=100").await).await;
    assert_eq!(queued["runs"].as_array().unwrap().len(), 5);
    if let Some((replica, _)) = second {
        replica.shutdown().await;
    }
}

async fn one_tenant_cannot_fill_another_tenants_queue(backend: Backend) {
    let app = spawn_busy(backend, |s| {
        s.engine.max_queued_runs = 10;
        s.engine.max_queued_runs_per_tenant = 2;
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(submit_as(&app, &app.token).await.status().as_u16());
    }
    assert_eq!(statuses, [202, 202, 429, 429]);
    let r = submit_as(&app, &app.token).await;
    assert_refused(&r);
    let problem = json(r).await;
    assert!(
        problem["detail"].as_str().unwrap().contains("tenant"),
        "{problem}"
    );
    let other = app.key_for("tenant-b").await;
    assert_eq!(submit_as(&app, &other).await.status(), 202);
    assert_eq!(submit_as(&app, &other).await.status(), 202);
}

async fn events_dated_later_do_not_block_work_due_now(backend: Backend) {
    let app = spawn_busy(backend, |s| {
        s.engine.max_queued_runs = 3;
        s.engine.max_queued_runs_per_tenant = 3;
    })
    .await;
    let later = chrono::Utc::now() + chrono::Duration::days(300);
    let batch: Vec<Value> = (0..25)
        .map(|i| json!({"name": "test/admit", "data": {"n": i}, "ts": later.to_rfc3339()}))
        .collect();
    let r = app.post("/v1/events", &json!(batch)).await;
    assert_eq!(r.status(), 202);
    assert_eq!(json(r).await["runs"].as_array().unwrap().len(), 25);
    // 25 runs wait for their date; the queue is still open to this tenant and others.
    let other = app.key_for("tenant-b").await;
    assert_eq!(submit_as(&app, &other).await.status(), 202);
    assert_eq!(submit_as(&app, &app.token).await.status(), 202);
}

async fn an_event_too_far_ahead_is_refused_with_its_pointer(backend: Backend) {
    let app = spawn_busy(backend, |s| {
        s.engine.max_schedule_ahead = std::time::Duration::from_secs(30 * 86_400);
    })
    .await;
    let far = chrono::Utc::now() + chrono::Duration::days(31);
    let r = app
        .post(
            "/v1/events",
            &json!([
                {"name": "test/admit", "data": {}},
                {"name": "test/admit", "data": {}, "ts": far.to_rfc3339()}
            ]),
        )
        .await;
    assert_eq!(r.status(), 422);
    let problem = json(r).await;
    assert_eq!(problem["errors"][0]["pointer"], "/1/ts", "{problem}");
    assert!(events_of_type(&app, "test/admit").await.is_empty());
}

async fn a_refused_event_batch_writes_nothing(backend: Backend) {
    let app = spawn_busy(backend, |s| s.engine.max_queued_runs = 2).await;
    let r = app
        .post(
            "/v1/events",
            &json!([
                {"name": "test/admit", "data": {"n": 1}},
                {"name": "test/admit", "data": {"n": 2}},
                {"name": "test/admit", "data": {"n": 3}}
            ]),
        )
        .await;
    assert_refused(&r);
    assert!(
        events_of_type(&app, "test/admit").await.is_empty(),
        "a refused batch was stored"
    );
    // A batch that fits is taken.
    let r = app
        .post(
            "/v1/events",
            &json!([{"name": "test/admit", "data": {"n": 4}}]),
        )
        .await;
    assert_eq!(r.status(), 202);
    assert_eq!(events_of_type(&app, "test/admit").await.len(), 1);
}

both_backends!(
    a_refused_service_call_records_nothing,
    concurrent_submissions_never_pass_the_bound,
    one_tenant_cannot_fill_another_tenants_queue,
    events_dated_later_do_not_block_work_due_now,
    an_event_too_far_ahead_is_refused_with_its_pointer,
    a_refused_event_batch_writes_nothing,
);
