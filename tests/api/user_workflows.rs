//! Workflows a tenant defines over the API: checked as a whole (every problem
//! listed, nothing stored), versioned on every PUT, run like built-in ones with
//! `http`, `wait_for_event`, `emit`, `sleep` and `invoke` steps, pinned to the version they
//! started with across a restart, and invisible to other tenants.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde_json::{Value, json};

use crate::both_backends;
use crate::discharge::text_input;
use crate::helpers::{Backend, TestApp, json, step, until};

both_backends!(
    a_defined_workflow_calls_out_waits_for_its_event_and_emits,
    bad_definitions_list_every_problem_and_store_nothing,
    runs_keep_their_version_across_a_restart,
    another_tenant_neither_sees_nor_runs_a_workflow,
    events_start_and_cancel_the_tenants_own_workflow,
    invoke_runs_a_child_workflow_and_the_builtin_summary,
    a_failing_child_fails_the_invoke_step,
);

/// What the fake lab received: (path, idempotency key, JSON body).
type Seen = Arc<Mutex<Vec<(String, String, Value)>>>;

/// A lab on 127.0.0.1 that accepts an order and answers its id.
async fn fake_lab() -> (SocketAddr, Seen) {
    let seen: Seen = Arc::default();
    let app = axum::Router::new()
        .route(
            "/orders",
            axum::routing::post(
                |State(seen): State<Seen>, headers: HeaderMap, Json(body): Json<Value>| async move {
                    let key = headers
                        .get("idempotency-key")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_string();
                    seen.lock().unwrap().push(("/orders".into(), key, body.clone()));
                    Json(json!({"orderId": format!("ord-{}", body["patient"].as_str().unwrap_or("?"))}))
                },
            ),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (addr, seen)
}

async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(
        backend,
        |s| s.providers.outbound.allow = vec!["127.0.0.1/32".into()],
        Default::default,
    )
    .await
}

async fn put(app: &TestApp, token: &str, path: &str, body: &Value) -> reqwest::Response {
    app.http
        .put(app.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("request")
}

/// Orders a test from the lab, waits for its result, then tells who reviews it.
fn lab_workflow(lab: SocketAddr) -> Value {
    json!({
        "description": "order a lab test and hand on its result",
        "steps": [
            {"name": "order", "kind": "http",
             "request": {"method": "POST", "url": format!("http://{lab}/orders"),
                         "body": {"patient": {"$ref": "/input/patientId"}, "test": "cbc"}},
             "policy": {"retries": 2, "backoff": "10ms", "timeout": "5s"}},
            {"name": "result", "kind": "wait_for_event", "dependsOn": ["order"],
             "event": "lab/result.ready", "timeout": "1h",
             "match": {"path": "data.orderId", "value": {"$ref": "/steps/order/body/orderId"}}},
            {"name": "handOn", "kind": "emit", "dependsOn": ["result"],
             "event": "lab/result.reviewed",
             "data": {"orderId": {"$ref": "/steps/result/data/orderId"},
                      "summary": "{{ steps.result.data.value }} for {{ input.patientId }}"}},
        ]
    })
}

async fn a_defined_workflow_calls_out_waits_for_its_event_and_emits(backend: Backend) {
    let (lab, seen) = fake_lab().await;
    let app = spawn(backend).await;
    let r = put(
        &app,
        &app.token,
        "/v1/workflows/lab-order",
        &lab_workflow(lab),
    )
    .await;
    assert_eq!(r.status(), 201);
    let stored = json(r).await;
    assert_eq!(stored["version"], 1, "{stored}");
    assert_eq!(stored["steps"][1]["kind"], "wait_for_event", "{stored}");

    let r = app
        .post(
            "/v1/workflows/lab-order/runs?wait=0",
            &json!({"input": {"patientId": "p7"}}),
        )
        .await;
    assert_eq!(r.status(), 202);
    let id = json(r).await["runId"].as_str().unwrap().to_string();
    let waiting = until(&app, &id, |r| r["status"] == "waiting").await;
    assert_eq!(
        step(&waiting, "order")["output"]["status"],
        200,
        "{waiting}"
    );
    assert_eq!(
        step(&waiting, "order")["output"]["body"]["orderId"],
        "ord-p7"
    );
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].2, json!({"patient": "p7", "test": "cbc"}));
        assert_eq!(
            seen[0].1,
            format!("{id}:order"),
            "the step's idempotency key is sent"
        );
    }

    // Another order's result does not wake it; its own does.
    let other = json!({"name": "lab/result.ready", "data": {"orderId": "ord-x", "value": "high"}});
    assert_eq!(app.post("/v1/events", &other).await.status(), 202);
    app.settle().await;
    let still = json(app.get(&format!("/v1/runs/{id}")).await).await;
    assert_eq!(still["status"], "waiting", "{still}");
    let mine =
        json!({"name": "lab/result.ready", "data": {"orderId": "ord-p7", "value": "normal"}});
    assert_eq!(app.post("/v1/events", &mine).await.status(), 202);

    let done = until(&app, &id, |r| r["status"] == "completed").await;
    assert_eq!(step(&done, "result")["output"]["data"]["value"], "normal");
    let handed = &step(&done, "handOn")["output"];
    assert_eq!(
        handed["data"],
        json!({"orderId": "ord-p7", "summary": "normal for p7"})
    );
    let events = json(app.get(&format!("/v1/events?runId={id}&limit=1000")).await).await;
    let emitted: Vec<&Value> = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["eventType"] == "lab/result.reviewed")
        .collect();
    assert_eq!(emitted.len(), 1, "{events}");
    assert_eq!(emitted[0]["data"]["summary"], "normal for p7");
    assert_eq!(seen.lock().unwrap().len(), 1, "the order was placed once");
}

async fn bad_definitions_list_every_problem_and_store_nothing(backend: Backend) {
    let app = spawn(backend).await;
    let bad = json!({"steps": [
        {"name": "a", "kind": "http", "request": {"url": "not a url"}, "dependsOn": ["b"]},
        {"name": "b", "kind": "teleport", "dependsOn": ["a"]},
        {"name": "c", "kind": "emit", "event": "e", "data": {"$expr": "steps.a.x +"}, "dependsOn": ["ghost"]},
    ]});
    let r = put(&app, &app.token, "/v1/workflows/broken", &bad).await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let problem = json(r).await;
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    for expected in [
        "/steps/0/request/url",
        "/steps/1/kind",
        "/steps/2/data/$expr",
        "/steps/2/dependsOn/0",
        "/steps",
    ] {
        assert!(
            pointers.contains(&expected),
            "{expected} missing: {problem}"
        );
    }
    assert_eq!(app.get("/v1/workflows/broken").await.status(), 404);
    assert_eq!(app.get("/v1/workflows/broken/versions").await.status(), 404);

    // A dry run answers the plan and stores nothing either.
    let good = json!({"steps": [
        {"name": "nap", "kind": "sleep", "duration": "1m"},
        {"name": "tell", "kind": "emit", "event": "woke", "dependsOn": ["nap"]},
    ]});
    let r = put(&app, &app.token, "/v1/workflows/napper?dryRun=true", &good).await;
    assert_eq!(r.status(), 200);
    let plan = json(r).await;
    assert_eq!(plan["dryRun"], true, "{plan}");
    assert_eq!(plan["version"], 1, "{plan}");
    assert!(plan["plan"].to_string().contains("tell"), "{plan}");
    assert_eq!(app.get("/v1/workflows/napper").await.status(), 404);

    // A built-in workflow cannot be replaced.
    let r = put(&app, &app.token, "/v1/workflows/discharge", &good).await;
    assert_eq!(r.status(), 409);
}

fn marker(tag: &str) -> Value {
    json!({"steps": [
        {"name": "nap", "kind": "sleep", "duration": "1h"},
        {"name": format!("tell-{tag}"), "kind": "emit", "event": "marker", "dependsOn": ["nap"],
         "data": {"tag": tag}},
    ]})
}

async fn runs_keep_their_version_across_a_restart(backend: Backend) {
    let mut app = spawn(backend).await;
    assert_eq!(
        put(&app, &app.token, "/v1/workflows/marker", &marker("v1"))
            .await
            .status(),
        201
    );
    let r = app
        .post("/v1/workflows/marker/runs?wait=0", &json!({"input": {}}))
        .await;
    let first = json(r).await["runId"].as_str().unwrap().to_string();
    until(&app, &first, |r| r["status"] == "sleeping").await;

    let r = put(&app, &app.token, "/v1/workflows/marker", &marker("v2")).await;
    assert_eq!(json(r).await["version"], 2);
    let versions = json(app.get("/v1/workflows/marker/versions").await).await;
    let numbers: Vec<&Value> = versions["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| &v["version"])
        .collect();
    assert_eq!(numbers, [&json!(1), &json!(2)], "{versions}");
    let old = json(app.get("/v1/workflows/marker/versions/1").await).await;
    assert_eq!(old["definition"], marker("v1"));

    // A new process knows nothing of the first run's workflow but what is stored.
    app.restart(Default::default()).await;
    let r = app
        .post("/v1/workflows/marker/runs?wait=0", &json!({"input": {}}))
        .await;
    let second = json(r).await["runId"].as_str().unwrap().to_string();
    until(&app, &second, |r| r["status"] == "sleeping").await;
    app.advance(Duration::from_secs(2 * 3600));

    let first = until(&app, &first, |r| r["status"] == "completed").await;
    assert_eq!(first["workflowVersion"], 1, "{first}");
    assert_eq!(step(&first, "tell-v1")["output"]["data"]["tag"], "v1");
    let second = until(&app, &second, |r| r["status"] == "completed").await;
    assert_eq!(second["workflowVersion"], 2, "{second}");
    assert_eq!(step(&second, "tell-v2")["output"]["data"]["tag"], "v2");
}

async fn another_tenant_neither_sees_nor_runs_a_workflow(backend: Backend) {
    let app = spawn(backend).await;
    assert_eq!(
        put(&app, &app.token, "/v1/workflows/marker", &marker("a"))
            .await
            .status(),
        201
    );
    let listed = json(app.get("/v1/workflows").await).await;
    let mine = listed["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "marker")
        .cloned()
        .unwrap_or_else(|| panic!("not listed: {listed}"));
    assert_eq!(mine["builtIn"], false);
    assert_eq!(mine["version"], 1);

    let other = app.key_for("tenant-b").await;
    let get = |path: &'static str| {
        let (app, other) = (&app, other.clone());
        async move {
            app.http
                .get(app.url(path))
                .bearer_auth(other)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(get("/v1/workflows/marker").await, 404);
    assert_eq!(get("/v1/workflows/marker/versions").await, 404);
    assert_eq!(get("/v1/workflows/marker/versions/1").await, 404);
    let r = app
        .http
        .post(app.url("/v1/workflows/marker/runs?wait=0"))
        .bearer_auth(&other)
        .json(&json!({"input": {}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // Its own workflow of the same name starts at version 1.
    let r = put(&app, &other, "/v1/workflows/marker", &marker("b")).await;
    assert_eq!(json(r).await["version"], 1);
}

/// Started by `lab/ordered`, one run per order, cancelled by `lab/cancelled`.
fn triggered() -> Value {
    json!({
        "steps": [
            {"name": "nap", "kind": "sleep", "duration": "1h"},
            {"name": "tell", "kind": "emit", "event": "lab/followed-up", "dependsOn": ["nap"],
             "data": {"orderId": {"$ref": "/input/event/data/orderId"}}},
        ],
        "triggers": [{"event": "lab/ordered"}],
        "cancelOn": [{"event": "lab/cancelled", "field": "orderId"}],
        "idempotency": "data.orderId",
    })
}

async fn runs_of(app: &TestApp, token: &str) -> Vec<Value> {
    let r = app
        .http
        .get(app.url("/v1/runs?workflow=follow-up"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    json(r).await["runs"].as_array().unwrap().clone()
}

async fn events_start_and_cancel_the_tenants_own_workflow(backend: Backend) {
    let app = spawn(backend).await;
    assert_eq!(
        put(&app, &app.token, "/v1/workflows/follow-up", &triggered())
            .await
            .status(),
        201
    );
    let other = app.key_for("tenant-b").await;

    let ordered = |id: &str| json!({"name": "lab/ordered", "data": {"orderId": id}});
    assert_eq!(app.post("/v1/events", &ordered("o-1")).await.status(), 202);
    // The same order again starts nothing (idempotency), another order does.
    assert_eq!(app.post("/v1/events", &ordered("o-1")).await.status(), 202);
    assert_eq!(app.post("/v1/events", &ordered("o-2")).await.status(), 202);
    // Another tenant's event of the same name starts nothing here, nor there.
    let r = app
        .http
        .post(app.url("/v1/events"))
        .bearer_auth(&other)
        .json(&ordered("o-3"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    app.settle().await;
    let runs = runs_of(&app, &app.token).await;
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert!(runs_of(&app, &other).await.is_empty());
    let by_order = |runs: &[Value], order: &str| {
        runs.iter()
            .find(|r| r["input"]["event"]["data"]["orderId"] == order)
            .map(|r| r["runId"].as_str().unwrap().to_string())
    };
    let (one, two) = (
        by_order(&runs, "o-1").unwrap(),
        by_order(&runs, "o-2").unwrap(),
    );
    until(&app, &one, |r| r["status"] == "sleeping").await;
    until(&app, &two, |r| r["status"] == "sleeping").await;

    let cancel = json!({"name": "lab/cancelled", "data": {"orderId": "o-1"}});
    assert_eq!(app.post("/v1/events", &cancel).await.status(), 202);
    until(&app, &one, |r| r["status"] == "cancelled").await;
    app.advance(Duration::from_secs(2 * 3600));
    let two = until(&app, &two, |r| r["status"] == "completed").await;
    assert_eq!(step(&two, "tell")["output"]["data"]["orderId"], "o-2");
    let one = json(app.get(&format!("/v1/runs/{one}")).await).await;
    assert_eq!(one["status"], "cancelled", "{one}");
}

/// Submits a run of `workflow` and moves the clock on until it ends: an `invoke`
/// step looks at its child on durable timers, which only the test's clock fires.
async fn run_to_end(app: &TestApp, workflow: &str, input: Value) -> Value {
    let r = app
        .post(
            &format!("/v1/workflows/{workflow}/runs?wait=0"),
            &json!({"input": input}),
        )
        .await;
    assert_eq!(r.status(), 202);
    let id = json(r).await["runId"].as_str().unwrap().to_string();
    for _ in 0..30 {
        app.settle().await;
        let run = json(app.get(&format!("/v1/runs/{id}")).await).await;
        if ["completed", "failed", "cancelled"].contains(&run["status"].as_str().unwrap_or("")) {
            return run;
        }
        app.advance(Duration::from_secs(61));
    }
    panic!("run {id} of {workflow} did not end");
}

async fn invoke_runs_a_child_workflow_and_the_builtin_summary(backend: Backend) {
    let app = spawn(backend).await;
    // A child that is not defined yet is named in the 422, with the built-ins.
    let caller = json!({"steps": [
        {"name": "greet", "kind": "invoke", "workflow": "greeter",
         "input": {"who": {"$ref": "/input/who"}}},
        {"name": "summarize", "kind": "invoke", "workflow": "discharge-summary",
         "input": {"rawData": {"$ref": "/input/case/rawData"}}},
        {"name": "tell", "kind": "emit", "event": "summarized", "dependsOn": ["greet", "summarize"],
         "data": {"hello": {"$ref": "/steps/greet/steps/hello/data/who"},
                  "summaryId": {"$ref": "/steps/summarize/steps/generateSummary/summaryId"}}},
    ]});
    let r = put(&app, &app.token, "/v1/workflows/caller", &caller).await;
    assert_eq!(r.status(), 422);
    let problem = json(r).await;
    let errors = problem["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{problem}");
    assert_eq!(errors[0]["pointer"], "/steps/0/workflow", "{problem}");
    let message = errors[0]["message"].as_str().unwrap();
    assert!(
        message.contains("`greeter`") && message.contains("discharge-summary"),
        "{problem}"
    );
    assert_eq!(app.get("/v1/workflows/caller").await.status(), 404);

    let greeter = json!({"steps": [
        {"name": "hello", "kind": "emit", "event": "greeted",
         "data": {"who": {"$ref": "/input/who"}}},
    ]});
    let r = put(&app, &app.token, "/v1/workflows/greeter", &greeter).await;
    assert_eq!(r.status(), 201);
    let r = put(&app, &app.token, "/v1/workflows/caller", &caller).await;
    assert_eq!(r.status(), 201, "{}", json(r).await);

    let run = run_to_end(
        &app,
        "caller",
        json!({"who": "Bella's owner", "case": text_input()}),
    )
    .await;
    assert_eq!(run["status"], "completed", "{run}");
    let greet = &step(&run, "greet")["output"];
    assert_eq!(greet["workflow"], "greeter", "{run}");
    assert_eq!(
        greet["steps"]["hello"]["data"]["who"], "Bella's owner",
        "{run}"
    );
    let summarize = &step(&run, "summarize")["output"];
    assert_eq!(summarize["workflow"], "discharge-summary", "{run}");
    let summary = &summarize["steps"]["generateSummary"];
    assert_eq!(summary["generatedBy"], "template:standard", "{run}");
    assert!(
        summary["content"]
            .as_str()
            .unwrap()
            .contains("Acute gastroenteritis"),
        "{run}"
    );
    assert_eq!(
        summary["caseId"], summarize["steps"]["ingest"]["caseId"],
        "{run}"
    );
    let tell = &step(&run, "tell")["output"]["data"];
    assert_eq!(tell["hello"], "Bella's owner", "{run}");
    assert_eq!(tell["summaryId"], summary["summaryId"], "{run}");

    // The child runs are runs of their own, in the same tenant.
    let child = summarize["runId"].as_str().unwrap();
    let child = json(app.get(&format!("/v1/runs/{child}")).await).await;
    assert_eq!(child["workflow"], "discharge-summary", "{child}");
    assert_eq!(child["status"], "completed", "{child}");

    // The stored case is summarized again by id, as the discharge input names one.
    let case_id = summarize["steps"]["ingest"]["caseId"].clone();
    let by_id = json!({"steps": [
        {"name": "summarize", "kind": "invoke", "workflow": "discharge-summary",
         "input": {"existingCase": {"caseId": {"$ref": "/input/caseId"}}}},
    ]});
    let r = put(&app, &app.token, "/v1/workflows/resummarize", &by_id).await;
    assert_eq!(r.status(), 201);
    let run = run_to_end(&app, "resummarize", json!({"caseId": case_id})).await;
    assert_eq!(run["status"], "completed", "{run}");
    let again = &step(&run, "summarize")["output"]["steps"];
    assert_eq!(again["ingest"]["existing"], true, "{run}");
    assert_eq!(again["generateSummary"]["caseId"], case_id, "{run}");
}

async fn a_failing_child_fails_the_invoke_step(backend: Backend) {
    let app = spawn(backend).await;
    // A child whose only step fails: the time it sleeps until is not in its input.
    let broken = json!({"steps": [
        {"name": "nap", "kind": "sleep_until", "until": {"$ref": "/input/when"}},
    ]});
    assert_eq!(
        put(&app, &app.token, "/v1/workflows/broken", &broken)
            .await
            .status(),
        201
    );
    let parent = json!({"steps": [
        {"name": "call", "kind": "invoke", "workflow": "broken", "input": {}},
        {"name": "after", "kind": "emit", "event": "never", "dependsOn": ["call"]},
    ]});
    assert_eq!(
        put(&app, &app.token, "/v1/workflows/parent", &parent)
            .await
            .status(),
        201
    );
    let run = run_to_end(&app, "parent", json!({})).await;
    assert_eq!(run["status"], "failed", "{run}");
    let call = step(&run, "call");
    assert_eq!(call["status"], "failed", "{run}");
    assert!(
        call.to_string().contains("ended failed"),
        "the step says its child failed: {run}"
    );
    assert_eq!(step(&run, "after")["status"], "skipped", "{run}");

    // The built-in summary of a case that does not exist fails its run, and the step.
    let missing = json!({"steps": [
        {"name": "summarize", "kind": "invoke", "workflow": "discharge-summary",
         "input": {"existingCase": {"caseId": {"$ref": "/input/caseId"}}}},
    ]});
    assert_eq!(
        put(&app, &app.token, "/v1/workflows/missing", &missing)
            .await
            .status(),
        201
    );
    let nobody = "01890000-0000-7000-8000-000000000000";
    let run = run_to_end(&app, "missing", json!({"caseId": nobody})).await;
    assert_eq!(run["status"], "failed", "{run}");
    assert!(
        step(&run, "summarize").to_string().contains("ended failed"),
        "{run}"
    );
    // An input the summary cannot read fails the step at once, naming the problem.
    let run = run_to_end(&app, "missing", json!({"caseId": "not an id"})).await;
    assert_eq!(run["status"], "failed", "{run}");
    let summarize = step(&run, "summarize").to_string();
    assert!(
        summarize.contains("/input/existingCase/caseId"),
        "{summarize}"
    );
}
