//! Workflow pauses, per tenant. (Run pauses need runs: the API tests cover them.)

use careflow::store::Store;

use super::{at, tenant};

contract!(a_workflow_is_paused_per_tenant_until_resumed);

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
