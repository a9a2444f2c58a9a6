//! A poison pill: a step that aborts its process at every attempt. Each attempt is
//! counted before the step's code runs, so each crash spends one; once the last
//! attempt never reported, the next replica fails the step instead of running it
//! again, and the run ends.

use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use serde_json::{Value, json};

use crate::db::{Backend, TestDb};
use crate::{start_replica, status_of, step_of};

const LEASE: Duration = Duration::from_millis(1500);

/// Replicas started at most: one per attempt, one to fail the step, one spare.
const MAX_REPLICAS: usize = 5;

pub async fn scenario(backend: Backend) {
    let db = TestDb::new(backend).await;
    let logdir = tempfile::tempdir().expect("temp dir");
    let log = logdir.path().join("calls.log");
    let http = reqwest::Client::new();

    let mut replica = start_replica(&db.url, LEASE);
    let key = replica
        .key
        .clone()
        .expect("the first replica created a key");
    let body =
        json!({"input": {"log": log.display().to_string(), "steps": {"b": {"abort": true}}}});
    let r = http
        .post(format!(
            "{}/v1/workflows/lab-critical/runs?wait=0",
            replica.base
        ))
        .bearer_auth(&key)
        .json(&body)
        .send()
        .await
        .expect("submit");
    assert_eq!(r.status(), 202, "{backend:?}");
    let id = r.json::<Value>().await.unwrap()["runId"]
        .as_str()
        .unwrap()
        .to_string();

    // Each replica either aborts (the long poll breaks with it) or ends the run.
    let mut crashes = 0;
    let run = loop {
        let polled = http
            .get(format!("{}/v1/runs/{id}?wait=20s", replica.base))
            .bearer_auth(&key)
            .send()
            .await;
        let run = match polled {
            Ok(r) => Some(r.json::<Value>().await),
            Err(_) => None,
        };
        match run {
            Some(Ok(run)) => {
                assert!(
                    ["completed", "failed", "cancelled"].contains(&run["status"].as_str().unwrap()),
                    "{backend:?}: the run did not end: {run}"
                );
                break run;
            }
            // The connection broke: the replica died.
            _ => {
                let status = replica.child.wait().expect("wait for the replica");
                assert_eq!(
                    status.signal(),
                    Some(6),
                    "{backend:?}: the replica stopped by SIGABRT ({status})"
                );
                crashes += 1;
                assert!(
                    crashes < MAX_REPLICAS,
                    "{backend:?}: {crashes} replicas in a row died of the same step"
                );
                replica = start_replica(&db.url, LEASE);
            }
        }
    };
    let _ = replica.child.kill();
    let _ = replica.child.wait();

    assert_eq!(crashes, 3, "{backend:?}: one crash per attempt");
    assert_eq!(run["status"], "failed", "{backend:?}: {run}");
    let b = step_of(&run, "b");
    assert_eq!(b["status"], "failed", "{backend:?}: {run}");
    assert_eq!(b["attempts"], 3, "{backend:?}: {run}");
    assert_eq!(
        b["error"]["message"], "attempt 3 never reported: the process running it stopped",
        "{backend:?}: {run}"
    );
    // Each attempt shows in the history as lost, run by the replica that died of it.
    let history = b["attemptHistory"].as_array().expect("attempt history");
    let lost: Vec<(i64, &str)> = history
        .iter()
        .map(|a| {
            (
                a["attempt"].as_i64().unwrap_or(0),
                a["outcome"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        lost,
        [(1, "lost"), (2, "lost"), (3, "lost")],
        "{backend:?}: {run}"
    );
    let replicas: std::collections::HashSet<&str> = history
        .iter()
        .filter_map(|a| a["replica"].as_str())
        .collect();
    assert_eq!(
        replicas.len(),
        3,
        "{backend:?}: one replica per attempt: {run}"
    );
    assert!(
        history.iter().all(|a| a["endedAt"].is_string()),
        "{backend:?}: every lost attempt is closed: {run}"
    );
    assert_eq!(status_of(&run, "c"), "skipped", "{backend:?}");
    assert_eq!(status_of(&run, "d"), "skipped", "{backend:?}");
    let calls = std::fs::read_to_string(&log).expect("call log");
    let count = |s: &str| calls.lines().filter(|l| *l == s).count();
    assert_eq!(count("b"), 3, "{backend:?}: b ran once per attempt");
    assert_eq!(count("a"), 1, "{backend:?}: completed step a ran again");
}
