//! The binary's command line and start-up checks.

use std::process::Command;

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
