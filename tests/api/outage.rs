//! Database blips. A replica that still holds a run's lease keeps retrying the
//! write of a step's outcome until the database answers again, so an outage shorter
//! than the lease repeats no side effect.
//!
//! The outage itself is played on PostgreSQL only (an embedded SQLite file has no
//! connection to lose); the attempt deadline's respect for a step that is recording
//! is checked on both.

use std::sync::Arc;
use std::time::Duration;

use careflow::config::Secret;
use serde_json::{Value, json};

use crate::both_backends;
use crate::fake_partner::Reply;
use crate::helpers::{Backend, TestApp, admin_url, json, lab, step};
use crate::lab::Recorder;
use crate::proxy::TcpProxy;
use crate::service_calls::{call_to, settle, spawn_with, submit};

/// How long the database stays unreachable: twice as long as the outcome of a
/// service call used to be retried, far below the lease (`engine.lease_ttl`).
const OUTAGE: Duration = Duration::from_secs(3);

/// The test PostgreSQL server's address.
async fn postgres_addr() -> std::net::SocketAddr {
    let url = url::Url::parse(&admin_url()).unwrap();
    let host = url.host_str().unwrap().to_string();
    let port = url.port().unwrap_or(5432);
    tokio::net::lookup_host((host, port))
        .await
        .unwrap()
        .next()
        .unwrap()
}

/// `url` with its server replaced by the proxy.
fn through(proxy: std::net::SocketAddr, url: &str) -> String {
    let mut url = url::Url::parse(url).unwrap();
    url.set_host(Some(&proxy.ip().to_string())).unwrap();
    url.set_port(Some(proxy.port())).unwrap();
    url.to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_outage_shorter_than_the_lease_sends_a_service_call_once() {
    let proxy = TcpProxy::start(postgres_addr().await).await;
    let via = proxy.addr;
    let (app, partner) = spawn_with(Backend::Postgres, move |s| {
        s.providers.outbound.retry.max_attempts = 3;
        s.database.url = Secret::new(through(via, s.database.url.expose()));
    })
    .await;
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    partner.script([Reply::Gate(gate.clone())]);
    let call = submit(&app, &call_to(&partner.url("/blip"))).await;
    partner.wait_for(1).await;

    // The partner answers while the database is unreachable: recording the answer
    // fails until it is back.
    proxy.cut();
    gate.add_permits(1);
    tokio::time::sleep(OUTAGE).await;
    assert!(proxy.dropped() > 0, "the service never tried the database");
    proxy.restore();

    let (done, run) = settle(&app, &call).await;
    assert_eq!(run["status"], "completed", "{run}");
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["attempts"], 1, "{done}");
    assert_eq!(partner.received().len(), 1, "the call was sent again");
}

/// Connections the database cut while they sat in the pool (a restart, a failover,
/// an operator ending sessions) are replaced without restarting the service. A
/// connection idle for less than a second is used untested, so a request may meet
/// one of them: it is answered 503 with a problem document, never 500, each cut
/// connection fails at most one request, and the service then serves and runs
/// workflows as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_the_database_cut_are_replaced_and_cost_at_most_a_retryable_answer() {
    let app = TestApp::spawn_with(Backend::Postgres, |_| {}, lab(&Recorder::default())).await;
    let finished = |r: Value| r["status"] == "completed";
    let r = app
        .post("/v1/workflows/lab/runs?wait=20s", &json!({}))
        .await;
    assert!(finished(json(r).await), "the first run did not finish");

    let name = app.db.url.rsplit('/').next().unwrap().to_string();
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url())
        .await
        .unwrap();
    let cut: Vec<bool> = sqlx::query_scalar(
        "select pg_terminate_backend(pid) from pg_stat_activity where datname = $1",
    )
    .bind(&name)
    .fetch_all(&mut admin)
    .await
    .unwrap();
    assert!(
        cut.iter().any(|c| *c),
        "the service held no connection to cut"
    );

    // Each request either succeeds or is refused as retryable; the refusals stop
    // once the cut connections have been met, at most one each.
    let pool = app.settings.database.max_connections as usize;
    let (mut refused, mut served_in_a_row) = (0, 0);
    while served_in_a_row < 3 {
        let r = app.get("/v1/runs").await;
        match r.status().as_u16() {
            200 => served_in_a_row += 1,
            503 => {
                assert_eq!(r.headers()["content-type"], "application/problem+json");
                assert!(r.headers().contains_key("retry-after"));
                refused += 1;
                served_in_a_row = 0;
            }
            other => panic!(
                "a cut connection answered {other}: {}",
                r.text().await.unwrap()
            ),
        }
        assert!(
            refused <= pool,
            "{refused} requests refused by a pool of {pool} connections"
        );
    }
    let r = app
        .post("/v1/workflows/lab/runs?wait=20s", &json!({}))
        .await;
    let run = json(r).await;
    assert!(
        finished(run.clone()),
        "no run finished after the cut: {run}"
    );
}

/// A step whose outcome write keeps failing past its attempt's deadline (200 ms)
/// is not cut while it retries: the attempt ends when the write succeeds, and the
/// step is not run again.
async fn a_step_recording_its_outcome_is_not_cut_by_its_attempt_deadline(backend: Backend) {
    let app = TestApp::spawn_with(backend, |_| {}, lab(&Recorder::default())).await;
    let r = app
        .post(
            "/v1/workflows/recording/runs?wait=20s",
            &serde_json::json!({"input": {"failForMs": 700}}),
        )
        .await;
    let run = json(r).await;
    assert_eq!(run["status"], "completed", "{backend:?}: {run}");
    let record = step(&run, "record");
    assert_eq!(record["attempts"], 1, "{backend:?}: {run}");
    assert!(
        record["output"]["tries"].as_u64().unwrap() > 1,
        "{backend:?}: the write never failed: {run}"
    );
}

both_backends!(a_step_recording_its_outcome_is_not_cut_by_its_attempt_deadline);
