//! Discharge records: cases, summaries, owner emails and follow-up calls, each
//! stored once per step key, and the delivery statuses that only move forward.

use careflow::store::{
    CallOutcome, CallStatus, EmailOutcome, EmailStatus, NewCall, NewCase, NewEmail, NewSummary,
    RunId, Store, TenantId,
};
use serde_json::json;
use uuid::Uuid;

use super::{at, tenant};

contract!(
    discharge_records_are_stored_once_per_step_key_and_stay_in_their_tenant,
    an_email_moves_from_outbox_to_sent_only_through_its_delivery_run,
    a_call_is_placed_by_one_run_and_cancelled_only_before_it_is_out,
);

/// A case stored for `tenant` by `run`.
async fn stored_case(store: &dyn Store, tenant: &TenantId, run: RunId) -> Uuid {
    store
        .insert_case(&NewCase {
            tenant_id: tenant.clone(),
            case_id: Uuid::new_v4(),
            origin_key: format!("{}:ingest", run.0),
            run_id: run,
            mode: "structured".into(),
            source: Some("clinic".into()),
            patient: json!({"name": "Rex"}),
            data: json!({"patient": {"name": "Rex"}}),
            entities: json!({"medications": []}),
            created_at: at(1),
        })
        .await
        .unwrap()
        .case_id
}

/// A case, its summary and an email prepared from them, stored for `tenant`.
async fn prepared_email(store: &dyn Store, tenant: &TenantId, run: RunId) -> Uuid {
    let case_id = stored_case(store, tenant, run).await;
    let summary = store
        .insert_summary(&NewSummary {
            tenant_id: tenant.clone(),
            summary_id: Uuid::new_v4(),
            case_id,
            origin_key: format!("{}:summary", run.0),
            run_id: run,
            generated_by: "template:default".into(),
            content: "Rest and water.".into(),
            created_at: at(2),
        })
        .await
        .unwrap();
    store
        .insert_email(&NewEmail {
            tenant_id: tenant.clone(),
            email_id: Uuid::new_v4(),
            case_id,
            summary_id: summary.summary_id,
            origin_key: format!("{}:email", run.0),
            run_id: run,
            recipient: "owner@example.test".into(),
            subject: "Discharge".into(),
            html_body: "<p>Rest</p>".into(),
            text_body: "Rest".into(),
            created_at: at(3),
        })
        .await
        .unwrap()
        .email_id
}

fn new_call(tenant: &TenantId, case_id: Uuid, run: RunId, key: &str) -> NewCall {
    NewCall {
        tenant_id: tenant.clone(),
        call_id: Uuid::new_v4(),
        case_id,
        origin_key: key.into(),
        run_id: run,
        to_phone: "+15550001".into(),
        script: "<Response/>".into(),
        scheduled_for: at(100),
        created_at: at(4),
    }
}

async fn discharge_records_are_stored_once_per_step_key_and_stay_in_their_tenant(
    store: &dyn Store,
) {
    let north = tenant("north");
    let run = RunId::new();
    let case = NewCase {
        tenant_id: north.clone(),
        case_id: Uuid::new_v4(),
        origin_key: "k:ingest".into(),
        run_id: run,
        mode: "text".into(),
        source: None,
        patient: json!({"name": "Rex", "species": "dog"}),
        data: json!({"notes": "ok"}),
        entities: json!({"medications": ["a"]}),
        created_at: at(1),
    };
    let first = store.insert_case(&case).await.unwrap();
    let again = store
        .insert_case(&NewCase {
            case_id: Uuid::new_v4(),
            data: json!({"notes": "other"}),
            ..case.clone()
        })
        .await
        .unwrap();
    assert_eq!(
        again.case_id, first.case_id,
        "a repeated step finds its case"
    );
    assert_eq!(again.data.0, json!({"notes": "ok"}));
    let read = store
        .get_case(&north, case.case_id)
        .await
        .unwrap()
        .expect("the case");
    assert_eq!(
        (
            read.mode.as_str(),
            read.source,
            read.created_at,
            read.run_id
        ),
        ("text", None, at(1), run)
    );
    assert_eq!(read.patient.0["species"], "dog");
    assert_eq!(read.entities.0, json!({"medications": ["a"]}));
    assert!(
        store
            .get_case(&tenant("south"), case.case_id)
            .await
            .unwrap()
            .is_none()
    );

    let summary = NewSummary {
        tenant_id: north.clone(),
        summary_id: Uuid::new_v4(),
        case_id: case.case_id,
        origin_key: "k:summary".into(),
        run_id: run,
        generated_by: "llm:small".into(),
        content: "Rest.".into(),
        created_at: at(2),
    };
    let stored = store.insert_summary(&summary).await.unwrap();
    let repeated = store
        .insert_summary(&NewSummary {
            summary_id: Uuid::new_v4(),
            content: "Other.".into(),
            ..summary.clone()
        })
        .await
        .unwrap();
    assert_eq!(
        (repeated.summary_id, repeated.content.as_str()),
        (stored.summary_id, "Rest.")
    );
    assert_eq!(
        store
            .get_summary(&north, summary.summary_id)
            .await
            .unwrap()
            .map(|s| s.generated_by),
        Some("llm:small".to_string())
    );
    assert!(
        store
            .get_summary(&tenant("south"), summary.summary_id)
            .await
            .unwrap()
            .is_none()
    );

    let email = prepared_email(store, &north, run).await;
    let row = store.get_email(&north, email).await.unwrap().unwrap();
    assert_eq!(
        (row.status, row.attempts, row.resends, row.scheduled_for),
        (EmailStatus::Prepared, 0, 0, None)
    );
    assert_eq!((row.created_at, row.updated_at), (at(3), at(3)));
    assert!(
        store
            .get_email(&tenant("south"), email)
            .await
            .unwrap()
            .is_none()
    );

    let call = new_call(&north, case.case_id, run, "k:call");
    let placed = store.insert_call(&call).await.unwrap();
    let repeated = store
        .insert_call(&NewCall {
            call_id: Uuid::new_v4(),
            ..call.clone()
        })
        .await
        .unwrap();
    assert_eq!(repeated.call_id, placed.call_id);
    assert_eq!(
        (placed.status, placed.scheduled_for, placed.attempts),
        (CallStatus::Scheduled, at(100), 0)
    );
    assert!(
        store
            .get_call(&tenant("south"), call.call_id)
            .await
            .unwrap()
            .is_none()
    );
}

async fn an_email_moves_from_outbox_to_sent_only_through_its_delivery_run(store: &dyn Store) {
    let north = tenant("north");
    let email = prepared_email(store, &north, RunId::new()).await;
    let (delivery, other) = (RunId::new(), RunId::new());

    let row = store
        .schedule_email(&north, email, at(50), at(10))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.status, row.scheduled_for, row.updated_at),
        (EmailStatus::Scheduled, Some(at(50)), at(10))
    );
    let row = store
        .schedule_email(&north, email, at(99), at(11))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.scheduled_for,
        Some(at(50)),
        "only a prepared email is put in the outbox"
    );

    store
        .set_email_delivery_run(&north, email, delivery, at(12))
        .await
        .unwrap();
    store
        .set_email_delivery_run(&north, email, other, at(13))
        .await
        .unwrap();
    let row = store
        .start_email_attempt(&north, email, other, at(50))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.delivery_run_id, row.attempts),
        (Some(delivery), 0),
        "the first run recorded keeps the delivery"
    );
    let row = store
        .start_email_attempt(&north, email, delivery, at(50))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.attempts, 1);

    let retry = EmailOutcome {
        status: EmailStatus::Scheduled,
        last_error: Some("421 try later".into()),
        delivered_via: None,
        message_id: None,
        sent_at: None,
    };
    store
        .finish_email_attempt(&north, email, &retry, at(51))
        .await
        .unwrap();
    let sent = EmailOutcome {
        status: EmailStatus::Sent,
        last_error: None,
        delivered_via: Some("smtp".into()),
        message_id: Some("<m-1@careflow>".into()),
        sent_at: Some(at(60)),
    };
    store
        .start_email_attempt(&north, email, delivery, at(60))
        .await
        .unwrap();
    store
        .finish_email_attempt(&north, email, &sent, at(60))
        .await
        .unwrap();
    let row = store.get_email(&north, email).await.unwrap().unwrap();
    assert_eq!(
        (row.status, row.attempts, row.last_error),
        (EmailStatus::Sent, 2, None)
    );
    assert_eq!(
        (
            row.delivered_via.as_deref(),
            row.message_id.as_deref(),
            row.sent_at
        ),
        (Some("smtp"), Some("<m-1@careflow>"), Some(at(60)))
    );
    // A late outcome of a repeated attempt does not move a sent email back.
    store
        .finish_email_attempt(&north, email, &retry, at(61))
        .await
        .unwrap();
    let row = store
        .cancel_email(&north, email, None, at(62))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, EmailStatus::Sent, "a sent email stays sent");

    let row = store
        .resend_email(&north, email, at(200), at(63))
        .await
        .unwrap()
        .expect("a sent email may be sent again");
    assert_eq!(
        (row.status, row.scheduled_for, row.resends),
        (EmailStatus::Scheduled, Some(at(200)), 1)
    );
    assert_eq!(
        (row.delivery_run_id, row.message_id, row.sent_at),
        (None, None, None)
    );
    assert!(
        store
            .resend_email(&north, email, at(201), at(64))
            .await
            .unwrap()
            .is_none(),
        "an email in the outbox is not resent"
    );
    store
        .set_email_delivery_run(&north, email, other, at(65))
        .await
        .unwrap();
    let row = store
        .cancel_email(&north, email, Some(delivery), at(66))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        row.status,
        EmailStatus::Scheduled,
        "only its delivery run cancels it"
    );
    let row = store
        .cancel_email(&north, email, Some(other), at(67))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.status, row.updated_at),
        (EmailStatus::Cancelled, at(67))
    );
    assert!(
        store
            .cancel_email(&tenant("south"), email, None, at(68))
            .await
            .unwrap()
            .is_none()
    );
}

async fn a_call_is_placed_by_one_run_and_cancelled_only_before_it_is_out(store: &dyn Store) {
    let north = tenant("north");
    let (placing, other) = (RunId::new(), RunId::new());
    let case_id = stored_case(store, &north, RunId::new()).await;
    let call = store
        .insert_call(&new_call(&north, case_id, RunId::new(), "c:1"))
        .await
        .unwrap()
        .call_id;

    store
        .set_call_placement_run(&north, call, placing, at(10))
        .await
        .unwrap();
    let row = store
        .start_call_attempt(&north, call, other, at(100))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((row.placement_run_id, row.attempts), (Some(placing), 0));
    let row = store
        .cancel_call(&north, call, Some(other), at(100))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.status, CallStatus::Scheduled, "not the placing run");
    store
        .start_call_attempt(&north, call, placing, at(100))
        .await
        .unwrap();
    store
        .finish_call_attempt(
            &north,
            call,
            &CallOutcome {
                status: CallStatus::Placed,
                last_error: None,
                provider_call_id: Some("CA1".into()),
                provider_status: Some("queued".into()),
                placed_at: Some(at(101)),
            },
            at(101),
        )
        .await
        .unwrap();
    let row = store
        .cancel_call(&north, call, None, at(102))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (row.status, row.attempts, row.placed_at),
        (CallStatus::Placed, 1, Some(at(101))),
        "a placed call is not cancelled"
    );
    assert_eq!(
        (
            row.provider_call_id.as_deref(),
            row.provider_status.as_deref()
        ),
        (Some("CA1"), Some("queued"))
    );

    let waiting = store
        .insert_call(&new_call(&north, case_id, RunId::new(), "c:2"))
        .await
        .unwrap()
        .call_id;
    let row = store
        .cancel_call(&north, waiting, None, at(5))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((row.status, row.updated_at), (CallStatus::Cancelled, at(5)));
    store
        .finish_call_attempt(
            &north,
            waiting,
            &CallOutcome {
                status: CallStatus::NotConfigured,
                last_error: None,
                provider_call_id: None,
                provider_status: None,
                placed_at: None,
            },
            at(6),
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .get_call(&north, waiting)
            .await
            .unwrap()
            .unwrap()
            .status,
        CallStatus::Cancelled
    );
}
