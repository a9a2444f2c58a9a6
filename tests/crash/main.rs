//! Crash tests: replica processes die in the middle of runs, and other processes
//! finish them.
//!
//! - `resume`: a replica is killed with SIGKILL while a step runs; a second process
//!   finishes the run, and completed steps are not repeated.
//! - `poison`: a step aborts its process at every attempt; each attempt is spent,
//!   and when the last one never reported the step fails and the run ends, instead
//!   of taking down every replica that claims it.
//! - `pinned`: a run of a tenant's workflow waits for an event while version 2 is
//!   stored; its replica is killed with SIGKILL, and the next replica finishes it
//!   on version 1's steps when the event comes, while new runs take version 2.
//! - `sigterm`: a replica asked to stop (SIGTERM) claims nothing more, answers an
//!   open long poll at once with `202` and `Location`, and leaves its queued work to
//!   the next replica.
//!
//! - `chaos::*` (PostgreSQL only): replicas on one database execute service calls
//!   while they are killed at random, paused past their lease, all killed while
//!   timers are pending, flooded with submissions, or cut from the database (see
//!   `chaos/mod.rs`).
//!
//! This target has no test harness: run by `cargo test`, it plays the scenarios on
//! PostgreSQL and on SQLite, starting copies of its own executable as the replicas
//! (`<exe> replica <database url> <lease ms> [slots] [call attempts] [max queued]`),
//! so the replicas run the tests' lab workflows. A replica stops on SIGTERM as the
//! service does. Arguments after `--` pick scenarios by name, as a test filter
//! would: `cargo test --test crash -- chaos::zombie`.

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
mod pinned;
mod poison;
#[path = "../common/proxy.rs"]
mod proxy;
mod resume;
mod sigterm;
#[path = "../common/wait.rs"]
#[allow(dead_code)]
mod wait;

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
        let opts = ReplicaOpts {
            lease: Duration::from_millis(args.get(3).and_then(|a| a.parse().ok()).unwrap_or(4000)),
            slots: args.get(4).and_then(|a| a.parse().ok()).unwrap_or(64),
            call_attempts: args.get(5).and_then(|a| a.parse().ok()).unwrap_or(5),
            max_queued: args.get(6).and_then(|a| a.parse().ok()).unwrap_or(10_000),
        };
        runtime.block_on(replica(&args[2], &opts));
        return;
    }
    // Scenario filters, as a test harness takes them; none plays everything.
    let filters: Vec<&String> = args[1..].iter().filter(|a| !a.starts_with('-')).collect();
    let wanted =
        |name: &str| filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()));
    for backend in [Backend::Postgres, Backend::Sqlite] {
        if wanted("resume") {
            runtime.block_on(resume::scenario(backend));
            println!(
                "crash::{backend:?}: a killed replica's run was finished by another without repeating completed steps ... ok"
            );
        }
        if wanted("poison") {
            runtime.block_on(poison::scenario(backend));
            println!(
                "crash::{backend:?}: a step that aborts its process fails after its last attempt, and its run ends ... ok"
            );
        }
        if wanted("pinned") {
            runtime.block_on(pinned::scenario(backend));
            println!(
                "crash::{backend:?}: a run pinned to version 1 of a tenant's workflow finishes on it after its replica was killed and version 2 stored ... ok"
            );
        }
        if wanted("sigterm") {
            runtime.block_on(sigterm::scenario(backend));
            println!(
                "crash::{backend:?}: a replica stopped by SIGTERM claims nothing more and answers its long poll at once ... ok"
            );
        }
    }
    for (name, says) in chaos::SCENARIOS {
        if wanted(name) {
            runtime.block_on(chaos::play(name));
            println!("crash::Postgres: {says} ... ok");
        }
    }
}

/// What a scenario sets on its replicas; the rest is fixed in `replica`.
#[derive(Debug, Clone)]
struct ReplicaOpts {
    /// `engine.lease_ttl` (the heartbeat beats four times per lease).
    lease: Duration,
    /// `engine.max_concurrent_runs`.
    slots: usize,
    /// `service_calls.max_attempts`.
    call_attempts: u32,
    /// `engine.max_queued_runs`, and the tenant's share alike.
    max_queued: i64,
}

impl ReplicaOpts {
    fn new(lease: Duration) -> Self {
        Self {
            lease,
            slots: 64,
            call_attempts: 5,
            max_queued: 10_000,
        }
    }
}

/// A replica with short leases, printing its address (and, on a new database, its
/// API key) on standard output; it stops gracefully on SIGTERM, as the service does.
async fn replica(url: &str, opts: &ReplicaOpts) {
    let lease = opts.lease;
    let mut s = Settings::defaults();
    s.server.port = 0;
    s.engine.max_concurrent_runs = opts.slots;
    s.engine.max_queued_runs = opts.max_queued;
    s.engine.max_queued_runs_per_tenant = opts.max_queued;
    s.database.url = Secret::new(url);
    s.engine.lease_ttl = lease;
    s.engine.heartbeat_interval = lease / 4;
    s.engine.attempt_timeout = Duration::from_secs(3);
    s.engine.retry.max_attempts = 3;
    s.engine.retry.initial_backoff = Duration::from_millis(20);
    s.engine.retry.max_backoff = Duration::from_millis(100);
    s.engine.poll_interval = Duration::from_millis(200);
    // A partner that never answers holds an attempt this long.
    s.providers.outbound.timeout = Duration::from_secs(5);
    // The chaos scenario's partner listens on loopback.
    s.providers.outbound.allow = vec!["127.0.0.1/32".into()];
    s.providers.outbound.retry.max_attempts = opts.call_attempts;
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

impl Drop for Replica {
    /// A scenario that fails half-way leaves no replica process running (killing
    /// one that already exited does nothing).
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_replica(url: &str, lease: Duration) -> Replica {
    start_replica_opts(url, &ReplicaOpts::new(lease))
}

/// A replica executing at most `slots` runs at once.
fn start_replica_with(url: &str, lease: Duration, slots: usize) -> Replica {
    start_replica_opts(
        url,
        &ReplicaOpts {
            slots,
            ..ReplicaOpts::new(lease)
        },
    )
}

/// A replica with these settings.
fn start_replica_opts(url: &str, opts: &ReplicaOpts) -> Replica {
    let mut child = Command::new(std::env::current_exe().expect("own executable"))
        .args([
            "replica",
            url,
            &opts.lease.as_millis().to_string(),
            &opts.slots.to_string(),
            &opts.call_attempts.to_string(),
            &opts.max_queued.to_string(),
        ])
        .stdout(Stdio::piped())
        // `CRASH_REPLICA_LOGS=1` shows the replicas' logs, to see why a scenario failed.
        .stderr(match std::env::var_os("CRASH_REPLICA_LOGS") {
            Some(_) => Stdio::inherit(),
            None => Stdio::null(),
        })
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
