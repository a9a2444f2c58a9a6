//! Scheduled service calls over HTTP, against a fake partner server.

mod lifecycle;

use std::time::Duration;

use careflow::app::Extensions;
use careflow::config::{Secret, Settings};
use serde_json::{Value, json};

use crate::both_backends;
use crate::fake_partner::{FakePartner, Reply};
use crate::helpers::{Backend, TestApp, json, step, until};

/// 32 bytes (0, 1, ..., 31), base64.
const KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

/// The fake partner listens on 127.0.0.1, which only an allowlist opens.
pub(crate) fn open_to_partner(s: &mut Settings) {
    s.providers.outbound.allow = vec!["127.0.0.1/32".into()];
    s.service_calls.encryption_key = Secret::new(KEY);
    s.providers.outbound.retry.max_attempts = 3;
    s.providers.outbound.retry.initial_backoff = Duration::from_millis(20);
    s.providers.outbound.retry.max_backoff = Duration::from_millis(100);
}

async fn spawn(backend: Backend) -> (TestApp, FakePartner) {
    spawn_with(backend, |_| {}).await
}

pub(crate) async fn spawn_with(
    backend: Backend,
    adjust: impl FnOnce(&mut Settings),
) -> (TestApp, FakePartner) {
    let partner = FakePartner::start().await;
    let app = TestApp::spawn_with(
        backend,
        |s| {
            open_to_partner(s);
            adjust(s);
        },
        Extensions::default,
    )
    .await;
    (app, partner)
}

pub(crate) fn call_to(url: &str) -> Value {
    json!({
        "name": "partner webhook",
        "request": {
            "method": "POST",
            "url": url,
            "headers": {"Authorization": "Bearer s3cret", "X-Trace": "t-1"},
            "body": {"hello": "world"}
        },
        "correlationId": "corr-1",
        "tags": ["partner"]
    })
}

fn due_in(mut body: Value, by: Duration) -> Value {
    let due = chrono::Utc::now() + chrono::Duration::from_std(by).unwrap();
    body["dueAt"] = json!(due.to_rfc3339());
    body
}

async fn post_call(app: &TestApp, body: &Value, key: Option<&str>) -> reqwest::Response {
    let mut req = app
        .http
        .post(app.url("/v1/service-calls"))
        .bearer_auth(&app.token)
        .json(body);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    req.send().await.expect("request")
}

/// Submits a call, expecting `201` with its location.
pub(crate) async fn submit(app: &TestApp, body: &Value) -> Value {
    let r = post_call(app, body, None).await;
    assert_eq!(r.status(), 201);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let call = json(r).await;
    assert_eq!(
        location,
        format!(
            "/v1/service-calls/{}",
            call["serviceCallId"].as_str().unwrap()
        )
    );
    call
}

pub(crate) fn run_of(call: &Value) -> String {
    call["runId"]
        .as_str()
        .expect("the call has a run")
        .to_string()
}

/// Waits for the call's run to end (woken by notification), then reads the call.
pub(crate) async fn settle(app: &TestApp, call: &Value) -> (Value, Value) {
    let run = json(
        app.get(&format!("/v1/runs/{}?wait=20s", run_of(call)))
            .await,
    )
    .await;
    assert!(
        ["completed", "failed", "cancelled"].contains(&run["status"].as_str().unwrap()),
        "run did not end: {run}"
    );
    let id = call["serviceCallId"].as_str().unwrap();
    (
        json(app.get(&format!("/v1/service-calls/{id}")).await).await,
        run,
    )
}

pub(crate) async fn event_types(app: &TestApp, backend: Backend) -> Vec<String> {
    let sql = "select event_type from events where event_type like 'ServiceCall%'";
    match backend {
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&app.db.url).await.unwrap();
            sqlx::query_scalar(&format!("{sql} order by seq"))
                .fetch_all(&pool)
                .await
                .unwrap()
        }
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&app.db.url).await.unwrap();
            sqlx::query_scalar(&format!("{sql} order by position"))
                .fetch_all(&pool)
                .await
                .unwrap()
        }
    }
}

async fn a_call_due_now_runs_once_and_succeeds(backend: Backend) {
    let (app, partner) = spawn(backend).await;
    let call = submit(&app, &call_to(&partner.url("/hooks/a?x=1"))).await;
    assert!(
        ["scheduled", "running", "succeeded"].contains(&call["status"].as_str().unwrap()),
        "{call}"
    );
    assert_eq!(call["request"]["headers"]["Authorization"], "[redacted]");
    let (done, run) = settle(&app, &call).await;
    assert_eq!(run["status"], "completed", "{run}");
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["attempts"], 1);
    assert_eq!(done["response"]["statusCode"], 200);
    assert_eq!(done["response"]["bodyExcerpt"], r#"{"ok":true}"#);
    assert_eq!(
        done["response"]["headers"]["content-type"],
        "application/json"
    );
    assert!(done["response"]["latencyMs"].is_u64());
    assert!(done["startedAt"].is_string() && done["finishedAt"].is_string());
    assert_eq!(done["request"]["headers"]["Authorization"], "[redacted]");
    assert_eq!(done["request"]["headers"]["X-Trace"], "t-1");
    assert_eq!(done["correlationId"], "corr-1");

    let got = partner.received();
    assert_eq!(got.len(), 1, "exactly one request");
    let r = &got[0];
    assert_eq!(
        (r.method.as_str(), r.target.as_str()),
        ("POST", "/hooks/a?x=1")
    );
    assert_eq!(r.headers["authorization"], "Bearer s3cret");
    assert_eq!(r.headers["x-trace"], "t-1");
    assert_eq!(r.headers["content-type"], "application/json");
    assert_eq!(
        serde_json::from_slice::<Value>(&r.body).unwrap(),
        json!({"hello": "world"})
    );
    assert_eq!(
        event_types(&app, backend).await,
        [
            "ServiceCallSubmitted",
            "ServiceCallScheduled",
            "ServiceCallRunning",
            "ServiceCallSucceeded"
        ]
    );
}

async fn a_call_due_later_waits_and_runs_on_time(backend: Backend) {
    let (app, partner) = spawn(backend).await;
    let call = submit(
        &app,
        &due_in(call_to(&partner.url("/later")), Duration::from_secs(3600)),
    )
    .await;
    assert_eq!(call["status"], "scheduled");
    let run = run_of(&call);
    let parked = until(&app, &run, |v| v["status"] == "sleeping").await;
    assert_eq!(step(&parked, "wait")["status"], "sleeping");
    assert!(
        partner.received().is_empty(),
        "nothing is sent before it is due"
    );
    assert_eq!(
        app.app().engine.active_runs(),
        0,
        "a waiting call holds no worker"
    );

    app.advance(Duration::from_secs(3601));
    let (done, _) = settle(&app, &call).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(partner.received().len(), 1);
    let due = chrono::DateTime::parse_from_rfc3339(call["dueAt"].as_str().unwrap()).unwrap();
    let started =
        chrono::DateTime::parse_from_rfc3339(done["startedAt"].as_str().unwrap()).unwrap();
    assert!(started >= due, "started {started} before due {due}");
}

async fn a_server_error_then_success_succeeds_after_a_retry(backend: Backend) {
    let (app, partner) = spawn(backend).await;
    partner.script([Reply::Status(500)]);
    let call = submit(&app, &call_to(&partner.url("/flaky"))).await;
    let (done, run) = settle(&app, &call).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["attempts"], 2);
    assert!(done["error"].is_null());
    assert_eq!(step(&run, "execute")["attempts"], 2);
    assert_eq!(partner.received().len(), 2);
}

async fn a_persistent_server_error_fails_with_its_metadata_after_every_attempt(backend: Backend) {
    let (app, partner) = spawn(backend).await;
    partner.always(Reply::Status(500));
    let call = submit(&app, &call_to(&partner.url("/down"))).await;
    let (done, run) = settle(&app, &call).await;
    assert_eq!(run["status"], "failed");
    assert_eq!(done["status"], "failed", "{done}");
    assert_eq!(done["error"]["kind"], "http_status");
    assert_eq!(done["error"]["statusCode"], 500);
    assert_eq!(done["error"]["attempt"], 3);
    assert_eq!(done["response"]["statusCode"], 500);
    assert_eq!(done["response"]["bodyExcerpt"], "partner says 500");
    assert_eq!(done["response"]["bodySize"], 16);
    assert!(done["finishedAt"].is_string());
    assert_eq!(
        partner.received().len(),
        3,
        "max_attempts requests, no more"
    );
    let events = event_types(&app, backend).await;
    assert_eq!(events.last().map(String::as_str), Some("ServiceCallFailed"));
    assert_eq!(
        events.iter().filter(|e| *e == "ServiceCallRunning").count(),
        3,
        "one per attempt"
    );
    assert_eq!(
        events
            .iter()
            .filter(|e| *e == "ServiceCallRetryScheduled")
            .count(),
        2
    );
    assert!(done["nextAttemptAt"].is_null());
}

async fn a_client_error_fails_at_once(backend: Backend) {
    let (app, partner) = spawn(backend).await;
    partner.always(Reply::Status(404));
    let call = submit(&app, &call_to(&partner.url("/gone"))).await;
    let (done, _) = settle(&app, &call).await;
    assert_eq!(done["status"], "failed");
    assert_eq!(done["error"]["kind"], "http_status");
    assert_eq!(done["error"]["statusCode"], 404);
    assert_eq!(done["error"]["attempt"], 1);
    assert_eq!(partner.received().len(), 1, "a 404 is not retried");
}

async fn too_many_requests_is_retried_after_the_retry_after_it_names(backend: Backend) {
    let (app, partner) = spawn(backend).await;
    partner.script([Reply::RetryAfter(429, "3600")]);
    let call = submit(&app, &call_to(&partner.url("/busy"))).await;
    partner.wait_for(1).await;
    let run = run_of(&call);
    let parked = until(&app, &run, |v| v["status"] == "sleeping").await;
    let wakes = chrono::DateTime::parse_from_rfc3339(parked["wakesAt"].as_str().unwrap()).unwrap();
    assert!(
        wakes > chrono::Utc::now() + chrono::Duration::minutes(59),
        "the retry waits for Retry-After, not the short backoff: {wakes}"
    );
    let meanwhile = json(
        app.get(&format!(
            "/v1/service-calls/{}",
            call["serviceCallId"].as_str().unwrap()
        ))
        .await,
    )
    .await;
    assert_eq!(meanwhile["status"], "scheduled");
    assert!(meanwhile["nextAttemptAt"].is_string(), "{meanwhile}");
    assert_eq!(partner.received().len(), 1);
    app.advance(Duration::from_secs(3601));
    let (done, _) = settle(&app, &call).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(partner.received().len(), 2);
}

async fn a_request_over_its_timeout_fails_as_a_timeout(backend: Backend) {
    let (app, partner) = spawn_with(backend, |s| {
        s.providers.outbound.timeout = Duration::from_millis(300);
        s.providers.outbound.retry.max_attempts = 2;
    })
    .await;
    partner.always(Reply::Hang);
    let call = submit(&app, &call_to(&partner.url("/slow"))).await;
    let (done, _) = settle(&app, &call).await;
    assert_eq!(done["status"], "failed", "{done}");
    assert_eq!(done["error"]["kind"], "timeout");
    assert_eq!(done["error"]["attempt"], 2);
    assert!(done["response"].is_null());
    assert_eq!(partner.received().len(), 2, "a timeout is retried");
}

async fn a_call_cancelled_before_it_is_due_is_never_sent(backend: Backend) {
    let (app, partner) = spawn(backend).await;
    let call = submit(
        &app,
        &due_in(call_to(&partner.url("/never")), Duration::from_secs(600)),
    )
    .await;
    let id = call["serviceCallId"].as_str().unwrap().to_string();
    until(&app, &run_of(&call), |v| v["status"] == "sleeping").await;
    let r = app
        .post(&format!("/v1/service-calls/{id}/cancel"), &json!({}))
        .await;
    assert_eq!(r.status(), 200);
    let cancelled = json(r).await;
    assert_eq!(cancelled["status"], "cancelled");
    assert!(cancelled["finishedAt"].is_string());
    let run = json(app.get(&format!("/v1/runs/{}", run_of(&call))).await).await;
    assert_eq!(run["status"], "cancelled");
    app.advance(Duration::from_secs(3600));
    let again = app
        .post(&format!("/v1/service-calls/{id}/cancel"), &json!({}))
        .await;
    assert_eq!(
        again.status(),
        200,
        "cancelling twice answers the cancelled call"
    );
    assert_eq!(
        json(app.get(&format!("/v1/service-calls/{id}")).await).await["status"],
        "cancelled"
    );
    assert!(partner.received().is_empty());

    // Once it has run, it cannot be cancelled.
    let ran = submit(&app, &call_to(&partner.url("/now"))).await;
    let (ran, _) = settle(&app, &ran).await;
    let id = ran["serviceCallId"].as_str().unwrap();
    let r = app
        .post(&format!("/v1/service-calls/{id}/cancel"), &json!({}))
        .await;
    assert_eq!(r.status(), 409);
    assert_eq!(
        json(app.get(&format!("/v1/service-calls/{id}")).await).await["status"],
        "succeeded"
    );
}

async fn an_idempotency_key_returns_the_same_call_and_sends_once(backend: Backend) {
    let (app, partner) = spawn(backend).await;
    let body = call_to(&partner.url("/once"));
    let first = post_call(&app, &body, Some("order-42")).await;
    assert_eq!(first.status(), 201);
    let first = json(first).await;
    let again = post_call(&app, &body, Some("order-42")).await;
    assert_eq!(again.status(), 201);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    let again = json(again).await;
    assert_eq!(again["serviceCallId"], first["serviceCallId"]);
    assert_eq!(again["runId"], first["runId"]);
    settle(&app, &first).await;
    let third = json(post_call(&app, &body, Some("order-42")).await).await;
    assert_eq!(third["status"], "succeeded");
    assert_eq!(partner.received().len(), 1);

    let mut other = body.clone();
    other["name"] = json!("something else");
    let r = post_call(&app, &other, Some("order-42")).await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        json(r).await["errors"][0]["pointer"],
        "/headers/idempotency-key"
    );
}

async fn a_literal_private_address_is_refused_at_submission(backend: Backend) {
    let (app, _partner) = spawn_with(backend, |s| s.providers.outbound.allow.clear()).await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://10.1.2.3/hook",
        "http://[::1]/hook",
        "http://169.254.169.254/latest/meta-data",
    ] {
        let r = post_call(&app, &call_to(url), None).await;
        assert_eq!(r.status(), 422, "{url}");
        let problem = json(r).await;
        assert_eq!(problem["errors"][0]["pointer"], "/request/url", "{url}");
    }
    let list = json(app.get("/v1/service-calls").await).await;
    assert_eq!(list["serviceCalls"], json!([]), "nothing was recorded");
}

async fn a_local_only_name_is_refused_at_submission_unless_allowlisted(backend: Backend) {
    let (app, partner) = spawn(backend).await;
    for host in [
        "localhost",
        "LocalHost.",
        "api.localhost",
        "printer.local",
        "hooks.internal",
    ] {
        let url = format!("http://{host}:{}/hook", partner.addr.port());
        let r = post_call(&app, &call_to(&url), None).await;
        assert_eq!(r.status(), 422, "{host}");
        let problem = json(r).await;
        assert_eq!(problem["errors"][0]["pointer"], "/request/url", "{host}");
        assert!(
            problem["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("can only be local"),
            "{problem}"
        );
    }
    let list = json(app.get("/v1/service-calls").await).await;
    assert_eq!(list["serviceCalls"], json!([]), "nothing was recorded");
    assert!(partner.received().is_empty());

    // Listed by name, the same name is accepted and reached.
    let (app, partner) = spawn_with(backend, |s| {
        s.providers.outbound.allow.push("localhost".into())
    })
    .await;
    let call = submit(&app, &call_to(&partner.localhost_url("/listed"))).await;
    let (done, _) = settle(&app, &call).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(partner.received().len(), 1);
}

async fn a_redirect_to_an_internal_address_is_refused_at_execution(backend: Backend) {
    let (app, partner) = spawn(backend).await;
    let inside = format!("http://127.0.0.2:{}/inside", partner.addr.port());
    partner.script([Reply::Redirect(inside)]);
    let call = submit(&app, &call_to(&partner.url("/outside"))).await;
    let (done, run) = settle(&app, &call).await;
    assert_eq!(run["status"], "failed");
    assert_eq!(done["status"], "failed", "{done}");
    assert_eq!(done["error"]["kind"], "refused_by_policy");
    assert_eq!(done["error"]["attempt"], 1, "a refusal is not retried");
    let got = partner.received();
    assert_eq!(got.len(), 1, "only the allowed first hop was requested");
    assert_eq!(got[0].target, "/outside");
}

async fn every_problem_of_a_bad_submission_is_listed(backend: Backend) {
    let (app, _partner) = spawn(backend).await;
    let body = json!({
        "request": {"method": "FETCH", "url": "ftp://x", "headers": {"Bad Name": "v"}},
        "dueAt": "tomorrow",
        "tags": "nope"
    });
    let r = post_call(&app, &body, None).await;
    assert_eq!(r.status(), 422);
    let pointers: Vec<String> = json(r).await["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["pointer"].as_str().unwrap().to_string())
        .collect();
    for p in [
        "/name",
        "/request/method",
        "/request/url",
        "/request/headers/Bad Name",
        "/dueAt",
        "/tags",
    ] {
        assert!(
            pointers.iter().any(|x| x == p),
            "{p} missing from {pointers:?}"
        );
    }
}

async fn another_tenants_call_is_not_found(backend: Backend) {
    let (app, partner) = spawn(backend).await;
    let call = submit(
        &app,
        &due_in(call_to(&partner.url("/a")), Duration::from_secs(600)),
    )
    .await;
    let id = call["serviceCallId"].as_str().unwrap();
    let other = app.key_for("tenant-b").await;
    let get = |path: String| app.http.get(app.url(&path)).bearer_auth(&other).send();
    assert_eq!(
        get(format!("/v1/service-calls/{id}"))
            .await
            .unwrap()
            .status(),
        404
    );
    let list = json(get("/v1/service-calls".into()).await.unwrap()).await;
    assert_eq!(list["serviceCalls"], json!([]));
    let cancel = app
        .http
        .post(app.url(&format!("/v1/service-calls/{id}/cancel")))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(cancel.status(), 404);
    assert_eq!(app.get("/v1/service-calls/not-a-uuid").await.status(), 404);
    let mine = json(app.get(&format!("/v1/service-calls/{id}")).await).await;
    assert_eq!(mine["status"], "scheduled");
}

async fn a_restart_between_submission_and_due_time_still_sends_exactly_once(backend: Backend) {
    let (mut app, partner) = spawn(backend).await;
    let call = submit(
        &app,
        &due_in(
            call_to(&partner.url("/after-restart")),
            Duration::from_secs(1800),
        ),
    )
    .await;
    until(&app, &run_of(&call), |v| v["status"] == "sleeping").await;
    app.restart(Extensions::default()).await;
    app.advance(Duration::from_secs(1801));
    let (done, _) = settle(&app, &call).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(partner.received().len(), 1);
}

async fn without_an_encryption_key_secret_headers_are_not_kept_and_the_response_says_so(
    backend: Backend,
) {
    let (app, partner) = spawn_with(backend, |s| {
        s.service_calls.encryption_key = Secret::default()
    })
    .await;
    let call = submit(&app, &call_to(&partner.url("/no-key"))).await;
    let warnings = call["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{call}");
    assert!(warnings[0].as_str().unwrap().contains("Authorization"));
    assert_eq!(call["request"]["headers"]["Authorization"], "[redacted]");
    let (done, _) = settle(&app, &call).await;
    assert_eq!(done["status"], "succeeded");
    let got = partner.received();
    assert!(
        !got[0].headers.contains_key("authorization"),
        "the dropped value is not sent"
    );
    assert_eq!(got[0].headers["x-trace"], "t-1");
}

async fn calls_are_listed_newest_first_with_filters_and_a_cursor(backend: Backend) {
    let (app, partner) = spawn(backend).await;
    let mut ids = Vec::new();
    for (i, tag) in ["red", "blue", "red"].iter().enumerate() {
        let mut body = due_in(
            call_to(&partner.url("/l")),
            Duration::from_secs(600 * (i as u64 + 1)),
        );
        body["tags"] = json!([tag]);
        ids.push(submit(&app, &body).await["serviceCallId"].clone());
    }
    let page = json(app.get("/v1/service-calls?limit=2").await).await;
    let got: Vec<&Value> = page["serviceCalls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["serviceCallId"])
        .collect();
    assert_eq!(got, [&ids[2], &ids[1]]);
    let cursor = page["nextCursor"].as_str().unwrap();
    let rest = json(
        app.get(&format!("/v1/service-calls?limit=2&cursor={cursor}"))
            .await,
    )
    .await;
    assert_eq!(rest["serviceCalls"][0]["serviceCallId"], ids[0]);
    assert!(rest["nextCursor"].is_null());
    let red = json(app.get("/v1/service-calls?tag=red&status=scheduled").await).await;
    assert_eq!(red["serviceCalls"].as_array().unwrap().len(), 2);
    let due = (chrono::Utc::now() + chrono::Duration::minutes(25))
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let soon = json(app.get(&format!("/v1/service-calls?dueBefore={due}")).await).await;
    assert_eq!(soon["serviceCalls"].as_array().unwrap().len(), 2);
    assert_eq!(
        json(app.get("/v1/service-calls?status=succeeded").await).await["serviceCalls"],
        json!([])
    );
    let bad = app.get("/v1/service-calls?status=done&limit=0").await;
    assert_eq!(bad.status(), 422);
    assert_eq!(json(bad).await["errors"].as_array().unwrap().len(), 2);
}

both_backends!(
    a_call_due_now_runs_once_and_succeeds,
    a_call_due_later_waits_and_runs_on_time,
    a_server_error_then_success_succeeds_after_a_retry,
    a_persistent_server_error_fails_with_its_metadata_after_every_attempt,
    a_client_error_fails_at_once,
    too_many_requests_is_retried_after_the_retry_after_it_names,
    a_request_over_its_timeout_fails_as_a_timeout,
    a_call_cancelled_before_it_is_due_is_never_sent,
    an_idempotency_key_returns_the_same_call_and_sends_once,
    a_literal_private_address_is_refused_at_submission,
    a_local_only_name_is_refused_at_submission_unless_allowlisted,
    a_redirect_to_an_internal_address_is_refused_at_execution,
    every_problem_of_a_bad_submission_is_listed,
    another_tenants_call_is_not_found,
    a_restart_between_submission_and_due_time_still_sends_exactly_once,
    without_an_encryption_key_secret_headers_are_not_kept_and_the_response_says_so,
    calls_are_listed_newest_first_with_filters_and_a_cursor,
);
