//! Overload: three replicas with two run slots each and a queue bound of six
//! runs receive a burst of service calls from many clients at once. Refusals are
//! `429` problems with `Retry-After` and write nothing: the stored calls and runs
//! are exactly the accepted ones, each sent once. Every accepted call succeeds,
//! and no replica's peak resident memory passes `RSS_BOUND_MIB`.

use std::time::{Duration, Instant};

use futures::future::join_all;

use super::{Client, call_body, id_of, kill_all, peak_rss_kib};
use crate::db::{Backend, TestDb};
use crate::partner::{FakePartner, Reply};
use crate::{Replica, ReplicaOpts, start_replica_opts};

const REPLICAS: usize = 3;
const CLIENTS: usize = 24;
const PER_CLIENT: usize = 5;
/// The partner's answer time, so that slots stay busy and the queue fills.
const PARTNER_DELAY: Duration = Duration::from_millis(200);
/// The bound on a replica's peak resident memory (a debug build peaks under
/// 50 MiB in this scenario).
const RSS_BOUND_MIB: u64 = 128;

/// What one submission got.
enum Answer {
    Accepted(String),
    Refused,
}

pub async fn scenario() {
    let started = Instant::now();
    let db = TestDb::new(Backend::Postgres).await;
    let partner = FakePartner::start().await;
    partner.always(Reply::Delay(PARTNER_DELAY));
    let opts = ReplicaOpts {
        slots: 2,
        max_queued: 6,
        ..ReplicaOpts::new(Duration::from_secs(4))
    };
    let first = start_replica_opts(&db.url, &opts);
    let client = Client::new(&first.key.clone().expect("the first replica created a key"));
    let mut replicas: Vec<Replica> = vec![first];
    while replicas.len() < REPLICAS {
        replicas.push(start_replica_opts(&db.url, &opts));
    }

    // Each client submits its calls one after the other to its replica; all
    // clients at once.
    let bursts = (0..CLIENTS).map(|c| {
        let client = client.clone();
        let base = replicas[c % REPLICAS].base.clone();
        let partner = partner.clone();
        async move {
            let mut answers = Vec::new();
            for i in 0..PER_CLIENT {
                let name = format!("burst {c}-{i}");
                let r = client
                    .submit(&base, &call_body(&name, &partner.url(&format!("/{c}/{i}"))))
                    .await;
                answers.push(match r.status().as_u16() {
                    201 => Answer::Accepted(id_of(&r.json().await.expect("a call view"))),
                    429 => {
                        let after = r
                            .headers()
                            .get("retry-after")
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| v.parse::<u64>().ok());
                        assert!(
                            after.is_some_and(|s| s >= 1),
                            "{name}: 429 without a Retry-After in seconds"
                        );
                        let kind = r.headers().get("content-type").cloned();
                        assert_eq!(
                            kind.as_ref().and_then(|v| v.to_str().ok()),
                            Some("application/problem+json"),
                            "{name}"
                        );
                        Answer::Refused
                    }
                    other => panic!("{name}: answered {other}"),
                });
            }
            answers
        }
    });
    let answers: Vec<Answer> = join_all(bursts).await.into_iter().flatten().collect();
    let accepted: Vec<String> = answers
        .iter()
        .filter_map(|a| match a {
            Answer::Accepted(id) => Some(id.clone()),
            Answer::Refused => None,
        })
        .collect();
    let refused = answers.len() - accepted.len();
    assert!(refused > 0, "the burst never filled the queue");

    let base = replicas[0].base.clone();
    let finals = client
        .await_final(&base, &accepted, Duration::from_secs(60))
        .await;
    let wall = started.elapsed();
    let peak_kib = replicas
        .iter()
        .map(|r| peak_rss_kib(r.child.id()))
        .max()
        .unwrap_or(0);
    let stored_calls = client
        .list_all(&base, "/v1/service-calls", "serviceCalls")
        .await;
    let stored_runs = client.list_all(&base, "/v1/runs", "runs").await;
    kill_all(replicas);

    let sent = partner.received().len();
    println!(
        "chaos::overload: {} submissions from {CLIENTS} clients, {} accepted, {refused} refused with 429 and Retry-After, {} calls and {} runs stored, {sent} requests sent, peak RSS {:.0} MiB (bound {RSS_BOUND_MIB} MiB), wall time {:.1}s",
        answers.len(),
        accepted.len(),
        stored_calls.len(),
        stored_runs.len(),
        peak_kib as f64 / 1024.0,
        wall.as_secs_f64()
    );
    for id in &accepted {
        let call = finals
            .get(id)
            .unwrap_or_else(|| panic!("accepted call {id} never settled"));
        assert_eq!(call["status"], "succeeded", "{call}");
    }
    assert_eq!(
        stored_calls.len(),
        accepted.len(),
        "calls stored for refusals"
    );
    assert_eq!(
        stored_runs.len(),
        accepted.len(),
        "runs stored for refusals"
    );
    assert_eq!(
        sent,
        accepted.len(),
        "requests sent beyond the accepted calls"
    );
    assert!(
        peak_kib < RSS_BOUND_MIB * 1024,
        "a replica peaked at {peak_kib} KiB"
    );
}
