//! Care transitions end to end: the five event functions, their endpoints and
//! Twilio's webhooks, against a fake Twilio, with the test clock moved instead of
//! waiting for hours.

mod assignment;
mod call_fallback;
mod chain;
mod checkin;
mod escalation;
mod notifications;
mod replies;
mod routing;
mod stopping;
mod stored_values;
mod timers;
mod webhooks;

use careflow::config::{Secret, Settings};
use careflow::providers::twilio::signature::compute_signature;
use serde_json::{Value, json};

use crate::fake_twilio::{ACCOUNT, FakeTwilio, TOKEN};
pub use crate::helpers::eventually;
use crate::helpers::{Backend, TestApp};

/// The address Twilio is told to call back; the service itself listens elsewhere
/// (as behind a load balancer), so signatures must be checked against this one.
pub const PUBLIC: &str = "https://careflow.example.test";

/// A running service wired to a fake Twilio and a spool directory of its own.
pub struct Care {
    pub app: TestApp,
    pub twilio: FakeTwilio,
    pub spool: tempfile::TempDir,
}

/// Starts the service with Twilio configured (and `adjust` applied after).
pub async fn spawn(backend: Backend, adjust: impl FnOnce(&mut Settings)) -> Care {
    let twilio = FakeTwilio::start().await;
    let spool = tempfile::tempdir().unwrap();
    let base = twilio.base.clone();
    let dir = spool.path().to_path_buf();
    let app = TestApp::spawn_with(
        backend,
        move |s| {
            let t = &mut s.providers.twilio;
            t.base_url = base;
            t.account_sid = ACCOUNT.into();
            t.auth_token = Secret::new(TOKEN);
            t.from = "+15550000001".into();
            t.public_base_url = PUBLIC.into();
            s.providers.smtp.spool_dir = dir;
            adjust(s);
        },
        Default::default,
    )
    .await;
    Care { app, twilio, spool }
}

pub async fn get_json(app: &TestApp, path: &str) -> Value {
    crate::helpers::json(app.get(path).await).await
}

pub async fn post_json(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    let r = app.post(path, &body).await;
    let status = r.status().as_u16();
    (status, crate::helpers::json(r).await)
}

/// Sends events; answers the `202` body.
pub async fn send(app: &TestApp, body: Value) -> Value {
    let (status, answer) = post_json(app, "/v1/events", body).await;
    assert_eq!(status, 202, "{answer}");
    answer
}

/// A nurse reachable by SMS at `phone`.
pub async fn nurse(app: &TestApp, name: &str, phone: &str) -> String {
    let (status, n) = post_json(app, "/v1/nurses", json!({"name": name, "phone": phone})).await;
    assert_eq!(status, 201, "{n}");
    n["nurseId"].as_str().unwrap().to_string()
}

/// A shift from an hour ago for six days (longer than any test moves the clock).
pub async fn on_shift(app: &TestApp, nurse: &str) {
    let now = app.clock_now();
    let (status, s) = post_json(
        app,
        &format!("/v1/nurses/{nurse}/shifts"),
        json!({
            "startsAt": (now - chrono::Duration::hours(1)).to_rfc3339(),
            "endsAt": (now + chrono::Duration::days(6)).to_rfc3339(),
        }),
    )
    .await;
    assert_eq!(status, 201, "{s}");
}

/// A task created by staff.
pub async fn task(app: &TestApp, patient: &str, sla_minutes: u32) -> String {
    let (status, t) = post_json(
        app,
        "/v1/tasks",
        json!({"patientId": patient, "title": "Call the patient back", "severity": "high",
               "slaMinutes": sla_minutes}),
    )
    .await;
    assert_eq!(status, 201, "{t}");
    t["taskId"].as_str().unwrap().to_string()
}

/// Runs of a function, newest first.
pub async fn runs(app: &TestApp, workflow: &str) -> Vec<Value> {
    get_json(app, &format!("/v1/runs?workflow={workflow}&limit=100")).await["runs"]
        .as_array()
        .unwrap()
        .clone()
}

/// Waits for the only run of `workflow` started for `key` (a value in its event
/// data) and returns its id.
pub async fn run_for(app: &TestApp, workflow: &str, key: &str, value: &str) -> String {
    eventually(&format!("a {workflow} run for {value}"), || async {
        for r in runs(app, workflow).await {
            let id = r["runId"].as_str().unwrap().to_string();
            let full = get_json(app, &format!("/v1/runs/{id}")).await;
            if full["input"]["event"]["data"][key] == value {
                return Some(id);
            }
        }
        None
    })
    .await
}

/// Waits for a run to end and returns it.
pub async fn finished(app: &TestApp, run: &str) -> Value {
    eventually(&format!("run {run} to finish"), || async {
        let r = get_json(app, &format!("/v1/runs/{run}?wait=2s")).await;
        match r["status"].as_str() {
            Some("completed" | "failed" | "cancelled") => Ok(r),
            _ => Err(crate::helpers::run_summary(&r)),
        }
    })
    .await
}

/// Waits until a run reaches `status`.
pub async fn reaches(app: &TestApp, run: &str, status: &str) -> Value {
    eventually(&format!("run {run} to be {status}"), || async {
        let r = get_json(app, &format!("/v1/runs/{run}")).await;
        if r["status"] == status {
            Ok(r)
        } else {
            Err(crate::helpers::run_summary(&r))
        }
    })
    .await
}

/// The tenant's events of one type (positioned ones; they appear a moment after
/// their commit).
pub async fn events(app: &TestApp, event_type: &str) -> Vec<Value> {
    get_json(
        app,
        &format!("/v1/events?eventType={event_type}&limit=1000"),
    )
    .await["events"]
        .as_array()
        .unwrap()
        .clone()
}

/// Waits until `n` events of a type exist, and returns them.
pub async fn events_n(app: &TestApp, event_type: &str, n: usize) -> Vec<Value> {
    eventually(&format!("{n} {event_type} events"), || async {
        let e = events(app, event_type).await;
        if e.len() >= n {
            Ok(e)
        } else {
            Err(format!("{} of them", e.len()))
        }
    })
    .await
}

/// Posts a webhook as Twilio would: a form, signed over the public URL.
pub async fn twilio_post(
    app: &TestApp,
    path: &str,
    params: &[(&str, &str)],
    signature: Option<String>,
) -> reqwest::Response {
    let owned: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let signature =
        signature.unwrap_or_else(|| compute_signature(TOKEN, &format!("{PUBLIC}{path}"), &owned));
    app.http
        .post(app.url(path))
        .header("X-Twilio-Signature", signature)
        .form(&owned)
        .send()
        .await
        .unwrap()
}

/// An inbound SMS from `from` to the configured sender number.
pub async fn reply(app: &TestApp, from: &str, sid: &str, text: &str) {
    reply_to(app, from, "+15550000001", None, sid, text).await;
}

/// An inbound SMS from `from` to `to`, through a Messaging Service when given.
pub async fn reply_to(
    app: &TestApp,
    from: &str,
    to: &str,
    service: Option<&str>,
    sid: &str,
    text: &str,
) {
    let mut params = vec![
        ("MessageSid", sid),
        ("AccountSid", ACCOUNT),
        ("From", from),
        ("To", to),
        ("Body", text),
        ("NumMedia", "0"),
    ];
    if let Some(service) = service {
        params.push(("MessagingServiceSid", service));
    }
    let r = twilio_post(app, "/v1/webhooks/twilio/inbound", &params, None).await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/xml")
    );
    assert_eq!(r.text().await.unwrap(), "<Response/>");
}

/// `GET` as the holder of `token` (another tenant's key).
pub async fn get_as(app: &TestApp, token: &str, path: &str) -> Value {
    let r = app
        .http
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    crate::helpers::json(r).await
}

/// `POST` as the holder of `token`; answers the status and the body.
pub async fn post_as(app: &TestApp, token: &str, path: &str, body: Value) -> (u16, Value) {
    let r = app
        .http
        .post(app.url(path))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The tasks the holder of `token` sees.
pub async fn tasks_as(app: &TestApp, token: &str) -> Vec<Value> {
    get_as(app, token, "/v1/tasks?limit=100").await["tasks"]
        .as_array()
        .unwrap()
        .clone()
}

impl TestApp {
    /// `DELETE` as the test tenant.
    pub async fn delete(&self, path: &str) -> reqwest::Response {
        self.http
            .delete(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap()
    }

    /// The service's clock.
    pub fn clock_now(&self) -> chrono::DateTime<chrono::Utc> {
        use careflow::engine::Clock;
        self.clock.now()
    }
}
