//! Starting the real service for a test, on PostgreSQL or SQLite, and talking to it
//! over HTTP.

use std::sync::Arc;
use std::time::Duration;

use careflow::app::{App, Extensions};
use careflow::auth::api_key;
use careflow::config::{Secret, Settings};
use careflow::engine::ManualClock;
use careflow::store::TenantId;
use serde_json::Value;

pub use crate::db::{Backend, TestDb, admin_url};

/// Settings for a test service: port 0, the test database, quick timings.
pub fn test_settings(db: &TestDb) -> Settings {
    let mut s = Settings::defaults();
    s.server.port = 0;
    s.database.url = Secret::new(db.url.clone());
    s.database.max_connections = 8;
    s.auth.bootstrap_api_key = false;
    s.engine.poll_interval = Duration::from_millis(200);
    s.engine.retry.initial_backoff = Duration::from_millis(20);
    s.engine.retry.max_backoff = Duration::from_millis(100);
    s.engine.drain_timeout = Duration::from_secs(5);
    s.server.shutdown_timeout = Duration::from_secs(5);
    s
}

/// A running service and a client for it.
pub struct TestApp {
    pub app: Option<App>,
    pub base: String,
    pub token: String,
    pub tenant: String,
    /// Checks every answer against the API description (`tests/common/checked.rs`).
    pub http: crate::checked::Client,
    pub db: TestDb,
    pub clock: Arc<ManualClock>,
    pub settings: Settings,
}

impl TestApp {
    /// Starts a service on a fresh database with default settings.
    pub async fn spawn(backend: Backend) -> Self {
        Self::spawn_with(backend, |_| {}, Extensions::default).await
    }

    /// Starts a service with adjusted settings and extensions.
    pub async fn spawn_with(
        backend: Backend,
        adjust: impl FnOnce(&mut Settings),
        ext: impl Fn() -> Extensions,
    ) -> Self {
        let db = TestDb::new(backend).await;
        let mut settings = test_settings(&db);
        adjust(&mut settings);
        let clock = Arc::new(ManualClock::new());
        let app = start(&settings, clock.clone(), ext()).await;
        let key = api_key::create(
            app.store.as_ref(),
            &TenantId::parse("tenant-a").unwrap(),
            "test",
        )
        .await
        .expect("create key");
        let base = format!("http://{}", app.addr);
        Self {
            app: Some(app),
            base,
            token: key.token,
            tenant: "tenant-a".into(),
            http: crate::checked::Client::new(),
            db,
            clock,
            settings,
        }
    }

    pub fn app(&self) -> &App {
        self.app.as_ref().expect("service running")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A new API key for another tenant.
    pub async fn key_for(&self, tenant: &str) -> String {
        api_key::create(
            self.app().store.as_ref(),
            &TenantId::parse(tenant).unwrap(),
            "test",
        )
        .await
        .expect("create key")
        .token
    }

    /// `GET path` with the test tenant's key; the answer is checked against the
    /// API description, as every answer of `http` is.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request")
    }

    /// `POST path` with a JSON body and the test tenant's key; the answer is checked
    /// against the API description.
    pub async fn post(&self, path: &str, body: &Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .bearer_auth(&self.token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    /// Stops the service gracefully and starts it again on the same database
    /// (and the same clock), as a redeploy would.
    pub async fn restart(&mut self, ext: Extensions) {
        if let Some(app) = self.app.take() {
            app.shutdown().await;
        }
        let app = start(&self.settings, self.clock.clone(), ext).await;
        self.base = format!("http://{}", app.addr);
        self.app = Some(app);
    }

    /// Moves the clock forward and lets the engine look for due work.
    pub fn advance(&self, by: Duration) {
        self.clock.advance(by);
        self.app().engine.poke();
    }

    /// Waits until the engine has nothing left to do by the current clock (no run
    /// executing or due, every event routed), so a test can assert that something
    /// did not happen: had it been going to happen, it would have by now.
    pub async fn settle(&self) {
        if let Err(busy) = self.app().engine.until_idle(DEADLINE).await {
            panic!("the engine was still busy after {DEADLINE:?}: {busy}");
        }
    }
}

async fn start(settings: &Settings, clock: Arc<ManualClock>, mut ext: Extensions) -> App {
    ext.clock = Some(clock);
    App::start(settings.clone(), ext)
        .await
        .expect("service starts")
}

/// Reads a JSON body, failing with the status and text when it is not JSON.
pub async fn json(r: reqwest::Response) -> Value {
    let status = r.status();
    let text = r.text().await.expect("body");
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"))
}

/// Runs each listed `async fn name(Backend)` on PostgreSQL and on SQLite, as
/// `postgres::name` and `sqlite::name`, so a failure names its backend.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Postgres).await
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::helpers::Backend::Sqlite).await
                }
            )*
        }
    };
}

/// The lab workflows of `tests/common/lab.rs`, recording into `rec`.
pub fn lab(rec: &crate::lab::Recorder) -> impl Fn() -> Extensions + use<> {
    let rec = rec.clone();
    move || Extensions {
        workflows: crate::lab::workflows(&rec),
        ..Extensions::default()
    }
}

pub use crate::wait::{DEADLINE, eventually};

/// A run's status and its steps' statuses, to show in a failed wait.
pub fn run_summary(run: &Value) -> String {
    let steps: Vec<String> = run["steps"]
        .as_array()
        .map(|s| {
            s.iter()
                .map(|s| format!("{}={}", s["name"], s["status"]))
                .collect()
        })
        .unwrap_or_default();
    format!("status {} steps [{}]", run["status"], steps.join(", "))
}

/// Polls a run until `check` holds (for states that have no notification, such as
/// "step b is running") and returns it.
pub async fn until(app: &TestApp, run: &str, check: impl Fn(&Value) -> bool) -> Value {
    eventually(
        &format!("run {run} to reach the expected state"),
        || async {
            let v = json(app.get(&format!("/v1/runs/{run}")).await).await;
            if check(&v) {
                Ok(v)
            } else {
                Err(run_summary(&v))
            }
        },
    )
    .await
}

/// The step named `name` of a run view.
pub fn step<'a>(run: &'a Value, name: &str) -> &'a Value {
    run["steps"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["name"] == name))
        .unwrap_or_else(|| panic!("no step {name} in {run}"))
}

impl TestApp {
    /// Another replica of the service on the same database.
    pub async fn replica(&self, ext: Extensions) -> App {
        start(&self.settings, self.clock.clone(), ext).await
    }
}
