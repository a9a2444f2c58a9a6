//! Imports that succeed: the full workflow with hand-computed coverage, rows left out
//! by row number, and what belongs to which tenant.

use serde_json::{Value, json};

use super::*;
use crate::both_backends;
use crate::fake_amion::{FakeAmion, Mode};
use crate::helpers::{Backend, TestApp, json};
use crate::ods::{Cell, schedule, shift};

async fn a_full_import_stores_the_version_assignments_and_hand_computed_coverage(backend: Backend) {
    let fake = FakeAmion::start(Mode::Report(roster())).await;
    let app = with_amion(backend, &fake).await;
    let h = hospital(&app, "St. Elsewhere").await;
    let form = Form::default()
        .file("march.ods", two_days())
        .text("hospitalId", &h)
        .text("amionLogin", LOGIN);
    let r = send(&app, &jwt("scheduler-7"), &form, "20s").await;
    assert_eq!(r.status(), 200);
    let result = json(r).await;
    assert_eq!(result["status"], "completed", "{result}");
    let version = &result["scheduleVersion"];
    assert_eq!(version["status"], "draft");
    assert_eq!(version["shiftCount"], 4);
    assert_eq!(
        version["dateRange"],
        json!({"start": "2026-03-02", "end": "2026-03-03"})
    );
    assert_eq!(
        result["assignments"],
        json!({"count": 5, "unmatchedCount": 1, "outcome": "stored"})
    );
    let coverage = &result["coverage"];
    assert_eq!(coverage["overallPercentage"], 66.7);
    assert_eq!(
        coverage["perDay"],
        json!([
            {"date": "2026-03-02", "required": 3, "assigned": 3, "percentage": 100.0},
            {"date": "2026-03-03", "required": 3, "assigned": 1, "percentage": 33.3},
        ])
    );
    let names = |list: &Value| -> Vec<(String, String)> {
        list.as_array()
            .unwrap()
            .iter()
            .map(|s| {
                (
                    s["date"].as_str().unwrap().to_owned(),
                    s["shiftName"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(
        names(&coverage["uncoveredShifts"]),
        vec![("2026-03-03".to_owned(), "ICU Call".to_owned())]
    );
    assert_eq!(
        names(&coverage["underCoveredShifts"]),
        vec![("2026-03-03".to_owned(), "Day".to_owned())]
    );
    assert_eq!(result["validation"]["errors"], json!([]));
    assert_eq!(
        result["validation"]["warnings"],
        json!([{"phase": "amionScrape", "message": "1 of the 6 assignments Amion listed matched no shift"}])
    );
    for phase in ["odsImport", "amionScrape", "coverageCalculation"] {
        let t = &result["stepTimings"][phase];
        assert_eq!(t["status"], "completed", "{phase}");
        assert!(t["durationMs"].is_i64(), "{phase}");
    }
    assert!(result["durationMs"].is_i64());
    assert!(result["startedAt"].is_string() && result["completedAt"].is_string());

    // Amion was asked one day per request, with the code given in the form.
    let queries = fake.queries();
    let asked: Vec<(&str, &str, &str, &str)> = queries
        .iter()
        .map(|q| {
            (
                q["Lo"].as_str(),
                q["Rpt"].as_str(),
                q["Day"].as_str(),
                q["Days"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        asked,
        vec![(LOGIN, "619", "2", "1"), (LOGIN, "619", "3", "1")]
    );

    let version_id = version["id"].as_str().unwrap();
    let v = json(
        app.get(&format!("/v1/schedules/versions/{version_id}"))
            .await,
    )
    .await;
    assert_eq!(
        v["createdBy"], "scheduler-7",
        "the importer comes from the credential"
    );
    assert_eq!(v["hospitalId"], h.as_str());
    let first = &v["shifts"][0];
    assert_eq!(
        (first["row"].as_i64(), first["sheet"].as_str()),
        (Some(2), Some("Week 10"))
    );
    assert_eq!(first["assignments"].as_array().unwrap().len(), 3);
    assert_eq!(first["coverageStatus"], "covered");
    assert_eq!(
        v["shifts"][1]["end"], "2026-03-03T07:00:00Z",
        "overnight ends next day"
    );
    assert_eq!(v["coverage"]["overallPercentage"], 66.7);
    assert_eq!(v["assignments"]["unmatchedCount"], 1);

    let run = result["runId"].as_str().unwrap();
    let st = status(&app, &h).await;
    assert_eq!(st["status"], "completed");
    assert_eq!(st["runId"], run);
    // The access code is nowhere in what the service answers, and forgotten once used.
    let run_view = app
        .get(&format!("/v1/runs/{run}"))
        .await
        .text()
        .await
        .unwrap();
    for shown in [result.to_string(), v.to_string(), run_view, st.to_string()] {
        assert!(!shown.contains(LOGIN), "the access code leaked: {shown}");
    }
    assert_eq!(
        count_where(&app, "schedule_uploads", "amion_login is not null").await,
        0
    );
}

async fn bad_rows_are_reported_by_row_while_the_rest_import(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let h = hospital(&app, "St. Elsewhere").await;
    let rows = vec![
        shift(d(2), "Day", 7, 19, "ICU", 2.0),
        vec![
            Cell::Text("2026-02-30"),
            Cell::Text("Day"),
            Cell::Hours(7),
            Cell::Hours(19),
            Cell::Text("ICU"),
            Cell::Number(1.0),
        ],
        vec![
            Cell::Date(d(3)),
            Cell::Text("Day"),
            Cell::Hours(7),
            Cell::Empty,
            Cell::Text("ICU"),
            Cell::Number(1.0),
        ],
        shift(d(3), "Night", 19, 7, "ICU", 1.0),
        // The same date, shift and service as row 2: left out, so 2 staff, not 7.
        shift(d(2), "day", 7, 19, "icu", 5.0),
    ];
    let form = Form::default()
        .file("march.ods", schedule(&rows))
        .text("hospitalId", &h);
    let result = json(send(&app, &app.token, &form, "20s").await).await;
    assert_eq!(result["status"], "completed", "{result}");
    assert_eq!(result["scheduleVersion"]["shiftCount"], 2);
    let errors: Vec<(Value, Value, Value)> = result["validation"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["sheet"].clone(), e["row"].clone(), e["column"].clone()))
        .collect();
    assert_eq!(
        errors,
        vec![
            (json!("Week 10"), json!(3), json!("Date")),
            (json!("Week 10"), json!(4), json!("End")),
        ]
    );
    let warnings = result["validation"]["warnings"].as_array().unwrap();
    let duplicate = warnings.iter().find(|w| w["row"] == 6).unwrap();
    assert_eq!(duplicate["phase"], "odsImport");
    assert!(
        duplicate["message"]
            .as_str()
            .unwrap()
            .contains("Week 10 row 2")
    );
    // Without Amion configured the roster phase says so, and coverage counts nobody.
    let amion = warnings
        .iter()
        .find(|w| w["phase"] == "amionScrape")
        .unwrap();
    assert!(
        amion["message"]
            .as_str()
            .unwrap()
            .contains("not configured")
    );
    assert_eq!(result["assignments"]["outcome"], "not_configured");
    let coverage = &result["coverage"];
    assert_eq!(coverage["overallPercentage"], 0.0);
    assert_eq!(
        coverage["perDay"],
        json!([
            {"date": "2026-03-02", "required": 2, "assigned": 0, "percentage": 0.0},
            {"date": "2026-03-03", "required": 1, "assigned": 0, "percentage": 0.0},
        ])
    );
    assert_eq!(coverage["uncoveredShifts"].as_array().unwrap().len(), 2);
    assert_eq!(count(&app, "shift_instances").await, 2);
}

async fn hospitals_versions_and_imports_belong_to_one_tenant(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let h = hospital(&app, "St. Elsewhere").await;
    let r = app
        .post("/v1/hospitals", &json!({"name": "St. Elsewhere"}))
        .await;
    assert_eq!(r.status(), 409);
    let r = app
        .post("/v1/hospitals", &json!({"name": " ", "beds": 3}))
        .await;
    assert_eq!(r.status(), 422);
    let list = json(app.get("/v1/hospitals").await).await;
    assert_eq!(list["hospitals"][0]["id"], h.as_str());
    assert_eq!(list["hospitals"][0]["name"], "St. Elsewhere");

    let form = Form::default()
        .file("march.ods", two_days())
        .text("hospitalId", &h);
    let result = json(send(&app, &app.token, &form, "20s").await).await;
    let version = result["scheduleVersion"]["id"].as_str().unwrap().to_owned();
    let run = result["runId"].as_str().unwrap().to_owned();

    let other = app.key_for("tenant-b").await;
    let get = |path: String| app.http.get(app.url(&path)).bearer_auth(&other).send();
    let theirs = json(get("/v1/hospitals".into()).await.unwrap()).await;
    assert_eq!(theirs["hospitals"], json!([]));
    for path in [
        format!("/v1/schedules/versions/{version}"),
        format!("/v1/schedules/imports/{run}"),
    ] {
        assert_eq!(get(path.clone()).await.unwrap().status(), 404, "{path}");
    }
    let r = app
        .http
        .post(app.url(&format!("/v1/schedules/versions/{version}/coverage")))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let mine = json(app.get(&format!("/v1/schedules/imports/{run}")).await).await;
    assert_eq!(mine["scheduleVersion"]["id"], version.as_str());
}

both_backends!(
    a_full_import_stores_the_version_assignments_and_hand_computed_coverage,
    bad_rows_are_reported_by_row_while_the_rest_import,
    hospitals_versions_and_imports_belong_to_one_tenant,
);
