//! Fencing: a replica that lost a run's lease while a step was in flight writes
//! nothing anywhere, to the domain tables as to the run, and the new holder settles
//! the step.

use std::sync::Arc;

use careflow::engine::Clock;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use careflow::store::{
    HospitalRow, LeaseRef, NewCase, NewEvent, NewNurse, RunId, Store, StoreError, TenantId, fence,
};
use serde_json::json;

use crate::both_backends;
use crate::fake_partner::Reply;
use crate::helpers::{Backend, TestApp, eventually, json, lab, step};
use crate::lab::Recorder;
use crate::service_calls::{call_to, event_types, run_of, settle, spawn_with, submit};

/// Runs one statement on the service's database, binding the run id and a time.
async fn on_run(app: &TestApp, backend: Backend, sql: &str, run: Uuid, at: DateTime<Utc>) {
    let done = match backend {
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&app.db.url).await.unwrap();
            let n = sqlx::query(sql)
                .bind(run)
                .bind(at)
                .execute(&pool)
                .await
                .unwrap()
                .rows_affected();
            pool.close().await;
            n
        }
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&app.db.url).await.unwrap();
            let n = sqlx::query(sql)
                .bind(run)
                .bind(at)
                .execute(&pool)
                .await
                .unwrap()
                .rows_affected();
            pool.close().await;
            n
        }
    };
    assert_eq!(done, 1, "{sql}");
}

/// Another replica claims the run (a new epoch under another owner), holding it
/// until `until`: the one executing it has lost its lease, as one paused past its
/// lease would have.
async fn take_over(app: &TestApp, backend: Backend, run: Uuid, until: DateTime<Utc>) {
    let sql = "update runs set lease_owner = 'another-replica', lease_epoch = lease_epoch + 1,
                   lease_expires_at = $2, ready_at = $2
               where run_id = $1 and status = 'running'";
    on_run(app, backend, sql, run, until).await;
}

/// The other replica's lease ends at `at` without it having written anything.
async fn lapse(app: &TestApp, backend: Backend, run: Uuid, at: DateTime<Utc>) {
    let sql = "update runs set lease_expires_at = $2, ready_at = $2
               where run_id = $1 and lease_owner = 'another-replica'";
    on_run(app, backend, sql, run, at).await;
}

/// Waits until no run executes on the app's replica.
async fn until_idle(app: &TestApp) {
    eventually("the replica to stop executing runs", || async {
        match app.app().engine.active_runs() {
            0 => Ok(()),
            n => Err(format!("{n} executing")),
        }
    })
    .await
}

async fn a_replica_that_lost_its_lease_mid_request_writes_nothing(backend: Backend) {
    let (app, partner) = spawn_with(backend, |s| s.providers.outbound.retry.max_attempts = 1).await;
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    partner.script([Reply::Gate(gate.clone())]);
    let call = submit(&app, &call_to(&partner.url("/zombie"))).await;
    let id = call["serviceCallId"].as_str().unwrap().to_string();
    let run: Uuid = run_of(&call).parse().unwrap();
    partner.wait_for(1).await;

    // The request is in flight when the run changes hands; then the partner answers.
    let far = app.clock.now() + chrono::Duration::hours(1);
    take_over(&app, backend, run, far).await;
    gate.add_permits(1);
    until_idle(&app).await;

    let held = json(app.get(&format!("/v1/service-calls/{id}")).await).await;
    assert_eq!(held["status"], "running", "{backend:?}: {held}");
    assert_eq!(held["attempts"], 1, "{backend:?}: {held}");
    assert!(held["response"].is_null(), "{backend:?}: {held}");
    assert_eq!(
        event_types(&app, backend).await,
        [
            "ServiceCallSubmitted",
            "ServiceCallScheduled",
            "ServiceCallRunning"
        ],
        "{backend:?}: the replica that lost the run published an outcome"
    );
    let view = json(app.get(&format!("/v1/runs/{run}")).await).await;
    assert_eq!(view["status"], "running", "{backend:?}: {view}");
    assert_eq!(step(&view, "execute")["status"], "running", "{backend:?}");

    // The new holder finds the only attempt spent and never reported: the call
    // fails without a second request.
    lapse(&app, backend, run, app.clock.now()).await;
    app.app().engine.poke();
    let (done, run_view) = settle(&app, &call).await;
    assert_eq!(run_view["status"], "failed", "{backend:?}: {run_view}");
    assert_eq!(done["status"], "failed", "{backend:?}: {done}");
    assert_eq!(done["error"]["kind"], "lost", "{backend:?}: {done}");
    assert_eq!(
        done["error"]["message"],
        "attempt 1 never reported: the process running it stopped; the server may have received the request",
        "{backend:?}"
    );
    let execute = step(&run_view, "execute");
    assert_eq!(execute["attempts"], 1, "{backend:?}: {run_view}");
    assert_eq!(partner.received().len(), 1, "{backend:?}: sent again");
    let types: Vec<String> = event_types(&app, backend).await;
    assert_eq!(
        types.iter().filter(|t| *t == "ServiceCallFailed").count(),
        1,
        "{backend:?}: {types:?}"
    );
    assert!(!types.contains(&"ServiceCallSucceeded".to_string()));
}

/// Writes to several domain tables: a nurse, a hospital, a discharge case, an event.
async fn write_domain_rows(store: &dyn Store, tenant: &TenantId, run: RunId) -> Vec<StoreError> {
    let now = Utc::now();
    let mut errors = Vec::new();
    let nurse = NewNurse {
        tenant_id: tenant.clone(),
        nurse_id: Uuid::now_v7(),
        name: "Sam".into(),
        phone: Some("+15551230001".into()),
        email: None,
        preferred_channel: "sms".into(),
        max_open_tasks: 3,
        created_at: now,
    };
    errors.extend(store.insert_nurse(&nurse).await.err());
    let hospital = HospitalRow {
        hospital_id: Uuid::now_v7(),
        name: "St. Elsewhere".into(),
        time_zone: "America/New_York".into(),
        created_by: "test".into(),
        created_at: now,
    };
    errors.extend(store.create_hospital(tenant, &hospital).await.err());
    let case = NewCase {
        tenant_id: tenant.clone(),
        case_id: Uuid::now_v7(),
        origin_key: format!("{run}:ingest:{}", Uuid::now_v7()),
        run_id: run,
        mode: "structured".into(),
        source: None,
        patient: json!({"name": "Rex"}),
        data: json!({}),
        entities: json!({}),
        created_at: now,
    };
    errors.extend(store.insert_case(&case).await.err());
    let event = NewEvent {
        event_id: Uuid::now_v7(),
        event_type: "lab.fenced".into(),
        correlation_id: None,
        run_id: Some(run),
        workflow: Some("nap".into()),
        source: "test".into(),
        data: json!({}),
        created_at: now,
    };
    errors.extend(store.append_events(tenant, &[event]).await.err());
    errors
}

async fn lab_fenced_events(app: &TestApp) -> usize {
    let events = json(app.get("/v1/events?limit=1000").await).await;
    events["events"].as_array().map_or(0, |e| {
        e.iter().filter(|e| e["eventType"] == "lab.fenced").count()
    })
}

async fn writes_under_a_lost_lease_reach_no_table(backend: Backend) {
    let app = TestApp::spawn_with(backend, |_| {}, lab(&Recorder::default())).await;
    let r = app
        .post(
            "/v1/workflows/nap/runs?wait=0",
            &json!({"input": {"seconds": 3600}}),
        )
        .await;
    let run_id: Uuid = json(r).await["runId"].as_str().unwrap().parse().unwrap();
    crate::helpers::until(&app, &run_id.to_string(), |v| v["status"] == "sleeping").await;
    // Another replica holds the run now.
    let sql = "update runs set status = 'running', lease_owner = 'another-replica',
                   lease_epoch = lease_epoch + 1, lease_expires_at = $2, ready_at = $2
               where run_id = $1";
    let far = app.clock.now() + chrono::Duration::hours(1);
    on_run(&app, backend, sql, run_id, far).await;
    let store = app.app().store.clone();
    let tenant = TenantId::parse(&app.tenant).unwrap();
    let run = RunId(run_id);
    let epoch = store
        .get_run(&tenant, run)
        .await
        .unwrap()
        .unwrap()
        .lease_epoch;
    let lease = |owner: &str, epoch: i64| LeaseRef {
        tenant_id: tenant.clone(),
        run_id: run,
        owner: owner.into(),
        epoch,
    };

    for stale in [
        lease("another-replica", epoch - 1),
        lease("this-replica", epoch),
    ] {
        let errors = fence::scope(stale, write_domain_rows(store.as_ref(), &tenant, run)).await;
        assert_eq!(errors.len(), 4, "{backend:?}: {errors:?}");
        assert!(
            errors.iter().all(|e| matches!(e, StoreError::LeaseLost)),
            "{backend:?}: {errors:?}"
        );
    }
    assert_eq!(json(app.get("/v1/nurses").await).await["nurses"], json!([]));
    assert_eq!(
        json(app.get("/v1/hospitals").await).await["hospitals"],
        json!([])
    );
    assert_eq!(lab_fenced_events(&app).await, 0, "{backend:?}");

    // The holder's own writes go through.
    let errors = fence::scope(
        lease("another-replica", epoch),
        write_domain_rows(store.as_ref(), &tenant, run),
    )
    .await;
    assert!(errors.is_empty(), "{backend:?}: {errors:?}");
    let nurses = json(app.get("/v1/nurses").await).await;
    assert_eq!(
        nurses["nurses"].as_array().map(Vec::len),
        Some(1),
        "{nurses}"
    );
}

both_backends!(
    a_replica_that_lost_its_lease_mid_request_writes_nothing,
    writes_under_a_lost_lease_reach_no_table
);
