//! The notification log: one entry per owning run, a daily cap counted once per
//! notification, sends that start and end once, and provider callbacks applied by
//! compare and set, found by the provider's id across tenants.

use careflow::store::{
    NewNotification, NotificationFilter, ProviderUpdate, Reservation, SendResult, Store, TenantId,
};
use uuid::Uuid;

use super::{at, event, events_of, tenant};

contract!(
    a_notification_is_logged_once_and_counted_once_against_the_daily_cap,
    a_send_ends_once_and_provider_callbacks_apply_in_order,
);

fn notification(tenant: &TenantId, id: u128, key: &str, channel: &str) -> NewNotification {
    NewNotification {
        tenant_id: tenant.clone(),
        notification_id: Uuid::from_u128(id),
        origin_key: key.into(),
        kind: "task_assigned".into(),
        channel: channel.into(),
        recipient_kind: "nurse".into(),
        recipient_id: Some("n-1".into()),
        address: Some("+15550100".into()),
        subject: None,
        body: "A task for you".into(),
        priority: "normal".into(),
        task_id: None,
        patient_id: Some("p-1".into()),
        attempt_id: None,
        created_at: at(id as i64),
    }
}

async fn a_notification_is_logged_once_and_counted_once_against_the_daily_cap(store: &dyn Store) {
    let north = tenant("north");
    let first = store
        .insert_notification(&notification(&north, 1, "run-1", "sms"))
        .await
        .unwrap();
    let repeated = store
        .insert_notification(&notification(&north, 2, "run-1", "sms"))
        .await
        .unwrap();
    assert_eq!(repeated.notification_id, first.notification_id);
    assert_eq!(
        (first.status.as_str(), first.attempts, first.cap_day),
        ("PENDING", 0, None)
    );
    store
        .insert_notification(&notification(&north, 3, "run-3", "sms"))
        .await
        .unwrap();
    store
        .insert_notification(&notification(&north, 4, "run-4", "email"))
        .await
        .unwrap();

    let list = |filter: NotificationFilter| {
        let north = north.clone();
        async move {
            store
                .list_notifications(&north, &filter)
                .await
                .unwrap()
                .into_iter()
                .map(|n| n.notification_id.as_u128())
                .collect::<Vec<_>>()
        }
    };
    let page = |limit| NotificationFilter {
        limit,
        ..Default::default()
    };
    assert_eq!(list(page(10)).await, [4, 3, 1]);
    assert_eq!(
        list(NotificationFilter {
            channel: Some("sms".into()),
            before: Some(Uuid::from_u128(3)),
            ..page(10)
        })
        .await,
        [1]
    );
    assert!(
        store
            .list_notifications(&tenant("south"), &page(10))
            .await
            .unwrap()
            .is_empty()
    );

    let reserve = |id: u128, channel: &'static str| {
        let north = north.clone();
        async move {
            store
                .reserve_send(&north, Uuid::from_u128(id), channel, "2026-03-01", 1)
                .await
                .unwrap()
        }
    };
    assert_eq!(reserve(1, "sms").await, Reservation::Counted);
    assert_eq!(
        reserve(1, "sms").await,
        Reservation::AlreadyCounted,
        "a repeated attempt counts nothing"
    );
    assert_eq!(reserve(3, "sms").await, Reservation::CapReached);
    assert_eq!(
        store
            .get_notification(&north, Uuid::from_u128(3))
            .await
            .unwrap()
            .unwrap()
            .cap_day,
        None,
        "a refused reservation leaves no mark"
    );
    assert_eq!(
        reserve(4, "email").await,
        Reservation::Counted,
        "each channel has its own cap"
    );
    assert_eq!(
        store
            .reserve_send(&tenant("south"), Uuid::from_u128(9), "sms", "2026-03-01", 1)
            .await
            .unwrap(),
        Reservation::AlreadyCounted,
        "an unknown notification is never counted"
    );
}

async fn a_send_ends_once_and_provider_callbacks_apply_in_order(store: &dyn Store) {
    let north = tenant("north");
    let id = Uuid::from_u128(1);
    store
        .insert_notification(&notification(&north, 1, "run-1", "sms"))
        .await
        .unwrap();
    let started = store.begin_send(&north, id, at(10)).await.unwrap().unwrap();
    assert_eq!(
        (started.attempts, started.last_attempt_at),
        (1, Some(at(10)))
    );
    let sent = SendResult {
        status: "SENT".into(),
        provider: Some("twilio".into()),
        provider_id: Some("SM-1".into()),
        provider_status: Some("queued".into()),
        error: None,
        error_code: None,
        at: at(11),
    };
    assert!(store.finish_send(&north, id, &sent).await.unwrap());
    assert!(
        !store.finish_send(&north, id, &sent).await.unwrap(),
        "a send ends once"
    );
    assert!(
        store
            .begin_send(&north, id, at(12))
            .await
            .unwrap()
            .is_none(),
        "a sent notification is not sent again"
    );

    let found = store
        .notification_by_provider_id("SM-1")
        .await
        .unwrap()
        .expect("found by the provider's id");
    assert_eq!(
        (found.tenant_id, found.status.as_str(), found.sent_at),
        (north.clone(), "SENT", Some(at(11)))
    );
    assert!(
        store
            .notification_by_provider_id("SM-2")
            .await
            .unwrap()
            .is_none()
    );

    let delivered = ProviderUpdate {
        expected: Some("queued".into()),
        provider_status: "delivered".into(),
        status: "DELIVERED".into(),
        error_code: None,
        at: at(20),
    };
    assert!(
        store
            .apply_provider_status(
                &north,
                id,
                &delivered,
                &[event("NotificationDelivered", None, 20)]
            )
            .await
            .unwrap()
    );
    assert!(
        !store
            .apply_provider_status(
                &north,
                id,
                &delivered,
                &[event("NotificationDelivered", None, 21)]
            )
            .await
            .unwrap(),
        "a callback for a status that moved on changes nothing"
    );
    let read = ProviderUpdate {
        expected: Some("delivered".into()),
        provider_status: "read".into(),
        status: "READ".into(),
        error_code: None,
        at: at(30),
    };
    assert!(
        store
            .apply_provider_status(&north, id, &read, &[])
            .await
            .unwrap()
    );
    let row = store.get_notification(&north, id).await.unwrap().unwrap();
    assert_eq!(
        (row.status.as_str(), row.provider_status.as_deref()),
        ("READ", Some("read"))
    );
    assert_eq!(
        (row.delivered_at, row.read_at, row.updated_at),
        (Some(at(20)), Some(at(30)), at(30)),
        "the first delivery time is kept"
    );
    let types: Vec<_> = events_of(store, &north)
        .await
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(types, ["NotificationDelivered"]);

    // A notification with no provider status yet matches an update expecting none.
    let other = Uuid::from_u128(2);
    store
        .insert_notification(&notification(&north, 2, "run-2", "voice"))
        .await
        .unwrap();
    let failed = ProviderUpdate {
        expected: None,
        provider_status: "failed".into(),
        status: "FAILED".into(),
        error_code: Some("30003".into()),
        at: at(40),
    };
    assert!(
        store
            .apply_provider_status(&north, other, &failed, &[])
            .await
            .unwrap()
    );
    let row = store
        .get_notification(&north, other)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            row.status.as_str(),
            row.error_code.as_deref(),
            row.failed_at
        ),
        ("FAILED", Some("30003"), Some(at(40)))
    );
    assert!(
        !store
            .apply_provider_status(&tenant("south"), other, &failed, &[])
            .await
            .unwrap()
    );
}
