//! Start-up: the bootstrap key survives failed starts, CORS settings never crash the
//! service, a database migrated by a newer version does not stop an older one,
//! database failures name their cause, and text settings from the environment stay
//! text.

use std::process::Command;

use careflow::app::{App, Extensions, StartError};

use crate::both_backends;
use crate::helpers::{Backend, TestDb, admin_url, test_settings};

async fn a_failed_start_creates_no_key_and_the_next_start_shows_one(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mut settings = test_settings(&db);
    settings.auth.bootstrap_api_key = true;

    // The port is taken: the start fails after the database was migrated.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let mut busy = settings.clone();
    busy.server.port = taken.local_addr().unwrap().port();
    let err = App::start(busy, Extensions::default()).await.err();
    assert!(matches!(err, Some(StartError::Bind { .. })), "{err:?}");

    // An unusable setting found while starting fails it too.
    let mut unusable = settings.clone();
    unusable.auth.jwks_url = "not a url".into();
    let err = App::start(unusable, Extensions::default()).await.err();
    assert!(matches!(err, Some(StartError::Settings(_))), "{err:?}");

    // So does a value a layer reads into its own type, before the database is opened,
    // naming its key.
    let mut region = settings.clone();
    region.discharge.default_phone_region = "USA".into();
    match App::start(region, Extensions::default()).await.err() {
        Some(StartError::Settings(why)) => {
            assert!(why.contains("discharge.default_phone_region"), "{why}");
        }
        other => panic!("expected a settings error, got {other:?}"),
    }

    // The first start that succeeds makes the key, shows it, and it works.
    let app = App::start(settings, Extensions::default())
        .await
        .expect("service starts");
    let key = app
        .bootstrap_key
        .clone()
        .expect("a key is shown on the first start that succeeds");
    let r = crate::checked::Client::new()
        .get(format!("http://{}/v1/me", app.addr))
        .bearer_auth(&key.token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(app.store.count_api_keys().await.unwrap(), 1);
    app.shutdown().await;
}

async fn a_wildcard_cors_origin_allows_any_origin_without_credentials(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mut settings = test_settings(&db);
    settings.server.cors_allowed_origins = vec!["*".into()];
    let app = App::start(settings, Extensions::default())
        .await
        .expect("service starts with a wildcard origin");
    let http = crate::checked::Client::new();
    let r = http
        .get(format!("http://{}/healthz", app.addr))
        .header("origin", "https://anywhere.example")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert!(!r.headers().contains_key("access-control-allow-credentials"));
    let preflight = http
        .request(
            reqwest::Method::OPTIONS,
            format!("http://{}/v1/me", app.addr),
        )
        .header("origin", "https://anywhere.example")
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .unchecked("a CORS preflight is answered by the CORS layer, not an operation")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    app.shutdown().await;
}

/// Records a migration this build does not have, as a newer version's migration
/// job would have applied it.
async fn apply_a_newer_migration(db: &TestDb, backend: Backend) {
    let insert = "insert into _sqlx_migrations
                      (version, description, success, checksum, execution_time)
                  values (99990101000000, 'a newer version', true, $1, 0)";
    match backend {
        Backend::Postgres => {
            let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
            sqlx::query(insert)
                .bind(vec![0u8])
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        }
        Backend::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
            sqlx::query(insert)
                .bind(vec![0u8])
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
        }
    }
}

/// A replica of the previous version that restarts during a rolling deploy, after
/// the new version's migration job ran, still starts and is ready.
async fn a_database_migrated_by_a_newer_version_still_starts_and_is_ready(backend: Backend) {
    let db = TestDb::new(backend).await;
    let settings = test_settings(&db);
    let app = App::start(settings.clone(), Extensions::default())
        .await
        .expect("the first start migrates");
    app.shutdown().await;
    apply_a_newer_migration(&db, backend).await;

    let app = App::start(settings, Extensions::default())
        .await
        .expect("a database ahead of this build does not stop the start");
    let r = crate::checked::Client::new()
        .get(format!("http://{}/readyz", app.addr))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        200,
        "ready: every migration it knows is applied"
    );
    app.shutdown().await;
}

both_backends!(
    a_failed_start_creates_no_key_and_the_next_start_shows_one,
    a_wildcard_cors_origin_allows_any_origin_without_credentials,
    a_database_migrated_by_a_newer_version_still_starts_and_is_ready,
);

fn careflow() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_careflow"));
    c.env_remove("DATABASE_URL")
        .env_remove("CAREFLOW_ENV")
        .env_remove("PORT")
        .env("CAREFLOW_DATABASE__ACQUIRE_TIMEOUT", "1s");
    c
}

/// Runs `careflow migrate` against `url` and returns its exit success and stderr.
fn migrate(url: &str, extra: &[(&str, &str)]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let out = careflow()
        .current_dir(dir.path())
        .env("DATABASE_URL", url)
        .envs(extra.iter().copied())
        .arg("migrate")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn database_connection_failures_name_their_cause() {
    let admin = admin_url();
    let (server, _) = admin.rsplit_once('/').unwrap();
    let missing = format!("{server}/cf_test_no_such_database");
    let (ok, err) = migrate(&missing, &[]);
    assert!(!ok);
    assert!(
        err.contains("database \"cf_test_no_such_database\" does not exist"),
        "{err}"
    );

    let url = url::Url::parse(&admin).unwrap();
    let mut wrong_role = url.clone();
    wrong_role.set_username("cf_no_such_role").unwrap();
    let (ok, err) = migrate(wrong_role.as_str(), &[]);
    assert!(!ok);
    assert!(err.contains("authentication failed"), "{err}");
    assert!(err.contains("cf_no_such_role"), "{err}");

    // A port nobody listens on (just released by this test).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let refused = format!("postgres://postgres@127.0.0.1:{port}/postgres");
    let (ok, err) = migrate(&refused, &[]);
    assert!(!ok);
    assert!(
        err.contains(&format!("connection refused at 127.0.0.1:{port}")),
        "{err}"
    );
}

#[test]
fn text_settings_from_the_environment_stay_text() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("env.db").display());
    let (ok, err) = migrate(
        &url,
        &[
            (
                "CAREFLOW_PROVIDERS__TWILIO__BASE_URL",
                "https://api.twilio.test",
            ),
            ("CAREFLOW_PROVIDERS__TWILIO__ACCOUNT_SID", "1234567890"),
            ("CAREFLOW_PROVIDERS__TWILIO__AUTH_TOKEN", "123456"),
            ("CAREFLOW_PROVIDERS__TWILIO__FROM", "+15550001111"),
            ("CAREFLOW_PROVIDERS__SMTP__USERNAME", "1001"),
            ("CAREFLOW_PROVIDERS__SMTP__PASSWORD", "987654"),
        ],
    );
    assert!(ok, "{err}");
}

#[test]
fn every_command_refuses_a_value_its_layer_cannot_read_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("never.db").display());
    let (ok, err) = migrate(
        &url,
        &[
            ("CAREFLOW_DISCHARGE__DEFAULT_PHONE_REGION", "USA"),
            ("CAREFLOW_SCHEDULES__DEFAULT_TIME_ZONE", "Nowhere/Else"),
        ],
    );
    assert!(!ok, "migrate ran with unreadable settings");
    assert!(err.contains("discharge.default_phone_region"), "{err}");
    assert!(err.contains("schedules.default_time_zone"), "{err}");
    assert!(
        !dir.path().join("never.db").exists(),
        "the database was opened"
    );
}
