//! The binary's command line and start-up checks.

use std::process::Command;

use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{Backend, TestApp, TestDb, json, lab, until};
use crate::lab::Recorder;

fn careflow() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_careflow"));
    c.env_remove("DATABASE_URL")
        .env_remove("CAREFLOW_ENV")
        .env_remove("PORT");
    c
}

#[test]
fn a_bad_setting_stops_start_up_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let out = careflow()
        .current_dir(dir.path())
        .env("CAREFLOW_SERVER__PORT", "not-a-port")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("server.port"), "{err}");
}

#[test]
fn an_unknown_setting_stops_start_up_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = careflow()
        .current_dir(dir.path())
        .env("CAREFLOW_ENGINE__TURBO", "1")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("turbo"), "{err}");
}

#[test]
fn a_moved_setting_stops_start_up_naming_its_new_place() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("legacy.toml"),
        "[encounters.analysis]\nllm_model = \"pa-model\"\n",
    )
    .unwrap();
    let out = careflow()
        .current_dir(dir.path())
        .env("CAREFLOW_ENV", "legacy")
        .env("CAREFLOW_CONFIG_DIR", dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("`encounters.analysis.llm_model` moved to `providers.llm.model`"),
        "{err}"
    );

    let out = careflow()
        .current_dir(dir.path())
        .env("CAREFLOW_PROVIDERS__VOICE__FROM", "+15550001111")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("CAREFLOW_PROVIDERS__VOICE__FROM moved to CAREFLOW_PROVIDERS__TWILIO__FROM"),
        "{err}"
    );
}

#[test]
fn one_breaker_key_alone_overrides_a_provider_breaker() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("cli.db").display());
    let var = ("CAREFLOW_PROVIDERS__FHIR__BREAKER__FAILURE_THRESHOLD", "3");
    let out = careflow()
        .env("DATABASE_URL", &url)
        .env(var.0, var.1)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let vars = [(var.0.to_string(), var.1.to_string())];
    let s = careflow::config::Settings::from_vars(&vars).unwrap();
    let fhir = s.resilience.breaker.merged(&s.providers.fhir.breaker);
    assert_eq!(fhir.failure_threshold, 3);
    let defaults = &s.resilience.breaker;
    assert_eq!(fhir.failure_ratio, defaults.failure_ratio);
    assert_eq!(fhir.min_calls, defaults.min_calls);
    assert_eq!(fhir.window, defaults.window);
    assert_eq!(fhir.open_for, defaults.open_for);
}

#[test]
fn an_unknown_flag_exits_non_zero_with_usage() {
    let out = careflow().arg("--frobnicate").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--frobnicate") && err.contains("usage"),
        "{err}"
    );
}

#[test]
fn migrate_then_apikey_create_and_revoke_work_on_a_sqlite_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("cli.db").display());
    let out = careflow()
        .env("DATABASE_URL", &url)
        .arg("migrate")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = careflow()
        .env("DATABASE_URL", &url)
        .args(["apikey", "create", "--tenant", "north-clinic"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(text.contains("cfk_"), "{text}");
    let id = text
        .lines()
        .find_map(|l| l.strip_prefix("key id:"))
        .map(str::trim)
        .unwrap()
        .to_string();
    let out = careflow()
        .env("DATABASE_URL", &url)
        .args(["apikey", "revoke", &id])
        .output()
        .unwrap();
    assert!(out.status.success());
    let again = careflow()
        .env("DATABASE_URL", &url)
        .args(["apikey", "revoke", &id])
        .output()
        .unwrap();
    assert!(!again.status.success());
}

#[test]
fn every_command_has_help_that_exits_zero() {
    let commands: &[&[&str]] = &[
        &["--help"],
        &["help"],
        &["serve", "--help"],
        &["migrate", "--help"],
        &["apikey", "--help"],
        &["apikey", "create", "--help"],
        &["apikey", "list", "--help"],
        &["apikey", "revoke", "--help"],
        &["runs", "--help"],
        &["runs", "list", "--help"],
        &["runs", "show", "--help"],
        &["runs", "cancel", "--help"],
        &["runs", "retry", "--help"],
        &["help", "runs", "retry"],
    ];
    for args in commands {
        let out = careflow().args(*args).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {text}");
        assert!(text.contains("Usage: careflow"), "{args:?}: {text}");
    }
    let out = careflow()
        .args(["runs", "list", "--help"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("--tenant") && text.contains("--json"),
        "{text}"
    );
    let out = careflow().arg("--version").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("careflow "));
}

#[test]
fn a_missing_tenant_is_a_usage_error_naming_the_flag() {
    let out = careflow().args(["runs", "list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--tenant"), "{err}");
}

/// Runs the binary on `url`, failing with its standard error when it fails.
fn cli_ok(url: &str, args: &[&str]) -> String {
    let out = careflow()
        .env("DATABASE_URL", url)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

fn cli_json(url: &str, args: &[&str]) -> Value {
    let text = cli_ok(url, args);
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("{args:?} printed no JSON: {text}"))
}

async fn apikey_list_shows_every_key_or_one_tenants_without_tokens(backend: Backend) {
    let db = TestDb::new(backend).await;
    let url = db.url.as_str();
    cli_ok(url, &["migrate"]);
    let north = cli_json(
        url,
        &[
            "apikey",
            "create",
            "--tenant=north-clinic",
            "--label=ops",
            "--json",
        ],
    );
    let token = north["token"].as_str().unwrap();
    assert!(token.starts_with("cfk_"), "{north}");
    cli_ok(url, &["apikey", "create", "--tenant", "south-clinic"]);

    let all = cli_json(url, &["apikey", "list", "--json"]);
    assert_eq!(all.as_array().unwrap().len(), 2, "{all}");
    assert!(
        !all.to_string().contains(token),
        "a token was listed: {all}"
    );
    let only = cli_json(url, &["apikey", "list", "--tenant=north-clinic", "--json"]);
    assert_eq!(only.as_array().unwrap().len(), 1, "{only}");
    assert_eq!(only[0]["keyId"], north["keyId"]);
    assert_eq!(only[0]["label"], "ops");
    assert!(only[0]["revokedAt"].is_null());

    let key_id = north["keyId"].as_str().unwrap();
    cli_ok(url, &["apikey", "revoke", key_id]);
    let table = cli_ok(url, &["apikey", "list", "--tenant", "north-clinic"]);
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("KEY ID") && header.contains("REVOKED"),
        "{table}"
    );
    let row = lines.next().unwrap();
    assert!(row.starts_with(key_id) && row.contains("ops"), "{table}");
    assert!(
        !row.trim_end().ends_with('-'),
        "revocation not shown: {table}"
    );
}

async fn submit_nap(app: &TestApp, correlation: &str) -> String {
    let body = json!({"input": {}, "correlationId": correlation});
    let r = app.post("/v1/workflows/nap/runs?wait=0", &body).await;
    assert!(r.status().is_success(), "{}", r.status());
    json(r).await["runId"].as_str().unwrap().to_string()
}

async fn runs_commands_list_show_cancel_and_retry_a_tenants_runs(backend: Backend) {
    let app = TestApp::spawn_with(backend, |_| {}, lab(&Recorder::default())).await;
    let url = app.db.url.clone();
    let first = submit_nap(&app, "case-1").await;
    let second = submit_nap(&app, "case-2").await;
    until(&app, &second, |v| v["status"] == "sleeping").await;
    until(&app, &first, |v| v["status"] == "sleeping").await;

    // Listing: the API's page shape, newest first, filtered, and tenant-bound.
    let page = cli_json(&url, &["runs", "list", "--tenant=tenant-a", "--json"]);
    let ids: Vec<&str> = page["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["runId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [second.as_str(), first.as_str()], "{page}");
    let page = cli_json(
        &url,
        &[
            "runs",
            "list",
            "--tenant",
            "tenant-a",
            "--correlation-id=case-1",
            "--json",
        ],
    );
    assert_eq!(page["runs"][0]["runId"], first.as_str(), "{page}");
    assert_eq!(page["runs"].as_array().unwrap().len(), 1);
    let page = cli_json(&url, &["runs", "list", "--tenant=tenant-b", "--json"]);
    assert!(page["runs"].as_array().unwrap().is_empty(), "{page}");
    let table = cli_ok(
        &url,
        &["runs", "list", "--tenant=tenant-a", "--status=SLEEPING"],
    );
    assert!(table.starts_with("RUN ID"), "{table}");
    assert!(
        table.contains(&first) && table.contains("sleeping"),
        "{table}"
    );

    // Showing: facts and one line per step.
    let shown = cli_ok(&url, &["runs", "show", &first, "--tenant=tenant-a"]);
    assert!(shown.contains("nap (version 1)"), "{shown}");
    let wait = shown.lines().find(|l| l.starts_with("wait ")).unwrap();
    assert!(
        wait.contains("sleeping") && wait.contains("wakes"),
        "{shown}"
    );
    let out = careflow()
        .env("DATABASE_URL", &url)
        .args(["runs", "show", &first, "--tenant=tenant-b"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no run"));

    // Cancelling and retrying change the run the service serves.
    let cancelled = cli_json(
        &url,
        &["runs", "cancel", &first, "--tenant=tenant-a", "--json"],
    );
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    let seen = json(app.get(&format!("/v1/runs/{first}")).await).await;
    assert_eq!(seen["status"], "cancelled");
    let out = careflow()
        .env("DATABASE_URL", &url)
        .args(["runs", "cancel", &first, "--tenant=tenant-a"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "cancelling twice succeeded");
    let retried = cli_json(
        &url,
        &["runs", "retry", &first, "--tenant=tenant-a", "--json"],
    );
    // Queued again; a serving replica may already have claimed it (PostgreSQL
    // notifies it at once), so running or parked again are the same fact.
    assert!(
        ["queued", "running", "sleeping"].contains(&retried["status"].as_str().unwrap()),
        "{retried}"
    );
    until(&app, &first, |v| v["status"] == "sleeping").await;
    let seen = json(app.get(&format!("/v1/runs/{second}")).await).await;
    assert_eq!(seen["status"], "sleeping", "the other run was touched");
}

both_backends!(
    apikey_list_shows_every_key_or_one_tenants_without_tokens,
    runs_commands_list_show_cancel_and_retry_a_tenants_runs,
);
