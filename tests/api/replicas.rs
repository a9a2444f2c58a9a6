//! Several replicas on one PostgreSQL.

use std::collections::HashMap;

use serde_json::json;

use crate::helpers::{Backend, TestApp, eventually, json, lab};
use crate::lab::Recorder;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_share_the_queue_and_never_run_a_step_twice() {
    let (rec1, rec2) = (Recorder::default(), Recorder::default());
    let app = TestApp::spawn_with(
        Backend::Postgres,
        |s| s.engine.max_concurrent_runs = 2,
        lab(&rec1),
    )
    .await;
    let second = app.replica(lab(&rec2)()).await;
    let body = json!({"input": {"steps": {"b": {"sleepMs": 100}, "e": {"sleepMs": 50}}}});
    let mut ids = Vec::new();
    for _ in 0..20 {
        let r = app.post("/v1/workflows/lab/runs?wait=0", &body).await;
        assert_eq!(r.status(), 202);
        ids.push(json(r).await["runId"].as_str().unwrap().to_string());
    }
    // Results read through the second replica: any replica answers for any run.
    let base2 = format!("http://{}", second.addr);
    for id in &ids {
        let r = app
            .http
            .get(format!("{base2}/v1/runs/{id}?wait=30s"))
            .bearer_auth(&app.token)
            .send()
            .await
            .unwrap();
        assert_eq!(json(r).await["status"], "completed", "run {id}");
    }
    let mut executions: HashMap<(String, String), usize> = HashMap::new();
    for call in rec1.calls().into_iter().chain(rec2.calls()) {
        *executions.entry((call.run, call.step)).or_default() += 1;
    }
    assert_eq!(executions.len(), 20 * 5);
    assert!(
        executions.values().all(|n| *n == 1),
        "a step ran twice: {executions:?}"
    );
    assert!(
        !rec2.calls().is_empty(),
        "the second replica claimed nothing"
    );
    second.shutdown().await;
}

/// Replicas cache the API keys they read; a revocation made anywhere reaches every
/// replica through the database's notice, not the cache's time to live. The time
/// to live here (an hour) is far beyond the wait's deadline, so only the notice can
/// make the key fail on the second replica.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_revoked_api_key_stops_working_on_another_replica() {
    let rec = Recorder::default();
    let app = TestApp::spawn_with(
        Backend::Postgres,
        |s| s.auth.api_key_cache_ttl = std::time::Duration::from_secs(3600),
        lab(&rec),
    )
    .await;
    let second = app.replica(lab(&rec)()).await;
    let me = format!("http://{}/v1/me", second.addr);
    let status = || async {
        let r = app
            .http
            .get(&me)
            .bearer_auth(&app.token)
            .send()
            .await
            .unwrap();
        r.status().as_u16()
    };
    // Read (and cached) by both replicas.
    assert_eq!(status().await, 200);
    assert_eq!(app.get("/v1/me").await.status(), 200);
    let body = json(app.get("/v1/me").await).await;
    let key_id = body["subject"]
        .as_str()
        .unwrap()
        .trim_start_matches("apikey:")
        .parse()
        .unwrap();
    // Revoked through the store of the first replica, as the command line does.
    assert!(
        app.app()
            .store
            .revoke_api_key(key_id, chrono::Utc::now())
            .await
            .unwrap()
    );
    eventually("the second replica to refuse the revoked key", || async {
        match status().await {
            401 => Ok(()),
            other => Err(other),
        }
    })
    .await;
    eventually("the first replica to refuse the revoked key", || async {
        match app.get("/v1/me").await.status().as_u16() {
            401 => Ok(()),
            other => Err(other),
        }
    })
    .await;
    second.shutdown().await;
}
