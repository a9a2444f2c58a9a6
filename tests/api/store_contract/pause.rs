//! Workflow pauses, per tenant. (Run pauses need runs: the API tests cover them.)

use careflow::store::{InsertRun, RunStatus, StepStatus, StepWrite, Store};
use serde_json::json;

use super::{at, event, events_of, run, tenant};

contract!(
    a_workflow_is_paused_per_tenant_until_resumed,
    a_run_that_would_start_at_once_is_not_written_while_its_workflow_is_paused,
);

async fn a_workflow_is_paused_per_tenant_until_resumed(store: &dyn Store) {
    let (north, south) = (tenant("north"), tenant("south"));
    assert!(store.paused_workflows(&north).await.unwrap().is_empty());
    store
        .set_workflow_paused(&north, "discharge", true, at(1))
        .await
        .unwrap();
    store
        .set_workflow_paused(&north, "intake", true, at(2))
        .await
        .unwrap();
    // Pausing twice is the same as once.
    store
        .set_workflow_paused(&north, "intake", true, at(3))
        .await
        .unwrap();

    let mut paused = store.paused_workflows(&north).await.unwrap();
    paused.sort();
    assert_eq!(paused, ["discharge", "intake"]);
    assert!(store.is_workflow_paused(&north, "intake").await.unwrap());
    assert!(
        !store.is_workflow_paused(&south, "intake").await.unwrap(),
        "another tenant"
    );
    assert!(store.paused_workflows(&south).await.unwrap().is_empty());

    store
        .set_workflow_paused(&north, "intake", false, at(4))
        .await
        .unwrap();
    assert!(!store.is_workflow_paused(&north, "intake").await.unwrap());
    assert_eq!(store.paused_workflows(&north).await.unwrap(), ["discharge"]);
}

async fn a_run_that_would_start_at_once_is_not_written_while_its_workflow_is_paused(
    store: &dyn Store,
) {
    let (north, south) = (tenant("north"), tenant("south"));
    store
        .set_workflow_paused(&north, "intake", true, at(1))
        .await
        .unwrap();
    let leased = |t| {
        let mut r = run(t, "intake", json!({}), 2);
        r.status = RunStatus::Running;
        r.lease = Some(("replica-a".into(), at(60)));
        r.steps = vec![StepWrite {
            status: StepStatus::Running,
            attempts: 1,
            ..StepWrite::pending("fetch", 0)
        }];
        r.events = vec![
            event("run.queued", Some(r.run_id), 2),
            event("step.started", Some(r.run_id), 2),
        ];
        r
    };
    let refused = leased(&north);
    assert!(matches!(
        store.insert_run(&refused).await.unwrap(),
        InsertRun::Paused
    ));
    assert!(
        store
            .get_run(&north, refused.run_id)
            .await
            .unwrap()
            .is_none(),
        "nothing of it is written"
    );
    assert!(
        store
            .get_steps(&north, refused.run_id)
            .await
            .unwrap()
            .is_empty()
    );

    // Queued, the same run is written; another tenant's starts at once.
    let mut queued = run(&north, "intake", json!({}), 2);
    queued.run_id = refused.run_id;
    assert!(matches!(
        store.insert_run(&queued).await.unwrap(),
        InsertRun::Created
    ));
    let elsewhere = leased(&south);
    assert!(matches!(
        store.insert_run(&elsewhere).await.unwrap(),
        InsertRun::Created
    ));
    assert!(
        events_of(store, &north).await.is_empty(),
        "the refused start left no event"
    );
    assert_eq!(events_of(store, &south).await.len(), 2);
}
