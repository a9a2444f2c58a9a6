//! Cron schedules over the API: ticks fire once each (on one replica or two, and
//! across a replica that died holding a tick), overlap and catch-up policies,
//! pause and resume, and bad input.

use std::time::Duration;

use careflow::engine::Clock;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, json, lab};
use crate::lab::Recorder;

both_backends!(
    an_hourly_schedule_starts_one_run_per_tick,
    two_replicas_fire_each_tick_exactly_once,
    a_tick_held_by_a_dead_replica_fires_once_after_its_lease,
    overlap_skip_starts_nothing_while_the_last_run_is_unfinished,
    missed_ticks_are_dropped_or_run_once_after_downtime,
    a_paused_schedule_fires_nothing_until_resumed,
    bad_schedules_are_refused_with_every_problem,
);

async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |_| {}, lab(&Recorder::default())).await
}

async fn create(app: &TestApp, body: Value) -> Value {
    let r = app.post("/v1/cron-schedules", &body).await;
    assert_eq!(r.status(), 201, "{body}");
    json(r).await
}

fn hourly(name: &str, input: Value) -> Value {
    json!({
        "name": name,
        "target": {"workflow": "lab", "input": input},
        "expression": "0 * * * *",
        "timeZone": "Europe/Paris",
    })
}

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("not a time: {v}"))
}

/// Moves the clock to just past `at` (one tick of an hourly schedule).
fn advance_past(app: &TestApp, at: DateTime<Utc>) {
    let by = (at - app.clock.now()).to_std().unwrap_or_default() + Duration::from_secs(1);
    app.advance(by);
}

/// Polls a schedule until `check` holds, failing after a few seconds.
async fn schedule_until(app: &TestApp, id: &str, check: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..400 {
        let v = json(app.get(&format!("/v1/cron-schedules/{id}")).await).await;
        if check(&v) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("schedule {id} never reached the expected state");
}

/// Waits until the schedule has handled the tick at `tick`.
async fn ticked(app: &TestApp, id: &str, tick: DateTime<Utc>) -> Value {
    schedule_until(app, id, |s| {
        s["lastTickAt"].is_string() && time(&s["lastTickAt"]) >= tick
    })
    .await
}

async fn runs_of(app: &TestApp, schedule: &Value) -> Vec<Value> {
    let cid = schedule["correlationId"].as_str().unwrap();
    let v = json(
        app.get(&format!("/v1/runs?correlationId={cid}&limit=100"))
            .await,
    )
    .await;
    v["runs"].as_array().cloned().unwrap_or_default()
}

async fn an_hourly_schedule_starts_one_run_per_tick(backend: Backend) {
    let app = spawn(backend).await;
    let s = create(&app, hourly("every-hour", json!({"ward": "4B"}))).await;
    let id = s["id"].as_str().unwrap();
    assert_eq!(s["paused"], false);
    assert_eq!(s["overlap"], "skip");
    assert_eq!(s["catchUp"], "skip");
    let mut next = time(&s["nextTickAt"]);
    assert!(next > app.clock.now());
    for round in 1..=2 {
        advance_past(&app, next);
        let after = ticked(&app, id, next).await;
        assert_eq!(after["lastOutcome"], "started", "{after}");
        assert_eq!(time(&after["lastTickAt"]), next);
        assert_eq!(
            time(&after["nextTickAt"]),
            next + chrono::Duration::hours(1)
        );
        let run = json(
            app.get(&format!(
                "/v1/runs/{}?wait=10s",
                after["lastRunId"].as_str().unwrap()
            ))
            .await,
        )
        .await;
        assert_eq!(run["status"], "completed");
        assert_eq!(run["input"]["ward"], "4B");
        assert_eq!(runs_of(&app, &after).await.len(), round);
        next = time(&after["nextTickAt"]);
    }
}

async fn two_replicas_fire_each_tick_exactly_once(backend: Backend) {
    let app = spawn(backend).await;
    let second = app.replica(lab(&Recorder::default())()).await;
    let mut body = hourly("shared", json!({}));
    body["overlap"] = json!("allow");
    let s = create(&app, body).await;
    let id = s["id"].as_str().unwrap();
    let mut next = time(&s["nextTickAt"]);
    for _ in 0..3 {
        advance_past(&app, next);
        // Both tickers look at once, so they race for the tick.
        second.engine.poke();
        let after = ticked(&app, id, next).await;
        assert_eq!(after["lastOutcome"], "started", "{after}");
        // Ended before the clock jumps again (a jump past its lease would hand a
        // live run over to the other replica).
        let run = after["lastRunId"].as_str().unwrap();
        let run = json(app.get(&format!("/v1/runs/{run}?wait=10s")).await).await;
        assert_eq!(run["status"], "completed");
        next = time(&after["nextTickAt"]);
    }
    let runs = runs_of(&app, &s).await;
    assert_eq!(runs.len(), 3, "{runs:?}");
    second.shutdown().await;
}

async fn a_tick_held_by_a_dead_replica_fires_once_after_its_lease(backend: Backend) {
    let app = spawn(backend).await;
    let s = create(&app, hourly("survivor", json!({}))).await;
    let id = s["id"].as_str().unwrap();
    let tick = time(&s["nextTickAt"]);
    // Stop the live tickers from looking while the "dead" replica takes the tick:
    // claim it under another owner before anyone is woken.
    app.clock
        .advance((tick - app.clock.now()).to_std().unwrap() + Duration::from_secs(1));
    let store = app.app().store.clone();
    let now = app.clock.now();
    let claimed = store
        .claim_due_cron_schedules("dead-replica", now, now + chrono::Duration::seconds(60), 10)
        .await
        .unwrap();
    if claimed.is_empty() {
        // A live ticker's interval got there first: nothing to simulate.
        ticked(&app, id, tick).await;
    } else {
        // It started the tick's run, then died before advancing the schedule.
        let key = format!(
            "cron:{id}:{}",
            tick.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        let r = app
            .http
            .post(app.url("/v1/workflows/lab/runs?wait=0"))
            .bearer_auth(&app.token)
            .header("Idempotency-Key", &key)
            .json(&json!({"input": {}}))
            .send()
            .await
            .unwrap();
        let dead_run = json(r).await["runId"].clone();
        app.advance(Duration::from_secs(5));
        // Still held: nothing recorded, the tick still due.
        let held = json(app.get(&format!("/v1/cron-schedules/{id}")).await).await;
        assert!(held["lastTickAt"].is_null(), "{held}");
        // Its lease runs out; a live ticker takes the tick over and finds the run.
        app.advance(Duration::from_secs(61));
        let after = ticked(&app, id, tick).await;
        assert_eq!(after["lastRunId"], dead_run, "{after}");
    }
    // One run of the workflow in all: the tick's, whoever started it.
    let all = json(app.get("/v1/runs?workflow=lab").await).await;
    assert_eq!(all["runs"].as_array().unwrap().len(), 1, "{all}");
}

async fn overlap_skip_starts_nothing_while_the_last_run_is_unfinished(backend: Backend) {
    let app = spawn(backend).await;
    let mut body = hourly("long", json!({"seconds": 86_400}));
    body["target"]["workflow"] = json!("nap");
    let s = create(&app, body).await;
    let id = s["id"].as_str().unwrap();
    let first = time(&s["nextTickAt"]);
    advance_past(&app, first);
    let after = ticked(&app, id, first).await;
    assert_eq!(after["lastOutcome"], "started");
    let run = after["lastRunId"].as_str().unwrap().to_string();
    crate::helpers::until(&app, &run, |r| r["status"] == "sleeping").await;
    let second = time(&after["nextTickAt"]);
    advance_past(&app, second);
    let skipped = ticked(&app, id, second).await;
    assert_eq!(skipped["lastOutcome"], "skipped_overlap", "{skipped}");
    assert_eq!(skipped["lastRunId"], run.as_str());
    assert_eq!(runs_of(&app, &s).await.len(), 1);
    let r = app
        .post(&format!("/v1/runs/{run}/cancel"), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
}

async fn missed_ticks_are_dropped_or_run_once_after_downtime(backend: Backend) {
    let app = spawn(backend).await;
    // Downtime: the clock jumps over three ticks before any ticker looks.
    let skip = create(&app, hourly("drop-missed", json!({}))).await;
    let mut once_body = hourly("run-once", json!({}));
    once_body["catchUp"] = json!("run_once");
    let once = create(&app, once_body).await;
    let due = time(&skip["nextTickAt"]);
    advance_past(&app, due + chrono::Duration::hours(3));
    let expected_last = due + chrono::Duration::hours(3);
    let s = ticked(&app, skip["id"].as_str().unwrap(), expected_last).await;
    assert_eq!(s["lastOutcome"], "skipped_missed", "{s}");
    assert!(time(&s["nextTickAt"]) > app.clock.now());
    assert!(s["lastRunId"].is_null());
    assert!(runs_of(&app, &skip).await.is_empty());
    let o = ticked(&app, once["id"].as_str().unwrap(), expected_last).await;
    assert_eq!(o["lastOutcome"], "started", "{o}");
    assert_eq!(time(&o["lastTickAt"]), expected_last);
    assert_eq!(runs_of(&app, &once).await.len(), 1);
}

async fn a_paused_schedule_fires_nothing_until_resumed(backend: Backend) {
    let app = spawn(backend).await;
    let control = create(&app, hourly("control", json!({}))).await;
    let s = create(&app, hourly("held", json!({}))).await;
    let id = s["id"].as_str().unwrap();
    let r = app
        .post(&format!("/v1/cron-schedules/{id}/pause"), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let paused = json(r).await;
    assert_eq!(paused["paused"], true);
    assert!(paused["nextTickAt"].is_null());
    let tick = time(&control["nextTickAt"]);
    advance_past(&app, tick);
    // The control schedule fired at the same tick: the ticker has passed.
    ticked(&app, control["id"].as_str().unwrap(), tick).await;
    let held = json(app.get(&format!("/v1/cron-schedules/{id}")).await).await;
    assert!(held["lastTickAt"].is_null(), "{held}");
    assert!(runs_of(&app, &s).await.is_empty());

    let r = app
        .post(&format!("/v1/cron-schedules/{id}/resume"), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let resumed = json(r).await;
    assert_eq!(resumed["paused"], false);
    let next = time(&resumed["nextTickAt"]);
    assert!(next > app.clock.now());
    advance_past(&app, next);
    let after = ticked(&app, id, next).await;
    assert_eq!(after["lastOutcome"], "started");
    assert_eq!(runs_of(&app, &s).await.len(), 1);
}

async fn bad_schedules_are_refused_with_every_problem(backend: Backend) {
    let app = spawn(backend).await;
    let r = app
        .post(
            "/v1/cron-schedules",
            &json!({
                "name": "",
                "target": {"workflow": "no-such-workflow", "input": []},
                "expression": "0 25 * * *",
                "timeZone": "Atlantis/Capital",
                "overlap": "never",
                "catchUp": "everything",
            }),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        r.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let problem = json(r).await;
    let mut pointers: Vec<String> = problem["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("{problem}"))
        .iter()
        .map(|e| e["pointer"].as_str().unwrap().to_string())
        .collect();
    pointers.sort();
    assert_eq!(
        pointers,
        [
            "/catchUp",
            "/expression",
            "/name",
            "/overlap",
            "/target/input",
            "/target/workflow",
            "/timeZone"
        ],
        "{problem}"
    );
    // Nothing was stored.
    let list = json(app.get("/v1/cron-schedules").await).await;
    assert_eq!(list["cronSchedules"], json!([]));

    // A second schedule with a taken name is a conflict; another tenant sees none.
    let s = create(&app, hourly("once", json!({}))).await;
    let r = app
        .post("/v1/cron-schedules", &hourly("once", json!({})))
        .await;
    assert_eq!(r.status(), 409);
    let other = app.key_for("tenant-b").await;
    let r = app
        .http
        .get(app.url(&format!("/v1/cron-schedules/{}", s["id"].as_str().unwrap())))
        .bearer_auth(other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = app
        .http
        .delete(app.url(&format!("/v1/cron-schedules/{}", s["id"].as_str().unwrap())))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
}
