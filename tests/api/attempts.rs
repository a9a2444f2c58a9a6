//! The attempt history of steps in `GET /v1/runs/{id}`.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, json, lab, step};
use crate::lab::Recorder;

fn time(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not a time: {v}"))
}

async fn a_step_that_fails_twice_then_succeeds_shows_three_attempts(backend: Backend) {
    let rec = Recorder::default();
    let app = TestApp::spawn_with(backend, |_| {}, lab(&rec)).await;
    let body = json!({"input": {"steps": {"b": {"failCalls": 2}}}});
    let r = app.post("/v1/workflows/lab/runs?wait=20s", &body).await;
    assert_eq!(r.status(), 200, "run did not finish in time");
    let id = json(r).await["runId"].as_str().unwrap().to_string();

    let run = json(app.get(&format!("/v1/runs/{id}")).await).await;
    let b = step(&run, "b");
    assert_eq!(b["attempts"], 3, "the count stays as it was");
    let history = b["attemptHistory"].as_array().expect("attempt history");
    let numbers: Vec<i64> = history
        .iter()
        .map(|a| a["attempt"].as_i64().unwrap())
        .collect();
    let outcomes: Vec<&str> = history
        .iter()
        .map(|a| a["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, [1, 2, 3]);
    assert_eq!(outcomes, ["failed", "failed", "completed"]);
    assert_eq!(history[0]["error"]["message"], "b failed on call 1");
    assert_eq!(history[1]["error"]["message"], "b failed on call 2");
    assert!(history[2].get("error").is_none(), "{}", history[2]);
    let owner = app.app().engine.owner();
    for a in history {
        assert_eq!(a["replica"], owner, "{a}");
        assert!(time(&a["startedAt"]) <= time(&a["endedAt"]), "{a}");
        assert!(a["durationMs"].as_i64().unwrap() >= 0);
    }
    for pair in history.windows(2) {
        assert!(
            time(&pair[0]["endedAt"]) <= time(&pair[1]["startedAt"]),
            "an attempt started before the previous one ended: {pair:?}"
        );
    }
    // Steps that ran once have one attempt each.
    for s in ["a", "c", "d", "e"] {
        let h = step(&run, s)["attemptHistory"].as_array().unwrap();
        assert_eq!(h.len(), 1, "{s}");
        assert_eq!(h[0]["outcome"], "completed", "{s}");
    }
}

async fn a_retried_run_keeps_the_attempts_of_its_first_round(backend: Backend) {
    let rec = Recorder::default();
    let app = TestApp::spawn_with(backend, |_| {}, lab(&rec)).await;
    let body = json!({"input": {"steps": {"b": {"failCalls": 1, "failKind": "permanent"}}}});
    let r = app
        .post("/v1/workflows/lab-critical/runs?wait=20s", &body)
        .await;
    let id = json(r).await["runId"].as_str().unwrap().to_string();
    let r = app.post(&format!("/v1/runs/{id}/retry"), &json!({})).await;
    assert_eq!(r.status(), 202);
    let run = json(app.get(&format!("/v1/runs/{id}?wait=20s")).await).await;
    assert_eq!(run["status"], "completed");

    let b = step(&run, "b");
    let history = b["attemptHistory"].as_array().unwrap();
    let outcomes: Vec<&str> = history
        .iter()
        .map(|a| a["outcome"].as_str().unwrap())
        .collect();
    // Each round numbers its attempts from 1; both rounds are kept.
    assert_eq!(outcomes, ["failed", "completed"]);
    assert_eq!(history[0]["attempt"], 1);
    assert_eq!(history[1]["attempt"], 1);
    assert_eq!(
        step(&run, "a")["attemptHistory"].as_array().unwrap().len(),
        1
    );
}

async fn an_attempt_over_its_deadline_is_recorded_as_timed_out(backend: Backend) {
    let rec = Recorder::default();
    let app = TestApp::spawn_with(backend, |_| {}, lab(&rec)).await;
    let r = app
        .post("/v1/workflows/slow/runs?wait=20s", &json!({"input": {}}))
        .await;
    let id = json(r).await["runId"].as_str().unwrap().to_string();
    let run = json(app.get(&format!("/v1/runs/{id}")).await).await;
    let history = step(&run, "slow")["attemptHistory"]
        .as_array()
        .unwrap()
        .clone();
    let outcomes: Vec<&str> = history
        .iter()
        .map(|a| a["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["timed_out", "timed_out"]);
    assert!(
        history[0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("timed out")
    );
}

async fn errors_with_nul_characters_are_kept_in_the_history_of_a_retried_step(backend: Backend) {
    let rec = Recorder::default();
    let app = TestApp::spawn_with(backend, |_| {}, lab(&rec)).await;
    // The failed attempts' errors are stored again when the next attempt starts.
    let body = json!({"input": {"steps": {"b": {"failCalls": 2, "failWithNul": true}}}});
    let r = app.post("/v1/workflows/lab/runs?wait=20s", &body).await;
    assert_eq!(
        r.status(),
        200,
        "{backend:?}: the run did not finish in time"
    );
    let id = json(r).await["runId"].as_str().unwrap().to_string();
    let run = json(app.get(&format!("/v1/runs/{id}")).await).await;
    assert_eq!(run["status"], "completed", "{backend:?}: {run}");
    let history = step(&run, "b")["attemptHistory"]
        .as_array()
        .unwrap()
        .clone();
    let seen: Vec<(&str, &str)> = history
        .iter()
        .map(|a| {
            (
                a["outcome"].as_str().unwrap_or(""),
                a["error"]["message"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("failed", "b\u{FFFD} failed on call 1"),
            ("failed", "b\u{FFFD} failed on call 2"),
            ("completed", "")
        ],
        "{backend:?}: {run}"
    );
}

both_backends!(
    errors_with_nul_characters_are_kept_in_the_history_of_a_retried_step,
    a_step_that_fails_twice_then_succeeds_shows_three_attempts,
    a_retried_run_keeps_the_attempts_of_its_first_round,
    an_attempt_over_its_deadline_is_recorded_as_timed_out,
);
