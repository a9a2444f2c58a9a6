//! Real screenshots of the dashboard for the README.

use serde_json::json;

use crate::browser::Browser;
use crate::helpers::{Backend, json, until};

use super::{spawn, submit};

/// Regenerates `docs/screenshots/*.png` (real screenshots of this build, at 1280 and
/// 390 px) from a service seeded with a few runs and care tasks:
/// `cargo test --test api ui::screenshots -- --ignored`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "writes docs/screenshots; run on purpose"]
async fn screenshots() {
    let app = spawn(Backend::Sqlite).await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    // Seed: finished, retried, failed and parked runs; a nurse on shift and tasks.
    submit(
        &app,
        "lab",
        json!({"input": {}, "correlationId": "case-4711"}),
    )
    .await;
    let retried = submit(
        &app,
        "lab",
        json!({"input": {"steps": {"b": {"failCalls": 2, "sleepMs": 40}, "c": {"sleepMs": 80}, "e": {"sleepMs": 120}}},
               "correlationId": "case-4712"}),
    )
    .await;
    submit(
        &app,
        "lab-critical",
        json!({"input": {"steps": {"b": {"failCalls": 9, "failKind": "permanent"}}}}),
    )
    .await;
    let r = app
        .post(
            "/v1/workflows/nap/runs?wait=0",
            &json!({"input": {"seconds": 3600}}),
        )
        .await;
    let nap = json(r).await["runId"].as_str().unwrap().to_string();
    until(&app, &nap, |v| v["status"] == "sleeping").await;
    let nurse = json(
        app.post(
            "/v1/nurses",
            &json!({"name": "Sam Reyes", "phone": "+15551230001"}),
        )
        .await,
    )
    .await;
    let nurse_id = nurse["nurseId"].as_str().unwrap();
    let now = chrono::Utc::now();
    app.post(
        &format!("/v1/nurses/{nurse_id}/shifts"),
        &json!({"startsAt": now - chrono::Duration::hours(1), "endsAt": now + chrono::Duration::hours(8)}),
    )
    .await;
    for (patient, title, severity) in [
        ("p-42", "Review medication list", "high"),
        ("p-43", "Call about wound swelling", "moderate"),
        ("p-44", "Confirm follow-up appointment", "low"),
    ] {
        let r = app
            .post(
                "/v1/tasks",
                &json!({"patientId": patient, "title": title, "severity": severity}),
            )
            .await;
        assert_eq!(r.status(), 201);
    }

    for (width, height) in [(1280, 900), (390, 844)] {
        let browser = Browser::start(width, height).await;
        browser.goto(&app.url("/ui")).await;
        browser
            .wait_for("!document.getElementById('signin').hidden")
            .await;
        let shot = |name: &str| dir.join(format!("{name}-{width}.png"));
        std::fs::write(shot("signin"), browser.screenshot().await).unwrap();
        browser
            .type_into("#token", &format!("{}\u{E007}", app.token))
            .await;
        browser
            .wait_for("document.querySelectorAll('#runs-list tr[data-run-id]').length >= 4")
            .await;
        std::fs::write(shot("runs"), browser.screenshot().await).unwrap();
        browser
            .js(&format!("location.hash = '#/runs/{retried}'"))
            .await;
        browser
            .wait_for("document.querySelectorAll('#waterfall .wf-row').length === 5")
            .await;
        std::fs::write(shot("run"), browser.screenshot().await).unwrap();
        browser.js("location.hash = '#/care'").await;
        browser
            .wait_for("document.querySelectorAll('#care-board .task').length >= 3")
            .await;
        std::fs::write(shot("care"), browser.screenshot().await).unwrap();
        browser.js("location.hash = '#/health'").await;
        browser
            .wait_for("document.querySelector('#health-cards .card')")
            .await;
        std::fs::write(shot("health"), browser.screenshot().await).unwrap();
        browser.js("location.hash = '#/events'").await;
        browser
            .wait_for("document.querySelector('#events-body') && document.querySelector('#view .live').dataset.state === 'live'")
            .await;
        submit(&app, "lab", json!({"input": {}})).await;
        browser
            .wait_for(
                "document.querySelector('#events-body tr[data-event-type=\"run.completed\"]')",
            )
            .await;
        std::fs::write(shot("events"), browser.screenshot().await).unwrap();
        browser.close().await;
    }
}
