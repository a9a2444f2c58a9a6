//! Durable timers: a resolved task never warns, and every timer fires exactly once
//! across restarts of the service.

use std::time::Duration;

use careflow::app::Extensions;
use serde_json::json;

use super::{
    events, events_n, eventually, finished, get_json, nurse, on_shift, post_json, reaches, run_for,
    send, spawn, task,
};
use crate::both_backends;
use crate::helpers::Backend;

async fn a_task_resolved_before_its_warning_never_warns(backend: Backend) {
    let care = spawn(backend, |_| {}).await;
    let app = &care.app;
    let n = nurse(app, "Nurse D", "+15552220401").await;
    on_shift(app, &n).await;
    let resolved = task(app, "p-500", 60).await;
    let control = task(app, "p-501", 60).await;
    let watch_resolved = run_for(app, "monitor-sla", "taskId", &resolved).await;
    let watch_control = run_for(app, "monitor-sla", "taskId", &control).await;
    reaches(app, &watch_resolved, "sleeping").await;
    reaches(app, &watch_control, "sleeping").await;

    let (status, body) = post_json(
        app,
        &format!("/v1/tasks/{resolved}/resolve"),
        json!({"resolution": "Called back, all well"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "resolved");
    assert_eq!(body["resolvedNow"], true);
    let cancelled = reaches(app, &watch_resolved, "cancelled").await;
    assert_eq!(
        crate::helpers::step(&cancelled, "warn")["status"],
        "skipped"
    );
    // Resolving again changes nothing and announces nothing.
    let (status, again) = post_json(app, &format!("/v1/tasks/{resolved}/resolve"), json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(again["resolvedNow"], false);
    assert_eq!(events_n(app, "task/resolved", 1).await.len(), 1);

    // Past 75% (and 100%) of both SLAs: only the open task warns and breaches.
    app.advance(Duration::from_secs(46 * 60));
    let warned = events_n(app, "task/sla_warning", 1).await;
    assert_eq!(warned[0]["data"]["taskId"], control.as_str());
    app.advance(Duration::from_secs(15 * 60));
    assert_eq!(finished(app, &watch_control).await["status"], "completed");
    // Events are listed once numbered, shortly after the commit that emitted them;
    // numbering follows commit order, so the warning is listed by then too.
    let breaches = events_n(app, "task/sla_breach", 1).await;
    let warnings = events(app, "task/sla_warning").await;
    assert_eq!(warnings.len(), 1);
    assert_eq!(breaches.len(), 1);
    assert_eq!(breaches[0]["data"]["taskId"], control.as_str());
    let t = get_json(app, &format!("/v1/tasks/{resolved}")).await;
    assert!(t["sla"]["warnedAt"].is_null() && t["sla"]["breachedAt"].is_null());
}

async fn every_timer_fires_once_across_restarts(backend: Backend) {
    let mut care = spawn(backend, |_| {}).await;
    let n = nurse(&care.app, "Nurse E", "+15552220501").await;
    on_shift(&care.app, &n).await;
    let task_id = task(&care.app, "p-600", 60).await;
    let monitor = run_for(&care.app, "monitor-sla", "taskId", &task_id).await;
    reaches(&care.app, &monitor, "sleeping").await;
    send(
        &care.app,
        json!({"name": "patient/discharged",
               "data": {"patientId": "p-601", "phone": "+15551238888"}}),
    )
    .await;
    let checkin = run_for(&care.app, "schedule-checkin", "patientId", "p-601").await;
    reaches(&care.app, &checkin, "sleeping").await;

    care.app.restart(Extensions::default()).await;
    care.app.advance(Duration::from_secs(46 * 60));
    events_n(&care.app, "task/sla_warning", 1).await;
    reaches(&care.app, &monitor, "sleeping").await;

    care.app.restart(Extensions::default()).await;
    care.app.advance(Duration::from_secs(15 * 60));
    assert_eq!(finished(&care.app, &monitor).await["status"], "completed");
    events_n(&care.app, "task/sla_breach", 1).await;

    care.app.restart(Extensions::default()).await;
    care.app.advance(Duration::from_secs(24 * 3600));
    eventually("the check-in SMS", || async {
        (!care.twilio.sms_to("+15551238888").is_empty()).then_some(())
    })
    .await;
    reaches(&care.app, &checkin, "waiting").await;

    let app = &care.app;
    assert_eq!(events(app, "task/sla_warning").await.len(), 1);
    assert_eq!(events(app, "task/sla_breach").await.len(), 1);
    // The urgent SMS is sent by its own run after the breach: wait for it.
    let to_nurse = eventually("the three nurse SMS", || async {
        let sent = care.twilio.sms_to("+15552220501");
        (sent.len() >= 3).then_some(sent)
    })
    .await;
    let count = |prefix: &str| {
        to_nurse
            .iter()
            .filter(|s| s.body.starts_with(prefix))
            .count()
    };
    assert_eq!(to_nurse.len(), 3);
    assert_eq!(count("New task assigned"), 1);
    assert_eq!(count("SLA warning"), 1);
    assert_eq!(count("URGENT"), 1);
    assert_eq!(care.twilio.sms_to("+15551238888").len(), 1);
}

both_backends!(
    a_task_resolved_before_its_warning_never_warns,
    every_timer_fires_once_across_restarts,
);
