//! Outreach and check-ins: plans, their attempts and the patients' replies, each
//! stored once; and routing an inbound SMS: the tenants' numbers, the plans a
//! sender may be answering, and replies that stayed ambiguous.

use careflow::store::{
    Classified, NewAttempt, NewInteraction, NewPlan, NewUnroutedReply, Store, StoreError, TenantId,
    TwilioNumberRow, UnroutedCandidate,
};
use serde_json::json;
use uuid::Uuid;

use super::{at, event, events_of, tenant};

contract!(
    plans_attempts_and_replies_are_stored_once_and_end_once,
    an_interaction_is_stored_once_per_message_and_classified,
    inbound_sms_are_routed_by_number_and_ambiguous_replies_kept_per_tenant,
);

fn plan(tenant: &TenantId, id: u128, key: &str, phone: &str, seconds: i64) -> NewPlan {
    NewPlan {
        tenant_id: tenant.clone(),
        plan_id: Uuid::from_u128(id),
        origin_key: key.into(),
        patient_id: "p-1".into(),
        phone: phone.into(),
        patient_name: Some("Rex".into()),
        discharged_at: at(0),
        max_attempts: 3,
        reply_timeout_secs: 3600,
        created_at: at(seconds),
    }
}

fn attempt(tenant: &TenantId, plan: u128, number: i32, seconds: i64) -> NewAttempt {
    NewAttempt {
        tenant_id: tenant.clone(),
        attempt_id: Uuid::new_v4(),
        plan_id: Uuid::from_u128(plan),
        attempt_number: number,
        channel: "sms".into(),
        sent_at: at(seconds),
    }
}

fn reply(tenant: &TenantId, sid: Option<&str>, key: Option<&str>, seconds: i64) -> NewInteraction {
    NewInteraction {
        tenant_id: tenant.clone(),
        interaction_id: Uuid::new_v4(),
        patient_id: "p-1".into(),
        plan_id: Some(Uuid::from_u128(1)),
        channel: "sms".into(),
        body: "feeling fine".into(),
        message_sid: sid.map(Into::into),
        origin_key: key.map(Into::into),
        received_at: at(seconds),
    }
}

async fn plans_attempts_and_replies_are_stored_once_and_end_once(store: &dyn Store) {
    let north = tenant("north");
    let first = store
        .insert_plan(&plan(&north, 1, "run-1", "+15550001", 1))
        .await
        .unwrap();
    let repeated = store
        .insert_plan(&plan(&north, 2, "run-1", "+15550001", 2))
        .await
        .unwrap();
    assert_eq!(repeated.plan_id, first.plan_id);
    assert_eq!(
        (
            first.status.as_str(),
            first.reply_timeout_secs,
            first.finished_at
        ),
        ("ACTIVE", 3600, None)
    );
    store
        .insert_plan(&plan(&north, 3, "run-3", "+15550001", 3))
        .await
        .unwrap();
    let plans: Vec<_> = store
        .plans_for_patient(&north, "p-1")
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.plan_id.as_u128())
        .collect();
    assert_eq!(plans, [1, 3], "oldest first");
    assert!(
        store
            .plans_for_patient(&tenant("south"), "p-1")
            .await
            .unwrap()
            .is_empty()
    );

    let one = store
        .insert_attempt(&attempt(&north, 1, 1, 10))
        .await
        .unwrap();
    let again = store
        .insert_attempt(&attempt(&north, 1, 1, 11))
        .await
        .unwrap();
    assert_eq!(
        (again.attempt_id, again.sent_at),
        (one.attempt_id, at(10)),
        "a plan's attempt number is stored once"
    );
    assert_eq!(one.status, "AWAITING_REPLY");
    let two = store
        .insert_attempt(&attempt(&north, 3, 1, 5))
        .await
        .unwrap();
    let attempts: Vec<_> = store
        .attempts_for_patient(&north, "p-1")
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.attempt_id)
        .collect();
    assert_eq!(
        attempts,
        [two.attempt_id, one.attempt_id],
        "by sending time"
    );

    let (answer, _) = store
        .insert_interaction(&reply(&north, Some("SM1"), None, 20), &[])
        .await
        .unwrap();
    assert!(
        store
            .finish_attempt(
                &north,
                one.attempt_id,
                "RESPONDED",
                Some(answer.interaction_id),
                at(20)
            )
            .await
            .unwrap()
    );
    assert!(
        !store
            .finish_attempt(&north, one.attempt_id, "NO_RESPONSE", None, at(21))
            .await
            .unwrap(),
        "an attempt ends once"
    );
    let ended = store.attempts_for_patient(&north, "p-1").await.unwrap();
    let ended = ended
        .iter()
        .find(|a| a.attempt_id == one.attempt_id)
        .unwrap();
    assert_eq!(
        (
            ended.status.as_str(),
            ended.interaction_id,
            ended.finished_at
        ),
        ("RESPONDED", Some(answer.interaction_id), Some(at(20)))
    );

    assert!(
        store
            .finish_plan(&north, first.plan_id, "COMPLETED", at(30))
            .await
            .unwrap()
    );
    assert!(
        !store
            .finish_plan(&north, first.plan_id, "ESCALATED", at(31))
            .await
            .unwrap()
    );
    let row = store
        .get_plan(&north, first.plan_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.status.as_str(), row.finished_at),
        ("COMPLETED", Some(at(30)))
    );
    assert!(
        store
            .get_plan(&tenant("south"), first.plan_id)
            .await
            .unwrap()
            .is_none()
    );
}

async fn an_interaction_is_stored_once_per_message_and_classified(store: &dyn Store) {
    let north = tenant("north");
    store
        .insert_plan(&plan(&north, 1, "run-1", "+15550001", 1))
        .await
        .unwrap();
    let (first, new) = store
        .insert_interaction(
            &reply(&north, Some("SM1"), None, 10),
            &[event("ReplyReceived", None, 10)],
        )
        .await
        .unwrap();
    assert!(new);
    let (repeated, new) = store
        .insert_interaction(
            &reply(&north, Some("SM1"), None, 11),
            &[event("ReplyReceived", None, 11)],
        )
        .await
        .unwrap();
    assert!(!new, "a repeated webhook");
    assert_eq!(repeated.interaction_id, first.interaction_id);
    let (keyed, _) = store
        .insert_interaction(&reply(&north, None, Some("evt-1"), 12), &[])
        .await
        .unwrap();
    let (again, new) = store
        .insert_interaction(&reply(&north, None, Some("evt-1"), 13), &[])
        .await
        .unwrap();
    assert!(!new, "a repeated attempt");
    assert_eq!(again.interaction_id, keyed.interaction_id);
    let (plain, new) = store
        .insert_interaction(&reply(&north, None, None, 14), &[])
        .await
        .unwrap();
    assert!(new);
    assert_eq!(
        (plain.direction.as_str(), plain.received_at),
        ("inbound", at(14))
    );
    let types: Vec<_> = events_of(store, &north)
        .await
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(types, ["ReplyReceived"]);

    let classified = Classified {
        severity: "HIGH".into(),
        matched_rules: json!(["chest-pain"]),
        reason: "rule chest-pain".into(),
        at: at(20),
        decided_by: "rules".into(),
    };
    assert!(
        store
            .classify_interaction(&north, first.interaction_id, &classified)
            .await
            .unwrap()
    );
    let task = Uuid::new_v4();
    assert!(
        store
            .set_interaction_task(&north, first.interaction_id, task)
            .await
            .unwrap()
    );
    assert!(
        !store
            .set_interaction_task(&tenant("south"), first.interaction_id, task)
            .await
            .unwrap()
    );
    let row = store
        .get_interaction(&north, first.interaction_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            row.severity.as_deref(),
            row.classified_by.as_deref(),
            row.task_id
        ),
        (Some("HIGH"), Some("rules"), Some(task))
    );
    assert_eq!(
        (row.matched_rules.map(|r| r.0), row.classified_at),
        (Some(json!(["chest-pain"])), Some(at(20)))
    );

    let all: Vec<_> = store
        .interactions_for_patient(&north, "p-1")
        .await
        .unwrap()
        .into_iter()
        .map(|i| i.received_at)
        .collect();
    assert_eq!(all, [at(10), at(12), at(14)], "oldest first");
    let latest = store.reply_since(&north, "p-1", at(11)).await.unwrap();
    assert_eq!(latest.map(|i| i.received_at), Some(at(14)));
    assert!(
        store
            .reply_since(&north, "p-1", at(15))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .reply_since(&tenant("south"), "p-1", at(0))
            .await
            .unwrap()
            .is_none()
    );
}

fn number(
    tenant: &TenantId,
    phone: Option<&str>,
    service: Option<&str>,
    seconds: i64,
) -> TwilioNumberRow {
    TwilioNumberRow {
        tenant_id: tenant.clone(),
        number_id: Uuid::new_v4(),
        phone_number: phone.map(Into::into),
        messaging_service_sid: service.map(Into::into),
        created_at: at(seconds),
    }
}

async fn inbound_sms_are_routed_by_number_and_ambiguous_replies_kept_per_tenant(store: &dyn Store) {
    let (north, south) = (tenant("north"), tenant("south"));
    let own = store
        .insert_twilio_number(&number(&north, Some("+15559000"), None, 1))
        .await
        .unwrap();
    store
        .insert_twilio_number(&number(&north, None, Some("MG1"), 2))
        .await
        .unwrap();
    store
        .insert_twilio_number(&number(&south, Some("+15559001"), None, 3))
        .await
        .unwrap();
    let taken = store
        .insert_twilio_number(&number(&south, Some("+15559000"), None, 4))
        .await;
    assert!(
        matches!(taken, Err(StoreError::Conflict(_))),
        "a number belongs to one tenant: {taken:?}"
    );
    let listed: Vec<_> = store
        .list_twilio_numbers(&north)
        .await
        .unwrap()
        .into_iter()
        .map(|n| (n.phone_number, n.messaging_service_sid))
        .collect();
    assert_eq!(
        listed,
        [
            (Some("+15559000".to_string()), None),
            (None, Some("MG1".to_string()))
        ],
        "oldest first"
    );

    let owner = |to: Option<&'static str>, service: Option<&'static str>| async move {
        store
            .twilio_number_owner(to, service)
            .await
            .unwrap()
            .map(|n| n.tenant_id)
    };
    assert_eq!(
        owner(Some("+15559001"), Some("MG1")).await,
        Some(south.clone()),
        "the number first"
    );
    assert_eq!(
        owner(Some("+15550000"), Some("MG1")).await,
        Some(north.clone())
    );
    assert_eq!(owner(None, None).await, None);
    assert!(
        !store
            .delete_twilio_number(&south, own.number_id)
            .await
            .unwrap(),
        "another tenant's number"
    );
    assert!(
        store
            .delete_twilio_number(&north, own.number_id)
            .await
            .unwrap()
    );
    assert_eq!(owner(Some("+15559000"), None).await, None);

    // The same patient number has plans in both tenants.
    store
        .insert_plan(&plan(&north, 1, "run-1", "+15550001", 1))
        .await
        .unwrap();
    store
        .insert_plan(&plan(&south, 2, "run-2", "+15550001", 2))
        .await
        .unwrap();
    store
        .insert_attempt(&attempt(&south, 2, 1, 3))
        .await
        .unwrap();
    let candidates: Vec<_> = store
        .inbound_candidates("+15550001", None)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.tenant_id, c.plan_id.as_u128(), c.awaiting_reply))
        .collect();
    assert_eq!(
        candidates,
        [(south.clone(), 2, true), (north.clone(), 1, false)],
        "newest first, across tenants"
    );
    assert_eq!(
        store
            .inbound_candidates("+15550001", Some(&north))
            .await
            .unwrap()
            .len(),
        1
    );

    let ambiguous = NewUnroutedReply {
        reply_id: Uuid::new_v4(),
        message_sid: "SM9".into(),
        from_phone: "+15550001".into(),
        to_number: Some("+15559001".into()),
        messaging_service_sid: None,
        body: "who is this".into(),
        severity: "LOW".into(),
        received_at: at(50),
    };
    let candidates = [
        UnroutedCandidate {
            tenant_id: north.clone(),
            patient_id: "p-1".into(),
            plan_id: Uuid::from_u128(1),
            events: vec![event("ReplyUnrouted", None, 50)],
        },
        UnroutedCandidate {
            tenant_id: south.clone(),
            patient_id: "p-1".into(),
            plan_id: Uuid::from_u128(2),
            events: vec![],
        },
    ];
    assert!(
        store
            .insert_unrouted_reply(&ambiguous, &candidates)
            .await
            .unwrap()
    );
    let repeated = NewUnroutedReply {
        reply_id: Uuid::new_v4(),
        ..ambiguous.clone()
    };
    assert!(
        !store
            .insert_unrouted_reply(&repeated, &candidates)
            .await
            .unwrap(),
        "a repeated webhook"
    );
    let seen = store
        .unrouted_for_tenant(&north, ambiguous.reply_id, "p-1")
        .await
        .unwrap()
        .expect("north is concerned");
    assert_eq!(
        (
            seen.patient_id.as_str(),
            seen.severity.as_str(),
            seen.received_at
        ),
        ("p-1", "LOW", at(50))
    );
    assert!(
        store
            .unrouted_for_tenant(&tenant("east"), ambiguous.reply_id, "p-1")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .unrouted_for_tenant(&north, repeated.reply_id, "p-1")
            .await
            .unwrap()
            .is_none()
    );
    let north_events: Vec<_> = events_of(store, &north)
        .await
        .into_iter()
        .map(|e| e.event_type)
        .collect();
    assert_eq!(north_events, ["ReplyUnrouted"]);
    assert!(events_of(store, &south).await.is_empty());
}
