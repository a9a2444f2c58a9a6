//! Crash tests: replica processes die in the middle of runs, and other processes
//! finish them.
//!
//! - `resume`: a replica is killed with SIGKILL while a step runs; a second process
//!   finishes the run, and completed steps are not repeated.
//! - `poison`: a step aborts its process at every attempt; each attempt is spent,
//!   and when the last one never reported the step fails and the run ends, instead
//!   of taking down every replica that claims it.
//! - `sigterm`: a replica asked to stop (SIGTERM) claims nothing more, answers an
//!   open long poll at once with `202` and `Location`, and leaves its queued work to
//!   the next replica.
//!
//! - `chaos` (PostgreSQL only): three replicas execute a stream of service calls
//!   while a random one is killed with SIGKILL every few seconds and replaced; no
//!   call is lost or stuck, and every repeat the partner sees carries the call's
//!   idempotency key and stays within one request per attempt.
//!
//! This target has no test harness: run by `cargo test`, it plays the scenarios on
//! PostgreSQL and on SQLite, starting copies of its own executable as the replicas
//! (`<exe> replica <database url> <lease ms> [slots]`), so the replicas run the
//! tests' lab workflows. A replica stops on SIGTERM as the service does.

mod chaos;
#[path = "../common/db.rs"]
#[allow(dead_code)]
mod db;
#[path = "../common/lab.rs"]
#[allow(dead_code)]
mod lab;
#[path = "../common/fakes/partner.rs"]
#[allow(dead_code)]
mod partner;
mod poison;
mod resume;
mod sigterm;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use careflow::app::{App, Extensions};
use careflow::config::{Secret, Settings};
use db::Backend;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    if args.get(1).map(String::as_str) == Some("replica") {
        let lease_ms = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(4000);
        let slots = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(64);
        runtime.block_on(replica(&args[2], Duration::from_millis(lease_ms), slots));
        return;
    }
    for backend in [Backend::Postgres, Backend::Sqlite] {
        runtime.block_on(resume::scenario(backend));
        println!(
            "crash::{backend:?}: a killed replica's run was finished by another without repeating completed steps ... ok"
        );
        runtime.block_on(poison::scenario(backend));
        println!(
            "crash::{backend:?}: a step that aborts its process fails after its last attempt, and its run ends ... ok"
        );
        runtime.block_on(sigterm::scenario(backend));
        println!(
            "crash::{backend:?}: a replica stopped by SIGTERM claims nothing more and answers its long poll at once ... ok"
        );
    }
    runtime.block_on(chaos::scenario(Backend::Postgres));
    println!(
        "crash::Postgres: replicas killed at random lose no service call, leave none stuck, and repeat requests only with their idempotency key ... ok"
    );
}

/// A replica with short leases, printing its address (and, on a new database, its
/// API key) on standard output; it stops gracefully on SIGTERM, as the service does.
async fn replica(url: &str, lease: Duration, slots: usize) {
    let mut s = Settings::defaults();
    s.server.port = 0;
    s.engine.max_concurrent_runs = slots;
    s.database.url = Secret::new(url);
    s.engine.lease_ttl = lease;
    s.engine.heartbeat_interval = lease / 4;
    s.engine.attempt_timeout = Duration::from_secs(3);
    s.engine.retry.max_attempts = 3;
    s.engine.retry.initial_backoff = Duration::from_millis(20);
    s.engine.retry.max_backoff = Duration::from_millis(100);
    s.engine.poll_interval = Duration::from_millis(200);
    // The chaos scenario's partner listens on loopback.
    s.providers.outbound.allow = vec!["127.0.0.1/32".into()];
    s.providers.outbound.retry.max_attempts = 5;
    s.providers.outbound.retry.initial_backoff = Duration::from_millis(50);
    s.providers.outbound.retry.max_backoff = Duration::from_millis(200);
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
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    terminate.recv().await;
    app.shutdown().await;
}

struct Replica {
    child: Child,
    base: String,
    key: Option<String>,
}

fn start_replica(url: &str, lease: Duration) -> Replica {
    start_replica_with(url, lease, 64)
}

/// A replica executing at most `slots` runs at once.
fn start_replica_with(url: &str, lease: Duration, slots: usize) -> Replica {
    let mut child = Command::new(std::env::current_exe().expect("own executable"))
        .args([
            "replica",
            url,
            &lease.as_millis().to_string(),
            &slots.to_string(),
        ])
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

/// The status of step `name` in a run view.
fn status_of(run: &serde_json::Value, name: &str) -> serde_json::Value {
    step_of(run, name)["status"].clone()
}

/// Step `name` of a run view.
fn step_of<'a>(run: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    run["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["name"] == name))
        .unwrap_or_else(|| panic!("no step {name} in {run}"))
}
