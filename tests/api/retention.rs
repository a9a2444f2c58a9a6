//! Retention and erasure: finished runs past their tenant's retention are pruned
//! (never unfinished or recent ones), `DELETE /v1/runs/{id}` erases one run, a purge
//! erases what is about a correlation id or a patient, and every erasure is recorded.

use std::time::Duration;

use careflow::config::{Settings, TenantRetention};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::both_backends;
use crate::care::{eventually, post_json, run_for};
use crate::helpers::{Backend, TestApp, json, lab};
use crate::lab::Recorder;

const DAY: Duration = Duration::from_secs(86_400);

async fn spawn(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    TestApp::spawn_with(backend, adjust, lab(&Recorder::default())).await
}

/// A completed `lab` run submitted with `token`.
async fn finished_run(app: &TestApp, token: &str, correlation: Option<&str>) -> String {
    let r = app
        .http
        .post(app.url("/v1/workflows/lab/runs?wait=20s"))
        .bearer_auth(token)
        .json(&json!({"input": {}, "correlationId": correlation}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let run = json(r).await;
    assert_eq!(run["status"], "completed", "{run}");
    run["runId"].as_str().unwrap().to_string()
}

/// A `nap` run of tenant-a, parked (sleeping) for a year.
async fn parked_run(app: &TestApp) -> String {
    let r = app
        .post(
            "/v1/workflows/nap/runs?wait=0s",
            &json!({"input": {"seconds": 365 * 86_400}}),
        )
        .await;
    let run = json(r).await["runId"].as_str().unwrap().to_string();
    crate::care::reaches(app, &run, "sleeping").await;
    run
}

async fn status_with(app: &TestApp, token: &str, path: &str) -> u16 {
    app.http
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn delete(app: &TestApp, token: &str, path: &str) -> reqwest::Response {
    app.http
        .delete(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

async fn prune(app: &TestApp) {
    careflow::retention::prune_once(
        app.app().store.as_ref(),
        app.clock.as_ref(),
        &app.settings.retention,
        &CancellationToken::new(),
    )
    .await
    .expect("a retention pass");
}

async fn purges(app: &TestApp) -> Vec<Value> {
    let r = app.get("/v1/purges").await;
    assert_eq!(r.status(), 200);
    json(r).await["purges"].as_array().unwrap().clone()
}

async fn events_of(app: &TestApp, query: &str) -> Vec<Value> {
    let r = app.get(&format!("/v1/events?limit=1000&{query}")).await;
    assert_eq!(r.status(), 200);
    json(r).await["events"].as_array().unwrap().clone()
}

async fn the_pruner_erases_finished_runs_past_their_tenants_retention_and_nothing_else(
    backend: Backend,
) {
    let app = spawn(backend, |s| {
        s.retention.runs_days = 30;
        // tenant-b keeps its runs forever; tenant-c only a day.
        s.retention
            .tenants
            .insert("tenant-b".into(), TenantRetention { runs_days: 0 });
        s.retention
            .tenants
            .insert("tenant-c".into(), TenantRetention { runs_days: 1 });
    })
    .await;
    let a = app.token.clone();
    let b = app.key_for("tenant-b").await;
    let c = app.key_for("tenant-c").await;
    let a_old = finished_run(&app, &a, None).await;
    let b_old = finished_run(&app, &b, None).await;
    let c_old = finished_run(&app, &c, None).await;
    let parked = parked_run(&app).await;
    assert!(!events_of(&app, &format!("runId={a_old}")).await.is_empty());

    app.advance(2 * DAY);
    prune(&app).await;
    assert_eq!(
        status_with(&app, &c, &format!("/v1/runs/{c_old}")).await,
        404
    );
    assert_eq!(
        status_with(&app, &a, &format!("/v1/runs/{a_old}")).await,
        200
    );
    assert_eq!(
        status_with(&app, &b, &format!("/v1/runs/{b_old}")).await,
        200
    );

    app.advance(29 * DAY);
    let a_new = finished_run(&app, &a, None).await;
    prune(&app).await;
    assert_eq!(
        status_with(&app, &a, &format!("/v1/runs/{a_old}")).await,
        404
    );
    assert!(
        events_of(&app, &format!("runId={a_old}")).await.is_empty(),
        "a pruned run's events go with it"
    );
    assert_eq!(
        status_with(&app, &a, &format!("/v1/runs/{a_new}")).await,
        200
    );
    assert_eq!(
        status_with(&app, &b, &format!("/v1/runs/{b_old}")).await,
        200
    );
    let still = json(app.get(&format!("/v1/runs/{parked}")).await).await;
    assert_eq!(
        still["status"], "sleeping",
        "an unfinished run is never pruned"
    );
    assert!(
        purges(&app).await.is_empty(),
        "retention is not a purge request"
    );
}

async fn deleting_a_run_erases_it_for_its_tenant_only_and_never_while_unfinished(backend: Backend) {
    let app = spawn(backend, |_| {}).await;
    let run = finished_run(&app, &app.token, None).await;
    let other = app.key_for("tenant-b").await;
    assert_eq!(
        delete(&app, &other, &format!("/v1/runs/{run}"))
            .await
            .status(),
        404,
        "another tenant's run is not found"
    );
    assert_eq!(
        delete(&app, &app.token, "/v1/runs/not-a-run")
            .await
            .status(),
        404
    );

    let parked = parked_run(&app).await;
    let refused = delete(&app, &app.token, &format!("/v1/runs/{parked}")).await;
    assert_eq!(refused.status(), 409);
    assert_eq!(
        refused.headers()["content-type"],
        "application/problem+json"
    );
    assert!(
        json(refused).await["detail"]
            .as_str()
            .unwrap()
            .contains("sleeping")
    );
    assert_eq!(app.get(&format!("/v1/runs/{parked}")).await.status(), 200);

    let run_id = careflow::store::RunId(run.parse().expect("a run id"));
    let tenant = careflow::store::TenantId::parse(&app.tenant).expect("a tenant id");
    let store = app.app().store.clone();
    assert!(
        !store
            .step_attempts(&tenant, run_id)
            .await
            .unwrap()
            .is_empty(),
        "the run kept its attempt history"
    );
    // Every event of the run readable first: the purge record counts what it erased.
    let listed = eventually("the run's last event listed", || async {
        let events = events_of(&app, &format!("runId={run}")).await;
        let done = events.iter().any(|e| e["eventType"] == "run.completed");
        done.then_some(events.len())
    })
    .await;
    let gone = delete(&app, &app.token, &format!("/v1/runs/{run}")).await;
    assert_eq!(gone.status(), 204);
    assert!(
        store
            .step_attempts(&tenant, run_id)
            .await
            .unwrap()
            .is_empty(),
        "its attempt history goes with it"
    );
    assert_eq!(app.get(&format!("/v1/runs/{run}")).await.status(), 404);
    assert!(events_of(&app, &format!("runId={run}")).await.is_empty());
    assert_eq!(
        delete(&app, &app.token, &format!("/v1/runs/{run}"))
            .await
            .status(),
        404
    );

    let recorded = purges(&app).await;
    assert_eq!(recorded.len(), 1, "{recorded:?}");
    let p = &recorded[0];
    assert_eq!(p["selector"]["kind"], "run");
    assert!(
        !p.to_string().contains(&run),
        "the record keeps no erased id: {p}"
    );
    assert_eq!(p["erased"]["runs"], 1);
    assert!(p["erased"]["steps"].as_u64().unwrap() >= 5, "{p}");
    assert_eq!(
        p["erased"]["events"], listed,
        "every event is counted, however it was stored"
    );
    assert!(p["credential"].as_str().unwrap().starts_with("apikey:"));
    let audit = json(app.get("/v1/audit").await).await;
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["method"] == "DELETE" && e["status"] == 204),
        "{audit}"
    );
    let other_purges = app
        .http
        .get(app.url("/v1/purges"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(json(other_purges).await["purges"], json!([]));
}

async fn a_purge_by_correlation_id_erases_those_runs_and_keeps_the_rest(backend: Backend) {
    let app = spawn(backend, |_| {}).await;
    let first = finished_run(&app, &app.token, Some("case-1")).await;
    let second = finished_run(&app, &app.token, Some("case-1")).await;
    let kept = finished_run(&app, &app.token, Some("case-2")).await;
    let other = app.key_for("tenant-b").await;
    let theirs = finished_run(&app, &other, Some("case-1")).await;

    for (body, pointer) in [
        (json!({}), ""),
        (json!({"correlationId": ""}), "/correlationId"),
        (
            json!({"correlationId": "case-1", "patientReference": "p"}),
            "",
        ),
        (json!({"correlationId": "case-1", "name": "x"}), "/name"),
    ] {
        let (status, problem) = post_json(&app, "/v1/purges", body.clone()).await;
        assert_eq!(status, 422, "{body}");
        assert!(
            problem["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["pointer"] == pointer),
            "{body}: {problem}"
        );
    }
    assert_eq!(app.get(&format!("/v1/runs/{first}")).await.status(), 200);

    let (status, purge) = post_json(&app, "/v1/purges", json!({"correlationId": "case-1"})).await;
    assert_eq!(status, 201, "{purge}");
    assert_eq!(purge["erased"]["runs"], 2, "{purge}");
    assert_eq!(purge["selector"]["kind"], "correlation_id");
    assert!(!purge.to_string().contains("case-1"));
    for run in [&first, &second] {
        assert_eq!(app.get(&format!("/v1/runs/{run}")).await.status(), 404);
    }
    assert!(events_of(&app, "correlationId=case-1").await.is_empty());
    assert_eq!(app.get(&format!("/v1/runs/{kept}")).await.status(), 200);
    assert_eq!(
        status_with(&app, &other, &format!("/v1/runs/{theirs}")).await,
        200
    );
    assert_eq!(purges(&app).await[0]["purgeId"], purge["purgeId"]);
}

async fn events_after_an_erased_run_keep_their_numbering_so_readers_miss_nothing(backend: Backend) {
    let app = spawn(backend, |_| {}).await;
    let first = finished_run(&app, &app.token, None).await;
    let seen = eventually("the run's events positioned", || async {
        let all = events_of(&app, "").await;
        let last = all.last()?;
        (last["runId"] == first.as_str() && last["eventType"] == "run.completed")
            .then(|| last["id"].as_i64().unwrap())
    })
    .await;
    let gone = delete(&app, &app.token, &format!("/v1/runs/{first}")).await;
    assert_eq!(gone.status(), 204);
    // The newest events were the erased run's: a reader resuming after the last one
    // it saw must still get everything that comes next.
    let next = finished_run(&app, &app.token, None).await;
    let after = eventually("the next run's events after the erased ones", || async {
        let page = events_of(&app, &format!("after={seen}")).await;
        page.iter()
            .any(|e| e["runId"] == next.as_str() && e["eventType"] == "run.completed")
            .then_some(page)
    })
    .await;
    assert!(
        after.iter().all(|e| e["runId"] == next.as_str()),
        "{after:?}"
    );
}

async fn a_purge_by_patient_erases_their_runs_and_care_records_once_nothing_runs_for_them(
    backend: Backend,
) {
    let care = crate::care::spawn(backend, |_| {}).await;
    let app = &care.app;
    let mine = crate::care::task(app, "p-1", 60).await;
    let kept = crate::care::task(app, "p-2", 60).await;
    let other = app.key_for("tenant-b").await;
    let theirs = app
        .http
        .post(app.url("/v1/tasks"))
        .bearer_auth(&other)
        .json(
            &json!({"patientId": "p-1", "title": "Call back", "severity": "high",
                      "slaMinutes": 60}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.status(), 201);
    let theirs = json(theirs).await["taskId"].as_str().unwrap().to_string();
    let monitor = run_for(app, "monitor-sla", "taskId", &mine).await;
    crate::care::reaches(app, &monitor, "sleeping").await;

    let (status, refused) = post_json(app, "/v1/purges", json!({"patientReference": "p-1"})).await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["detail"].as_str().unwrap().contains(&monitor),
        "{refused}"
    );
    assert_eq!(app.get(&format!("/v1/tasks/{mine}")).await.status(), 200);
    assert!(
        purges(app).await.is_empty(),
        "a refused purge erases and records nothing"
    );

    let (status, _) = post_json(app, &format!("/v1/tasks/{mine}/resolve"), json!({})).await;
    assert_eq!(status, 200);
    let purge = eventually("p-1's runs finished and purged", || async {
        let (status, purge) =
            post_json(app, "/v1/purges", json!({"patientReference": "p-1"})).await;
        (status == 201).then_some(purge)
    })
    .await;
    assert_eq!(purge["erased"]["tasks"], 1, "{purge}");
    assert!(purge["erased"]["runs"].as_u64().unwrap() >= 2, "{purge}");
    assert!(!purge.to_string().contains("p-1"));
    assert_eq!(app.get(&format!("/v1/tasks/{mine}")).await.status(), 404);
    assert_eq!(app.get(&format!("/v1/runs/{monitor}")).await.status(), 404);
    assert_eq!(app.get(&format!("/v1/tasks/{kept}")).await.status(), 200);
    assert_eq!(
        status_with(app, &other, &format!("/v1/tasks/{theirs}")).await,
        200
    );
    let listed = purges(app).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["selector"]["kind"], "patient_reference");
    assert_eq!(listed[0]["selector"]["hash"], purge["selector"]["hash"]);
}

both_backends!(
    the_pruner_erases_finished_runs_past_their_tenants_retention_and_nothing_else,
    deleting_a_run_erases_it_for_its_tenant_only_and_never_while_unfinished,
    a_purge_by_correlation_id_erases_those_runs_and_keeps_the_rest,
    events_after_an_erased_run_keep_their_numbering_so_readers_miss_nothing,
    a_purge_by_patient_erases_their_runs_and_care_records_once_nothing_runs_for_them,
);
