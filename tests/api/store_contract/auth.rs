//! Tenants, API keys and signing keys.

use careflow::store::{ApiKeyRow, NewApiKey, Store, StoreError, TenantId};
use uuid::Uuid;

use super::{at, tenant};

contract!(
    api_keys_are_found_listed_per_tenant_and_revoked_once,
    a_key_id_is_stored_once,
    the_first_signing_key_stored_under_a_name_is_the_one_kept,
);

fn key(tenant: &TenantId, label: &str, seconds: i64) -> NewApiKey {
    NewApiKey {
        key_id: Uuid::new_v4(),
        tenant_id: tenant.clone(),
        key_hash: format!("hash-of-{label}"),
        label: label.into(),
        created_at: at(seconds),
    }
}

fn labels(rows: Vec<ApiKeyRow>) -> Vec<String> {
    rows.into_iter().map(|r| r.label).collect()
}

async fn api_keys_are_found_listed_per_tenant_and_revoked_once(store: &dyn Store) {
    assert_eq!(store.count_api_keys().await.unwrap(), 0, "a new database");
    let (north, south) = (tenant("north"), tenant("south"));
    let first = key(&north, "first", 1);
    // The second key of a tenant finds its tenant already there.
    for k in [&first, &key(&south, "second", 2), &key(&north, "third", 3)] {
        store.insert_api_key(k).await.unwrap();
    }
    assert_eq!(store.count_api_keys().await.unwrap(), 3);

    let found = store
        .find_api_key(first.key_id)
        .await
        .unwrap()
        .expect("the key");
    assert_eq!(found.tenant_id, north);
    assert_eq!(found.key_hash, "hash-of-first");
    assert_eq!(found.label, "first");
    assert_eq!(found.created_at, at(1));
    assert_eq!(found.revoked_at, None);
    assert!(store.find_api_key(Uuid::new_v4()).await.unwrap().is_none());

    let of_north = store.list_api_keys(Some(&north)).await.unwrap();
    assert_eq!(labels(of_north), ["first", "third"]);
    let all = store.list_api_keys(None).await.unwrap();
    assert_eq!(labels(all), ["first", "second", "third"]);

    assert!(store.revoke_api_key(first.key_id, at(4)).await.unwrap());
    assert!(
        !store.revoke_api_key(first.key_id, at(5)).await.unwrap(),
        "a second revocation changes nothing"
    );
    assert!(!store.revoke_api_key(Uuid::new_v4(), at(5)).await.unwrap());
    let revoked = store.find_api_key(first.key_id).await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(at(4)));
    assert_eq!(
        store.count_api_keys().await.unwrap(),
        3,
        "revoked keys count"
    );
}

async fn a_key_id_is_stored_once(store: &dyn Store) {
    let k = key(&tenant("north"), "only", 1);
    store.insert_api_key(&k).await.unwrap();
    let again = store.insert_api_key(&k).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    assert_eq!(store.count_api_keys().await.unwrap(), 1);
}

async fn the_first_signing_key_stored_under_a_name_is_the_one_kept(store: &dyn Store) {
    let kept = store.signing_key("tokens", b"first", at(1)).await.unwrap();
    assert_eq!(kept, b"first");
    let again = store.signing_key("tokens", b"second", at(2)).await.unwrap();
    assert_eq!(again, b"first", "a later candidate loses");
    let other = store.signing_key("streams", b"other", at(2)).await.unwrap();
    assert_eq!(other, b"other", "names are independent");
}
