//! The dashboard: how it is served (types, caching, CSP), and a real headless
//! Chromium using it against the real service: sign in, see a run appear live, its
//! waterfall, cancel a parked run, follow live events, sign out.

use serde_json::{Value, json};

use crate::both_backends;
use crate::browser::Browser;
use crate::helpers::{Backend, TestApp, json, lab, until};
use crate::lab::Recorder;

async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |_| {}, lab(&Recorder::default())).await
}

/// The asset URL prefix the page names (`/ui/assets/<version>`).
fn assets_prefix(html: &str) -> String {
    let start = html.find("/ui/assets/").expect("asset URL in the page") + "/ui/assets/".len();
    let version: String = html[start..].chars().take_while(|c| *c != '/').collect();
    assert_eq!(version.len(), 12, "{version}");
    format!("/ui/assets/{version}")
}

async fn the_dashboard_is_served_with_its_types_cache_headers_and_csp(backend: Backend) {
    let app = spawn(backend).await;
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = no_redirects.get(app.url("/")).send().await.unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    assert_eq!(r.headers()["location"], "/ui");

    let r = app.http.get(app.url("/ui")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert_eq!(h["content-type"], "text/html; charset=utf-8");
    assert_eq!(h["cache-control"], "no-cache");
    let csp = h["content-security-policy"].to_str().unwrap();
    for part in [
        "default-src 'none'",
        "script-src 'self'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(part), "{csp}");
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    let html = r.text().await.unwrap();
    let prefix = assets_prefix(&html);

    for (file, kind) in [
        ("app.js", "text/javascript; charset=utf-8"),
        ("views/run.js", "text/javascript; charset=utf-8"),
        ("app.css", "text/css; charset=utf-8"),
        ("icon.svg", "image/svg+xml"),
    ] {
        let r = app
            .http
            .get(app.url(&format!("{prefix}/{file}")))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{file}");
        assert_eq!(r.headers()["content-type"], kind, "{file}");
        assert_eq!(
            r.headers()["cache-control"],
            "public, max-age=31536000, immutable",
            "{file}"
        );
        assert!(r.headers().contains_key("content-security-policy"));
    }
    // Another release's URL is served but never cached under that name.
    let r = app
        .http
        .get(app.url("/ui/assets/000000000000/app.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-cache");
    let r = app
        .http
        .get(app.url(&format!("{prefix}/nope.js")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // The page needs no credential; the API behind it still does.
    let r = app.http.get(app.url("/v1/runs")).send().await.unwrap();
    assert_eq!(r.status(), 401);
}

async fn submit(app: &TestApp, workflow: &str, body: Value) -> String {
    let r = app
        .post(&format!("/v1/workflows/{workflow}/runs?wait=20s"), &body)
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    json(r).await["runId"].as_str().unwrap().to_string()
}

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
            "document.querySelector('#waterfall .wf-row[data-step=\"b\"] .wf-span.retryWait')",
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
    the_dashboard_is_served_with_its_types_cache_headers_and_csp,
    a_browser_signs_in_follows_runs_live_cancels_a_parked_run_and_signs_out,
    every_view_fits_a_390_pixel_screen_and_works_by_keyboard,
);

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
        ("p-42", "Review medication list", "HIGH"),
        ("p-43", "Call about wound swelling", "MODERATE"),
        ("p-44", "Confirm follow-up appointment", "LOW"),
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
