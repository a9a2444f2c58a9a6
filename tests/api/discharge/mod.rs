//! The discharge workflow over HTTP, with fake LLM, SMTP and voice servers.

mod cancel;
mod contacts;
mod delivery;
mod flow;
mod notes;
mod plans;
mod validation;

use std::time::Duration;

use careflow::app::Extensions;
use careflow::engine::Clock;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::fake_llm::{Behaviour, FakeLlm};
use crate::fake_smtp::FakeSmtp;
use crate::fake_voice::{self, FakeVoice};
use crate::helpers::{Backend, TestApp, json};

/// Which fakes a test wants; `None` leaves the provider unconfigured.
#[derive(Default)]
pub struct Setup {
    pub llm: Option<Behaviour>,
    /// SMTP that refuses this many messages first.
    pub smtp: Option<u32>,
    /// Voice provider that answers 503 to this many calls first.
    pub voice: Option<u32>,
    /// `discharge.default_phone_region`, when not the default `US`.
    pub phone_region: Option<&'static str>,
}

/// A running service with its fakes.
pub struct Env {
    pub app: TestApp,
    pub llm: Option<FakeLlm>,
    pub smtp: Option<FakeSmtp>,
    pub voice: Option<FakeVoice>,
    pub spool: tempfile::TempDir,
}

pub async fn env(backend: Backend, setup: Setup) -> Env {
    let llm = match setup.llm {
        Some(b) => Some(FakeLlm::spawn(b).await),
        None => None,
    };
    let smtp = match setup.smtp {
        Some(n) => Some(FakeSmtp::spawn(n).await),
        None => None,
    };
    let voice = match setup.voice {
        Some(n) => Some(FakeVoice::spawn(n).await),
        None => None,
    };
    let spool = tempfile::tempdir().unwrap();
    let (llm_url, smtp_port, voice_url) = (
        llm.as_ref().map(|l| l.base_url.clone()),
        smtp.as_ref().map(|s| s.port),
        voice.as_ref().map(|v| v.base_url.clone()),
    );
    let spool_dir = spool.path().to_path_buf();
    let phone_region = setup.phone_region;
    let app = TestApp::spawn_with(
        backend,
        move |s| {
            s.providers.smtp.spool_dir = spool_dir;
            s.discharge.clinic_name = "Happy Paws".into();
            if let Some(region) = phone_region {
                s.discharge.default_phone_region = region.into();
            }
            for retry in [&mut s.providers.smtp.retry, &mut s.providers.twilio.retry] {
                retry.max_attempts = 3;
                retry.initial_backoff = Duration::from_millis(20);
                retry.max_backoff = Duration::from_millis(50);
            }
            if let Some(url) = llm_url {
                s.providers.llm.base_url = url;
                s.providers.llm.model = "fake-model".into();
            }
            if let Some(port) = smtp_port {
                s.providers.smtp.host = "127.0.0.1".into();
                s.providers.smtp.port = port;
                s.providers.smtp.tls = careflow::config::TlsMode::None;
                s.providers.smtp.from = "Happy Paws <noreply@happypaws.example>".into();
                s.providers.smtp.timeout = Duration::from_secs(5);
            }
            if let Some(url) = voice_url {
                s.providers.twilio.base_url = url;
                s.providers.twilio.account_sid = fake_voice::ACCOUNT.into();
                s.providers.twilio.auth_token = careflow::config::Secret::new(fake_voice::TOKEN);
                s.providers.twilio.from = fake_voice::FROM.into();
                s.providers.twilio.timeout = Duration::from_secs(5);
            }
        },
        Extensions::default,
    )
    .await;
    Env {
        app,
        llm,
        smtp,
        voice,
        spool,
    }
}

/// The clinical note most tests send.
pub const NOTE: &str = "\
Patient: Bella
Species: canine
Breed: Beagle
Owner: Jane Doe
Owner email: owner@example.com
Owner phone: +1 555 123 4567
Diagnosis: Acute gastroenteritis
Medications:
- Maropitant 16 mg once daily for 4 days
Instructions:
- Bland diet for 3 days
Follow-up: Recheck in 14 days
";

pub fn text_input() -> Value {
    json!({"rawData": {"mode": "text", "source": "ehr-export", "text": NOTE}})
}

/// Submits an orchestration and expects its result within the wait.
pub async fn orchestrate(app: &TestApp, body: Value) -> Value {
    let r = app
        .post("/v1/discharge/orchestrations?wait=20s", &body)
        .await;
    let status = r.status();
    let body = json(r).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The engine's view of a run.
pub async fn run(app: &TestApp, id: &str) -> Value {
    json(app.get(&format!("/v1/runs/{id}")).await).await
}

/// A run once it is final.
pub async fn finished(app: &TestApp, id: &str) -> Value {
    let v = json(app.get(&format!("/v1/runs/{id}?wait=15s")).await).await;
    assert!(
        matches!(
            v["status"].as_str(),
            Some("completed" | "failed" | "cancelled")
        ),
        "run {id} did not finish: {v}"
    );
    v
}

/// `at` from now by the service's clock, as RFC 3339.
pub fn from_now(app: &TestApp, at: Duration) -> String {
    (app.clock.now() + chrono::Duration::from_std(at).unwrap()).to_rfc3339()
}

/// A string member as `&str`, failing loudly.
pub fn s<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {pointer} in {v}"))
}

pub const ALL: [&str; 5] = [
    "ingest",
    "generateSummary",
    "prepareEmail",
    "scheduleEmail",
    "scheduleCall",
];

pub fn names(v: &Value) -> Vec<&str> {
    v.as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect()
}

pub fn at(v: &Value, key: &str) -> DateTime<Utc> {
    v[key]
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("no {key} in {v}"))
}
