//! Chaos: three replicas on one PostgreSQL database execute a stream of service
//! calls while a random replica is killed with SIGKILL every few seconds and a new
//! one takes its place. No call is lost (each reaches a final status), none is
//! stuck, and the partner sees a request again only with the same idempotency key
//! and never more often than the call was attempted (the at-least-once window).
//!
//! The victims are chosen by a seeded RNG; the seed is printed, and `CHAOS_SEED`
//! replays it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

use crate::db::{Backend, TestDb};
use crate::partner::{FakePartner, Reply};
use crate::{Replica, start_replica};

const LEASE: Duration = Duration::from_secs(2);
const REPLICAS: usize = 3;
const CALLS: usize = 60;
/// One call is submitted per tick; a replica is killed every `KILL_EVERY` ticks.
const TICK: Duration = Duration::from_millis(200);
const KILL_EVERY: usize = 10;
/// How long the partner takes to answer, so that kills find requests in flight.
const PARTNER_DELAY: Duration = Duration::from_millis(300);
const FINAL: [&str; 3] = ["succeeded", "failed", "cancelled"];

pub async fn scenario(backend: Backend) {
    let seed: u64 = std::env::var("CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0)
        });
    println!("chaos::kills: seed {seed} (CHAOS_SEED={seed} replays it)");
    let mut rng = StdRng::seed_from_u64(seed);
    let started = Instant::now();

    let db = TestDb::new(backend).await;
    let partner = FakePartner::start().await;
    partner.always(Reply::Delay(PARTNER_DELAY));
    let http = reqwest::Client::new();

    let mut replicas: Vec<Replica> = vec![start_replica(&db.url, LEASE)];
    let key = replicas[0]
        .key
        .clone()
        .expect("the first replica created a key");
    while replicas.len() < REPLICAS {
        replicas.push(start_replica(&db.url, LEASE));
    }

    // Submit the calls one per tick to a random replica, killing and replacing a
    // random replica every few ticks.
    let mut calls: Vec<(usize, String)> = Vec::with_capacity(CALLS);
    let mut kills = 0;
    for n in 0..CALLS {
        if n > 0 && n % KILL_EVERY == 0 {
            let victim = rng.gen_range(0..replicas.len());
            let mut dead = replicas.swap_remove(victim);
            dead.child.kill().expect("SIGKILL a replica");
            let _ = dead.child.wait();
            kills += 1;
            replicas.push(start_replica(&db.url, LEASE));
        }
        let to = &replicas[rng.gen_range(0..replicas.len())];
        let r = http
            .post(format!("{}/v1/service-calls", to.base))
            .bearer_auth(&key)
            .json(&json!({
                "name": format!("chaos {n}"),
                "request": {"method": "POST", "url": partner.url(&format!("/hook/{n}")),
                            "body": {"n": n}},
            }))
            .send()
            .await
            .expect("submit a call");
        assert_eq!(r.status(), 201, "call {n} was not accepted");
        let id = r.json::<Value>().await.unwrap()["serviceCallId"]
            .as_str()
            .expect("serviceCallId")
            .to_string();
        calls.push((n, id));
        tokio::time::sleep(TICK).await;
    }

    // Every call reaches a final status on the surviving replicas.
    let deadline = Instant::now() + Duration::from_secs(60);
    let base = replicas[0].base.clone();
    let mut finals: HashMap<String, Value> = HashMap::new();
    while finals.len() < calls.len() && Instant::now() < deadline {
        for (_, id) in &calls {
            if finals.contains_key(id) {
                continue;
            }
            let call: Value = http
                .get(format!("{base}/v1/service-calls/{id}"))
                .bearer_auth(&key)
                .send()
                .await
                .expect("read a call")
                .json()
                .await
                .expect("a call view");
            if FINAL.contains(&call["status"].as_str().unwrap_or_default()) {
                finals.insert(id.clone(), call);
            }
        }
        if finals.len() < calls.len() {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let wall = started.elapsed();
    for mut replica in replicas {
        let _ = replica.child.kill();
        let _ = replica.child.wait();
    }

    let stuck: Vec<&String> = calls
        .iter()
        .map(|(_, id)| id)
        .filter(|id| !finals.contains_key(*id))
        .collect();
    assert!(
        stuck.is_empty(),
        "seed {seed}: {} calls never reached a final status: {stuck:?}",
        stuck.len()
    );

    // What the partner saw, by call: each call has its own target.
    let mut seen: HashMap<String, Vec<Option<String>>> = HashMap::new();
    for req in partner.received() {
        seen.entry(req.target.clone())
            .or_default()
            .push(req.headers.get("idempotency-key").cloned());
    }
    let mut duplicates = 0;
    let mut succeeded = 0;
    for (n, id) in &calls {
        let call = &finals[id];
        let keys = seen
            .get(&format!("/hook/{n}"))
            .map(Vec::as_slice)
            .unwrap_or_default();
        for k in keys {
            assert_eq!(
                k.as_deref(),
                Some(id.as_str()),
                "seed {seed}: call {n} reached the partner without its idempotency key"
            );
        }
        let attempts = call["attempts"].as_u64().unwrap_or(0) as usize;
        assert!(
            keys.len() <= attempts.max(1),
            "seed {seed}: call {n} was sent {} times in {attempts} attempts: {call}",
            keys.len()
        );
        if call["status"] == "succeeded" {
            succeeded += 1;
            assert!(!keys.is_empty(), "seed {seed}: call {n} succeeded unseen");
        }
        duplicates += keys.len().saturating_sub(1);
    }
    let failed: Vec<&Value> = finals
        .values()
        .filter(|c| c["status"] != "succeeded")
        .collect();
    println!(
        "chaos::kills: {} calls, {kills} kills, {succeeded} succeeded, {} failed, {duplicates} duplicates (all with the first's idempotency key), wall time {:.1}s",
        calls.len(),
        failed.len(),
        wall.as_secs_f64()
    );
    // A call whose every attempt died with its replica ends Failed as `lost`: an honest
    // final state, not a lost call. Anything else that did not succeed is a defect.
    let unexplained: Vec<&&Value> = failed
        .iter()
        .filter(|c| !(c["status"] == "failed" && c["error"]["kind"] == "lost"))
        .collect();
    assert!(
        unexplained.is_empty(),
        "seed {seed}: calls ended otherwise than Succeeded: {unexplained:?}"
    );
}
