//! Timers across a restart of every replica: service calls due a few seconds
//! later are parked on their durable timers (runs `sleeping`) across three
//! replicas; every replica is killed with SIGKILL, a third of the timers come due
//! while none is alive, and three fresh replicas take over. Each call reaches the
//! partner exactly once, never before it was due.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, SecondsFormat, Utc};
use futures::future::join_all;
use serde_json::json;

use super::{Client, id_of, kill_all, until};
use crate::db::{Backend, TestDb};
use crate::partner::FakePartner;
use crate::{Replica, start_replica};

const LEASE: Duration = Duration::from_secs(2);
const REPLICAS: usize = 3;
const TIMERS: usize = 30;
/// The first timer is due this long after submission, the others 100 ms apart.
const FIRST_DUE: Duration = Duration::from_secs(6);

pub async fn scenario() {
    let started = Instant::now();
    let db = TestDb::new(Backend::Postgres).await;
    let partner = FakePartner::start().await;
    let first = start_replica(&db.url, LEASE);
    let client = Client::new(&first.key.clone().expect("the first replica created a key"));
    let mut replicas: Vec<Replica> = vec![first];
    while replicas.len() < REPLICAS {
        replicas.push(start_replica(&db.url, LEASE));
    }

    // Submit the calls round-robin, all at once; each is due a little after the
    // previous.
    let base_due = Utc::now() + FIRST_DUE;
    let submissions = (0..TIMERS).map(|n| {
        let due = base_due + Duration::from_millis(100 * n as u64);
        let body = json!({
            "name": format!("timer {n}"),
            "dueAt": due.to_rfc3339_opts(SecondsFormat::Millis, true),
            "request": {"method": "POST", "url": partner.url(&format!("/timer/{n}"))},
        });
        let (client, base) = (client.clone(), replicas[n % REPLICAS].base.clone());
        async move {
            let call = client.submit_ok(&base, &body).await;
            let run = call["runId"].as_str().expect("runId").to_string();
            (n, id_of(&call), run, due)
        }
    });
    let calls: Vec<(usize, String, String, DateTime<Utc>)> = join_all(submissions).await;

    // Every run is parked on its timer before the replicas die.
    let base = replicas[0].base.clone();
    for (n, _, run, _) in &calls {
        until(
            &format!("timer {n}'s run sleeps"),
            Duration::from_secs(10),
            || {
                let (client, base, run) = (client.clone(), base.clone(), run.clone());
                async move {
                    client.get(&base, &format!("/v1/runs/{run}")).await["status"] == "sleeping"
                }
            },
        )
        .await;
    }
    assert!(
        partner.received().is_empty(),
        "a timer fired before it was due"
    );

    let kills = replicas.len();
    kill_all(std::mem::take(&mut replicas));
    // A third of the timers come due while no replica is alive.
    let due_while_down = calls[TIMERS / 3 - 1].3;
    until(
        "a third of the timers are due",
        FIRST_DUE + Duration::from_secs(10),
        || async move { Utc::now() > due_while_down },
    )
    .await;
    let restarted = Utc::now();
    while replicas.len() < REPLICAS {
        replicas.push(start_replica(&db.url, LEASE));
    }

    let ids: Vec<String> = calls.iter().map(|(_, id, _, _)| id.clone()).collect();
    let finals = client
        .await_final(&replicas[0].base, &ids, Duration::from_secs(40))
        .await;
    let wall = started.elapsed();
    kill_all(replicas);

    let mut seen: HashMap<String, Vec<Option<String>>> = HashMap::new();
    for req in partner.received() {
        seen.entry(req.target.clone())
            .or_default()
            .push(req.headers.get("idempotency-key").cloned());
    }
    let fired = seen.values().map(Vec::len).sum::<usize>();
    let late = calls.iter().filter(|c| c.3 < restarted).count();
    println!(
        "chaos::timers: {TIMERS} timers, {kills} kills (every replica), {late} came due with no replica alive, {fired} fired, {} duplicates, wall time {:.1}s",
        fired.saturating_sub(TIMERS),
        wall.as_secs_f64()
    );
    for (n, id, _, due) in &calls {
        let call = finals
            .get(id)
            .unwrap_or_else(|| panic!("timer {n} never fired (call {id})"));
        assert_eq!(call["status"], "succeeded", "timer {n}: {call}");
        let keys = seen
            .get(&format!("/timer/{n}"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            keys,
            vec![Some(id.clone())],
            "timer {n} fired {} times",
            keys.len()
        );
        let started_at: DateTime<Utc> = call["startedAt"]
            .as_str()
            .and_then(|t| t.parse().ok())
            .unwrap_or_else(|| panic!("timer {n} has no start time: {call}"));
        assert!(
            started_at >= *due,
            "timer {n} fired before it was due: {call}"
        );
    }
}
