//! Cron schedules: kept per tenant with unique names, claimed when due by one ticker
//! at a time, and a tick finished only by its holder from the expected next tick.

use careflow::store::{CronScheduleRow, RunId, Store, StoreError, TenantId, TickDone};
use serde_json::json;
use sqlx::types::Json;
use uuid::Uuid;

use super::{at, tenant};

contract!(
    schedules_are_kept_per_tenant_with_unique_names,
    a_due_schedule_is_claimed_by_one_ticker_and_finished_by_it,
);

fn schedule(tenant: &TenantId, name: &str, next: i64) -> CronScheduleRow {
    CronScheduleRow {
        tenant_id: tenant.clone(),
        schedule_id: Uuid::new_v4(),
        name: name.into(),
        target_kind: "workflow".into(),
        target_name: "intake".into(),
        payload: Json(json!({"a": 1})),
        expression: "0 * * * *".into(),
        time_zone: "Europe/Paris".into(),
        overlap: "skip".into(),
        catch_up: "latest".into(),
        paused: false,
        next_tick_at: Some(at(next)),
        last_tick_at: None,
        last_run_id: None,
        last_outcome: None,
        created_at: at(0),
        updated_at: at(0),
    }
}

async fn schedules_are_kept_per_tenant_with_unique_names(store: &dyn Store) {
    let (north, south) = (tenant("north"), tenant("south"));
    let (hourly, daily) = (
        schedule(&north, "hourly", 60),
        schedule(&north, "daily", 60),
    );
    store.insert_cron_schedule(&hourly).await.unwrap();
    store.insert_cron_schedule(&daily).await.unwrap();
    store
        .insert_cron_schedule(&schedule(&south, "hourly", 60))
        .await
        .unwrap();
    let same_name = store
        .insert_cron_schedule(&schedule(&north, "hourly", 60))
        .await;
    assert!(
        matches!(same_name, Err(StoreError::Conflict(_))),
        "{same_name:?}"
    );

    let names: Vec<_> = store
        .list_cron_schedules(&north)
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert_eq!(names, ["daily", "hourly"], "by name");
    let read = store
        .get_cron_schedule(&north, hourly.schedule_id)
        .await
        .unwrap()
        .expect("the schedule");
    assert_eq!(
        (read.payload.0.clone(), read.next_tick_at),
        (json!({"a": 1}), Some(at(60)))
    );
    assert!(
        store
            .get_cron_schedule(&south, hourly.schedule_id)
            .await
            .unwrap()
            .is_none()
    );

    let changed = CronScheduleRow {
        expression: "0 0 * * *".into(),
        paused: true,
        updated_at: at(5),
        ..hourly.clone()
    };
    assert!(store.update_cron_schedule(&changed).await.unwrap());
    let read = store
        .get_cron_schedule(&north, hourly.schedule_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (read.expression.as_str(), read.paused, read.updated_at),
        ("0 0 * * *", true, at(5))
    );
    let renamed = CronScheduleRow {
        name: "daily".into(),
        ..changed.clone()
    };
    let clash = store.update_cron_schedule(&renamed).await;
    assert!(matches!(clash, Err(StoreError::Conflict(_))), "{clash:?}");
    let missing = CronScheduleRow {
        schedule_id: Uuid::new_v4(),
        ..changed
    };
    assert!(!store.update_cron_schedule(&missing).await.unwrap());

    assert!(
        store
            .delete_cron_schedule(&north, hourly.schedule_id)
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_cron_schedule(&north, hourly.schedule_id)
            .await
            .unwrap()
    );
    assert_eq!(store.list_cron_schedules(&north).await.unwrap().len(), 1);
}

async fn a_due_schedule_is_claimed_by_one_ticker_and_finished_by_it(store: &dyn Store) {
    let north = tenant("north");
    let due = schedule(&north, "due", 60);
    let later = schedule(&north, "later", 600);
    let paused = CronScheduleRow {
        paused: true,
        ..schedule(&north, "paused", 60)
    };
    for s in [&due, &later, &paused] {
        store.insert_cron_schedule(s).await.unwrap();
    }

    let claimed = store
        .claim_due_cron_schedules("a", at(100), at(130), 10)
        .await
        .unwrap();
    let ids: Vec<_> = claimed.iter().map(|s| s.schedule_id).collect();
    assert_eq!(ids, [due.schedule_id], "due and unpaused only");
    let again = store
        .claim_due_cron_schedules("b", at(110), at(140), 10)
        .await
        .unwrap();
    assert!(again.is_empty(), "a holds it");

    let run = RunId::new();
    let tick = TickDone {
        expected_next: at(60),
        next_tick_at: at(3660),
        tick: at(60),
        run_id: Some(run),
        outcome: "started".into(),
    };
    assert!(
        !store
            .finish_cron_tick(&north, due.schedule_id, "b", &tick)
            .await
            .unwrap(),
        "not the holder"
    );
    let stale = TickDone {
        expected_next: at(59),
        ..tick.clone()
    };
    assert!(
        !store
            .finish_cron_tick(&north, due.schedule_id, "a", &stale)
            .await
            .unwrap(),
        "another tick"
    );
    assert!(
        store
            .finish_cron_tick(&north, due.schedule_id, "a", &tick)
            .await
            .unwrap()
    );
    let read = store
        .get_cron_schedule(&north, due.schedule_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.next_tick_at, Some(at(3660)));
    assert_eq!(read.last_tick_at, Some(at(60)));
    assert_eq!(read.last_run_id, Some(run));
    assert_eq!(read.last_outcome.as_deref(), Some("started"));

    // Released without a tick, a schedule is claimable again at once.
    let claimed = store
        .claim_due_cron_schedules("a", at(700), at(730), 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].schedule_id, later.schedule_id);
    store
        .release_cron_schedule(&north, later.schedule_id, "a")
        .await
        .unwrap();
    let retaken = store
        .claim_due_cron_schedules("b", at(701), at(731), 10)
        .await
        .unwrap();
    assert_eq!(retaken.len(), 1, "released");
    // An expired hold is taken over.
    let expired = store
        .claim_due_cron_schedules("c", at(800), at(830), 10)
        .await
        .unwrap();
    assert_eq!(expired.len(), 1, "b's hold expired at 731");
}
