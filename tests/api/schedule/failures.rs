//! Phases that fail: a critical first phase stops the import and leaves no rows; the
//! roster and coverage phases become warnings; each phase's store write is all or
//! nothing.

use careflow::app::Extensions;
use careflow::config::Secret;
use serde_json::{Value, json};

use super::*;
use crate::both_backends;
use crate::fake_amion::{FakeAmion, Mode};
use crate::helpers::{Backend, TestApp, json};
use crate::ods::{Cell, schedule, shift};

async fn a_first_phase_failure_skips_the_others_and_leaves_no_rows(backend: Backend) {
    let fake = FakeAmion::start(Mode::Report(roster())).await;
    let app = with_amion(backend, &fake).await;
    let h = hospital(&app, "St. Elsewhere").await;
    let bad = schedule(&[
        vec![
            Cell::Text("soon"),
            Cell::Text("Day"),
            Cell::Hours(7),
            Cell::Hours(19),
            Cell::Text("ICU"),
            Cell::Number(1.0),
        ],
        shift(d(3), "Night", 19, 7, "ICU", 0.0),
    ]);
    let form = Form::default()
        .file("march.ods", bad)
        .text("hospitalId", &h)
        .text("amionLogin", LOGIN);
    let r = send(&app, &app.token, &form, "20s").await;
    assert_eq!(r.status(), 200);
    let result = json(r).await;
    assert_eq!(result["status"], "failed");
    assert_eq!(result["scheduleVersion"], Value::Null);
    let timings = &result["stepTimings"];
    assert_eq!(timings["odsImport"]["status"], "failed");
    assert_eq!(timings["amionScrape"]["status"], "skipped");
    assert_eq!(timings["coverageCalculation"]["status"], "skipped");
    let errors = result["validation"]["errors"].as_array().unwrap();
    let located: Vec<(Value, Value)> = errors
        .iter()
        .filter(|e| e.get("row").is_some())
        .map(|e| (e["row"].clone(), e["column"].clone()))
        .collect();
    assert_eq!(
        located,
        vec![
            (json!(2), json!("Date")),
            (json!(3), json!("Required staff"))
        ]
    );
    assert!(errors.iter().all(|e| e["phase"] == "odsImport"));
    assert!(
        errors
            .iter()
            .any(|e| e["message"] == "no valid shift rows were found"),
        "{errors:?}"
    );
    let skipped: Vec<&Value> = result["validation"]["infos"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["phase"] != "odsImport")
        .map(|i| &i["phase"])
        .collect();
    assert_eq!(skipped, vec!["amionScrape", "coverageCalculation"]);
    assert!(fake.queries().is_empty(), "Amion was never asked");
    assert_eq!(status(&app, &h).await["status"], "failed");
    // The access code given with the upload is gone although the roster phase never ran.
    assert_eq!(
        count_where(&app, "schedule_uploads", "amion_login is not null").await,
        0,
        "the access code outlived its import"
    );
    for table in [
        "schedule_versions",
        "shift_instances",
        "shift_assignments",
        "schedule_coverage",
        "shift_coverage",
    ] {
        assert_eq!(count(&app, table).await, 0, "{table}");
    }
}

async fn a_roster_phase_failure(backend: Backend, base: String) -> (TestApp, Value) {
    let app = TestApp::spawn_with(
        backend,
        move |s| {
            s.providers.amion.base_url = base;
            s.providers.amion.login = Secret::new(LOGIN);
        },
        Extensions::default,
    )
    .await;
    let h = hospital(&app, "St. Elsewhere").await;
    let form = Form::default()
        .file("march.ods", two_days())
        .text("hospitalId", &h);
    let result = json(send(&app, &app.token, &form, "20s").await).await;
    assert_eq!(result["status"], "completed", "{result}");
    assert_eq!(
        result["assignments"],
        json!({"count": 0, "unmatchedCount": 0, "outcome": "failed"})
    );
    assert_eq!(
        result["stepTimings"]["coverageCalculation"]["status"],
        "completed"
    );
    assert_eq!(result["coverage"]["overallPercentage"], 0.0);
    assert_eq!(
        result["coverage"]["uncoveredShifts"]
            .as_array()
            .unwrap()
            .len(),
        4
    );
    assert_eq!(count(&app, "shift_assignments").await, 0);
    assert_eq!(status(&app, &h).await["status"], "completed");
    (app, result)
}

fn roster_warning(result: &Value) -> String {
    let warnings = result["validation"]["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert_eq!(warnings[0]["phase"], "amionScrape");
    let message = warnings[0]["message"].as_str().unwrap().to_owned();
    assert!(!message.contains(LOGIN));
    message
}

async fn amion_answering_500_becomes_a_warning_and_coverage_still_runs(backend: Backend) {
    let fake = FakeAmion::start(Mode::Status(500)).await;
    let (app, result) = a_roster_phase_failure(backend, fake.base.clone()).await;
    let message = roster_warning(&result);
    assert!(message.contains("HTTP 500"), "{message}");
    // A 5xx may pass: the engine tried as often as its retry policy allows.
    let attempts = app.settings.engine.retry.max_attempts as usize;
    assert_eq!(fake.queries().len(), attempts);
    assert_eq!(result["stepTimings"]["amionScrape"]["attempts"], attempts);
}

async fn an_unreachable_amion_becomes_a_warning_and_coverage_still_runs(backend: Backend) {
    // A port that was just free: nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let (_app, result) = a_roster_phase_failure(backend, base).await;
    let message = roster_warning(&result);
    assert!(message.contains("could not talk to Amion"), "{message}");
}

async fn a_coverage_failure_completes_with_a_warning_and_can_be_recalculated(backend: Backend) {
    let fake = FakeAmion::start(Mode::Report(roster())).await;
    let base = fake.base.clone();
    let mut app = TestApp::spawn_with(
        backend,
        move |s| {
            s.providers.amion.base_url = base;
            s.providers.amion.login = Secret::new(LOGIN);
            s.schedules.max_coverage_shifts = 3;
        },
        Extensions::default,
    )
    .await;
    let h = hospital(&app, "St. Elsewhere").await;
    let form = Form::default()
        .file("march.ods", two_days())
        .text("hospitalId", &h);
    let result = json(send(&app, &app.token, &form, "20s").await).await;
    assert_eq!(result["status"], "completed", "{result}");
    assert_eq!(result["coverage"], Value::Null);
    assert_eq!(
        result["stepTimings"]["coverageCalculation"]["status"],
        "failed"
    );
    let warning = result["validation"]["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|w| w["phase"] == "coverageCalculation")
        .unwrap()
        .clone();
    assert!(
        warning["message"]
            .as_str()
            .unwrap()
            .contains("max_coverage_shifts (3)"),
        "{warning}"
    );
    assert_eq!(status(&app, &h).await["status"], "completed");
    assert_eq!(count(&app, "schedule_coverage").await, 0);
    assert_eq!(count(&app, "shift_coverage").await, 0);
    assert_eq!(
        count(&app, "shift_assignments").await,
        5,
        "phase 2 kept its rows"
    );

    let version = result["scheduleVersion"]["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/schedules/versions/{version}/coverage");
    let r = app.post(&path, &json!({})).await;
    assert_eq!(r.status(), 409, "the bound still holds");

    // The operator raises the bound and recalculates.
    app.settings.schedules.max_coverage_shifts = 100;
    app.restart(Extensions::default()).await;
    let r = app.post(&path, &json!({})).await;
    assert_eq!(r.status(), 200);
    let recalculated = json(r).await;
    assert_eq!(recalculated["coverage"]["overallPercentage"], 66.7);
    let v = json(app.get(&format!("/v1/schedules/versions/{version}")).await).await;
    assert_eq!(v["coverage"]["overallPercentage"], 66.7);
    assert_eq!(v["coverage"]["uncoveredShifts"][0]["shiftName"], "ICU Call");
    assert_eq!(count(&app, "shift_coverage").await, 4);
}

async fn each_phase_writes_all_of_its_rows_or_none(backend: Backend) {
    use careflow::store::{
        AssignmentBatch, AssignmentRow, CoverageWrite, CreatedVersion, NewScheduleVersion,
        NewShiftInstance, NewUpload, ShiftCoverageRow, TenantId,
    };
    use chrono::Utc;
    use uuid::Uuid;

    let app = TestApp::spawn(backend).await;
    let store = app.app().store.clone();
    let tenant = TenantId::parse("tenant-a").unwrap();
    let hospital: Uuid = hospital(&app, "St. Elsewhere").await.parse().unwrap();
    let upload = Uuid::now_v7();
    let new_upload = NewUpload {
        upload_id: upload,
        hospital_id: hospital,
        file_name: None,
        content: vec![1, 2, 3],
        sha256: "00".into(),
        amion_login: None,
        uploaded_by: "tester".into(),
        created_at: Utc::now(),
    };
    store.insert_upload(&tenant, &new_upload).await.unwrap();
    let at = |h: u32| d(2).and_hms_opt(h, 0, 0).unwrap();
    let shift = |n: i32, required: i32| NewShiftInstance {
        shift_id: Uuid::now_v7(),
        position: n,
        sheet: "Week 10".into(),
        row_number: n + 2,
        shift_date: d(2),
        shift_name: format!("Shift {n}"),
        service: "ICU".into(),
        starts_at: at(7),
        ends_at: at(19),
        required_staff: required,
    };
    let mut version = NewScheduleVersion {
        version_id: Uuid::now_v7(),
        hospital_id: hospital,
        upload_id: upload,
        run_id: None,
        period_start: d(2),
        period_end: d(2),
        created_by: "tester".into(),
        created_at: Utc::now(),
        shifts: vec![shift(0, 1), shift(1, 0)],
    };
    // Phase 1: the database refuses the second shift (no staff required), and the
    // version and the first shift go with it.
    assert!(
        store
            .create_version_with_shifts(&tenant, &version)
            .await
            .is_err()
    );
    assert_eq!(count(&app, "schedule_versions").await, 0);
    assert_eq!(count(&app, "shift_instances").await, 0);
    version.shifts[1].required_staff = 2;
    let created = store.create_version_with_shifts(&tenant, &version).await;
    assert_eq!(created.unwrap(), CreatedVersion::Created);
    let (v, s0, s1) = (
        version.version_id,
        version.shifts[0].shift_id,
        version.shifts[1].shift_id,
    );

    // Phase 2: a replacement naming a shift the version does not have (the second
    // row) writes nothing, not even its first row, and keeps the earlier rows.
    let assignment = |shift_id: Uuid, n: i32| AssignmentRow {
        assignment_id: Uuid::now_v7(),
        shift_id,
        position: n,
        staff_name: "Okafor, Ada".into(),
        staff_key: "ada okafor".into(),
        staff_ref: None,
        assignment_name: "Shift 0".into(),
        starts_at: at(7),
        ends_at: at(19),
    };
    let first = AssignmentBatch {
        version_id: v,
        fetched_at: Utc::now(),
        assignments: vec![assignment(s0, 0)],
        unmatched: 0,
    };
    store.store_assignments(&tenant, &first).await.unwrap();
    let broken = AssignmentBatch {
        version_id: v,
        fetched_at: Utc::now(),
        assignments: vec![assignment(s1, 0), assignment(Uuid::now_v7(), 1)],
        unmatched: 7,
    };
    assert!(store.store_assignments(&tenant, &broken).await.is_err());
    assert_eq!(
        store.list_assignments(&tenant, v).await.unwrap(),
        first.assignments
    );
    let stored = store.get_version(&tenant, v).await.unwrap().unwrap();
    assert_eq!(
        (stored.assignments_matched, stored.assignments_unmatched),
        (Some(1), Some(0))
    );

    // Phase 3 likewise.
    let row = |shift_id: Uuid| ShiftCoverageRow {
        shift_id,
        required_staff: 1,
        assigned_staff: 1,
        status: "covered".into(),
    };
    let good = CoverageWrite {
        version_id: v,
        computed_at: Utc::now(),
        overall_percentage: 33.3,
        required_staff: 3,
        assigned_staff: 1,
        days: json!([]),
        shifts: vec![row(s0)],
    };
    store.store_coverage(&tenant, &good).await.unwrap();
    let broken = CoverageWrite {
        overall_percentage: 0.0,
        shifts: vec![row(s1), row(Uuid::now_v7())],
        ..good.clone()
    };
    assert!(store.store_coverage(&tenant, &broken).await.is_err());
    let kept = store.get_coverage(&tenant, v).await.unwrap().unwrap();
    assert_eq!(kept.overall_percentage, 33.3);
    let per_shift = store.list_shift_coverage(&tenant, v).await.unwrap();
    assert_eq!(per_shift, good.shifts);
}

both_backends!(
    a_first_phase_failure_skips_the_others_and_leaves_no_rows,
    amion_answering_500_becomes_a_warning_and_coverage_still_runs,
    an_unreachable_amion_becomes_a_warning_and_coverage_still_runs,
    a_coverage_failure_completes_with_a_warning_and_can_be_recalculated,
    each_phase_writes_all_of_its_rows_or_none,
);
