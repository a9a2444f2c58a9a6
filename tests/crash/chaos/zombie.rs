//! Zombie: the replica performing a service call is frozen (SIGSTOP) with its
//! request held by the partner. Its lease lapses, another replica claims the run
//! and sends the call again (its second and last attempt, same idempotency key).
//! While that attempt is still in flight the frozen replica is thawed (SIGCONT):
//! its own attempt times out or is cancelled, and everything it would record (a
//! retry, a failure, a cancellation, the release of its lease) is stale. It must
//! write nothing: the call ends `Succeeded` through the second replica, with one
//! `ServiceCallSucceeded`, two starts of `execute`, and no failure, retry or
//! cancellation event.
//!
//! Two attempts (`service_calls.max_attempts = 2`): with one, the replica taking
//! over would find the last attempt unreported and end the call `Failed` as lost,
//! which is the right answer but not the stale-write race this scenario plays.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Client, call_body, id_of, signal, until};
use crate::db::{Backend, TestDb};
use crate::partner::{FakePartner, Reply};
use crate::{ReplicaOpts, start_replica_opts};

const LEASE: Duration = Duration::from_secs(2);

pub async fn scenario() {
    let started = Instant::now();
    let db = TestDb::new(Backend::Postgres).await;
    let partner = FakePartner::start().await;
    let opts = ReplicaOpts {
        call_attempts: 2,
        ..ReplicaOpts::new(LEASE)
    };
    let mut zombie = start_replica_opts(&db.url, &opts);
    let client = Client::new(&zombie.key.clone().expect("the first replica created a key"));
    let mut heir = start_replica_opts(&db.url, &opts);

    // The zombie's request is never answered; the heir's waits for the gate.
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    partner.script([Reply::Hang, Reply::Gate(gate.clone())]);

    // A submission executes at once on the replica that received it.
    let call = client
        .submit_ok(&zombie.base, &call_body("zombie", &partner.url("/zombie")))
        .await;
    let id = id_of(&call);
    partner.wait_for(1).await;
    signal(&zombie, "STOP");
    let frozen = Instant::now();

    // The fact that the lease moved: the heir sent the call's second attempt.
    partner.wait_for(2).await;
    let taken_over = frozen.elapsed();
    let view = client
        .get(&heir.base, &format!("/v1/service-calls/{id}"))
        .await;
    assert_eq!(view["status"], "running", "{view}");
    assert_eq!(view["attempts"], 2, "{view}");

    // Thaw the zombie while the heir's attempt is in flight, then stop it
    // gracefully: once it has exited, whatever it was going to write is written.
    signal(&zombie, "CONT");
    signal(&zombie, "TERM");
    until("the thawed replica exits", Duration::from_secs(30), || {
        let exited = zombie.child.try_wait().expect("replica status").is_some();
        async move { exited }
    })
    .await;
    // Frozen, thawed and stopped: the zombie's whole afterlife.
    let paused = frozen.elapsed();
    let during = client
        .get(&heir.base, &format!("/v1/service-calls/{id}"))
        .await;
    assert_eq!(
        during["status"], "running",
        "the zombie changed the call: {during}"
    );

    gate.add_permits(1);
    let finals = client
        .await_final(
            &heir.base,
            std::slice::from_ref(&id),
            Duration::from_secs(30),
        )
        .await;
    let done = finals.get(&id).expect("the call never settled");
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["attempts"], 2, "{done}");

    // Events are listed a moment after their commit: wait for the run's last one.
    let run_id = done["runId"].as_str().expect("runId").to_string();
    let events = client
        .events_until(&heir.base, &run_id, "run.completed")
        .await;
    let _ = heir.child.kill();
    let _ = heir.child.wait();

    let count = |t: &str| events.iter().filter(|e| e["eventType"] == t).count();
    let stale = count("ServiceCallFailed")
        + count("ServiceCallRetryScheduled")
        + count("ServiceCallCancelled")
        + count("run.failed")
        + count("run.cancelled");
    let keys: Vec<Option<String>> = partner
        .received()
        .iter()
        .map(|r| r.headers.get("idempotency-key").cloned())
        .collect();
    println!(
        "chaos::zombie: 1 call, replica frozen at its request, taken over after {:.1}s, thawed and stopped {:.1}s after freezing, {} requests (both with the call's idempotency key), {stale} stale writes, wall time {:.1}s",
        taken_over.as_secs_f64(),
        paused.as_secs_f64(),
        keys.len(),
        started.elapsed().as_secs_f64()
    );
    assert_eq!(
        stale, 0,
        "the zombie wrote after losing its lease: {events:#?}"
    );
    // A call already `Running` starts its next attempt without a new lifecycle
    // event; the run shows both attempts of `execute` after `wait`.
    assert_eq!(count("ServiceCallRunning"), 1, "{events:#?}");
    assert_eq!(count("step.started"), 3, "{events:#?}");
    assert_eq!(count("step.completed"), 2, "{events:#?}");
    assert_eq!(count("ServiceCallSucceeded"), 1, "{events:#?}");
    assert_eq!(count("run.completed"), 1, "{events:#?}");
    assert_eq!(keys, vec![Some(id.clone()), Some(id)], "requests' keys");
}
