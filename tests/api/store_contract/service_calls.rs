//! Scheduled service calls: one per idempotency key, transitions that apply only from
//! the statuses they name (with their event), and filtered, paged listing.

use careflow::store::ServiceCallTransition;
use careflow::store::{
    InsertServiceCall, NewServiceCall, RunId, ServiceCallFilter, ServiceCallStatus as S, Store,
    StoreError, TenantId,
};
use serde_json::json;
use uuid::Uuid;

use super::{at, event, events_of, tenant};

contract!(
    a_submission_is_kept_once_per_idempotency_key,
    a_transition_applies_only_from_the_statuses_it_names,
    calls_are_listed_newest_first_by_status_tag_and_due_time,
);

/// A call `id` of `tenant`, due at `at(due)`, tagged `tags`.
fn call(tenant: &TenantId, id: u128, due: i64, tags: &[&str], key: Option<&str>) -> NewServiceCall {
    NewServiceCall {
        tenant_id: tenant.clone(),
        // Ordered ids, so "newest first" is known.
        service_call_id: Uuid::from_u128(id),
        name: format!("call-{id}"),
        method: "POST".into(),
        url: "https://example.test/hook".into(),
        headers: json!({"x-a": "1"}),
        body: Some(json!({"id": id})),
        due_at: at(due),
        correlation_id: Some("c-1".into()),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        idempotency_key: key.map(Into::into),
        request_hash: "hash".into(),
        created_at: at(0),
    }
}

fn to(from: &[S], to: S, seconds: i64) -> ServiceCallTransition {
    ServiceCallTransition {
        from: from.to_vec(),
        to,
        at: at(seconds),
        set_run: None,
        require_run: None,
        attempt: None,
        response: None,
        error: None,
        event: Some(event(to.event_name(), None, seconds)),
        next_attempt_at: None,
    }
}

async fn a_submission_is_kept_once_per_idempotency_key(store: &dyn Store) {
    let north = tenant("north");
    let first = call(&north, 1, 10, &["a"], Some("k-1"));
    let created = store
        .insert_service_call(&first, &event("ServiceCallSubmitted", None, 1))
        .await
        .unwrap();
    let InsertServiceCall::Created(row) = created else {
        panic!("the first submission is created: {created:?}");
    };
    assert_eq!(row.status, S::Submitted);
    assert_eq!(row.service_call_id, first.service_call_id);
    assert_eq!(row.headers.0, json!({"x-a": "1"}));
    assert_eq!(row.tags.0, ["a"]);
    assert_eq!(row.due_at, at(10));
    assert_eq!(row.attempts, 0);

    let again = call(&north, 2, 20, &[], Some("k-1"));
    let duplicate = store
        .insert_service_call(&again, &event("ServiceCallSubmitted", None, 2))
        .await
        .unwrap();
    let InsertServiceCall::Duplicate(existing) = duplicate else {
        panic!("the same key finds the first call: {duplicate:?}");
    };
    assert_eq!(existing.service_call_id, first.service_call_id);
    assert_eq!(
        store
            .get_service_call(&north, again.service_call_id)
            .await
            .unwrap()
            .map(|r| r.name),
        None
    );
    let types: Vec<_> = events_of(store, &north)
        .await
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(
        types,
        ["ServiceCallSubmitted"],
        "the duplicate published nothing"
    );

    // A key is per tenant; a call id is unique.
    let south = tenant("south");
    let other = call(&south, 3, 10, &[], Some("k-1"));
    let elsewhere = store
        .insert_service_call(&other, &event("ServiceCallSubmitted", None, 3))
        .await
        .unwrap();
    assert!(
        matches!(elsewhere, InsertServiceCall::Created(_)),
        "{elsewhere:?}"
    );
    let same_id = call(&north, 1, 10, &[], None);
    let refused = store
        .insert_service_call(&same_id, &event("ServiceCallSubmitted", None, 4))
        .await;
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
    assert_eq!(
        store
            .get_service_call(&south, first.service_call_id)
            .await
            .unwrap()
            .map(|r| r.name),
        None
    );
}

async fn a_transition_applies_only_from_the_statuses_it_names(store: &dyn Store) {
    let north = tenant("north");
    let c = call(&north, 1, 10, &[], None);
    let id = c.service_call_id;
    store
        .insert_service_call(&c, &event("ServiceCallSubmitted", None, 1))
        .await
        .unwrap();

    let run = RunId::new();
    let scheduled = ServiceCallTransition {
        set_run: Some(run),
        ..to(&[S::Submitted], S::Scheduled, 2)
    };
    let row = store
        .transition_service_call(&north, id, &scheduled)
        .await
        .unwrap()
        .expect("submitted → scheduled");
    assert_eq!(
        (row.status, row.run_id, row.scheduled_at),
        (S::Scheduled, Some(run), Some(at(2)))
    );

    let stale = store
        .transition_service_call(&north, id, &to(&[S::Submitted], S::Cancelled, 3))
        .await
        .unwrap();
    assert!(stale.is_none(), "no longer submitted");
    let other_run = ServiceCallTransition {
        require_run: Some(RunId::new()),
        ..to(&[S::Scheduled], S::Running, 3)
    };
    assert!(
        store
            .transition_service_call(&north, id, &other_run)
            .await
            .unwrap()
            .is_none()
    );

    let running = ServiceCallTransition {
        require_run: Some(run),
        attempt: Some(1),
        ..to(&[S::Scheduled], S::Running, 4)
    };
    let row = store
        .transition_service_call(&north, id, &running)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.status, row.attempts, row.started_at),
        (S::Running, 1, Some(at(4)))
    );
    // The same attempt twice is refused (attempts only grow).
    assert!(
        store
            .transition_service_call(&north, id, &running)
            .await
            .unwrap()
            .is_none()
    );

    let failed_once = ServiceCallTransition {
        error: Some(json!({"status": 503})),
        next_attempt_at: Some(at(60)),
        ..to(&[S::Running], S::Scheduled, 5)
    };
    let row = store
        .transition_service_call(&north, id, &failed_once)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.scheduled_at,
        Some(at(2)),
        "the first scheduling time stays"
    );
    assert_eq!(row.error.map(|e| e.0), Some(json!({"status": 503})));
    assert_eq!(row.next_attempt_at, Some(at(60)));

    let done = ServiceCallTransition {
        response: Some(json!({"ok": true})),
        ..to(&[S::Scheduled, S::Running], S::Succeeded, 6)
    };
    let row = store
        .transition_service_call(&north, id, &done)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, S::Succeeded);
    assert_eq!(row.finished_at, Some(at(6)));
    assert_eq!(row.response.map(|r| r.0), Some(json!({"ok": true})));
    assert_eq!(row.error, None, "success clears the error");
    assert_eq!(row.next_attempt_at, None);

    let read = store.get_service_call(&north, id).await.unwrap().unwrap();
    assert_eq!(read.status, S::Succeeded);
    let types: Vec<_> = events_of(store, &north)
        .await
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(
        types,
        [
            "ServiceCallSubmitted",
            "ServiceCallScheduled",
            "ServiceCallRunning",
            "ServiceCallScheduled",
            "ServiceCallSucceeded"
        ],
        "one event per applied transition, none for refused ones"
    );
    let elsewhere = store
        .transition_service_call(&tenant("south"), id, &to(&[S::Succeeded], S::Cancelled, 7))
        .await
        .unwrap();
    assert!(elsewhere.is_none(), "another tenant's call");
}

async fn calls_are_listed_newest_first_by_status_tag_and_due_time(store: &dyn Store) {
    let north = tenant("north");
    for (id, due, tags) in [
        (1, 10, &["a"][..]),
        (2, 20, &["a", "b"]),
        (3, 30, &["b"]),
        (4, 40, &[]),
    ] {
        store
            .insert_service_call(
                &call(&north, id, due, tags, None),
                &event("ServiceCallSubmitted", None, 1),
            )
            .await
            .unwrap();
    }
    store
        .transition_service_call(
            &north,
            Uuid::from_u128(3),
            &to(&[S::Submitted], S::Cancelled, 2),
        )
        .await
        .unwrap()
        .unwrap();
    let north = &north;
    let list = |filter: ServiceCallFilter| async move {
        let rows = store.list_service_calls(north, &filter).await.unwrap();
        rows.iter()
            .map(|r| r.service_call_id.as_u128())
            .collect::<Vec<_>>()
    };
    let page = |limit| ServiceCallFilter {
        limit,
        ..Default::default()
    };

    assert_eq!(list(page(10)).await, [4, 3, 2, 1]);
    assert_eq!(list(page(2)).await, [4, 3]);
    assert_eq!(
        list(ServiceCallFilter {
            before: Some(Uuid::from_u128(3)),
            ..page(2)
        })
        .await,
        [2, 1]
    );
    assert_eq!(
        list(ServiceCallFilter {
            tag: Some("a".into()),
            ..page(10)
        })
        .await,
        [2, 1]
    );
    assert_eq!(
        list(ServiceCallFilter {
            tag: Some("b".into()),
            ..page(10)
        })
        .await,
        [3, 2]
    );
    assert_eq!(
        list(ServiceCallFilter {
            status: Some(S::Cancelled),
            ..page(10)
        })
        .await,
        [3]
    );
    assert_eq!(
        list(ServiceCallFilter {
            due_before: Some(at(30)),
            ..page(10)
        })
        .await,
        [2, 1]
    );
    assert!(
        store
            .list_service_calls(&tenant("south"), &page(10))
            .await
            .unwrap()
            .is_empty()
    );
}
