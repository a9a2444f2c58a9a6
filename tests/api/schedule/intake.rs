//! Taking imports in: the status transitions, one import per hospital at a time (also
//! across replicas), and uploads refused before anything starts.

use careflow::app::Extensions;
use serde_json::{Value, json};

use super::*;
use crate::both_backends;
use crate::fake_amion::{FakeAmion, Mode};
use crate::helpers::{Backend, TestApp, json};
use crate::ods::{repeat_bomb, schedule, schedule_with_trailing_repeats, shift};

async fn status_goes_idle_in_progress_completed_and_a_concurrent_import_gets_409(backend: Backend) {
    let fake = FakeAmion::start(Mode::Report(roster())).await;
    fake.close_gate();
    let app = with_amion(backend, &fake).await;
    let h = hospital(&app, "St. Elsewhere").await;
    let idle = status(&app, &h).await;
    assert_eq!(idle["status"], "idle");
    assert_eq!(idle["runId"], Value::Null);

    let form = Form::default()
        .file("march.ods", two_days())
        .text("hospitalId", &h)
        .text("amionLogin", LOGIN);
    let r = send(&app, &app.token, &form, "0").await;
    assert_eq!(r.status(), 202);
    let run = json(r).await["runId"].as_str().unwrap().to_owned();
    let busy = status(&app, &h).await;
    assert_eq!(busy["status"], "in_progress");
    assert_eq!(busy["runId"], run.as_str());
    assert!(busy["startedAt"].is_string() && busy["completedAt"].is_null());

    let r = send(&app, &app.token, &form, "0").await;
    assert_eq!(r.status(), 409);
    let problem = json(r).await;
    assert!(
        problem["detail"].as_str().unwrap().contains(&run),
        "the 409 names the running import: {problem}"
    );

    fake.open();
    let r = app
        .get(&format!("/v1/schedules/imports/{run}?wait=20s"))
        .await;
    let result = json(r).await;
    assert_eq!(result["status"], "completed", "{result}");
    let done = status(&app, &h).await;
    assert_eq!(done["status"], "completed");
    assert_eq!(done["runId"], run.as_str());
    assert!(done["completedAt"].is_string());
    // The slot is free again.
    let r = send(&app, &app.token, &form, "0").await;
    assert_eq!(r.status(), 202);
}

async fn uploads_that_are_not_schedules_or_lack_fields_are_refused(backend: Backend) {
    // Room for a small schedule and the multipart framing, not for a big one; JSON
    // bodies are held to less than the small schedule, which uploads must not be.
    let limit = two_days().len() + 1024;
    assert!(two_days().len() > 2048);
    let app = TestApp::spawn_with(
        backend,
        move |s| {
            s.server.upload_limit_bytes = limit;
            s.server.body_limit_bytes = 2048;
        },
        Extensions::default,
    )
    .await;
    let h = hospital(&app, "St. Elsewhere").await;
    let problems = |v: &Value| -> Vec<String> {
        v["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["pointer"].as_str().unwrap().to_owned())
            .collect()
    };
    // A CSV named .ods is refused by its content.
    let csv = b"Date,Shift,Start,End,Service,Required staff\n2026-03-02,Day,7:00,19:00,ICU,1\n";
    let form = Form::default()
        .file("march.ods", csv.to_vec())
        .text("hospitalId", &h);
    let r = send(&app, &app.token, &form, "0").await;
    assert_eq!(r.status(), 422);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let p = json(r).await;
    assert_eq!(problems(&p), vec!["/file"]);
    assert!(
        p["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("not an OpenDocument spreadsheet")
    );

    // Every problem at once: no file, no hospital, a reversed period, an unknown field.
    let form = Form::default()
        .text("periodStart", "2026-03-09")
        .text("periodEnd", "2026-03-02")
        .text("color", "blue");
    let p = json(send(&app, &app.token, &form, "0").await).await;
    assert_eq!(
        problems(&p),
        vec!["/color", "/periodEnd", "/file", "/hospitalId"]
    );

    // An unknown hospital, and another tenant's, are both unknown here.
    let other = app.key_for("tenant-b").await;
    let r = app
        .http
        .post(app.url("/v1/hospitals"))
        .bearer_auth(&other)
        .json(&json!({"name": "Elsewhere General"}))
        .send()
        .await
        .unwrap();
    let foreign = json(r).await["id"].as_str().unwrap().to_owned();
    for hospital in [uuid::Uuid::now_v7().to_string(), foreign, "H-1".into()] {
        let form = Form::default()
            .file("march.ods", two_days())
            .text("hospitalId", &hospital);
        let r = send(&app, &app.token, &form, "0").await;
        assert_eq!(r.status(), 422, "{hospital}");
        assert_eq!(problems(&json(r).await), vec!["/hospitalId"]);
    }

    // Larger than server.upload_limit_bytes.
    let rows: Vec<_> = (0..200)
        .map(|i| shift(d(1 + i % 28), "Day", 7, 19, "ICU", 1.0))
        .collect();
    let big = schedule(&rows);
    assert!(big.len() > limit, "{} bytes", big.len());
    let form = Form::default()
        .file("march.ods", big)
        .text("hospitalId", &h);
    let r = send(&app, &app.token, &form, "0").await;
    assert_eq!(r.status(), 413);

    // Nothing was started by any of these.
    assert_eq!(status(&app, &h).await["status"], "idle");
    assert_eq!(count(&app, "schedule_uploads").await, 0);
    let r = app
        .get("/v1/schedules/imports/status?hospitalId=nope")
        .await;
    assert_eq!(r.status(), 422);

    // A schedule within the upload limit goes through, though it exceeds the JSON limit.
    let form = Form::default()
        .file("march.ods", two_days())
        .text("hospitalId", &h);
    assert_eq!(send(&app, &app.token, &form, "0").await.status(), 202);
}

async fn an_expansion_bomb_is_refused_at_intake_and_export_padding_still_imports(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let h = hospital(&app, "St. Elsewhere").await;
    // Under a kilobyte, about 100 million declared cells.
    let bomb = repeat_bomb("Week 1", 6_100, 16_384);
    assert!(bomb.len() < 1024, "{} bytes", bomb.len());
    let form = Form::default()
        .file("week.ods", bomb)
        .text("hospitalId", &h);
    let r = send(&app, &app.token, &form, "0").await;
    assert_eq!(r.status(), 422);
    let p = json(r).await;
    assert_eq!(p["errors"][0]["pointer"], "/file", "{p}");
    let message = p["errors"][0]["message"].as_str().unwrap();
    assert!(message.contains("\"Week 1\""), "{message}");
    assert!(message.contains("99942400 cells"), "{message}");
    assert!(message.contains("500000"), "{message}");
    // Refused before anything was stored or started.
    assert_eq!(count(&app, "schedule_uploads").await, 0);
    assert_eq!(status(&app, &h).await["status"], "idle");

    // A real export pads to the sheet's last row and column with empty repeats;
    // they hold nothing and the schedule imports.
    let form = Form::default()
        .file("week.ods", schedule_with_trailing_repeats())
        .text("hospitalId", &h);
    let r = send(&app, &app.token, &form, "20s").await;
    let result = json(r).await;
    assert_eq!(result["status"], "completed", "{result}");
    assert_eq!(result["scheduleVersion"]["shiftCount"], 1, "{result}");
}

/// Replicas share PostgreSQL (as `replicas.rs`); the claim is one conditional write
/// there, so of two imports arriving at once on two replicas exactly one starts.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_replicas_receiving_imports_at_once_start_only_one() {
    let fake = FakeAmion::start(Mode::Report(roster())).await;
    fake.close_gate();
    let app = with_amion(Backend::Postgres, &fake).await;
    let second = app.replica(Extensions::default()).await;
    let h = hospital(&app, "St. Elsewhere").await;
    let body = Form::default()
        .file("march.ods", two_days())
        .text("hospitalId", &h)
        .body();
    let post = |base: String| {
        app.http
            .post(format!("{base}/v1/schedules/imports?wait=0"))
            .bearer_auth(&app.token)
            .header("content-type", "multipart/form-data; boundary=XyZbOuNdArY")
            .body(body.clone())
            .send()
    };
    let (one, two) = tokio::join!(
        post(app.base.clone()),
        post(format!("http://{}", second.addr))
    );
    let mut statuses = [
        one.unwrap().status().as_u16(),
        two.unwrap().status().as_u16(),
    ];
    statuses.sort();
    assert_eq!(statuses, [202, 409]);
    assert_eq!(
        count(&app, "schedule_uploads").await,
        1,
        "the refused import stored nothing"
    );
    fake.open();
    second.shutdown().await;
}

both_backends!(
    an_expansion_bomb_is_refused_at_intake_and_export_padding_still_imports,
    status_goes_idle_in_progress_completed_and_a_concurrent_import_gets_409,
    uploads_that_are_not_schedules_or_lack_fields_are_refused,
);
