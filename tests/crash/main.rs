//! Crash test: a replica process is killed with SIGKILL in the middle of a run; a
//! second process finishes the run, and completed steps are not repeated.
//!
//! This target has no test harness: run by `cargo test`, it plays the scenario on
//! PostgreSQL and on SQLite, starting copies of its own executable as the replicas
//! (`<exe> replica <database url>`), so the replicas run the tests' lab workflows.

#[path = "../common/db.rs"]
#[allow(dead_code)]
mod db;
#[path = "../common/lab.rs"]
#[allow(dead_code)]
mod lab;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use careflow::app::{App, Extensions};
use careflow::config::{Secret, Settings};
use db::{Backend, TestDb};
use serde_json::{Value, json};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    if args.get(1).map(String::as_str) == Some("replica") {
        runtime.block_on(replica(&args[2]));
        return;
    }
    for backend in [Backend::Postgres, Backend::Sqlite] {
        runtime.block_on(scenario(backend));
        println!(
            "crash::{backend:?}: a killed replica's run was finished by another without repeating completed steps ... ok"
        );
    }
}

/// A replica with short leases, printing its address (and, on a new database, its
/// API key) on standard output.
async fn replica(url: &str) {
    let mut s = Settings::defaults();
    s.server.port = 0;
    s.database.url = Secret::new(url);
    s.engine.lease_ttl = Duration::from_secs(4);
    s.engine.heartbeat_interval = Duration::from_secs(1);
    s.engine.retry.attempt_timeout = Duration::from_secs(3);
    s.engine.poll_interval = Duration::from_millis(200);
    let rec = lab::Recorder::default();
    let app = App::start(
        s,
        Extensions {
            workflows: lab::workflows(&rec),
            ..Extensions::default()
        },
    )
    .await
    .expect("replica starts");
    match &app.bootstrap_key {
        Some(key) => println!("KEY {}", key.token),
        None => println!("KEY -"),
    }
    println!("ADDR {}", app.addr);
    std::future::pending::<()>().await;
}

struct Replica {
    child: Child,
    base: String,
    key: Option<String>,
}

fn start_replica(url: &str) -> Replica {
    let mut child = Command::new(std::env::current_exe().expect("own executable"))
        .args(["replica", url])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start replica");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let (mut base, mut key) = (None, None);
    // The replica prints `KEY <token or ->` and then `ADDR <address>`.
    while base.is_none() {
        let Some(Ok(line)) = lines.next() else { break };
        if let Some(k) = line.strip_prefix("KEY ") {
            key = Some(k.to_string()).filter(|k| k != "-");
        }
        if let Some(a) = line.strip_prefix("ADDR ") {
            base = Some(format!("http://{a}"));
        }
    }
    Replica {
        child,
        base: base.expect("replica printed its address"),
        key,
    }
}

async fn scenario(backend: Backend) {
    let db = TestDb::new(backend).await;
    let logdir = tempfile::tempdir().expect("temp dir");
    let log = logdir.path().join("calls.log");
    let http = reqwest::Client::new();

    let mut first = start_replica(&db.url);
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
    let status_of = |run: &Value, step: &str| {
        run["steps"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == step)
            .unwrap()["status"]
            .clone()
    };
    let mut ready = false;
    for _ in 0..200 {
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
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(ready, "the run never reached the point to crash at");
    first.child.kill().expect("SIGKILL the first replica");
    let _ = first.child.wait();

    let mut second = start_replica(&db.url);
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
    let b = run["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "b")
        .unwrap();
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
