//! Every outside call goes through its endpoint's breaker: Amion and outbound
//! service calls are counted in `GET /v1/providers`, an open breaker refuses
//! without touching the network, and one tenant's FHIR server never trips (or
//! heals) another tenant's breaker, nor shows in its list.

use std::time::Duration;

use careflow::config::{BreakerOverride, Secret, Settings};
use serde_json::{Value, json};

use crate::both_backends;
use crate::encounter::{events, source};
use crate::fake_amion::{FakeAmion, Mode};
use crate::fake_fhir::FakeFhir;
use crate::fake_partner::Reply;
use crate::helpers::{Backend, TestApp, json};
use crate::schedule::{Form, LOGIN, hospital, send, two_days};
use crate::service_calls::{call_to, settle, spawn_with, submit};

/// A breaker that opens after `failures` failures and stays open for the test.
fn opens_after(failures: u32) -> BreakerOverride {
    BreakerOverride {
        failure_threshold: Some(failures),
        failure_ratio: Some(0.0),
        min_calls: Some(1),
        window: Some(Duration::from_secs(60)),
        open_for: Some(Duration::from_secs(600)),
        half_open_max_calls: Some(1),
    }
}

/// The caller's breakers, as `GET /v1/providers` lists them.
async fn breakers(app: &TestApp, token: &str) -> Vec<Value> {
    let r = app
        .http
        .get(app.url("/v1/providers"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    json(r).await["providers"].as_array().unwrap().clone()
}

fn named<'a>(list: &'a [Value], name: &str) -> Option<&'a Value> {
    list.iter().find(|b| b["name"] == name)
}

async fn amion_failures_are_counted_and_an_open_breaker_refuses_the_next_import(backend: Backend) {
    let fake = FakeAmion::start(Mode::Status(500)).await;
    let base = fake.base.clone();
    let app = TestApp::spawn_with(
        backend,
        move |s: &mut Settings| {
            s.providers.amion.base_url = base;
            s.providers.amion.login = Secret::new(LOGIN);
            let attempts = s.engine.retry.max_attempts;
            s.providers.amion.breaker = opens_after(attempts);
        },
        Default::default,
    )
    .await;
    let attempts = u64::from(app.settings.engine.retry.max_attempts);
    let h = hospital(&app, "St. Elsewhere").await;
    let form = Form::default()
        .file("march.ods", two_days())
        .text("hospitalId", &h);
    let first = json(send(&app, &app.token, &form, "20s").await).await;
    assert_eq!(first["assignments"]["outcome"], "failed", "{first}");

    let list = breakers(&app, &app.token).await;
    let amion = named(&list, "amion").expect("amion's breaker is listed");
    assert_eq!(amion["provider"], "amion");
    assert_eq!(amion["calls"], attempts, "{amion}");
    assert_eq!(amion["failures"], attempts, "{amion}");
    assert_eq!(amion["state"], "open", "{amion}");
    assert_eq!(amion["lastError"], "HTTP 500", "{amion}");

    // The next import's roster phase waits for the breaker; Amion is not asked.
    let second = send(&app, &app.token, &form, "0s").await;
    assert!(second.status().is_success(), "{}", second.status());
    let deferred = events(&app, "step.deferred", 1).await;
    let reason = deferred[0]["data"]["reason"].as_str().unwrap();
    assert!(
        reason.contains("amion is unavailable (circuit open)"),
        "{reason}"
    );
    assert_eq!(fake.queries().len() as u64, attempts);
    let amion = breakers(&app, &app.token).await;
    assert!(
        named(&amion, "amion").unwrap()["refusals"]
            .as_u64()
            .unwrap()
            >= 1
    );
}

async fn outbound_failures_are_counted_per_host_and_an_open_breaker_sends_nothing(
    backend: Backend,
) {
    let (app, partner) = spawn_with(backend, |s| {
        s.providers.outbound.breaker = opens_after(2);
    })
    .await;
    partner.always(Reply::Status(500));
    let call = submit(&app, &call_to(&partner.url("/hooks/a"))).await;
    let (done, _) = settle(&app, &call).await;
    // Two attempts reached the partner and opened its breaker; the third was
    // refused without being sent.
    assert_eq!(partner.received().len(), 2);
    assert_eq!(done["status"], "failed", "{done}");
    assert_eq!(done["error"]["kind"], "circuit_open", "{done}");

    let list = breakers(&app, &app.token).await;
    let outbound: Vec<&Value> = list
        .iter()
        .filter(|b| b["provider"] == "outbound")
        .collect();
    assert_eq!(outbound.len(), 1, "{list:?}");
    let host = outbound[0];
    assert!(
        host["endpoint"].as_str().unwrap().starts_with("127.0.0.1:"),
        "{host}"
    );
    assert_eq!(host["calls"], 2, "{host}");
    assert_eq!(host["failures"], 2, "{host}");
    assert_eq!(host["refusals"], 1, "{host}");
    assert_eq!(host["state"], "open", "{host}");
    assert_eq!(host["lastError"], "HTTP 500", "{host}");

    // Another tenant never called that host: it does not see its breaker.
    let other = app.key_for("tenant-b").await;
    let theirs = breakers(&app, &other).await;
    assert!(
        theirs.iter().all(|b| b["provider"] != "outbound"),
        "{theirs:?}"
    );
}

async fn one_tenants_failing_fhir_server_neither_trips_nor_heals_anothers(backend: Backend) {
    let a_server = FakeFhir::start().await;
    let b_server = FakeFhir::start().await;
    a_server.add_encounter("enc-a", "2025-03-03T14:05:00Z");
    b_server.add_encounter("enc-b", "2025-03-03T14:05:00Z");
    let north = source("north", &a_server.base, false);
    let mut south = source("south", &b_server.base, false);
    south.tenant = "tenant-b".into();
    let app = TestApp::spawn_with(
        backend,
        move |s| {
            s.encounters.sources.push(north);
            s.encounters.sources.push(south);
            s.encounters.retry.max_attempts = 6;
            s.providers.fhir.breaker = opens_after(2);
        },
        Default::default,
    )
    .await;
    let b_token = app.key_for("tenant-b").await;
    a_server.set_down(true);
    let r = app
        .post("/v1/encounters", &json!({"encounterId": "enc-a"}))
        .await;
    assert_eq!(r.status(), 202);
    events(&app, "step.deferred", 1).await;
    let a_list = breakers(&app, &app.token).await;
    let north = named(&a_list, "fhir:north").expect("tenant A sees its source");
    assert_eq!(north["state"], "open", "{north}");
    assert_eq!(north["lastError"], "HTTP 503", "{north}");
    assert!(named(&a_list, "fhir:south").is_none(), "{a_list:?}");

    // Tenant B's server answers: its encounter completes at once, and its success
    // leaves A's breaker open.
    let r = app
        .http
        .post(app.url("/v1/encounters"))
        .bearer_auth(&b_token)
        .json(&json!({"encounterId": "enc-b"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    let run = json(r).await["runId"].as_str().unwrap().to_string();
    let r = app
        .http
        .get(app.url(&format!("/v1/runs/{run}?wait=20s")))
        .bearer_auth(&b_token)
        .send()
        .await
        .unwrap();
    assert_eq!(json(r).await["status"], "completed");
    let b_list = breakers(&app, &b_token).await;
    let south = named(&b_list, "fhir:south").expect("tenant B sees its source");
    assert_eq!(south["state"], "closed", "{south}");
    assert!(south["calls"].as_u64().unwrap() >= 1, "{south}");
    assert!(named(&b_list, "fhir:north").is_none(), "{b_list:?}");
    let a_list = breakers(&app, &app.token).await;
    assert_eq!(named(&a_list, "fhir:north").unwrap()["state"], "open");
}

both_backends!(
    amion_failures_are_counted_and_an_open_breaker_refuses_the_next_import,
    outbound_failures_are_counted_per_host_and_an_open_breaker_sends_nothing,
    one_tenants_failing_fhir_server_neither_trips_nor_heals_anothers,
);
