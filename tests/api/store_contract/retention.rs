//! Retention and erasure: only finished runs are erased, with their steps and events,
//! each erasure recorded; purges select by correlation id; the pruner goes oldest
//! first within its scope.

use careflow::store::{
    EraseRun, NewPurge, PruneScope, PurgeOutcome, PurgeSelector, Refusal, RunStatus, StepStatus,
    StepWrite, Store, TenantId,
};
use serde_json::json;
use uuid::Uuid;

use super::{at, event, events_of, run, tenant};

contract!(
    only_a_finished_run_is_erased_and_the_erasure_is_recorded,
    a_purge_by_correlation_id_erases_finished_runs_and_refuses_unfinished_ones,
    the_pruner_erases_finished_runs_of_its_scope_before_the_cutoff,
    a_purge_by_patient_erases_every_event_naming_them_however_a_commit_stored_it,
);

fn record(tenant: &TenantId, id: u128, seconds: i64) -> NewPurge {
    NewPurge {
        tenant_id: tenant.clone(),
        // Ordered ids, so "newest first" is known.
        purge_id: Uuid::from_u128(id),
        at: at(seconds),
        credential: "apikey:k1".into(),
        credential_kind: "api_key".into(),
        selector_kind: "run".into(),
        selector_hash: "hash".into(),
    }
}

/// A queued run of `tenant` with one step and one event, cancelled at once when
/// `finished`.
async fn stored_run(
    store: &dyn Store,
    tenant: &TenantId,
    correlation: &str,
    finished: bool,
) -> careflow::store::RunId {
    let mut r = run(tenant, "intake", json!({}), 1);
    r.correlation_id = Some(correlation.into());
    // A step copied from an earlier run, so that the run has a step row to erase (a
    // pending step has none).
    r.steps = vec![StepWrite {
        status: StepStatus::Completed,
        ..StepWrite::pending("only", 0)
    }];
    r.events = vec![event("RunQueued", Some(r.run_id), 1)];
    store.insert_run(&r).await.unwrap();
    if finished {
        store
            .request_cancel(tenant, r.run_id, at(5), &[])
            .await
            .unwrap();
    }
    r.run_id
}

async fn only_a_finished_run_is_erased_and_the_erasure_is_recorded(store: &dyn Store) {
    let north = tenant("north");
    let queued = stored_run(store, &north, "c-1", false).await;
    let refused = store
        .erase_run(queued, &record(&north, 1, 10))
        .await
        .unwrap();
    assert_eq!(
        refused,
        Some(EraseRun::Refused(Refusal::Unfinished(RunStatus::Queued)))
    );
    assert!(store.get_run(&north, queued).await.unwrap().is_some());

    let done = stored_run(store, &north, "c-2", true).await;
    let Some(EraseRun::Erased(purge)) =
        store.erase_run(done, &record(&north, 2, 11)).await.unwrap()
    else {
        panic!("a cancelled run is erased");
    };
    assert_eq!(purge.purge_id, Uuid::from_u128(2));
    assert_eq!(purge.created_at, at(11));
    assert!(store.get_run(&north, done).await.unwrap().is_none());
    assert!(store.get_steps(&north, done).await.unwrap().is_empty());
    let left: Vec<_> = events_of(store, &north)
        .await
        .into_iter()
        .map(|e| e.run_id)
        .collect();
    assert_eq!(left, [Some(queued)], "the erased run's events are gone");
    assert_eq!(
        store.erase_run(done, &record(&north, 3, 12)).await.unwrap(),
        None,
        "already gone"
    );

    let purges: Vec<_> = store
        .list_purges(&north, None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.purge_id.as_u128())
        .collect();
    assert_eq!(purges, [2], "the refusal recorded nothing");
    assert!(
        store
            .list_purges(&tenant("south"), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn a_purge_by_correlation_id_erases_finished_runs_and_refuses_unfinished_ones(
    store: &dyn Store,
) {
    let north = tenant("north");
    let finished = stored_run(store, &north, "case-1", true).await;
    let unfinished = stored_run(store, &north, "case-1", false).await;
    let other = stored_run(store, &north, "case-2", true).await;
    let selector = PurgeSelector::CorrelationId("case-1".into());

    match store
        .purge(&selector, &record(&north, 1, 10))
        .await
        .unwrap()
    {
        PurgeOutcome::Refused(runs) => {
            assert_eq!(runs.len(), 1);
            assert_eq!(runs[0].run_id, unfinished);
            assert_eq!(runs[0].refusal, Refusal::Unfinished(RunStatus::Queued));
        }
        other => panic!("an unfinished run refuses the purge: {other:?}"),
    }
    assert!(
        store.get_run(&north, finished).await.unwrap().is_some(),
        "nothing half-done"
    );

    store
        .request_cancel(&north, unfinished, at(6), &[])
        .await
        .unwrap();
    let PurgeOutcome::Done(purge) = store
        .purge(&selector, &record(&north, 2, 11))
        .await
        .unwrap()
    else {
        panic!("once every run is finished the purge goes through");
    };
    assert_eq!(purge.purge_id, Uuid::from_u128(2));
    assert!(store.get_run(&north, finished).await.unwrap().is_none());
    assert!(store.get_run(&north, unfinished).await.unwrap().is_none());
    assert!(
        store.get_run(&north, other).await.unwrap().is_some(),
        "another case"
    );
    let listed: Vec<_> = store
        .list_purges(&north, None, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.purge_id.as_u128())
        .collect();
    assert_eq!(listed, [2]);
}

async fn the_pruner_erases_finished_runs_of_its_scope_before_the_cutoff(store: &dyn Store) {
    let (north, south) = (tenant("north"), tenant("south"));
    let old = stored_run(store, &north, "c-1", true).await;
    let running = stored_run(store, &north, "c-2", false).await;
    let elsewhere = stored_run(store, &south, "c-3", true).await;

    let early = store
        .prune_runs(&PruneScope::Tenant(north.clone()), at(5), None, 10)
        .await
        .unwrap();
    assert_eq!(early.examined, 0, "finished at the cutoff, not before it");
    let batch = store
        .prune_runs(&PruneScope::Tenant(north.clone()), at(6), None, 10)
        .await
        .unwrap();
    assert_eq!(batch.examined, 1);
    assert_eq!(
        (
            batch.erased.get("runs"),
            batch.erased.get("steps"),
            batch.erased.get("events")
        ),
        (1, 1, 1),
        "the run with its step and event"
    );
    assert!(store.get_run(&north, old).await.unwrap().is_none());
    assert!(
        store.get_run(&north, running).await.unwrap().is_some(),
        "unfinished"
    );
    assert!(
        store.get_run(&south, elsewhere).await.unwrap().is_some(),
        "another tenant"
    );

    let rest = store
        .prune_runs(&PruneScope::AllExcept(vec![south.clone()]), at(6), None, 10)
        .await
        .unwrap();
    assert_eq!(rest.examined, 0, "south is excepted");
    let all = store
        .prune_runs(&PruneScope::AllExcept(vec![]), at(6), None, 10)
        .await
        .unwrap();
    assert_eq!(all.examined, 1);
    assert!(store.get_run(&south, elsewhere).await.unwrap().is_none());
}

/// A run's commit may store its events together (PostgreSQL keeps a commit's events
/// about one run in one row): an event naming the patient goes wherever it sits.
async fn a_purge_by_patient_erases_every_event_naming_them_however_a_commit_stored_it(
    store: &dyn Store,
) {
    let north = tenant("north");
    let mut r = run(&north, "intake", json!({}), 1);
    let mut naming = event("NoteFiled", Some(r.run_id), 1);
    naming.data = json!({"patientId": "p-1"});
    r.events = vec![
        event("run.queued", Some(r.run_id), 1),
        naming,
        event("step.started", Some(r.run_id), 1),
    ];
    store.insert_run(&r).await.unwrap();
    let kept = stored_run(store, &north, "c-9", true).await;
    assert_eq!(events_of(store, &north).await.len(), 4);

    let selector = PurgeSelector::PatientReference("p-1".into());
    let PurgeOutcome::Done(purge) = store
        .purge(&selector, &record(&north, 1, 10))
        .await
        .unwrap()
    else {
        panic!("no run about the patient is unfinished");
    };
    assert_eq!(purge.purge_id, Uuid::from_u128(1));
    let left = events_of(store, &north).await;
    assert!(
        left.iter().all(|e| e.data.0.get("patientId").is_none()),
        "an event still names the patient: {left:?}"
    );
    assert!(
        left.iter().any(|e| e.run_id == Some(kept)),
        "another run's events stay"
    );
}
