//! The dashboard: how it is served (types, caching, CSP), and a real headless
//! Chromium using it against the real service.

mod assets;
mod flow;
mod screenshots;

use serde_json::Value;

use crate::helpers::{Backend, TestApp, json, lab};
use crate::lab::Recorder;

pub(super) async fn spawn(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |_| {}, lab(&Recorder::default())).await
}

pub(super) async fn submit(app: &TestApp, workflow: &str, body: Value) -> String {
    let r = app
        .post(&format!("/v1/workflows/{workflow}/runs?wait=20s"), &body)
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    json(r).await["runId"].as_str().unwrap().to_string()
}
