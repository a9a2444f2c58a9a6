//! A tenant's own workflows under the controls built-in ones have: pausing holds
//! their new runs queued until resumed, and `GET /v1/functions` lists their
//! triggers to their tenant (and to no other).

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, json, until};

both_backends!(
    pausing_a_tenants_own_workflow_holds_its_new_runs_until_resumed,
    functions_list_the_callers_own_triggers_only,
);

async fn put(app: &TestApp, token: &str, name: &str, body: &Value) -> u16 {
    app.http
        .put(app.url(&format!("/v1/workflows/{name}")))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

fn quick() -> Value {
    json!({"steps": [{"name": "note", "kind": "emit", "event": "noted", "data": {"ok": true}}],
           "triggers": [{"event": "visit/booked"}],
           "rateLimit": {"limit": 5, "period": "1m", "key": "data.patientId"}})
}

async fn submit(app: &TestApp, token: &str) -> String {
    let r = app
        .http
        .post(app.url("/v1/workflows/quick/runs?wait=0"))
        .bearer_auth(token)
        .json(&json!({"input": {}}))
        .send()
        .await
        .expect("request");
    assert_eq!(r.status(), 202);
    json(r).await["runId"].as_str().unwrap().to_string()
}

async fn pausing_a_tenants_own_workflow_holds_its_new_runs_until_resumed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let other = app.key_for("tenant-b").await;
    assert_eq!(put(&app, &app.token, "quick", &quick()).await, 201);
    assert_eq!(put(&app, &other, "quick", &quick()).await, 201);

    let r = app.post("/v1/workflows/quick/pause", &json!({})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(json(r).await["paused"], true);
    let listed = json(app.get("/v1/workflows").await).await;
    let mine = listed["workflows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["name"] == "quick")
        .cloned()
        .unwrap();
    assert_eq!(mine["paused"], true, "{mine}");

    // Submitted and triggered runs both wait.
    let held = submit(&app, &app.token).await;
    let sent = json(
        app.post(
            "/v1/events",
            &json!({"name": "visit/booked", "data": {"patientId": "p-1"}}),
        )
        .await,
    )
    .await;
    let triggered = sent["runs"][0]["runId"].as_str().unwrap().to_string();
    app.settle().await;
    for run in [&held, &triggered] {
        let v = json(app.get(&format!("/v1/runs/{run}")).await).await;
        assert_eq!(v["status"], "queued", "{v}");
    }
    // The other tenant's workflow of the same name is not held.
    let theirs = submit(&app, &other).await;
    let r = app
        .http
        .get(app.url(&format!("/v1/runs/{theirs}?wait=10s")))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(json(r).await["status"], "completed");

    assert_eq!(
        app.post("/v1/workflows/quick/resume", &json!({}))
            .await
            .status(),
        200
    );
    until(&app, &held, |r| r["status"] == "completed").await;
    until(&app, &triggered, |r| r["status"] == "completed").await;

    // A workflow neither built in nor defined by the tenant is unknown.
    assert_eq!(
        app.post("/v1/workflows/nothing-here/pause", &json!({}))
            .await
            .status(),
        404
    );
}

async fn functions_list_the_callers_own_triggers_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let other = app.key_for("tenant-b").await;
    assert_eq!(put(&app, &app.token, "quick", &quick()).await, 201);

    let listed = json(app.get("/v1/functions").await).await;
    let functions = listed["functions"].as_array().unwrap();
    let mine: Vec<&Value> = functions.iter().filter(|f| f["name"] == "quick").collect();
    assert_eq!(mine.len(), 1, "{listed}");
    assert_eq!(mine[0]["builtIn"], false);
    assert_eq!(mine[0]["trigger"]["event"], "visit/booked");
    assert_eq!(mine[0]["rateLimit"]["limit"], 5);
    assert_eq!(mine[0]["steps"], json!(["note"]));
    assert!(functions.iter().any(|f| f["builtIn"] == true), "{listed}");

    let r = app
        .http
        .get(app.url("/v1/functions"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    let theirs = json(r).await;
    assert!(
        theirs["functions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["name"] != "quick"),
        "{theirs}"
    );
}
