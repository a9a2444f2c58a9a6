//! Headless Chromium against the real service: sign in, see a run appear live, its
//! waterfall, cancel a parked run, follow live events, sign out; every view at 390 px.

use serde_json::json;

use crate::both_backends;
use crate::browser::Browser;
use crate::helpers::{Backend, json, until};

use super::{spawn, submit};

async fn a_browser_signs_in_follows_runs_live_cancels_a_parked_run_and_signs_out(backend: Backend) {
    let app = spawn(backend).await;
    let browser = Browser::start(1280, 900).await;

    // `/` leads to the sign-in form.
    browser.goto(&app.url("/")).await;
    browser
        .wait_for("location.pathname === '/ui' && !document.getElementById('signin').hidden")
        .await;
    browser.type_into("#token", "cfk_wrong").await;
    browser.click("#signin-form button[type=submit]").await;
    browser
        .wait_for("document.getElementById('signin-error').textContent.includes('not accepted')")
        .await;
    browser
        .js("document.getElementById('token').value = ''")
        .await;
    browser.type_into("#token", &app.token).await;
    browser.click("#signin-form button[type=submit]").await;
    browser
        .wait_for("location.hash === '#/runs' && document.getElementById('tenant').textContent.includes('tenant-a')")
        .await;
    browser
        .wait_for("document.querySelector('#runs-list') && document.querySelector('#view .live').dataset.state === 'live'")
        .await;

    // A run submitted elsewhere appears without reloading the page.
    browser.js("window.notReloaded = true").await;
    let run = submit(
        &app,
        "lab",
        json!({"input": {"steps": {"b": {"failCalls": 1}}}}),
    )
    .await;
    browser
        .wait_for(&format!(
            "document.querySelector('tr[data-run-id=\"{run}\"][data-status=\"completed\"]')"
        ))
        .await;
    assert_eq!(
        browser.js("return window.notReloaded === true").await,
        json!(true)
    );

    // Open it: one waterfall bar per step; b shows its failed attempt and retry wait.
    browser.click(&format!("tr[data-run-id=\"{run}\"] a")).await;
    browser
        .wait_for("document.querySelectorAll('#waterfall .wf-row').length === 5")
        .await;
    browser
        .wait_for(
            "document.querySelector('#waterfall .wf-row[data-step=\"b\"] .wf-span.retry_wait')",
        )
        .await;
    for step in ["a", "b", "c", "d", "e"] {
        let bars = browser
            .count(&format!(
                "#waterfall .wf-row[data-step=\"{step}\"] .wf-span.attempt"
            ))
            .await;
        assert_eq!(
            bars,
            if step == "b" { 2 } else { 1 },
            "attempt bars of {step}"
        );
    }
    assert_eq!(
        browser.js("return window.notReloaded === true").await,
        json!(true)
    );

    // A parked run is cancelled from the page, after confirming.
    let nap = app
        .post(
            "/v1/workflows/nap/runs?wait=0",
            &json!({"input": {"seconds": 3600}}),
        )
        .await;
    let nap = json(nap).await["runId"].as_str().unwrap().to_string();
    until(&app, &nap, |v| v["status"] == "sleeping").await;
    browser.js(&format!("location.hash = '#/runs/{nap}'")).await;
    browser
        .wait_for("document.querySelector('#run-status[data-status=\"sleeping\"]')")
        .await;
    browser
        .wait_for(
            "document.querySelector('#waterfall .wf-row[data-step=\"wait\"] .wf-span.parked')",
        )
        .await;
    browser.click("#cancel-run").await;
    browser
        .wait_for("document.getElementById('confirm').open")
        .await;
    browser.click("#confirm-ok").await;
    browser
        .wait_for("document.querySelector('#run-status[data-status=\"cancelled\"]')")
        .await;
    let cancelled = json(app.get(&format!("/v1/runs/{nap}")).await).await;
    assert_eq!(cancelled["status"], "cancelled");

    // Live events: a new event shows up as it happens.
    browser.click("nav a[href='#/events']").await;
    browser
        .wait_for("document.querySelector('#events-body') && document.querySelector('#view .live').dataset.state === 'live'")
        .await;
    let r = app
        .post(
            "/v1/events",
            &json!({"name": "ui/checked", "data": {"n": 1}}),
        )
        .await;
    assert_eq!(r.status(), 202);
    browser
        .wait_for("document.querySelector('#events-body tr[data-event-type=\"ui/checked\"]')")
        .await;

    // Sign out: the credential is gone from the tab and the form is back.
    browser.click("#signout").await;
    browser
        .wait_for(
            "!document.getElementById('signin').hidden && document.getElementById('nav').hidden",
        )
        .await;
    assert_eq!(browser.js("return sessionStorage.length").await, json!(0));
    browser.close().await;
}

async fn every_view_fits_a_390_pixel_screen_and_works_by_keyboard(backend: Backend) {
    let app = spawn(backend).await;
    submit(&app, "lab", json!({"input": {}})).await;
    let browser = Browser::start(390, 844).await;
    browser.goto(&app.url("/ui")).await;
    browser
        .wait_for("!document.getElementById('signin').hidden")
        .await;
    // Keyboard only: the token field has focus; Enter submits the form.
    browser
        .type_into("#token", &format!("{}\u{E007}", app.token))
        .await;
    browser.wait_for("location.hash === '#/runs'").await;
    // Each view, and what shows once its data arrived.
    let views = [
        ("runs", "#runs-list table"),
        ("events", "#events-empty"),
        ("health", "#health-cards .card"),
        ("care", "#care-board .column"),
        ("schedules", "#imports p, #imports table"),
        ("encounters", "#encounters p, #encounters table"),
        ("calls", "#calls-list p, #calls-list table"),
    ];
    for (view, loaded) in views {
        browser.js(&format!("location.hash = '#/{view}'")).await;
        browser
            .wait_for(&format!(
                "document.querySelector('nav a[href=\"#/{view}\"]').getAttribute('aria-current') === 'page' \
                 && document.querySelector({loaded:?})"
            ))
            .await;
        assert_eq!(
            browser.count("#view .error:not(:empty)").await,
            0,
            "#/{view} shows an error"
        );
        let overflow = browser
            .js("return document.documentElement.scrollWidth - window.innerWidth")
            .await;
        assert!(
            overflow.as_i64().unwrap_or(1) <= 0,
            "#/{view} is wider than 390 px by {overflow} px"
        );
        // Every form control has a label.
        let unlabelled = browser
            .js("return [...document.querySelectorAll('#view input, #view select')].filter(e => !e.labels || !e.labels.length).map(e => e.name)")
            .await;
        assert_eq!(
            unlabelled,
            json!([]),
            "#/{view} has controls without labels"
        );
    }
    browser.close().await;
}

both_backends!(
    a_browser_signs_in_follows_runs_live_cancels_a_parked_run_and_signs_out,
    every_view_fits_a_390_pixel_screen_and_works_by_keyboard,
);
