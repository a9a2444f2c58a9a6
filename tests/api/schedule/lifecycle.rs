//! An import's life beyond its first run: cancelled imports, retries and other ways a
//! run starts, all under the one-import-per-hospital rule; hospitals' time zones.

use serde_json::json;

use super::*;
use crate::both_backends;
use crate::fake_amion::{FakeAmion, Mode};
use crate::helpers::{Backend, TestApp, json, step, until};
use crate::ods::{schedule, shift};

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
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
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
    assert_eq!(busy["status"], "in_progress");
    assert_eq!(busy["runId"], run_b.as_str());

    fake.open();
    let b = json(
        app.get(&format!("/v1/schedules/imports/{run_b}?wait=20s"))
            .await,
    )
    .await;
    assert_eq!(b["status"], "completed", "{b}");
    assert_eq!(status(&app, &h).await["status"], "completed");

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
    assert_eq!(done["status"], "completed");
    assert_eq!(done["runId"], run_a.as_str());
    assert_eq!(count(&app, "schedule_versions").await, 2);
}

async fn versions_are_listed_newest_first_published_once_per_period_and_refreshed(
    backend: Backend,
) {
    let fake = FakeAmion::start(Mode::Report(roster())).await;
    let base = fake.base.clone();
    let app = TestApp::spawn_with(
        backend,
        move |s| {
            s.providers.amion.base_url = base;
            s.providers.amion.login = careflow::config::Secret::new(LOGIN);
        },
        careflow::app::Extensions::default,
    )
    .await;
    let h = hospital(&app, "St. Elsewhere").await;
    let import = |bytes: Vec<u8>| {
        let app = &app;
        let h = h.clone();
        async move {
            let form = Form::default()
                .file("march.ods", bytes)
                .text("hospitalId", &h);
            let result = json(send(app, &app.token, &form, "20s").await).await;
            assert_eq!(result["status"], "completed", "{result}");
            result["scheduleVersion"]["id"].as_str().unwrap().to_owned()
        }
    };
    let v1 = import(two_days()).await;
    let v2 = import(two_days()).await;
    let v3 = import(schedule(&[
        shift(d(3), "Day", 7, 19, "Hospitalist 1", 2.0),
        shift(d(4), "Day", 7, 19, "Hospitalist 1", 2.0),
    ]))
    .await;

    let list = |query: &'static str| {
        let app = &app;
        let h = h.clone();
        async move {
            let r = app.get(&format!("/v1/hospitals/{h}/versions{query}")).await;
            assert_eq!(r.status(), 200);
            json(r).await
        }
    };
    let ids = |page: &serde_json::Value| -> Vec<String> {
        page["versions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let all = list("").await;
    assert_eq!(
        ids(&all),
        [v3.clone(), v2.clone(), v1.clone()],
        "newest first"
    );
    assert!(
        all["versions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["status"] == "draft")
    );
    assert_eq!(
        all["versions"][2]["dateRange"],
        json!({"start": "2026-03-02", "end": "2026-03-03"})
    );
    let first = list("?limit=2").await;
    assert_eq!(ids(&first), [v3.clone(), v2.clone()]);
    let cursor = first["nextCursor"].as_str().unwrap().to_owned();
    let r = app
        .get(&format!(
            "/v1/hospitals/{h}/versions?limit=2&cursor={cursor}"
        ))
        .await;
    assert_eq!(ids(&json(r).await), vec![v1.clone()]);
    let r = app
        .get(&format!("/v1/hospitals/{h}/versions?limit=0&cursor=x"))
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(json(r).await["errors"].as_array().unwrap().len(), 2);

    let publish = |v: &str| {
        let app = &app;
        let v = v.to_owned();
        async move {
            app.post(&format!("/v1/schedules/versions/{v}/publish"), &json!({}))
                .await
        }
    };
    let r = publish(&v1).await;
    assert_eq!(r.status(), 200);
    let published = json(r).await;
    assert_eq!(published["status"], "published");
    assert!(published["publishedAt"].is_string());
    assert_eq!(published["superseded"], json!([]));
    assert_eq!(
        publish(&v1).await.status(),
        409,
        "only a draft is published"
    );
    let r = publish(&v3).await;
    assert_eq!(r.status(), 409, "March 3 is published over another period");
    assert!(json(r).await["detail"].as_str().unwrap().contains(&v1));
    let r = publish(&v2).await;
    assert_eq!(r.status(), 200);
    assert_eq!(json(r).await["superseded"], json!([v1.clone()]));
    let all = list("").await;
    let by_id = |id: &str| {
        all["versions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["id"] == id)
            .unwrap()
            .clone()
    };
    assert_eq!(by_id(&v2)["status"], "published");
    assert_eq!(by_id(&v1)["status"], "superseded");
    assert_eq!(by_id(&v1)["supersededBy"], v2.as_str());
    assert_eq!(by_id(&v3)["status"], "draft");
    assert_eq!(
        count_where(&app, "schedule_versions", "status = 'published'").await,
        1
    );
    let shown = json(app.get(&format!("/v1/schedules/versions/{v2}")).await).await;
    assert_eq!(shown["status"], "published");

    // The roster changes: a refresh fetches it again and recalculates coverage.
    let before = shown["coverage"]["overallPercentage"].clone();
    assert_eq!(before, 66.7);
    let mut more = roster();
    more.push(a("Nilsen, Kari", "ICU", 3, 800, 800));
    more.push(a("Sato, Ren", "Hospitalist 1", 3, 700, 1900));
    fake.set_mode(Mode::Report(more));
    let r = app
        .post(
            &format!("/v1/schedules/versions/{v2}/assignments/refresh?wait=20s"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let refreshed = json(r).await;
    assert_eq!(refreshed["status"], "completed", "{refreshed}");
    assert_eq!(refreshed["scheduleVersion"]["id"], v2.as_str());
    assert_eq!(refreshed["assignments"]["count"], 7);
    assert_eq!(refreshed["coverage"]["overallPercentage"], 100.0);
    let shown = json(app.get(&format!("/v1/schedules/versions/{v2}")).await).await;
    assert_eq!(shown["assignments"]["count"], 7);
    assert_eq!(shown["coverage"]["overallPercentage"], 100.0);
    assert_eq!(
        status(&app, &h).await["status"],
        "completed",
        "a refresh is no import"
    );

    // Unknown ids and other tenants' hospitals are not found.
    let other = app.key_for("tenant-b").await;
    let r = app
        .http
        .get(app.url(&format!("/v1/hospitals/{h}/versions")))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(
        publish(&uuid::Uuid::now_v7().to_string()).await.status(),
        404
    );
}

async fn a_hospital_has_a_time_zone_and_shift_times_are_answered_with_its_offsets(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    // Every problem at once; nothing is created.
    let r = app
        .post(
            "/v1/hospitals",
            &json!({"name": "", "timeZone": "Mars/Olympus_Mons"}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let problem = json(r).await;
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(pointers, ["/timeZone", "/name"]);
    let r = app
        .post("/v1/hospitals", &json!({"name": "X", "timeZone": 5}))
        .await;
    assert_eq!(r.status(), 422);
    let listed = json(app.get("/v1/hospitals").await).await;
    assert!(listed["hospitals"].as_array().unwrap().is_empty());

    let r = app
        .post(
            "/v1/hospitals",
            &json!({"name": "Riverside", "timeZone": "America/New_York"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let riverside = json(r).await;
    assert_eq!(riverside["timeZone"], "America/New_York");
    let plain = hospital(&app, "Elsewhere").await;
    let listed = json(app.get("/v1/hospitals").await).await;
    let zones: Vec<&str> = listed["hospitals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["timeZone"].as_str().unwrap())
        .collect();
    assert_eq!(
        zones,
        ["UTC", "America/New_York"],
        "by name: Elsewhere, Riverside"
    );

    // Clocks go forward in New York on 8 March 2026, during the night shift.
    let across_dst = schedule(&[
        shift(d(7), "Day", 7, 19, "Hospitalist 1", 1.0),
        shift(d(7), "Night", 19, 7, "Hospitalist 1", 1.0),
        shift(d(8), "Day", 7, 19, "Hospitalist 1", 1.0),
    ]);
    let mut shifts = Vec::new();
    for h in [riverside["id"].as_str().unwrap(), plain.as_str()] {
        let form = Form::default()
            .file("march.ods", across_dst.clone())
            .text("hospitalId", h);
        let result = json(send(&app, &app.token, &form, "20s").await).await;
        assert_eq!(result["status"], "completed", "{result}");
        let id = result["scheduleVersion"]["id"].as_str().unwrap();
        let v = json(app.get(&format!("/v1/schedules/versions/{id}")).await).await;
        shifts.push((v["timeZone"].clone(), v["shifts"].clone()));
    }
    let times = |s: &serde_json::Value| -> Vec<(String, String)> {
        s.as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["start"].as_str().unwrap().to_owned(),
                    x["end"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(shifts[0].0, "America/New_York");
    assert_eq!(
        times(&shifts[0].1),
        [
            (
                "2026-03-07T07:00:00-05:00".into(),
                "2026-03-07T19:00:00-05:00".into()
            ),
            (
                "2026-03-07T19:00:00-05:00".into(),
                "2026-03-08T07:00:00-04:00".into()
            ),
            (
                "2026-03-08T07:00:00-04:00".into(),
                "2026-03-08T19:00:00-04:00".into()
            ),
        ]
    );
    assert_eq!(shifts[1].0, "UTC");
    assert_eq!(
        times(&shifts[1].1)[1],
        ("2026-03-07T19:00:00Z".into(), "2026-03-08T07:00:00Z".into())
    );
}

both_backends!(
    every_way_a_run_starts_keeps_one_import_per_hospital_and_a_cancelled_import_says_so,
    a_hospital_has_a_time_zone_and_shift_times_are_answered_with_its_offsets,
    versions_are_listed_newest_first_published_once_per_period_and_refreshed,
);
