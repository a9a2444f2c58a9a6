//! Tenants' workflow definitions: numbered versions per name, the latest of each.

use careflow::store::Store;
use serde_json::json;

use super::{at, tenant};

contract!(workflow_definitions_are_versioned_per_tenant_and_name);

async fn workflow_definitions_are_versioned_per_tenant_and_name(store: &dyn Store) {
    let (north, south) = (tenant("north"), tenant("south"));
    let v1 = json!({"steps": ["a"]});
    let v2 = json!({"steps": ["a", "b"]});
    let first = store
        .add_user_workflow_version(&north, "intake", &v1, at(1))
        .await
        .unwrap();
    assert_eq!((first.version, first.created_at), (1, at(1)));
    let second = store
        .add_user_workflow_version(&north, "intake", &v2, at(2))
        .await
        .unwrap();
    assert_eq!(second.version, 2);
    store
        .add_user_workflow_version(&north, "discharge", &v1, at(3))
        .await
        .unwrap();
    let elsewhere = store
        .add_user_workflow_version(&south, "intake", &v1, at(4))
        .await
        .unwrap();
    assert_eq!(elsewhere.version, 1, "versions count per tenant");

    let latest = store
        .user_workflow(&north, "intake", None)
        .await
        .unwrap()
        .expect("the latest");
    assert_eq!((latest.version, latest.definition.0.clone()), (2, v2));
    let older = store
        .user_workflow(&north, "intake", Some(1))
        .await
        .unwrap()
        .expect("version 1");
    assert_eq!(older.definition.0, v1);
    assert!(
        store
            .user_workflow(&north, "intake", Some(3))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .user_workflow(&north, "nothing", None)
            .await
            .unwrap()
            .is_none()
    );

    let versions: Vec<_> = store
        .user_workflow_versions(&north, "intake")
        .await
        .unwrap()
        .iter()
        .map(|r| r.version)
        .collect();
    assert_eq!(versions, [1, 2], "oldest first");
    let names: Vec<_> = store
        .latest_user_workflows(&north)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.name, r.version))
        .collect();
    assert_eq!(
        names,
        [("discharge".to_string(), 1), ("intake".to_string(), 2)],
        "the latest of each, by name"
    );
}
