//! Queue figures: the runs the bounds count (queued and due), the queue's size and
//! age for metrics, and the bounds refusing a run that would pass them.

use careflow::store::{InsertRun, NewRun, QueueBound, QueueFull, RunStatus, Store, TenantId};
use serde_json::json;

use super::{at, run, tenant};

contract!(
    queue_counts_see_due_queued_runs_per_tenant,
    queue_bounds_refuse_a_run_that_would_pass_them_and_write_nothing,
);

fn queued(tenant: &TenantId, seconds: i64) -> NewRun {
    let mut r = run(tenant, "intake", json!({}), seconds);
    r.ready_at = Some(at(seconds));
    r
}

async fn queue_counts_see_due_queued_runs_per_tenant(store: &dyn Store) {
    let (north, south) = (tenant("north"), tenant("south"));
    assert_eq!(store.count_queued(&north, at(0)).await.unwrap(), (0, 0));
    assert_eq!(store.queue_stats().await.unwrap(), (0, None));

    store.insert_run(&queued(&north, 2)).await.unwrap();
    store.insert_run(&queued(&north, 3)).await.unwrap();
    store.insert_run(&queued(&south, 4)).await.unwrap();
    let mut deferred = queued(&south, 5);
    deferred.ready_at = Some(at(100));
    store.insert_run(&deferred).await.unwrap();
    let mut parked = queued(&north, 6);
    parked.status = RunStatus::Sleeping;
    parked.ready_at = Some(at(8));
    store.insert_run(&parked).await.unwrap();

    assert_eq!(
        store.count_queued(&north, at(10)).await.unwrap(),
        (3, 2),
        "all tenants', then north's: a deferred start is not queued yet"
    );
    assert_eq!(store.count_queued(&south, at(10)).await.unwrap(), (3, 1));
    assert_eq!(
        store.count_queued(&tenant("east"), at(10)).await.unwrap(),
        (3, 0)
    );
    assert_eq!(
        store.count_queued(&south, at(100)).await.unwrap(),
        (4, 2),
        "once due, it counts"
    );
    assert_eq!(
        store.count_queued(&north, at(0)).await.unwrap(),
        (3, 2),
        "a run due at its submission counts on a replica whose clock lags"
    );
    assert_eq!(
        store.queue_stats().await.unwrap(),
        (4, Some(at(2))),
        "every queued run, and the oldest submission"
    );
    assert_eq!(
        store.due_runs(at(7)).await.unwrap(),
        3,
        "the sleeping run's timer is not due yet"
    );
    assert_eq!(store.due_runs(at(8)).await.unwrap(), 4);
}

async fn queue_bounds_refuse_a_run_that_would_pass_them_and_write_nothing(store: &dyn Store) {
    let (north, south) = (tenant("north"), tenant("south"));
    let bound = QueueBound {
        max_queued: 3,
        max_queued_per_tenant: 2,
    };
    let bounded = |tenant: &TenantId, seconds| {
        let mut r = queued(tenant, seconds);
        r.queue_bound = Some(bound);
        r
    };
    for seconds in [1, 2] {
        assert!(matches!(
            store.insert_run(&bounded(&north, seconds)).await.unwrap(),
            InsertRun::Created
        ));
    }
    let refused = bounded(&north, 3);
    assert!(matches!(
        store.insert_run(&refused).await.unwrap(),
        InsertRun::Refused(QueueFull::Tenant)
    ));
    assert!(
        store
            .get_run(&north, refused.run_id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        store.insert_run(&bounded(&south, 4)).await.unwrap(),
        InsertRun::Created
    ));
    assert!(matches!(
        store.insert_run(&bounded(&south, 5)).await.unwrap(),
        InsertRun::Refused(QueueFull::Shared)
    ));
    // A run due later does not enter the queue now: no bound applies to it.
    let mut later = bounded(&south, 6);
    later.ready_at = Some(at(60));
    assert!(matches!(
        store.insert_run(&later).await.unwrap(),
        InsertRun::Created
    ));
    assert_eq!(store.count_queued(&south, at(10)).await.unwrap(), (3, 1));
}
