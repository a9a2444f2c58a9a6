//! Events: positions in commit order, read after a position per tenant or for all,
//! filtered, and pruned without the last position going back.

use careflow::store::{EventFilter, RunId, Store};

use super::{at, event, events_of, tenant};

contract!(
    events_are_read_in_position_order_per_tenant_and_filter,
    pruning_old_events_keeps_the_last_position,
);

async fn events_are_read_in_position_order_per_tenant_and_filter(store: &dyn Store) {
    let (north, south) = (tenant("north"), tenant("south"));
    assert_eq!(store.last_event_position().await.unwrap(), 0);
    store.append_events(&north, &[]).await.unwrap();

    let run = RunId::new();
    let mut correlated = event("B", Some(run), 2);
    correlated.correlation_id = Some("c-1".into());
    correlated.workflow = Some("intake".into());
    store
        .append_events(&north, &[event("A", None, 1), correlated.clone()])
        .await
        .unwrap();
    store
        .append_events(&south, &[event("S", None, 3)])
        .await
        .unwrap();
    store
        .append_events(&north, &[event("C", Some(run), 4)])
        .await
        .unwrap();

    let mine = events_of(store, &north).await;
    let types: Vec<_> = mine.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(
        types,
        ["A", "B", "C"],
        "in commit order, this tenant's only"
    );
    assert!(mine.windows(2).all(|w| w[0].position < w[1].position));
    let b = &mine[1];
    assert_eq!(b.event_id, correlated.event_id);
    assert_eq!((b.run_id, b.created_at), (Some(run), at(2)));
    assert_eq!(b.data.0, correlated.data);
    assert_eq!(b.source, "contract");

    let all = store.events_after(0, 100).await.unwrap();
    let types: Vec<_> = all.iter().map(|e| e.event_type.as_str()).collect();
    assert_eq!(types, ["A", "B", "S", "C"], "every tenant's");
    let last = all.last().unwrap().position;
    assert_eq!(store.last_event_position().await.unwrap(), last);
    let rest = store.events_after(all[1].position, 1).await.unwrap();
    assert_eq!(rest.len(), 1, "limited");
    assert_eq!(rest[0].event_type, "S");
    assert!(store.events_after(last, 100).await.unwrap().is_empty());

    let read = |filter: EventFilter, after: i64| {
        let north = north.clone();
        async move {
            let rows = store
                .tenant_events_after(&north, after, &filter, 100)
                .await
                .unwrap();
            rows.into_iter().map(|e| e.event_type).collect::<Vec<_>>()
        }
    };
    let of_run = EventFilter {
        run_id: Some(run),
        ..Default::default()
    };
    assert_eq!(read(of_run.clone(), 0).await, ["B", "C"]);
    assert_eq!(read(of_run, mine[1].position).await, ["C"]);
    let by_correlation = EventFilter {
        correlation_id: Some("c-1".into()),
        ..Default::default()
    };
    assert_eq!(read(by_correlation, 0).await, ["B"]);
    let by_workflow = EventFilter {
        workflow: Some("intake".into()),
        ..Default::default()
    };
    assert_eq!(read(by_workflow, 0).await, ["B"]);
    let by_type = EventFilter {
        event_type: Some("C".into()),
        ..Default::default()
    };
    assert_eq!(read(by_type, 0).await, ["C"]);
    let limited = store
        .tenant_events_after(&north, 0, &EventFilter::default(), 2)
        .await
        .unwrap();
    assert_eq!(limited.len(), 2);
}

async fn pruning_old_events_keeps_the_last_position(store: &dyn Store) {
    let north = tenant("north");
    store
        .append_events(&north, &[event("A", None, 1), event("B", None, 2)])
        .await
        .unwrap();
    store
        .append_events(&north, &[event("C", None, 10)])
        .await
        .unwrap();
    let before = events_of(store, &north).await;
    let last = store.last_event_position().await.unwrap();

    assert_eq!(store.prune_events(at(5)).await.unwrap(), 2);
    let kept: Vec<_> = events_of(store, &north)
        .await
        .into_iter()
        .map(|e| (e.event_type, e.position))
        .collect();
    assert_eq!(kept, [("C".to_string(), before[2].position)]);

    assert_eq!(store.prune_events(at(20)).await.unwrap(), 1);
    assert!(events_of(store, &north).await.is_empty());
    assert_eq!(
        store.last_event_position().await.unwrap(),
        last,
        "a reader resuming from the last position misses nothing"
    );
    store
        .append_events(&north, &[event("D", None, 21)])
        .await
        .unwrap();
    let next = events_of(store, &north).await;
    assert!(
        next[0].position > last,
        "new events come after every old position"
    );
}
