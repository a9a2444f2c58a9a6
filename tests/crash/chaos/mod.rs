//! The chaos suite: replicas (real processes of this executable) on one PostgreSQL
//! database execute service calls toward a fake partner on 127.0.0.1 that records
//! every request with its `Idempotency-Key`, while the scenarios break things:
//!
//! - `kills`: a random replica is killed with SIGKILL every few seconds and
//!   replaced: no call lost or stuck, repeats only with the call's key.
//! - `zombie`: the replica performing a call is paused (SIGSTOP) past its lease
//!   and resumed (SIGCONT) once another replica re-executes the call: the paused
//!   one writes nothing (no stale write), and the call succeeds once.
//! - `timers`: calls due a few seconds later are pending when every replica is
//!   killed; fresh replicas fire each exactly once.
//! - `overload`: a burst of submissions from many clients against a small queue:
//!   refusals are `429` with `Retry-After` and write nothing, memory stays bounded,
//!   everything accepted completes.
//! - `db_cut`: the database becomes unreachable, for less than the lease, while
//!   calls are in flight: no request is sent twice, and every call succeeds.
//!
//! Each scenario prints its figures; README's "Reliability" section quotes them.

mod db_cut;
mod kills;
mod overload;
mod timers;
mod zombie;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::Replica;
use crate::db::Backend;

/// The chaos scenarios by name, with what a pass shows.
pub const SCENARIOS: [(&str, &str); 5] = [
    (
        "chaos::kills",
        "replicas killed at random lose no service call, leave none stuck, and repeat requests only with their idempotency key",
    ),
    (
        "chaos::zombie",
        "a replica paused past its lease writes nothing when it wakes, and its call succeeds once through another",
    ),
    (
        "chaos::timers",
        "timers pending while every replica is killed fire exactly once on fresh replicas",
    ),
    (
        "chaos::overload",
        "a burst past the queue's bound is refused with 429 and Retry-After, writes nothing for refusals, and stays within its memory bound",
    ),
    (
        "chaos::db_cut",
        "a database cut shorter than the lease sends no request twice, and every call succeeds",
    ),
];

/// Plays the scenario named `name` (one of `SCENARIOS`).
pub async fn play(name: &str) {
    match name {
        "chaos::kills" => kills::scenario(Backend::Postgres).await,
        "chaos::zombie" => zombie::scenario().await,
        "chaos::timers" => timers::scenario().await,
        "chaos::overload" => overload::scenario().await,
        "chaos::db_cut" => db_cut::scenario().await,
        other => panic!("no chaos scenario {other}"),
    }
}

/// Final statuses of a service call.
const FINAL: [&str; 3] = ["succeeded", "failed", "cancelled"];

/// An HTTP client of the replicas, with the tenant's key.
#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    key: String,
}

impl Client {
    fn new(key: &str) -> Self {
        Self {
            http: reqwest::Client::new(),
            key: key.to_string(),
        }
    }

    /// `POST /v1/service-calls` on `base`.
    async fn submit(&self, base: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(format!("{base}/v1/service-calls"))
            .bearer_auth(&self.key)
            .json(body)
            .send()
            .await
            .expect("submit a service call")
    }

    /// A submission that must be accepted: the call's view.
    async fn submit_ok(&self, base: &str, body: &Value) -> Value {
        let r = self.submit(base, body).await;
        assert_eq!(r.status(), 201, "a call was not accepted");
        r.json().await.expect("a call view")
    }

    /// `GET <base><path>` as JSON.
    async fn get(&self, base: &str, path: &str) -> Value {
        let r = self
            .http
            .get(format!("{base}{path}"))
            .bearer_auth(&self.key)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        assert!(r.status().is_success(), "GET {path}: {}", r.status());
        r.json().await.expect("JSON")
    }

    /// Every item of a cursor-paginated listing (`items` under `field`).
    async fn list_all(&self, base: &str, path: &str, field: &str) -> Vec<Value> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = match &cursor {
                None => self.get(base, &format!("{path}?limit=100")).await,
                Some(c) => {
                    self.get(base, &format!("{path}?limit=100&cursor={c}"))
                        .await
                }
            };
            all.extend(page[field].as_array().cloned().unwrap_or_default());
            match page["nextCursor"].as_str() {
                Some(c) => cursor = Some(c.to_string()),
                None => return all,
            }
        }
    }

    /// The stored events of run `run_id`, in commit order.
    async fn events_of_run(&self, base: &str, run_id: &str) -> Vec<Value> {
        let mut all = Vec::new();
        let mut after = 0;
        loop {
            let page = self
                .get(
                    base,
                    &format!("/v1/events?runId={run_id}&after={after}&limit=1000"),
                )
                .await;
            let events = page["events"].as_array().cloned().unwrap_or_default();
            if events.is_empty() {
                return all;
            }
            after = page["nextAfter"]
                .as_i64()
                .or_else(|| page["nextAfter"].as_str().and_then(|s| s.parse().ok()))
                .expect("nextAfter");
            all.extend(events);
        }
    }

    /// The events of run `run_id` once one of type `last` is listed (events are
    /// listed a moment after their commit).
    async fn events_until(&self, base: &str, run_id: &str, last: &str) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let events = self.events_of_run(base, run_id).await;
            if events.iter().any(|e| e["eventType"] == last) {
                return events;
            }
            assert!(
                Instant::now() < deadline,
                "run {run_id} never listed {last}: {events:#?}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until every call in `ids` has a final status, or `within` passed:
    /// the final views by id (missing ones never settled).
    async fn await_final(
        &self,
        base: &str,
        ids: &[String],
        within: Duration,
    ) -> HashMap<String, Value> {
        let deadline = Instant::now() + within;
        let mut finals: HashMap<String, Value> = HashMap::new();
        while finals.len() < ids.len() && Instant::now() < deadline {
            for id in ids {
                if finals.contains_key(id) {
                    continue;
                }
                let call = self.get(base, &format!("/v1/service-calls/{id}")).await;
                if FINAL.contains(&call["status"].as_str().unwrap_or_default()) {
                    finals.insert(id.clone(), call);
                }
            }
            if finals.len() < ids.len() {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        finals
    }
}

/// Polls `fact` every 50 ms until it holds; panics naming `what` after `within`.
async fn until<F, Fut>(what: &str, within: Duration, mut fact: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + within;
    while !fact().await {
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A service call to the partner at `url`, due at once.
fn call_body(name: &str, url: &str) -> Value {
    serde_json::json!({
        "name": name,
        "request": {"method": "POST", "url": url, "body": {"name": name}},
    })
}

/// The id of a call view.
fn id_of(call: &Value) -> String {
    call["serviceCallId"]
        .as_str()
        .expect("serviceCallId")
        .to_string()
}

/// The peak resident memory of a process so far (`VmHWM`), in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("process status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in the process status")
}

/// Sends `signal` (`STOP`, `CONT`, `TERM`) to a replica.
fn signal(replica: &Replica, signal: &str) {
    let sent = std::process::Command::new("kill")
        .args([&format!("-{signal}"), &replica.child.id().to_string()])
        .status()
        .expect("kill");
    assert!(sent.success(), "could not send SIG{signal}");
}

/// Kills every replica (SIGKILL) and reaps it.
fn kill_all(replicas: Vec<Replica>) {
    for mut replica in replicas {
        let _ = replica.child.kill();
        let _ = replica.child.wait();
    }
}
