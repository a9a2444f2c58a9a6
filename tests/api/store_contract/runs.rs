//! Runs as submitted: one per idempotency key, read back with their steps, attempts
//! and events, listed newest first, counted, cancelled and re-queued. (Claims, leases
//! and progress commits are in `claims`, the queue's figures in `queue`.)

use careflow::store::{
    AttemptMark, InsertRun, RunFilter, RunId, RunStatus, StepStatus, StepWrite, Store,
};
use serde_json::json;
use uuid::Uuid;

use super::{at, event, events_of, run, tenant};

contract!(
    a_run_is_kept_once_per_idempotency_key_with_its_steps_and_events,
    a_running_run_keeps_the_attempts_its_steps_started,
    runs_are_listed_newest_first_and_counted_by_status,
    a_queued_run_is_cancelled_at_once_and_can_be_requeued,
);

async fn a_run_is_kept_once_per_idempotency_key_with_its_steps_and_events(store: &dyn Store) {
    let north = tenant("north");
    let mut first = run(&north, "intake", json!({"patientId": "p-1"}), 1);
    first.idempotency_key = Some("k-1".into());
    first.request_hash = Some("h-1".into());
    first.steps = vec![
        StepWrite {
            status: StepStatus::Skipped,
            skip_reason: Some("disabled by request".into()),
            ..StepWrite::pending("second", 1)
        },
        StepWrite::pending("third", 2),
        StepWrite {
            status: StepStatus::Completed,
            output: Some(json!({"copied": true})),
            ..StepWrite::pending("first", 0)
        },
    ];
    first.events = vec![event("RunQueued", Some(first.run_id), 1)];
    assert!(matches!(
        store.insert_run(&first).await.unwrap(),
        InsertRun::Created
    ));

    let mut again = run(&north, "intake", json!({"patientId": "p-2"}), 2);
    again.idempotency_key = Some("k-1".into());
    match store.insert_run(&again).await.unwrap() {
        InsertRun::Duplicate(existing, hash) => {
            assert_eq!(existing.run_id, first.run_id);
            assert_eq!(hash.as_deref(), Some("h-1"));
        }
        other => panic!("the same key finds the first run: {other:?}"),
    }
    assert!(store.get_run(&north, again.run_id).await.unwrap().is_none());
    // A key is per workflow.
    let mut other_workflow = run(&north, "discharge", json!({}), 3);
    other_workflow.idempotency_key = Some("k-1".into());
    assert!(matches!(
        store.insert_run(&other_workflow).await.unwrap(),
        InsertRun::Created
    ));

    let row = store
        .get_run(&north, first.run_id)
        .await
        .unwrap()
        .expect("the run");
    assert_eq!(
        (row.status, row.workflow.as_str()),
        (RunStatus::Queued, "intake")
    );
    assert_eq!(row.input.0, json!({"patientId": "p-1"}));
    assert_eq!(row.created_at, at(1));
    let steps: Vec<_> = store
        .get_steps(&north, first.run_id)
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.step_name, s.status))
        .collect();
    assert_eq!(
        steps,
        [
            ("first".to_string(), StepStatus::Completed),
            ("second".to_string(), StepStatus::Skipped)
        ],
        "in definition order; a pending step has no row until a commit writes it"
    );
    let types: Vec<_> = events_of(store, &north)
        .await
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(types, ["RunQueued"], "the duplicate wrote no event");
    assert!(
        store
            .get_run(&tenant("south"), first.run_id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .get_steps(&tenant("south"), first.run_id)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn a_running_run_keeps_the_attempts_its_steps_started(store: &dyn Store) {
    let north = tenant("north");
    let mut running = run(&north, "intake", json!({}), 1);
    running.status = RunStatus::Running;
    running.lease = Some(("replica-a".into(), at(60)));
    running.steps = vec![
        StepWrite {
            status: StepStatus::Running,
            attempts: 2,
            // Marks of one attempt go in separate writes: a submission starts
            // attempts, later commits end them.
            attempt_marks: vec![
                AttemptMark::Started {
                    id: Uuid::from_u128(1),
                    attempt: 1,
                    at: at(1),
                },
                AttemptMark::Started {
                    id: Uuid::from_u128(2),
                    attempt: 2,
                    at: at(3),
                },
            ],
            ..StepWrite::pending("fetch", 0)
        },
        StepWrite::pending("after", 1),
    ];
    store.insert_run(&running).await.unwrap();

    let attempts = store.step_attempts(&north, running.run_id).await.unwrap();
    let seen: Vec<_> = attempts
        .iter()
        .map(|a| {
            (
                a.step_name.as_str(),
                a.attempt,
                a.started_at,
                a.ended_at,
                a.outcome.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("fetch", 1, at(1), None, None),
            ("fetch", 2, at(3), None, None)
        ],
        "open attempts, in order"
    );
    assert!(attempts.iter().all(|a| a.replica == "replica-a"));
    assert!(
        store
            .step_attempts(&tenant("south"), running.run_id)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn runs_are_listed_newest_first_and_counted_by_status(store: &dyn Store) {
    let north = tenant("north");
    let mut ids = Vec::new();
    for (n, workflow, status) in [
        (1, "intake", RunStatus::Queued),
        (2, "intake", RunStatus::Sleeping),
        (3, "discharge", RunStatus::Queued),
    ] {
        let mut r = run(&north, workflow, json!({}), n);
        // Ordered ids, so "newest first" is known.
        r.run_id = RunId(Uuid::from_u128(n as u128));
        r.status = status;
        r.correlation_id = Some(format!("c-{n}"));
        store.insert_run(&r).await.unwrap();
        ids.push(r.run_id);
    }
    let list = |filter: RunFilter| {
        let north = north.clone();
        async move {
            let rows = store.list_runs(&north, &filter).await.unwrap();
            rows.iter()
                .map(|r| r.run_id.0.as_u128())
                .collect::<Vec<_>>()
        }
    };
    let page = |limit| RunFilter {
        limit,
        ..Default::default()
    };
    assert_eq!(list(page(10)).await, [3, 2, 1]);
    assert_eq!(list(page(2)).await, [3, 2]);
    assert_eq!(
        list(RunFilter {
            before: Some(ids[1]),
            ..page(10)
        })
        .await,
        [1]
    );
    assert_eq!(
        list(RunFilter {
            workflow: Some("intake".into()),
            ..page(10)
        })
        .await,
        [2, 1]
    );
    assert_eq!(
        list(RunFilter {
            status: Some(RunStatus::Queued),
            ..page(10)
        })
        .await,
        [3, 1]
    );
    assert_eq!(
        list(RunFilter {
            correlation_id: Some("c-2".into()),
            ..page(10)
        })
        .await,
        [2]
    );
    assert_eq!(
        list(RunFilter {
            created_from: Some(at(2)),
            created_until: Some(at(3)),
            ..page(10)
        })
        .await,
        [2]
    );
    assert!(
        store
            .list_runs(&tenant("south"), &page(10))
            .await
            .unwrap()
            .is_empty()
    );

    let mut counts = store.active_run_counts(&north).await.unwrap();
    counts.sort_by_key(|(s, _)| s.as_str());
    assert_eq!(counts, [(RunStatus::Queued, 2), (RunStatus::Sleeping, 1)]);
    assert!(
        store
            .active_run_counts(&tenant("south"))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn a_queued_run_is_cancelled_at_once_and_can_be_requeued(store: &dyn Store) {
    let north = tenant("north");
    let mut queued = run(&north, "intake", json!({}), 1);
    queued.steps = vec![
        StepWrite {
            status: StepStatus::Completed,
            ..StepWrite::pending("copied", 0)
        },
        StepWrite {
            status: StepStatus::Sleeping,
            wake_at: Some(at(100)),
            ..StepWrite::pending("nap", 1)
        },
        StepWrite::pending("only", 2),
    ];
    store.insert_run(&queued).await.unwrap();
    let id = queued.run_id;

    let status = store
        .request_cancel(&north, id, at(5), &[event("RunCancelled", Some(id), 5)])
        .await
        .unwrap();
    assert_eq!(status, Some(RunStatus::Cancelled));
    assert_eq!(
        store.get_run(&north, id).await.unwrap().unwrap().status,
        RunStatus::Cancelled
    );
    let steps: Vec<_> = store
        .get_steps(&north, id)
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.step_name, s.status, s.skip_reason, s.wake_at))
        .collect();
    assert_eq!(
        steps,
        [
            ("copied".to_string(), StepStatus::Completed, None, None),
            (
                "nap".to_string(),
                StepStatus::Skipped,
                Some("run cancelled".to_string()),
                None
            ),
        ],
        "an open step is skipped; the pending one has no row to change"
    );
    assert_eq!(
        store
            .request_cancel(&north, RunId::new(), at(5), &[])
            .await
            .unwrap(),
        None,
        "no such run"
    );
    assert_eq!(
        store
            .request_cancel(&tenant("south"), id, at(5), &[])
            .await
            .unwrap(),
        None,
        "another tenant's run"
    );

    assert!(
        store
            .requeue_run(&north, id, at(6), &[event("RunRequeued", Some(id), 6)])
            .await
            .unwrap()
    );
    let row = store.get_run(&north, id).await.unwrap().unwrap();
    assert_eq!(row.status, RunStatus::Queued);
    let steps: Vec<_> = store
        .get_steps(&north, id)
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.step_name, s.status))
        .collect();
    assert_eq!(
        steps,
        [
            ("copied".to_string(), StepStatus::Completed),
            ("nap".to_string(), StepStatus::Pending)
        ],
        "a completed step is kept, the others are pending again"
    );
    assert!(
        !store.requeue_run(&north, id, at(7), &[]).await.unwrap(),
        "a queued run is not retried"
    );
    let types: Vec<_> = events_of(store, &north)
        .await
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(types, ["RunCancelled", "RunRequeued"]);
}
