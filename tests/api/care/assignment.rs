//! Assignment: round-robin fairness, retrying when nobody is on shift, and one
//! notification at a time per nurse.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::{Value, json};

use super::{
    events_n, eventually, finished, get_json, nurse, on_shift, post_json, reaches, run_for, runs,
    send, spawn, task,
};
use crate::both_backends;
use crate::helpers::Backend;

async fn ten_tasks_over_three_nurses_are_shared_four_three_three(backend: Backend) {
    let care = spawn(backend, |_| {}).await;
    let app = &care.app;
    for i in 0..3 {
        let (status, n) = post_json(
            app,
            "/v1/nurses",
            json!({"name": format!("Nurse {i}"), "email": format!("nurse{i}@ward.example")}),
        )
        .await;
        assert_eq!(status, 201, "{n}");
        assert_eq!(n["preferredChannel"], "email");
        on_shift(app, n["nurseId"].as_str().unwrap()).await;
    }
    for i in 0..10 {
        task(app, &format!("p-{i}"), 240).await;
    }
    let assigned = eventually("ten assigned tasks", || async {
        let t = get_json(app, "/v1/tasks?status=assigned").await;
        let tasks = t["tasks"].as_array().unwrap().clone();
        (tasks.len() == 10).then_some(tasks)
    })
    .await;
    let mut per_nurse: HashMap<String, usize> = HashMap::new();
    for t in &assigned {
        *per_nurse
            .entry(t["assigneeId"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    let mut counts: Vec<usize> = per_nurse.values().copied().collect();
    counts.sort_unstable();
    assert_eq!(counts, [3, 3, 4], "{per_nurse:?}");
    let nurses = get_json(app, "/v1/nurses").await;
    let total: i64 = nurses["nurses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["assignmentCount"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 10);
    // Email goes to the spool when no SMTP relay is configured.
    eventually("ten spooled emails", || async {
        let n = std::fs::read_dir(care.spool.path())
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                    .count()
            })
            .unwrap_or(0);
        (n == 10).then_some(())
    })
    .await;
}

async fn a_task_nobody_can_take_waits_and_is_assigned_once_a_shift_starts(backend: Backend) {
    let care = spawn(backend, |s| {
        s.care.assign_retry_interval = Duration::from_secs(300);
    })
    .await;
    let app = &care.app;
    let off_duty = nurse(app, "Off duty", "+15552220009").await;
    let task_id = task(app, "p-7", 120).await;
    let unassigned = events_n(app, "task/unassigned", 1).await;
    assert_eq!(unassigned[0]["data"]["taskId"], task_id.as_str());
    let run = run_for(app, "assign-task", "taskId", &task_id).await;
    reaches(app, &run, "sleeping").await;
    assert_eq!(
        get_json(app, &format!("/v1/tasks/{task_id}")).await["status"],
        "open"
    );
    on_shift(app, &off_duty).await;
    app.advance(Duration::from_secs(301));
    let done = finished(app, &run).await;
    assert_eq!(done["status"], "completed", "{done}");
    let t = get_json(app, &format!("/v1/tasks/{task_id}")).await;
    assert_eq!(t["status"], "assigned");
    assert_eq!(t["assigneeId"], off_duty.as_str());
    assert_eq!(events_n(app, "task/assigned", 1).await.len(), 1);
    assert_eq!(super::events(app, "task/unassigned").await.len(), 1);
}

async fn notifications_to_one_nurse_never_overlap_but_other_nurses_proceed(backend: Backend) {
    let care = spawn(backend, |_| {}).await;
    let app = &care.app;
    let a = nurse(app, "Nurse A", "+15552220101").await;
    let b = nurse(app, "Nurse B", "+15552220102").await;
    // Nurse A's first SMS stays at Twilio until nurse B's has gone through.
    care.twilio.hold("+15552220101");
    let batch: Vec<Value> = [(&a, 1), (&a, 2), (&a, 3), (&b, 4)]
        .iter()
        .map(|(n, i)| {
            json!({"name": "notification/send",
                   "data": {"nurseId": n, "kind": "message", "message": format!("Note {i}")}})
        })
        .collect();
    send(app, json!(batch)).await;
    eventually("nurse B's SMS while nurse A's is held", || async {
        (care.twilio.sms_to("+15552220102").len() == 1).then_some(())
    })
    .await;
    eventually("nurse A's first SMS at Twilio", || async {
        (care.twilio.waiting("+15552220101") >= 1).then_some(())
    })
    .await;
    assert_eq!(
        care.twilio.waiting("+15552220101"),
        1,
        "only one send to a nurse is in flight at a time"
    );
    care.twilio.release("+15552220101");
    let all = eventually("four send-notification runs", || async {
        let r = runs(app, "send-notification").await;
        (r.len() == 4).then_some(r)
    })
    .await;
    for r in &all {
        let done = finished(app, r["runId"].as_str().unwrap()).await;
        assert_eq!(done["status"], "completed", "{done}");
    }
    let mut to_a = care.twilio.sms_to("+15552220101");
    to_a.sort_by_key(|s| s.started);
    assert_eq!(to_a.len(), 3);
    for w in to_a.windows(2) {
        assert!(
            w[1].started >= w[0].ended,
            "two sends to one nurse overlapped"
        );
    }
}

both_backends!(
    ten_tasks_over_three_nurses_are_shared_four_three_three,
    a_task_nobody_can_take_waits_and_is_assigned_once_a_shift_starts,
    notifications_to_one_nurse_never_overlap_but_other_nurses_proceed,
);
