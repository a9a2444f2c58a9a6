//! Storage: one [`Store`] trait, implemented for PostgreSQL (production, several
//! replicas) and SQLite (one process, zero set-up).
//!
//! SQL lives only below this module. Methods speak the engine's language (claim,
//! commit progress, renew leases); both implementations pass one contract test suite.
//! Every write a lease holder makes is fenced by its lease (owner and epoch): when
//! the fence matches no row the write is dropped and [`StoreError::LeaseLost`] is
//! returned, so a replica that lost a run can never overwrite another's outcome.
//! The same fence covers every write a step makes to the domain tables ([`fence`]).

mod access_log;
mod attempts;
mod auth;
mod care;
mod claim_order;
mod connect_error;
mod cron;
mod discharge;
mod encounters;
mod error;
mod events;
pub mod fence;
mod hospitals;
mod keyed;
mod migrations;
mod notice;
mod pause;
mod pool_checks;
pub mod postgres;
pub(crate) mod retention;
mod runs;
mod schedule;
mod service_calls;
mod shared_sql;
pub mod sqlite;
mod trigger_limits;
mod triggers;
mod types;
mod user_workflows;

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::broadcast;

pub use access_log::{AccessLogStore, AccessRow, NewAccess};
pub use attempts::{
    AttemptMark, AttemptOutcome, AttemptStore, AttemptWrites, CurrentAttempt, StepAttemptRow,
};
pub use auth::{ApiKeyRow, AuthStore, NewApiKey};
pub use care::{
    AssignOutcome, AttemptRow, CandidateRow, CareStore, Classified, InboundCandidateRow,
    InteractionRow, NewAttempt, NewInteraction, NewNotification, NewNurse, NewPlan, NewTask,
    NewUnroutedReply, NotificationFilter, NotificationRow, NotificationStore, NurseRow, NurseStore,
    OutreachStore, PlanRow, ProviderUpdate, Reservation, RoutingStore, SendResult, ShiftRow,
    TaskFilter, TaskRow, TaskStore, TwilioNumberRow, UnroutedCandidate, UnroutedForTenant,
};
pub use care::{ConsentChangeRow, ConsentStore, EscalationContactRow, EscalationContactStore};
pub use cron::{CronScheduleRow, CronStore, TickDone};
pub use discharge::{
    CallOutcome, CallRow, CallStatus, CaseRow, DischargeStore, EmailOutcome, EmailRow, EmailStatus,
    NewCall, NewCase, NewEmail, NewSummary, SummaryRow,
};
pub use encounters::{
    EncounterFormInfo, EncounterRunRow, EncounterStore, NewEncounterForm, SourceCursor,
};
pub use error::{StoreError, StoreResult};
pub use events::{EventFilter, EventStore, Sequenced};
pub use hospitals::{
    HospitalRow, HospitalStore, ImportClaim, ImportState, ImportStatusRow, NewUpload, UploadRow,
};
pub use notice::Notice;
pub use pause::PauseStore;
pub use retention::{
    EraseRun, Erased, NewPurge, PruneBatch, PruneCursor, PruneScope, PurgeOutcome, PurgeRow,
    PurgeSelector, Refusal, RefusedRun, RetentionStore,
};
pub use runs::{
    AttachedServiceCall, CommitOutcome, EventRow, InsertRun, LeaseRef, NewEvent, NewRun,
    QueueBound, QueueFull, RunFilter, RunRow, RunStore, RunUpdate, StepRow, StepWrite,
};
pub use schedule::{
    AssignmentBatch, AssignmentRow, CoverageRow, CoverageWrite, CreatedVersion, NewScheduleVersion,
    NewShiftInstance, Published, ScheduleStore, ShiftCoverageRow, ShiftInstanceRow, VersionRow,
};
pub use service_calls::{
    InsertServiceCall, NewServiceCall, ServiceCallFilter, ServiceCallRow, ServiceCallStatus,
    ServiceCallStore, ServiceCallTransition,
};
pub use trigger_limits::{
    LimitDecision, LimitKind, LimitRequest, SkippedTrigger, TriggerLimitStore,
};
pub use triggers::{TriggerStore, Waiter};
pub use types::{RunId, RunStatus, StepStatus, TenantId};
pub use user_workflows::{UserWorkflowRow, UserWorkflowStore};

use crate::config::DatabaseSettings;

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL: the production store, shared by replicas.
    Postgres,
    /// SQLite: a local file for one process.
    Sqlite,
}

impl Backend {
    /// `postgres` or `sqlite`.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Postgres => "postgres",
            Backend::Sqlite => "sqlite",
        }
    }
}

/// Everything careflow keeps. Held as `Arc<dyn Store>`.
#[async_trait]
pub trait Store:
    AuthStore
    + AccessLogStore
    + RunStore
    + AttemptStore
    + EventStore
    + TriggerStore
    + TriggerLimitStore
    + ServiceCallStore
    + DischargeStore
    + HospitalStore
    + ScheduleStore
    + EncounterStore
    + CareStore
    + CronStore
    + RetentionStore
    + PauseStore
    + UserWorkflowStore
    + Send
    + Sync
    + 'static
{
    /// The backend behind this store.
    fn backend(&self) -> Backend;

    /// A cheap round trip, for readiness.
    async fn ping(&self) -> StoreResult<()>;

    /// Applies every pending migration.
    async fn migrate(&self) -> StoreResult<()>;

    /// True when every migration this build knows of has been applied.
    async fn migrations_current(&self) -> StoreResult<bool>;

    /// Notifications about runs and events, from every replica (PostgreSQL
    /// LISTEN/NOTIFY) or from this process (SQLite). A receiver that lags loses the
    /// oldest notices; notices only ever prompt a re-read, so none is essential.
    fn subscribe(&self) -> broadcast::Receiver<Notice>;

    /// Closes the connection pool.
    async fn close(&self);

    /// This replica's connection pools as they are now, for metrics.
    fn pool_usage(&self) -> Vec<PoolUsage>;
}

/// One connection pool's use at a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolUsage {
    /// Which pool: `main` (PostgreSQL), `writer` or `reader` (SQLite).
    pub pool: &'static str,
    /// Connections open now.
    pub size: u32,
    /// Open connections not lent out.
    pub idle: u32,
    /// The most connections the pool may open.
    pub max: u32,
}

impl PoolUsage {
    /// The usage of an sqlx pool.
    pub(crate) fn of<DB: sqlx::Database>(pool: &'static str, p: &sqlx::Pool<DB>) -> Self {
        let size = p.size();
        Self {
            pool,
            size,
            // Idle is counted apart from size: never report more idle than open.
            idle: u32::try_from(p.num_idle()).unwrap_or(u32::MAX).min(size),
            max: p.options().get_max_connections(),
        }
    }

    /// Connections lent out (serving a query or a transaction).
    pub fn in_use(&self) -> u32 {
        self.size - self.idle
    }
}

/// Opens the store named by the settings: PostgreSQL for a `postgres://` URL, else
/// SQLite (the given `sqlite:` URL, or the default file under `./data`).
pub async fn connect(settings: &DatabaseSettings) -> StoreResult<Arc<dyn Store>> {
    let url = settings.url.expose();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(postgres::PgStore::connect(url, settings).await?))
    } else {
        let path = if url.is_empty() {
            settings.sqlite_path.clone()
        } else {
            sqlite::path_from_url(url)
        };
        Ok(Arc::new(sqlite::SqliteStore::open(&path, settings).await?))
    }
}
