//! What event-triggered functions store: client event ids seen once, steps waiting
//! for an event, runs found by their input or key, debounced runs rescheduled, and
//! named leases with a cursor that only moves forward.

use careflow::store::{RunId, RunStatus, StepStatus, StepWrite, Store};
use serde_json::json;
use uuid::Uuid;

use super::{at, event, events_of, run, tenant};

contract!(
    a_client_event_id_is_new_once_per_tenant,
    a_waiting_step_receives_one_event,
    runs_are_found_by_input_and_by_key_and_rescheduled_while_queued,
    a_lease_has_one_owner_until_it_expires_and_its_cursor_only_grows,
);

async fn a_client_event_id_is_new_once_per_tenant(store: &dyn Store) {
    let (north, south) = (tenant("north"), tenant("south"));
    let ids = |names: &[&str]| -> Vec<(String, Uuid)> {
        names
            .iter()
            .map(|n| (n.to_string(), Uuid::new_v4()))
            .collect()
    };
    let first = store
        .remember_event_ids(&north, &ids(&["a", "b"]), at(1))
        .await
        .unwrap();
    assert_eq!(first, [true, true]);
    let again = store
        .remember_event_ids(&north, &ids(&["b", "c"]), at(5))
        .await
        .unwrap();
    assert_eq!(again, [false, true], "b was seen");
    let elsewhere = store
        .remember_event_ids(&south, &ids(&["a"]), at(5))
        .await
        .unwrap();
    assert_eq!(elsewhere, [true], "ids are per tenant");

    assert_eq!(store.forget_event_ids(at(5)).await.unwrap(), 2, "a and b");
    let after = store
        .remember_event_ids(&north, &ids(&["a", "c"]), at(6))
        .await
        .unwrap();
    assert_eq!(after, [true, false], "a was forgotten, c was not");
}

async fn a_waiting_step_receives_one_event(store: &dyn Store) {
    let north = tenant("north");
    let mut waiting = run(&north, "intake", json!({}), 1);
    waiting.status = RunStatus::Sleeping;
    waiting.steps = vec![StepWrite {
        status: StepStatus::Sleeping,
        wake_at: Some(at(3600)),
        wait: Some(json!({"kind": "event", "event": "LabResult"})),
        ..StepWrite::pending("await-lab", 0)
    }];
    store.insert_run(&waiting).await.unwrap();
    let id = waiting.run_id;

    assert!(
        store
            .event_waiters(&north, "Other")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .event_waiters(&tenant("south"), "LabResult")
            .await
            .unwrap()
            .is_empty()
    );
    let waiters = store.event_waiters(&north, "LabResult").await.unwrap();
    assert_eq!(waiters.len(), 1);
    assert_eq!(
        (waiters[0].run_id, waiters[0].step_name.as_str()),
        (id, "await-lab")
    );
    assert_eq!(waiters[0].wait["kind"], "event");

    let received = json!({"eventType": "LabResult", "data": {"value": 4}});
    assert!(
        store
            .resolve_waiter(&north, id, "await-lab", &received, at(10))
            .await
            .unwrap()
    );
    assert!(
        !store
            .resolve_waiter(&north, id, "await-lab", &json!({"second": true}), at(11))
            .await
            .unwrap(),
        "a step receives one event"
    );
    assert!(
        !store
            .resolve_waiter(&north, id, "no-such-step", &received, at(11))
            .await
            .unwrap()
    );
    let steps = store.get_steps(&north, id).await.unwrap();
    let wait = steps[0].wait.clone().expect("the wait").0;
    assert_eq!(wait["received"], received);
    assert_eq!(steps[0].wake_at, Some(at(10)), "it wakes now");
    let row = store.get_run(&north, id).await.unwrap().unwrap();
    assert_eq!(row.ready_at, Some(at(10)));
}

async fn runs_are_found_by_input_and_by_key_and_rescheduled_while_queued(store: &dyn Store) {
    let north = tenant("north");
    let patient = |p: &str| json!({"event": {"data": {"patientId": p}}});
    let mut early = run(&north, "debounce", patient("p-1"), 1);
    early.idempotency_key = Some("k-1".into());
    let mut late = run(&north, "debounce", patient("p-1"), 5);
    late.idempotency_key = Some("k-2".into());
    let other_patient = run(&north, "debounce", patient("p-2"), 5);
    let other_workflow = run(&north, "intake", patient("p-1"), 5);
    for r in [&early, &late, &other_patient, &other_workflow] {
        store.insert_run(r).await.unwrap();
    }
    let path = ["event", "data", "patientId"];
    let queued = [RunStatus::Queued];

    let mut found = store
        .runs_with_input(&north, "debounce", &path, "p-1", &queued, None)
        .await
        .unwrap();
    found.sort();
    let mut expected = vec![early.run_id, late.run_id];
    expected.sort();
    assert_eq!(found, expected);
    let since = store
        .runs_with_input(&north, "debounce", &path, "p-1", &queued, Some(at(1)))
        .await
        .unwrap();
    assert_eq!(since, [late.run_id], "created after the instant only");
    let running = store
        .runs_with_input(
            &north,
            "debounce",
            &path,
            "p-1",
            &[RunStatus::Running],
            None,
        )
        .await
        .unwrap();
    assert!(running.is_empty());

    let mut keyed = store
        .runs_by_keys(&north, &["k-2".into(), "k-1".into(), "k-9".into()])
        .await
        .unwrap();
    keyed.sort_by(|a, b| a.2.cmp(&b.2));
    assert_eq!(
        keyed,
        [
            (early.run_id, "debounce".to_string(), "k-1".to_string()),
            (late.run_id, "debounce".to_string(), "k-2".to_string())
        ]
    );
    assert!(
        store
            .runs_by_keys(&tenant("south"), &["k-1".into()])
            .await
            .unwrap()
            .is_empty()
    );

    let newer = patient("p-1b");
    assert!(
        store
            .reschedule_queued(&north, late.run_id, &newer, at(100))
            .await
            .unwrap()
    );
    let row = store.get_run(&north, late.run_id).await.unwrap().unwrap();
    assert_eq!(
        (row.input.0.clone(), row.ready_at),
        (newer.clone(), Some(at(100)))
    );
    assert!(
        !store
            .reschedule_queued(&north, RunId::new(), &newer, at(100))
            .await
            .unwrap(),
        "no such run"
    );
}

async fn a_lease_has_one_owner_until_it_expires_and_its_cursor_only_grows(store: &dyn Store) {
    assert_eq!(store.lease_position("fanout").await.unwrap(), 0);
    let held = store
        .hold_lease("fanout", "a", at(0), at(30))
        .await
        .unwrap();
    assert_eq!(held, Some(0));
    assert_eq!(
        store
            .hold_lease("fanout", "b", at(10), at(40))
            .await
            .unwrap(),
        None,
        "held by a"
    );
    assert!(store.advance_lease("fanout", "a", 7).await.unwrap());
    assert!(store.advance_lease("fanout", "a", 3).await.unwrap());
    assert_eq!(
        store.lease_position("fanout").await.unwrap(),
        7,
        "never backwards"
    );
    assert!(
        !store.advance_lease("fanout", "b", 9).await.unwrap(),
        "not the owner"
    );
    assert_eq!(
        store
            .hold_lease("fanout", "a", at(20), at(50))
            .await
            .unwrap(),
        Some(7)
    );

    let taken = store
        .hold_lease("fanout", "b", at(51), at(80))
        .await
        .unwrap();
    assert_eq!(taken, Some(7), "expired: b takes it with its cursor");
    assert!(!store.advance_lease("fanout", "a", 9).await.unwrap());

    // Events' positions, for the ones that have one.
    let north = tenant("north");
    let (e1, e2) = (event("A", None, 1), event("B", None, 2));
    store
        .append_events(&north, &[e1.clone(), e2.clone()])
        .await
        .unwrap();
    let positioned = events_of(store, &north).await;
    let mut positions = store
        .event_positions(&north, &[e2.event_id, e1.event_id, Uuid::new_v4()])
        .await
        .unwrap();
    positions.sort();
    let expected: Vec<i64> = positioned.iter().map(|e| e.position).collect();
    assert_eq!(positions, expected);
    assert!(
        store
            .event_positions(&tenant("south"), &[e1.event_id])
            .await
            .unwrap()
            .is_empty()
    );
}
