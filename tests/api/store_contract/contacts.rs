//! Escalation contacts: one per number within a tenant.

use careflow::store::{EscalationContactRow, Store, StoreError};
use uuid::Uuid;

use super::{at, tenant};

contract!(escalation_contacts_are_kept_per_tenant_one_per_number);

fn contact(tenant_id: &str, name: &str, phone: &str, seconds: i64) -> EscalationContactRow {
    EscalationContactRow {
        tenant_id: tenant(tenant_id),
        contact_id: Uuid::new_v4(),
        name: name.into(),
        role: "charge nurse".into(),
        phone: phone.into(),
        created_at: at(seconds),
    }
}

fn names(rows: &[EscalationContactRow]) -> Vec<&str> {
    rows.iter().map(|r| r.name.as_str()).collect()
}

async fn escalation_contacts_are_kept_per_tenant_one_per_number(store: &dyn Store) {
    let north = tenant("north");
    let ada = contact("north", "Ada", "+15550001", 1);
    let stored = store.insert_escalation_contact(&ada).await.unwrap();
    assert_eq!(
        (
            stored.contact_id,
            stored.name.as_str(),
            stored.role.as_str()
        ),
        (ada.contact_id, "Ada", "charge nurse")
    );
    assert_eq!(
        (stored.phone.as_str(), stored.created_at),
        ("+15550001", at(1))
    );
    store
        .insert_escalation_contact(&contact("north", "Ben", "+15550002", 2))
        .await
        .unwrap();
    // The same number in another tenant is another contact.
    store
        .insert_escalation_contact(&contact("south", "Cy", "+15550001", 3))
        .await
        .unwrap();

    let same_number = store
        .insert_escalation_contact(&contact("north", "Dee", "+15550001", 4))
        .await;
    assert!(
        matches!(same_number, Err(StoreError::Conflict(_))),
        "{same_number:?}"
    );

    let listed = store.list_escalation_contacts(&north).await.unwrap();
    assert_eq!(names(&listed), ["Ada", "Ben"], "oldest first");
    let found = store
        .get_escalation_contact(&north, ada.contact_id)
        .await
        .unwrap();
    assert_eq!(found.map(|c| c.name), Some("Ada".into()));
    let elsewhere = store
        .get_escalation_contact(&tenant("south"), ada.contact_id)
        .await
        .unwrap();
    assert!(elsewhere.is_none(), "another tenant's contact");

    assert!(
        store
            .delete_escalation_contact(&north, ada.contact_id)
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_escalation_contact(&north, ada.contact_id)
            .await
            .unwrap()
    );
    let left = store.list_escalation_contacts(&north).await.unwrap();
    assert_eq!(names(&left), ["Ben"]);
}
