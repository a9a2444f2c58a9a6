//! The access log: reads of patient-bearing records leave a record of who read
//! which ids (never the content), listed per tenant, kept when the answer is sent
//! even if the record cannot be written, and pruned past retention.

use std::time::Duration;

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, eventually, json, lab};
use crate::lab::Recorder;
use crate::sse::SseClient;

async fn spawn(backend: Backend, adjust: impl FnOnce(&mut careflow::config::Settings)) -> TestApp {
    TestApp::spawn_with(backend, adjust, lab(&Recorder::default())).await
}

/// A completed `lab` run whose input carries a patient's name.
async fn run_naming_a_patient(app: &TestApp) -> String {
    let r = app
        .post(
            "/v1/workflows/lab/runs?wait=20s",
            &json!({"input": {"patient": "Jane Q Example"}}),
        )
        .await;
    assert_eq!(r.status(), 200);
    json(r).await["runId"].as_str().unwrap().to_string()
}

async fn audit(app: &TestApp, query: &str) -> Value {
    let r = app.get(&format!("/v1/audit{query}")).await;
    assert_eq!(r.status(), 200);
    json(r).await
}

fn entries(page: &Value) -> &Vec<Value> {
    page["entries"].as_array().unwrap()
}

async fn reading_patient_records_leaves_a_record_of_who_read_which_ids_and_nothing_else(
    backend: Backend,
) {
    let app = spawn(backend, |_| {}).await;
    let run_id = run_naming_a_patient(&app).await;
    assert!(
        entries(&audit(&app, "").await).is_empty(),
        "a submission is a write, not a read"
    );
    let read = app.get(&format!("/v1/runs/{run_id}")).await;
    assert_eq!(read.status(), 200);
    let request_id = read.headers()["x-request-id"].to_str().unwrap().to_string();
    assert!(json(read).await.to_string().contains("Jane Q Example"));
    let missing = app
        .get("/v1/runs/0192f3a1-7c2e-7b10-9a51-000000000042")
        .await;
    assert_eq!(missing.status(), 404);
    let listed = app
        .get(&format!("/v1/events?runId={run_id}&workflow=lab"))
        .await;
    assert_eq!(listed.status(), 200);
    // Opening a stream is a read too, recorded before the stream starts.
    let url = app.url(&format!("/v1/events/stream?runId={run_id}"));
    let _stream = SseClient::connect(&app.http, &url, &app.token, None).await;

    let page = audit(&app, &format!("?resource={run_id}")).await;
    let rows = entries(&page);
    let routes: Vec<&str> = rows.iter().map(|e| e["route"].as_str().unwrap()).collect();
    assert_eq!(
        routes,
        ["/v1/runs/{id}", "/v1/events", "/v1/events/stream"],
        "{page}"
    );
    let first = &rows[0];
    assert_eq!(first["method"], "GET");
    assert_eq!(first["status"], 200);
    assert_eq!(first["tenantId"], "tenant-a");
    assert_eq!(first["credentialKind"], "api_key");
    assert!(first["credential"].as_str().unwrap().starts_with("apikey:"));
    assert_eq!(first["requestId"], request_id.as_str());
    assert_eq!(first["resource"], run_id.as_str());
    assert_eq!(first["resourceIds"], json!({"id": run_id}));
    assert!(first["at"].is_string());
    // Query ids are kept; other query values (here the workflow) are not.
    assert_eq!(rows[1]["resourceIds"], json!({"runId": run_id}));
    // A read of a record that does not exist is recorded with its status.
    let all = audit(&app, "").await;
    assert!(
        entries(&all)
            .iter()
            .any(|e| e["status"] == 404 && e["route"] == "/v1/runs/{id}"),
        "{all}"
    );
    // Never the content.
    assert!(!all.to_string().contains("Jane Q Example"));
    assert!(!all.to_string().contains(&app.token));

    // Another tenant sees none of it.
    let other = app.key_for("tenant-b").await;
    let theirs = app
        .http
        .get(app.url("/v1/audit"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(json(theirs).await["entries"], json!([]));
}

async fn the_audit_listing_pages_by_id_and_refuses_bad_parameters(backend: Backend) {
    let app = spawn(backend, |_| {}).await;
    let run_id = run_naming_a_patient(&app).await;
    for _ in 0..5 {
        assert_eq!(app.get(&format!("/v1/runs/{run_id}")).await.status(), 200);
    }
    let mut ids = Vec::new();
    let mut after = "0".to_string();
    loop {
        let page = audit(&app, &format!("?limit=2&after={after}")).await;
        if entries(&page).is_empty() {
            break;
        }
        assert!(entries(&page).len() <= 2);
        ids.extend(entries(&page).iter().map(|e| e["id"].as_i64().unwrap()));
        after = page["nextAfter"].as_str().unwrap().to_string();
    }
    assert_eq!(ids.len(), 5);
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    for (query, pointer) in [
        ("?after=-1", "/query/after"),
        ("?limit=0", "/query/limit"),
        ("?limit=5000", "/query/limit"),
    ] {
        let r = app.get(&format!("/v1/audit{query}")).await;
        assert_eq!(r.status(), 422, "{query}");
        assert_eq!(
            r.headers()["content-type"],
            "application/problem+json",
            "{query}"
        );
        let problem = json(r).await;
        assert_eq!(problem["errors"][0]["pointer"], pointer, "{query}");
    }
}

async fn a_failing_access_log_write_loses_no_answer_and_is_counted(backend: Backend) {
    let app = spawn(backend, |_| {}).await;
    let run_id = run_naming_a_patient(&app).await;
    // Sabotage: the access log's table goes away under the running service.
    let sabotage = "alter table access_log rename to access_log_gone";
    match backend {
        Backend::Postgres => {
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&app.db.url).await.unwrap();
            sqlx::query(sabotage).execute(&mut c).await.unwrap();
        }
        Backend::Sqlite => {
            use sqlx::Connection;
            let mut c = sqlx::SqliteConnection::connect(&app.db.url).await.unwrap();
            sqlx::query(sabotage).execute(&mut c).await.unwrap();
        }
    }
    let read = app.get(&format!("/v1/runs/{run_id}")).await;
    assert_eq!(read.status(), 200);
    assert_eq!(json(read).await["runId"], run_id.as_str());
    let metrics = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let failures: f64 = metrics
        .lines()
        .find(|l| l.starts_with("careflow_audit_write_failures_total"))
        .and_then(|l| l.split_whitespace().last())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    assert_eq!(failures, 1.0, "{metrics}");
}

async fn a_read_naming_an_id_with_a_nul_character_is_recorded_all_the_same(backend: Backend) {
    let app = spawn(backend, |_| {}).await;
    // Both are refused (PostgreSQL cannot store the NUL), and both are reads.
    let by_path = app.get("/v1/runs/%00").await;
    assert_eq!(by_path.status(), 422);
    let by_query = app.get("/v1/events?runId=a%00b").await;
    assert_eq!(by_query.status(), 422);

    let page = audit(&app, "").await;
    let rows = entries(&page);
    assert_eq!(rows.len(), 2, "{page}");
    assert_eq!(rows[0]["route"], "/v1/runs/{id}");
    assert_eq!(rows[0]["status"], 422);
    assert_eq!(rows[0]["resourceIds"], json!({"id": "\u{FFFD}"}));
    assert_eq!(rows[1]["route"], "/v1/events");
    assert_eq!(rows[1]["resourceIds"], json!({"runId": "a\u{FFFD}b"}));
    let metrics = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !metrics
            .lines()
            .any(|l| l.starts_with("careflow_audit_write_failures_total") && !l.ends_with(" 0")),
        "{metrics}"
    );
}

async fn access_records_past_retention_are_pruned_in_batches(backend: Backend) {
    let app = spawn(backend, |s| {
        s.audit.retention_days = 30;
        s.audit.prune_interval = Duration::from_millis(50);
        s.audit.prune_batch = 2;
    })
    .await;
    let run_id = run_naming_a_patient(&app).await;
    for _ in 0..5 {
        app.get(&format!("/v1/runs/{run_id}")).await;
    }
    assert_eq!(entries(&audit(&app, "").await).len(), 5);
    // Within retention nothing goes.
    app.advance(Duration::from_secs(29 * 86_400));
    app.get(&format!("/v1/runs/{run_id}")).await;
    // Past retention for the first five (more than two batches), not for the sixth.
    app.advance(Duration::from_secs(2 * 86_400));
    let left = eventually("the records past retention to be pruned", || async {
        let page = audit(&app, "").await;
        if entries(&page).len() == 1 {
            Ok(page)
        } else {
            Err(page)
        }
    })
    .await;
    assert_eq!(entries(&left).len(), 1, "{left}");
    // The survivor is the read made within retention (the listing's own reads are
    // not recorded: the audit log is not a patient record).
    assert_eq!(entries(&left)[0]["route"], "/v1/runs/{id}");
}

both_backends!(
    reading_patient_records_leaves_a_record_of_who_read_which_ids_and_nothing_else,
    the_audit_listing_pages_by_id_and_refuses_bad_parameters,
    a_failing_access_log_write_loses_no_answer_and_is_counted,
    a_read_naming_an_id_with_a_nul_character_is_recorded_all_the_same,
    access_records_past_retention_are_pruned_in_batches,
);
