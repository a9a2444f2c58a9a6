//! A replica killed with SIGKILL while a step runs: another finishes the run.

use std::time::Duration;

use serde_json::{Value, json};

use crate::db::{Backend, TestDb};
use crate::wait::eventually;
use crate::{start_replica, status_of, step_of};

const LEASE: Duration = Duration::from_secs(4);

pub async fn scenario(backend: Backend) {
    let db = TestDb::new(backend).await;
    let logdir = tempfile::tempdir().expect("temp dir");
    let log = logdir.path().join("calls.log");
    let http = reqwest::Client::new();

    let mut first = start_replica(&db.url, LEASE);
    let key = first.key.clone().expect("the first replica created a key");
    let body =
        json!({"input": {"log": log.display().to_string(), "steps": {"b": {"sleepMs": 2500}}}});
    let r = http
        .post(format!("{}/v1/workflows/lab/runs?wait=0", first.base))
        .bearer_auth(&key)
        .json(&body)
        .send()
        .await
        .expect("submit");
    assert_eq!(r.status(), 202);
    let id = r.json::<Value>().await.unwrap()["runId"]
        .as_str()
        .unwrap()
        .to_string();

    // Wait until a and e completed and b is in flight, then kill the replica.
    eventually("the run to reach the point to crash at", || async {
        let run: Value = http
            .get(format!("{}/v1/runs/{id}", first.base))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if status_of(&run, "a") == "completed"
            && status_of(&run, "e") == "completed"
            && status_of(&run, "b") == "running"
        {
            Ok(())
        } else {
            Err(run)
        }
    })
    .await;
    first.child.kill().expect("SIGKILL the first replica");
    let _ = first.child.wait();

    let mut second = start_replica(&db.url, LEASE);
    let run: Value = http
        .get(format!("{}/v1/runs/{id}?wait=40s", second.base))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let _ = second.child.kill();
    let _ = second.child.wait();
    assert_eq!(run["status"], "completed", "{backend:?}: {run}");
    let b = step_of(&run, "b");
    assert_eq!(
        b["attempts"], 2,
        "{backend:?}: the interrupted step runs again with one more attempt"
    );

    let calls = std::fs::read_to_string(&log).expect("call log");
    let count = |s: &str| calls.lines().filter(|l| *l == s).count();
    assert_eq!(count("a"), 1, "{backend:?}: completed step a ran again");
    assert_eq!(count("e"), 1, "{backend:?}: completed step e ran again");
    assert_eq!(count("b"), 2, "{backend:?}");
    assert_eq!(count("c"), 1, "{backend:?}");
    assert_eq!(count("d"), 1, "{backend:?}");
}
