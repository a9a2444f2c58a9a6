//! An import's life beyond its first run: cancelled imports, retries and other ways a
//! run starts, all under the one-import-per-hospital rule.

use serde_json::json;

use super::*;
use crate::both_backends;
use crate::fake_amion::{FakeAmion, Mode};
use crate::helpers::{Backend, json, step, until};

async fn every_way_a_run_starts_keeps_one_import_per_hospital_and_a_cancelled_import_says_so(
    backend: Backend,
) {
    let fake = FakeAmion::start(Mode::Report(roster())).await;
    fake.close_gate();
    let app = with_amion(backend, &fake).await;
    let h = hospital(&app, "St. Elsewhere").await;
    let form = Form::default()
        .file("march.ods", two_days())
        .text("hospitalId", &h)
        .text("amionLogin", LOGIN);

    // Import A creates its version, then is cancelled while Amion holds its answer.
    let first = json(send(&app, &app.token, &form, "0").await).await;
    let run_a = first["runId"].as_str().unwrap().to_owned();
    let upload_a = first["importId"].as_str().unwrap().to_owned();
    let imported = until(&app, &run_a, |r| {
        step(r, "odsImport")["status"] == "completed"
    })
    .await;
    let version_a = step(&imported, "odsImport")["output"]["versionId"].clone();
    let r = app
        .post(&format!("/v1/runs/{run_a}/cancel"), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(json(r).await["status"], "cancelled");
    let cancelled = status(&app, &h).await;
    assert_eq!(cancelled["status"], "CANCELLED", "{cancelled}");
    assert_eq!(cancelled["runId"], run_a.as_str());
    assert_eq!(
        count(&app, "schedule_versions").await,
        1,
        "its version exists"
    );

    // Import B runs; retrying A beside it is refused and changes nothing.
    let second = json(send(&app, &app.token, &form, "0").await).await;
    let run_b = second["runId"].as_str().unwrap().to_owned();
    let r = app
        .post(&format!("/v1/runs/{run_a}/retry"), &json!({}))
        .await;
    assert_eq!(r.status(), 409);
    let problem = json(r).await;
    assert!(
        problem["detail"].as_str().unwrap().contains(&run_b),
        "the 409 names the running import: {problem}"
    );
    let a = json(app.get(&format!("/v1/runs/{run_a}")).await).await;
    assert_eq!(a["status"], "cancelled");

    // A run of A's upload submitted through the generic endpoint fails at once.
    let r = app
        .post(
            "/v1/workflows/schedule-import/runs?wait=20s",
            &json!({"input": {"uploadId": upload_a, "hospitalId": h}}),
        )
        .await;
    let generic = json(r).await;
    assert_eq!(generic["status"], "failed", "{generic}");
    let error = step(&generic, "odsImport")["error"]["message"].to_string();
    assert!(error.contains("another import"), "{error}");
    let busy = status(&app, &h).await;
    assert_eq!(busy["status"], "IN_PROGRESS");
    assert_eq!(busy["runId"], run_b.as_str());

    fake.open();
    let b = json(
        app.get(&format!("/v1/schedules/imports/{run_b}?wait=20s"))
            .await,
    )
    .await;
    assert_eq!(b["status"], "completed", "{b}");
    assert_eq!(status(&app, &h).await["status"], "COMPLETED");

    // Now A's retry takes the slot, finishes its remaining phases, and completes.
    let r = app
        .post(&format!("/v1/runs/{run_a}/retry"), &json!({}))
        .await;
    assert_eq!(r.status(), 202);
    let a = json(
        app.get(&format!("/v1/schedules/imports/{run_a}?wait=20s"))
            .await,
    )
    .await;
    assert_eq!(a["status"], "completed", "{a}");
    assert_eq!(
        a["scheduleVersion"]["id"], version_a,
        "the version it had created"
    );
    let done = status(&app, &h).await;
    assert_eq!(done["status"], "COMPLETED");
    assert_eq!(done["runId"], run_a.as_str());
    assert_eq!(count(&app, "schedule_versions").await, 2);
}

both_backends!(every_way_a_run_starts_keeps_one_import_per_hospital_and_a_cancelled_import_says_so,);
