//! A run of a tenant's workflow waits for an event while a new version is
//! stored; its replica is killed with SIGKILL, and the replica started after it
//! finishes the run on the version it started with.

use std::time::Duration;

use serde_json::{Value, json};

use crate::db::{Backend, TestDb};
use crate::wait::eventually;
use crate::{start_replica, step_of};

const LEASE: Duration = Duration::from_secs(4);

/// Version `tag`: two steps whose names and output say which version ran. The
/// first version waits for `pinned/go`; the second sleeps instead.
fn version(tag: &str) -> Value {
    let first = match tag {
        "v1" => {
            json!({"name": "wait", "kind": "wait_for_event", "event": "pinned/go", "timeout": "1h"})
        }
        _ => json!({"name": "nap", "kind": "sleep", "duration": "1h"}),
    };
    let first_name = first["name"].clone();
    json!({"steps": [
        first,
        {"name": format!("tell-{tag}"), "kind": "emit", "event": "pinned/told",
         "dependsOn": [first_name], "data": {"version": tag}},
    ]})
}

fn names(run: &Value) -> Vec<&str> {
    run["steps"]
        .as_array()
        .map(|s| s.iter().filter_map(|s| s["name"].as_str()).collect())
        .unwrap_or_default()
}

pub async fn scenario(backend: Backend) {
    let db = TestDb::new(backend).await;
    let http = reqwest::Client::new();
    let mut first = start_replica(&db.url, LEASE);
    let key = first.key.clone().expect("the first replica created a key");
    let put = |base: String, tag: &'static str| {
        let (http, key) = (http.clone(), key.clone());
        async move {
            let r = http
                .put(format!("{base}/v1/workflows/pinned"))
                .bearer_auth(&key)
                .json(&version(tag))
                .send()
                .await
                .expect("put");
            assert_eq!(r.status(), 201, "{backend:?}: PUT {tag}");
            r.json::<Value>().await.unwrap()["version"].clone()
        }
    };
    let submit = |base: String| {
        let (http, key) = (http.clone(), key.clone());
        async move {
            let r = http
                .post(format!("{base}/v1/workflows/pinned/runs?wait=0"))
                .bearer_auth(&key)
                .json(&json!({"input": {}}))
                .send()
                .await
                .expect("submit");
            assert_eq!(r.status(), 202, "{backend:?}");
            r.json::<Value>().await.unwrap()["runId"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let get = |base: String, id: String, wait: &'static str| {
        let (http, key) = (http.clone(), key.clone());
        async move {
            http.get(format!("{base}/v1/runs/{id}{wait}"))
                .bearer_auth(&key)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };

    assert_eq!(put(first.base.clone(), "v1").await, 1);
    let id = submit(first.base.clone()).await;
    eventually("the run to wait for its event", || async {
        let run = get(first.base.clone(), id.clone(), "").await;
        if run["status"] == "waiting" {
            Ok(())
        } else {
            Err(run)
        }
    })
    .await;
    assert_eq!(put(first.base.clone(), "v2").await, 2);
    first.child.kill().expect("SIGKILL the first replica");
    let _ = first.child.wait();

    let mut second = start_replica(&db.url, LEASE);
    let r = http
        .post(format!("{}/v1/events", second.base))
        .bearer_auth(&key)
        .json(&json!({"name": "pinned/go", "data": {}}))
        .send()
        .await
        .expect("send the event");
    assert_eq!(r.status(), 202, "{backend:?}");
    let run = get(second.base.clone(), id.clone(), "?wait=40s").await;
    assert_eq!(run["status"], "completed", "{backend:?}: {run}");
    assert_eq!(run["workflowVersion"], 1, "{backend:?}: {run}");
    assert_eq!(names(&run), ["wait", "tell-v1"], "{backend:?}: {run}");
    assert_eq!(
        step_of(&run, "tell-v1")["output"]["data"]["version"],
        "v1",
        "{backend:?}"
    );

    // A run submitted now takes the second version.
    let next = submit(second.base.clone()).await;
    let next = eventually("the new run to sleep", || async {
        let run = get(second.base.clone(), next.clone(), "").await;
        if run["status"] == "sleeping" {
            Ok(run)
        } else {
            Err(run)
        }
    })
    .await;
    let _ = second.child.kill();
    let _ = second.child.wait();
    assert_eq!(next["workflowVersion"], 2, "{backend:?}: {next}");
    assert_eq!(names(&next), ["nap", "tell-v2"], "{backend:?}: {next}");
}
