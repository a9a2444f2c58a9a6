//! A database cut shorter than the lease: three replicas reach PostgreSQL through
//! a TCP proxy on 127.0.0.1. With a request of every call held by the partner,
//! the proxy breaks every connection and refuses new ones; the partner answers
//! meanwhile, so each replica has outcomes it cannot record. When the database is
//! back (after `OUTAGE`, far below the lease) each call is recorded `Succeeded`
//! after one attempt: the partner saw each request exactly once (0 resends).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::{Client, call_body, id_of, kill_all, until};
use crate::db::{Backend, TestDb, admin_url};
use crate::partner::{FakePartner, Reply};
use crate::proxy::TcpProxy;
use crate::{Replica, start_replica};

const REPLICAS: usize = 3;
const CALLS: usize = 12;
const LEASE: Duration = Duration::from_secs(10);
/// How long the database stays unreachable.
const OUTAGE: Duration = Duration::from_secs(3);

/// The test PostgreSQL server's address.
async fn postgres_addr() -> std::net::SocketAddr {
    let url = url::Url::parse(&admin_url()).expect("TEST_DATABASE_URL");
    let host = url.host_str().expect("a host").to_string();
    let port = url.port().unwrap_or(5432);
    tokio::net::lookup_host((host, port))
        .await
        .expect("resolve the PostgreSQL host")
        .next()
        .expect("an address")
}

/// `url` with its server replaced by the proxy.
fn through(proxy: std::net::SocketAddr, url: &str) -> String {
    let mut url = url::Url::parse(url).expect("a database URL");
    url.set_host(Some(&proxy.ip().to_string())).expect("host");
    url.set_port(Some(proxy.port())).expect("port");
    url.to_string()
}

pub async fn scenario() {
    let started = Instant::now();
    let db = TestDb::new(Backend::Postgres).await;
    let proxy = TcpProxy::start(postgres_addr().await).await;
    let url = through(proxy.addr, &db.url);
    let partner = FakePartner::start().await;
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    partner.always(Reply::Gate(gate.clone()));

    let first = start_replica(&url, LEASE);
    let client = Client::new(&first.key.clone().expect("the first replica created a key"));
    let mut replicas: Vec<Replica> = vec![first];
    while replicas.len() < REPLICAS {
        replicas.push(start_replica(&url, LEASE));
    }
    let mut ids = Vec::new();
    for n in 0..CALLS {
        let body = call_body(&format!("cut {n}"), &partner.url(&format!("/cut/{n}")));
        ids.push(id_of(
            &client.submit_ok(&replicas[n % REPLICAS].base, &body).await,
        ));
    }
    // Every call's request is in flight.
    partner.wait_for(CALLS).await;

    proxy.cut();
    let cut_at = Instant::now();
    gate.add_permits(CALLS);
    until(
        "the replicas try the database while it is cut",
        OUTAGE,
        || async { proxy.dropped() >= REPLICAS },
    )
    .await;
    // The outage itself lasts its full length; the replicas keep retrying.
    tokio::time::sleep(OUTAGE.saturating_sub(cut_at.elapsed())).await;
    let outage = cut_at.elapsed();
    let refused = proxy.dropped();
    proxy.restore();

    let finals = client
        .await_final(&replicas[0].base, &ids, Duration::from_secs(40))
        .await;
    let wall = started.elapsed();
    kill_all(replicas);

    let mut seen: HashMap<String, usize> = HashMap::new();
    for req in partner.received() {
        *seen.entry(req.target).or_default() += 1;
    }
    let sent: usize = seen.values().sum();
    println!(
        "chaos::db_cut: {CALLS} calls in flight on {REPLICAS} replicas, database cut for {:.1}s (lease {}s), {refused} connections refused meanwhile, {sent} requests, {} resends, wall time {:.1}s",
        outage.as_secs_f64(),
        LEASE.as_secs(),
        sent.saturating_sub(CALLS),
        wall.as_secs_f64()
    );
    for (n, id) in ids.iter().enumerate() {
        let call = finals
            .get(id)
            .unwrap_or_else(|| panic!("call {n} never settled"));
        assert_eq!(call["status"], "succeeded", "call {n}: {call}");
        assert_eq!(call["attempts"], 1, "call {n}: {call}");
        assert_eq!(seen.get(&format!("/cut/{n}")), Some(&1), "call {n} resent");
    }
}
