//! Nurses, shifts and follow-up tasks: who can take a task now, assignment that
//! compares and sets, tasks numbered per tenant and stored once per step key, and
//! resolution and SLA marks that happen once.

use careflow::store::{AssignOutcome, NewNurse, NewTask, ShiftRow, Store, TaskFilter, TenantId};
use uuid::Uuid;

use super::{at, event, events_of, tenant};

contract!(
    nurses_on_shift_are_candidates_and_an_assignment_compares_and_sets,
    tasks_are_numbered_per_tenant_stored_once_per_key_and_listed_newest_first,
    a_task_is_resolved_once_and_its_sla_marks_keep_their_first_time,
);

fn nurse(tenant: &TenantId, name: &str, seconds: i64) -> NewNurse {
    NewNurse {
        tenant_id: tenant.clone(),
        nurse_id: Uuid::new_v4(),
        name: name.into(),
        phone: Some("+15550100".into()),
        email: None,
        preferred_channel: "sms".into(),
        max_open_tasks: 3,
        created_at: at(seconds),
    }
}

fn task(tenant: &TenantId, patient: &str, id: u128, key: Option<&str>) -> NewTask {
    NewTask {
        tenant_id: tenant.clone(),
        task_id: Uuid::from_u128(id),
        patient_id: patient.into(),
        title: "Call back".into(),
        description: None,
        priority: "high".into(),
        severity: "HIGH".into(),
        sla_minutes: 30,
        origin: "api".into(),
        origin_key: key.map(Into::into),
        interaction_id: None,
        created_at: at(id as i64),
    }
}

fn shift(nurse: &NewNurse, from: i64, until: i64) -> ShiftRow {
    ShiftRow {
        tenant_id: nurse.tenant_id.clone(),
        shift_id: Uuid::new_v4(),
        nurse_id: nurse.nurse_id,
        starts_at: at(from),
        ends_at: at(until),
        created_at: at(0),
    }
}

async fn nurses_on_shift_are_candidates_and_an_assignment_compares_and_sets(store: &dyn Store) {
    let north = tenant("north");
    let (ann, bea) = (nurse(&north, "Ann", 1), nurse(&north, "Bea", 2));
    let row = store.insert_nurse(&bea).await.unwrap();
    assert_eq!(
        (row.active, row.assignment_count, row.last_assigned_at),
        (true, 0, None)
    );
    store.insert_nurse(&ann).await.unwrap();
    let names: Vec<_> = store
        .list_nurses(&north)
        .await
        .unwrap()
        .into_iter()
        .map(|n| n.name)
        .collect();
    assert_eq!(names, ["Ann", "Bea"], "by name");
    assert!(
        store
            .list_nurses(&tenant("south"))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .get_nurse(&tenant("south"), ann.nurse_id)
            .await
            .unwrap()
            .is_none()
    );

    store.insert_shift(&shift(&ann, 0, 100)).await.unwrap();
    store.insert_shift(&shift(&bea, 100, 200)).await.unwrap();
    let ending: Vec<_> = store
        .shifts_ending_after(&north, at(100))
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.nurse_id)
        .collect();
    assert_eq!(
        ending,
        [bea.nurse_id],
        "a shift ending at the instant is over"
    );

    let at_start: Vec<_> = store
        .assignment_candidates(&north, at(0))
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.nurse_id)
        .collect();
    assert_eq!(at_start, [ann.nurse_id], "a shift covers its start");
    let handover = store.assignment_candidates(&north, at(100)).await.unwrap();
    assert_eq!(handover.len(), 1);
    assert_eq!(handover[0].nurse_id, bea.nurse_id, "and not its end");

    let t = task(&north, "p-1", 1, None);
    store.insert_task(&t, &[]).await.unwrap();
    let outcome = store
        .assign_task(&north, t.task_id, bea.nurse_id, 1, at(150))
        .await
        .unwrap();
    assert!(
        matches!(outcome, AssignOutcome::NurseChanged),
        "a stale count assigns nothing"
    );
    let outcome = store
        .assign_task(&north, t.task_id, bea.nurse_id, 0, at(150))
        .await
        .unwrap();
    let AssignOutcome::Assigned(row) = outcome else {
        panic!("the task is assigned: {outcome:?}");
    };
    assert_eq!(
        (row.status.as_str(), row.assignee_id, row.assigned_at),
        ("ASSIGNED", Some(bea.nurse_id), Some(at(150)))
    );
    let candidate = &store.assignment_candidates(&north, at(150)).await.unwrap()[0];
    assert_eq!(
        (
            candidate.assignment_count,
            candidate.open_tasks,
            candidate.last_assigned_at
        ),
        (1, 1, Some(at(150)))
    );
    let again = store
        .assign_task(&north, t.task_id, bea.nurse_id, 1, at(151))
        .await
        .unwrap();
    assert!(matches!(again, AssignOutcome::TaskNotOpen));
    assert_eq!(
        store
            .get_nurse(&north, bea.nurse_id)
            .await
            .unwrap()
            .unwrap()
            .assignment_count,
        1,
        "a refused assignment takes no turn"
    );
}

async fn tasks_are_numbered_per_tenant_stored_once_per_key_and_listed_newest_first(
    store: &dyn Store,
) {
    let (north, south) = (tenant("north"), tenant("south"));
    let first = store
        .insert_task(
            &task(&north, "p-1", 1, Some("run-1:assign")),
            &[event("TaskCreated", None, 1)],
        )
        .await
        .unwrap();
    let repeated = store
        .insert_task(
            &task(&north, "p-1", 2, Some("run-1:assign")),
            &[event("TaskCreated", None, 2)],
        )
        .await
        .unwrap();
    assert_eq!(
        repeated.task_id, first.task_id,
        "a repeated step finds its task"
    );
    let second = store
        .insert_task(&task(&north, "p-2", 3, None), &[])
        .await
        .unwrap();
    let other = store
        .insert_task(&task(&south, "p-1", 4, None), &[])
        .await
        .unwrap();
    assert_eq!(first.reference_number, Some(1));
    assert_eq!(
        second.reference_number,
        Some(3),
        "a repeat spends a number: references may skip, never repeat"
    );
    assert_eq!(other.reference_number, Some(1), "numbers are per tenant");
    assert_eq!(
        (first.status.as_str(), first.created_at, first.updated_at),
        ("OPEN", at(1), at(1))
    );
    let types: Vec<_> = events_of(store, &north)
        .await
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(types, ["TaskCreated"], "the repeat announced nothing");

    let list = |filter: TaskFilter| {
        let north = north.clone();
        async move {
            store
                .list_tasks(&north, &filter)
                .await
                .unwrap()
                .into_iter()
                .map(|t| t.task_id.as_u128())
                .collect::<Vec<_>>()
        }
    };
    let page = |limit| TaskFilter {
        limit,
        ..Default::default()
    };
    assert_eq!(list(page(10)).await, [3, 1]);
    assert_eq!(list(page(1)).await, [3]);
    assert_eq!(
        list(TaskFilter {
            before: Some(Uuid::from_u128(3)),
            ..page(10)
        })
        .await,
        [1]
    );
    assert_eq!(
        list(TaskFilter {
            patient_id: Some("p-2".into()),
            ..page(10)
        })
        .await,
        [3]
    );
    assert_eq!(
        list(TaskFilter {
            status: Some("ASSIGNED".into()),
            ..page(10)
        })
        .await,
        Vec::<u128>::new()
    );
    assert!(
        store
            .get_task(&south, first.task_id)
            .await
            .unwrap()
            .is_none()
    );
}

async fn a_task_is_resolved_once_and_its_sla_marks_keep_their_first_time(store: &dyn Store) {
    let north = tenant("north");
    let t = task(&north, "p-1", 1, None);
    store.insert_task(&t, &[]).await.unwrap();

    assert!(
        store
            .mark_task_sla(&north, t.task_id, false, at(10))
            .await
            .unwrap()
    );
    assert!(
        store
            .mark_task_sla(&north, t.task_id, false, at(11))
            .await
            .unwrap()
    );
    assert!(
        store
            .mark_task_sla(&north, t.task_id, true, at(12))
            .await
            .unwrap()
    );
    let row = store.get_task(&north, t.task_id).await.unwrap().unwrap();
    assert_eq!(
        (row.sla_warned_at, row.sla_breached_at, row.updated_at),
        (Some(at(10)), Some(at(12)), at(12)),
        "the first warning's time is kept"
    );

    let (row, resolved) = store
        .resolve_task(
            &north,
            t.task_id,
            Some("called"),
            at(20),
            &[event("TaskResolved", None, 20)],
        )
        .await
        .unwrap()
        .unwrap();
    assert!(resolved);
    assert_eq!(
        (
            row.status.as_str(),
            row.resolution.as_deref(),
            row.resolved_at
        ),
        ("RESOLVED", Some("called"), Some(at(20)))
    );
    let (row, resolved) = store
        .resolve_task(
            &north,
            t.task_id,
            Some("again"),
            at(21),
            &[event("TaskResolved", None, 21)],
        )
        .await
        .unwrap()
        .unwrap();
    assert!(!resolved);
    assert_eq!(row.resolution.as_deref(), Some("called"));
    assert!(
        !store
            .mark_task_sla(&north, t.task_id, true, at(22))
            .await
            .unwrap(),
        "a resolved task gets no SLA mark"
    );
    assert!(
        store
            .resolve_task(&tenant("south"), t.task_id, None, at(23), &[])
            .await
            .unwrap()
            .is_none()
    );
    let types: Vec<_> = events_of(store, &north)
        .await
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(types, ["TaskResolved"]);
}
