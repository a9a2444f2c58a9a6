//! SMS consent: each inbound message recorded once, the newest change per number
//! deciding. (Plans need the outreach tables: the care API tests cover them.)

use careflow::store::{ConsentChangeRow, Store};
use uuid::Uuid;

use super::{at, tenant};

contract!(the_newest_consent_change_per_number_decides_and_messages_count_once);

fn change(tenant_id: &str, action: &str, sid: &str, seconds: i64) -> ConsentChangeRow {
    ConsentChangeRow {
        tenant_id: tenant(tenant_id),
        change_id: Uuid::new_v4(),
        phone: "+15550001".into(),
        action: action.into(),
        keyword: if action == "opt_out" { "STOP" } else { "START" }.into(),
        message_sid: sid.into(),
        received_at: at(seconds),
    }
}

async fn the_newest_consent_change_per_number_decides_and_messages_count_once(store: &dyn Store) {
    let north = tenant("north");
    assert!(
        store
            .latest_consent(&north, "+15550001")
            .await
            .unwrap()
            .is_none()
    );

    assert!(
        store
            .record_consent_change(&change("north", "opt_out", "SM1", 1), &[])
            .await
            .unwrap()
    );
    assert!(
        store
            .record_consent_change(&change("north", "opt_in", "SM2", 2), &[])
            .await
            .unwrap()
    );
    let repeated = change("north", "opt_out", "SM2", 3);
    assert!(
        !store.record_consent_change(&repeated, &[]).await.unwrap(),
        "a message already recorded changes nothing"
    );

    let latest = store
        .latest_consent(&north, "+15550001")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (latest.action.as_str(), latest.keyword.as_str()),
        ("opt_in", "START")
    );
    assert_eq!(
        (latest.message_sid.as_str(), latest.received_at),
        ("SM2", at(2))
    );
    assert!(
        store
            .latest_consent(&north, "+15550002")
            .await
            .unwrap()
            .is_none()
    );
    let south = store
        .latest_consent(&tenant("south"), "+15550001")
        .await
        .unwrap();
    assert!(south.is_none(), "another tenant's number");
}
