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
use serde_json::json;

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

/// Cuts every connection the service holds to its database (as a restart, a
/// failover or an operator ending sessions would) and waits until those backends
/// are gone, so that each cut connection is closed at the server's end.
async fn cut_every_connection(app: &TestApp) {
    let name = app.db.url.rsplit('/').next().unwrap().to_string();
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url())
        .await
        .unwrap();
    // The backends are read first and ended after: in one statement the server may
    // call the function before filtering by database, ending every backend.
    let cut: Vec<i32> = sqlx::query_scalar("select pid from pg_stat_activity where datname = $1")
        .bind(&name)
        .fetch_all(&mut admin)
        .await
        .unwrap();
    sqlx::query("select pg_terminate_backend(pid) from unnest($1::int[]) as pid")
        .bind(&cut)
        .execute(&mut admin)
        .await
        .unwrap();
    assert!(!cut.is_empty(), "the service held no connection to cut");
    let admin = tokio::sync::Mutex::new(admin);
    crate::helpers::eventually("the cut backends to end", || async {
        let left: i64 =
            sqlx::query_scalar("select count(*) from pg_stat_activity where pid = any($1)")
                .bind(&cut)
                .fetch_one(&mut *admin.lock().await)
                .await
                .unwrap();
        if left == 0 { Ok(()) } else { Err(left) }
    })
    .await;
}

/// A run of the lab workflow, answered once it ended.
async fn finishes_a_run(app: &TestApp) {
    let r = app
        .post("/v1/workflows/lab/runs?wait=20s", &json!({}))
        .await;
    let run = json(r).await;
    assert_eq!(run["status"], "completed", "{run}");
}

/// With connections used untested for an hour after their release, a request may
/// meet one the database cut: it is answered 503 with a problem document and
/// `Retry-After`, never 500; each cut connection fails at most one statement (here
/// one request: reads are never grouped), and the service then serves and runs
/// workflows as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_connection_used_untested_costs_at_most_a_retryable_answer() {
    let app = TestApp::spawn_with(
        Backend::Postgres,
        |s| s.database.test_after_idle = Duration::from_secs(3600),
        lab(&Recorder::default()),
    )
    .await;
    finishes_a_run(&app).await;
    cut_every_connection(&app).await;

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
    finishes_a_run(&app).await;
}

/// With every take-out tested (`database.test_after_idle = "0s"`), no request meets
/// a connection the database cut: each is found out and replaced first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_every_take_out_tested_no_request_meets_a_cut_connection() {
    let app = TestApp::spawn_with(
        Backend::Postgres,
        |s| s.database.test_after_idle = Duration::ZERO,
        lab(&Recorder::default()),
    )
    .await;
    finishes_a_run(&app).await;
    cut_every_connection(&app).await;
    for i in 0..10 {
        let r = app.get("/v1/runs").await;
        assert_eq!(r.status(), 200, "request {i} after the cut");
    }
    finishes_a_run(&app).await;
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
