//! The access log: appended, read back per tenant, pruned by age.

use careflow::store::{AccessRow, NewAccess, Store};
use serde_json::json;

use super::{at, tenant};

contract!(
    access_records_are_read_back_per_tenant_oldest_first,
    pruning_deletes_old_records_a_batch_at_a_time,
);

fn access(tenant_id: &str, seconds: i64, resource: Option<&str>) -> NewAccess {
    NewAccess {
        tenant_id: tenant(tenant_id),
        at: at(seconds),
        credential: "apikey:k1".into(),
        credential_kind: "apiKey".into(),
        method: "GET".into(),
        route: "/v1/runs/{id}".into(),
        resource: resource.map(String::from),
        resource_ids: json!({"id": resource}),
        request_id: Some(format!("req-{seconds}")),
        status: 200,
    }
}

fn times(rows: &[AccessRow]) -> Vec<i64> {
    rows.iter().map(|r| (r.at - at(0)).num_seconds()).collect()
}

async fn access_records_are_read_back_per_tenant_oldest_first(store: &dyn Store) {
    for a in [
        access("north", 1, Some("r1")),
        access("south", 2, Some("r1")),
        access("north", 3, Some("r2")),
        access("north", 4, Some("r1")),
    ] {
        store.append_access(&a).await.unwrap();
    }
    let north = tenant("north");

    let all = store
        .tenant_access_after(&north, None, 0, 10)
        .await
        .unwrap();
    assert_eq!(times(&all), [1, 3, 4]);
    let first = &all[0];
    assert_eq!(first.tenant_id, north);
    assert_eq!(first.credential, "apikey:k1");
    assert_eq!(first.credential_kind, "apiKey");
    assert_eq!(first.method, "GET");
    assert_eq!(first.route, "/v1/runs/{id}");
    assert_eq!(first.resource.as_deref(), Some("r1"));
    assert_eq!(first.resource_ids.0, json!({"id": "r1"}));
    assert_eq!(first.request_id.as_deref(), Some("req-1"));
    assert_eq!(first.status, 200);

    let about_r1 = store
        .tenant_access_after(&north, Some("r1"), 0, 10)
        .await
        .unwrap();
    assert_eq!(times(&about_r1), [1, 4]);
    let page = store
        .tenant_access_after(&north, None, first.id, 1)
        .await
        .unwrap();
    assert_eq!(times(&page), [3], "after the first, one at most");
}

async fn pruning_deletes_old_records_a_batch_at_a_time(store: &dyn Store) {
    for (t, s) in [("north", 1), ("south", 2), ("north", 3), ("north", 4)] {
        store.append_access(&access(t, s, None)).await.unwrap();
    }
    assert_eq!(store.prune_access(at(3), 1).await.unwrap(), 1);
    assert_eq!(store.prune_access(at(3), 5).await.unwrap(), 1);
    assert_eq!(
        store.prune_access(at(3), 5).await.unwrap(),
        0,
        "none older left"
    );
    let kept = store
        .tenant_access_after(&tenant("north"), None, 0, 10)
        .await
        .unwrap();
    assert_eq!(times(&kept), [3, 4]);
    let south = store
        .tenant_access_after(&tenant("south"), None, 0, 10)
        .await
        .unwrap();
    assert!(south.is_empty());
}
