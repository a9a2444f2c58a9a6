//! A replica asked to stop (SIGTERM) while it runs work, with a long poll open and
//! a run waiting in the queue: it stops claiming at once (the queued run is left
//! for the next replica, even when a slot frees during the drain), answers the long
//! poll at once with `202` and `Location`, and exits; the next replica finishes
//! everything.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::db::{Backend, TestDb};
use crate::wait::eventually;
use crate::{start_replica, start_replica_with, status_of};

const LEASE: Duration = Duration::from_secs(4);

pub async fn scenario(backend: Backend) {
    let db = TestDb::new(backend).await;
    let logdir = tempfile::tempdir().expect("temp dir");
    let http = reqwest::Client::new();

    // Two slots: a long run and a short one take them; a third run queues.
    let mut first = start_replica_with(&db.url, LEASE, 2);
    let key = first.key.clone().expect("the first replica created a key");
    let submit = |steps: Value, log: &Path| {
        let body = json!({"input": {"log": log.display().to_string(), "steps": steps}});
        let req = http
            .post(format!("{}/v1/workflows/lab/runs?wait=0", first.base))
            .bearer_auth(&key)
            .json(&body);
        async move {
            let r = req.send().await.expect("submit");
            assert_eq!(r.status(), 202);
            r.json::<Value>().await.unwrap()["runId"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let (long_log, short_log, queued_log) = (
        logdir.path().join("long.log"),
        logdir.path().join("short.log"),
        logdir.path().join("queued.log"),
    );
    let long = submit(json!({"b": {"sleepMs": 3000}}), &long_log).await;
    let short = submit(json!({"a": {"sleepMs": 800}}), &short_log).await;
    let queued = submit(json!({}), &queued_log).await;
    let get = |id: &str| {
        let req = http
            .get(format!("{}/v1/runs/{id}", first.base))
            .bearer_auth(&key);
        async move { req.send().await.unwrap().json::<Value>().await.unwrap() }
    };
    eventually(
        &format!("{backend:?}: the two runs to take the slots"),
        || async {
            let (b, a) = (
                status_of(&get(&long).await, "b"),
                status_of(&get(&short).await, "a"),
            );
            if b == "running" && a == "running" {
                Ok(())
            } else {
                Err((b, a))
            }
        },
    )
    .await;
    assert_eq!(get(&queued).await["status"], "queued", "{backend:?}");

    // A long poll on the long run, then a quick request behind it: once that one
    // is answered, the server has taken the poll's connection.
    let address = first.base.trim_start_matches("http://").to_string();
    let mut poll = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    let request = format!(
        "GET /v1/runs/{long}?wait=30s HTTP/1.1\r\nHost: {address}\r\n\
         Authorization: Bearer {key}\r\nConnection: close\r\n\r\n"
    );
    poll.write_all(request.as_bytes()).await.expect("send poll");
    get(&long).await;

    let pid = first.child.id().to_string();
    let sent = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(sent.success());
    let mut answer = String::new();
    poll.read_to_string(&mut answer)
        .await
        .expect("read the poll's answer");
    let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
    assert!(
        head.starts_with("HTTP/1.1 202"),
        "{backend:?}: the long poll was not answered with 202: {head}"
    );
    assert!(
        head.lines()
            .any(|l| l.eq_ignore_ascii_case(&format!("location: /v1/runs/{long}"))),
        "{backend:?}: no Location: {head}"
    );
    assert!(
        body.contains("\"status\":\"running\""),
        "{backend:?}: the poll waited for the run to end: {body}"
    );
    let exit = first.child.wait().expect("the replica exits");
    assert!(
        exit.success(),
        "{backend:?}: the replica exited with {exit}"
    );
    // The short run ended during the drain and freed a slot: the queued run was
    // still not claimed.
    let lines = |p: &Path| {
        std::fs::read_to_string(p)
            .map(|s| s.lines().count())
            .unwrap_or(0)
    };
    assert!(
        lines(&short_log) >= 1,
        "{backend:?}: the short run never ran"
    );
    assert_eq!(
        lines(&queued_log),
        0,
        "{backend:?}: the stopping replica claimed the queued run"
    );

    // The next replica finishes every run: nothing was lost.
    let mut second = start_replica(&db.url, LEASE);
    for id in [&long, &short, &queued] {
        let run: Value = http
            .get(format!("{}/v1/runs/{id}?wait=30s", second.base))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(run["status"], "completed", "{backend:?}: {run}");
    }
    let _ = second.child.kill();
    let _ = second.child.wait();
    assert_eq!(lines(&queued_log), 5, "{backend:?}");
}
