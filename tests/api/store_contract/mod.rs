//! The store contract: each case drives the store traits directly (no HTTP) and runs,
//! with the same assertions, against PostgreSQL and SQLite, each on a fresh database.
//! A case is `async fn name(store: &dyn Store)`; `contract!` stamps it into a
//! `postgres` and a `sqlite` module, so a failure names its backend.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use careflow::config::{DatabaseSettings, Secret};
use careflow::store::Store;
use chrono::{DateTime, TimeZone, Utc};

use crate::helpers::{Backend, TestDb};

/// Runs each listed `async fn name(&dyn Store)` on a PostgreSQL and on a SQLite
/// store, as `postgres::name` and `sqlite::name`.
macro_rules! contract {
    ($($case:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let opened = $crate::store_contract::open($crate::helpers::Backend::Postgres).await;
                    super::$case(opened.store.as_ref()).await;
                    opened.close().await;
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let opened = $crate::store_contract::open($crate::helpers::Backend::Sqlite).await;
                    super::$case(opened.store.as_ref()).await;
                    opened.close().await;
                }
            )*
        }
    };
}

mod access_log;
mod auth;
mod claims;
mod consent;
mod contacts;
mod cron;
mod discharge;
mod encounters;
mod events;
mod hospitals;
mod notifications;
mod outreach;
mod pause;
mod queue;
mod retention;
mod runs;
mod schedule;
mod service_calls;
mod submissions;
mod tasks;
mod triggers;
mod user_workflows;

/// A migrated store on a fresh database, and the database (dropped with it).
pub struct Opened {
    /// The store under test.
    pub store: Arc<dyn Store>,
    _db: TestDb,
}

/// Opens and migrates a store on a fresh database of `backend`, the way the service
/// opens its own.
pub async fn open(backend: Backend) -> Opened {
    let db = TestDb::new(backend).await;
    let settings = DatabaseSettings {
        url: Secret::new(db.url.clone()),
        // Unused: the URL always names the database.
        sqlite_path: PathBuf::new(),
        max_connections: 4,
        acquire_timeout: Duration::from_secs(10),
        test_after_idle: Duration::from_secs(1),
    };
    let store = careflow::store::connect(&settings)
        .await
        .expect("the store opens");
    store.migrate().await.expect("the migrations apply");
    Opened { store, _db: db }
}

impl Opened {
    /// The database's URL, for a second session of a test's own.
    pub fn url(&self) -> &str {
        &self._db.url
    }

    /// Closes the pools before the database is dropped.
    pub async fn close(self) {
        self.store.close().await;
    }
}

/// A whole second after a fixed start: both backends keep such instants exactly.
pub fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 8, 0, 0).unwrap() + chrono::Duration::seconds(seconds)
}

/// A tenant id from a valid literal.
pub fn tenant(id: &str) -> careflow::store::TenantId {
    careflow::store::TenantId::parse(id).expect("a valid tenant id")
}

/// An event of `event_type` about `run`, created at `at(seconds)`.
pub fn event(
    event_type: &str,
    run: Option<careflow::store::RunId>,
    seconds: i64,
) -> careflow::store::NewEvent {
    careflow::store::NewEvent {
        event_id: uuid::Uuid::new_v4(),
        event_type: event_type.into(),
        correlation_id: None,
        run_id: run,
        workflow: None,
        source: "contract".into(),
        data: serde_json::json!({"n": seconds}),
        created_at: at(seconds),
    }
}

/// The tenant's events, in position order, once every committed one has its
/// position (PostgreSQL gives positions after the commit).
pub async fn events_of(
    store: &dyn Store,
    tenant: &careflow::store::TenantId,
) -> Vec<careflow::store::EventRow> {
    while store
        .sequence_events()
        .await
        .expect("events are sequenced")
        .waiting
    {}
    store
        .tenant_events_after(tenant, 0, &Default::default(), 1000)
        .await
        .expect("the events read")
}

/// A queued run of `workflow` for `tenant`, created at `at(seconds)`, with no steps.
pub fn run(
    tenant: &careflow::store::TenantId,
    workflow: &str,
    input: serde_json::Value,
    seconds: i64,
) -> careflow::store::NewRun {
    careflow::store::NewRun {
        tenant_id: tenant.clone(),
        run_id: careflow::store::RunId::new(),
        workflow: workflow.into(),
        workflow_version: 1,
        status: careflow::store::RunStatus::Queued,
        input,
        options: serde_json::json!({}),
        idempotency_key: None,
        request_hash: None,
        correlation_id: None,
        trace_parent: None,
        created_at: at(seconds),
        ready_at: None,
        lease: None,
        concurrency: None,
        priority: careflow::engine::Priority::DEFAULT.get(),
        steps: vec![],
        events: vec![],
        queue_bound: None,
        service_call: None,
    }
}
