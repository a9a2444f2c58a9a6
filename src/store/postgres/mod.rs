//! The PostgreSQL store: shared by every replica.
//!
//! Hot-path writes are single statements whose CTEs update the run (the lease fence),
//! its steps and its events together, so a step's outcome costs one round trip and
//! one commit. Notices travel through LISTEN/NOTIFY on one channel.

mod access_log;
mod attempts;
mod care;
mod columns;
mod commits;
mod events;
mod group_commit;
mod pause;
mod retention;
mod runs;
mod schedule;
mod service_calls;
mod shared;
mod submissions;
mod trigger_limits;
mod triggers;
mod user_workflows;

use std::sync::atomic::AtomicI64;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgListener};
use sqlx::{PgPool, Postgres, Transaction};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use super::{Backend, Notice, Store, StoreError, StoreResult, fence};
use crate::config::DatabaseSettings;

/// This build's migrations (see `store::migrations` for why newer ones are allowed).
fn migrator() -> Migrator {
    super::migrations::lenient(sqlx::migrate!("./migrations/postgres"))
}

/// How many notices a slow local receiver may fall behind before losing the oldest.
const NOTICE_BUFFER: usize = 4096;

/// careflow's data in PostgreSQL.
pub struct PgStore {
    pool: PgPool,
    notices: broadcast::Sender<Notice>,
    stop_listening: CancellationToken,
    /// The event horizon at this replica's last pass (see `events::sequence`):
    /// events at or above it may not have been announced yet.
    horizon_seen: AtomicI64,
    /// The permits of the statements writing groups (see `group_commit`).
    committers: std::sync::Arc<group_commit::Committers>,
    /// Step commits waiting to be written together (see `group_commit`).
    group: group_commit::GroupCommit,
    /// Submissions of runs that start at once, waiting to be written together (see
    /// `submissions`).
    submissions: submissions::GroupSubmit,
}

impl PgStore {
    /// Connects a pool and starts listening for notices.
    pub async fn connect(url: &str, settings: &DatabaseSettings) -> StoreResult<Self> {
        let options: PgConnectOptions = url
            .parse::<PgConnectOptions>()
            .map_err(|e| StoreError::Connect {
                target: "PostgreSQL".into(),
                cause: super::connect_error::cause(&e, "the configured server"),
            })?
            .application_name("careflow");
        let pool = super::pool_checks::pool_options::<Postgres>(settings)
            // One connection is held by the notice listener.
            .max_connections(settings.max_connections.max(2))
            .connect_with(options.clone())
            .await;
        let pool = match pool {
            Ok(pool) => pool,
            Err(e) => {
                return Err(super::connect_error::pg_failure(
                    &options,
                    e,
                    settings.acquire_timeout,
                )
                .await);
            }
        };
        let (notices, _) = broadcast::channel(NOTICE_BUFFER);
        let stop_listening = CancellationToken::new();
        tokio::spawn(listen(
            pool.clone(),
            notices.clone(),
            stop_listening.clone(),
        ));
        let committers = group_commit::Committers::new(group_commit::Committers::for_pool(
            settings.max_connections,
        ));
        let group =
            group_commit::GroupCommit::new(pool.clone(), notices.clone(), committers.clone());
        let submissions =
            submissions::GroupSubmit::new(pool.clone(), notices.clone(), committers.clone());
        Ok(Self {
            pool,
            notices,
            stop_listening,
            horizon_seen: AtomicI64::new(0),
            committers,
            group,
            submissions,
        })
    }

    /// Tells this process's subscribers something happened here.
    fn announce_local(&self, notice: Notice) {
        let _ = self.notices.send(notice);
    }

    /// Begins a write transaction, fenced by the lease of the step running in this
    /// task, if any ([`crate::store::fence`]): the run row is locked `for share`
    /// until the transaction ends, so no claim can take the run in between; a lost
    /// lease rolls back and answers [`StoreError::LeaseLost`].
    pub(super) async fn begin_write(&self) -> StoreResult<Transaction<'static, Postgres>> {
        let mut tx = self.pool.begin().await?;
        if let Some(lease) = fence::current() {
            let held: Option<i32> = sqlx::query_scalar(
                "select 1 from runs
                 where tenant_id = $1 and run_id = $2 and lease_owner = $3 and lease_epoch = $4
                 for share",
            )
            .bind(&lease.tenant_id)
            .bind(lease.run_id)
            .bind(&lease.owner)
            .bind(lease.epoch)
            .fetch_optional(&mut *tx)
            .await?;
            if held.is_none() {
                tx.rollback().await?;
                return Err(StoreError::LeaseLost);
            }
        }
        Ok(tx)
    }

    /// The pool, for tests and tools that need raw access.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The versions of the migrations applied successfully, or `None` before the
    /// first migration.
    async fn applied_migrations(&self) -> StoreResult<Option<Vec<i64>>> {
        let exists: bool = sqlx::query_scalar("select to_regclass('_sqlx_migrations') is not null")
            .fetch_one(&self.pool)
            .await?;
        if !exists {
            return Ok(None);
        }
        let applied = sqlx::query_scalar("select version from _sqlx_migrations where success")
            .fetch_all(&self.pool)
            .await?;
        Ok(Some(applied))
    }
}

/// Forwards NOTIFY payloads to local subscribers, reconnecting when the connection
/// drops; after a reconnect it sends [`Notice::Resync`] since notices may be lost.
async fn listen(pool: PgPool, tx: broadcast::Sender<Notice>, stop: CancellationToken) {
    let mut backoff = Duration::from_millis(100);
    loop {
        let listener = async {
            let mut l = PgListener::connect_with(&pool).await?;
            l.listen(Notice::CHANNEL).await?;
            Ok::<_, sqlx::Error>(l)
        };
        let mut listener = tokio::select! {
            _ = stop.cancelled() => return,
            l = listener => match l {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for notices; retrying");
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        _ = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            },
        };
        backoff = Duration::from_millis(100);
        let _ = tx.send(Notice::Resync);
        loop {
            let next = tokio::select! {
                _ = stop.cancelled() => return,
                n = listener.try_recv() => n,
            };
            match next {
                Ok(Some(n)) => {
                    if let Some(notice) = Notice::from_payload(n.payload()) {
                        let _ = tx.send(notice);
                    }
                }
                // The connection dropped and was re-established: notices may be lost.
                Ok(None) => {
                    let _ = tx.send(Notice::Resync);
                }
                Err(sqlx::Error::PoolClosed) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "notice listener failed; reconnecting");
                    break;
                }
            }
        }
    }
}

#[async_trait]
impl Store for PgStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("select 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn migrate(&self) -> StoreResult<()> {
        let migrator = migrator();
        if let Some(applied) = self.applied_migrations().await? {
            super::migrations::warn_of_newer(&applied, &migrator);
        }
        migrator.run(&self.pool).await?;
        Ok(())
    }

    async fn migrations_current(&self) -> StoreResult<bool> {
        let Some(applied) = self.applied_migrations().await? else {
            return Ok(false);
        };
        Ok(migrator().iter().all(|m| applied.contains(&m.version)))
    }

    fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.notices.subscribe()
    }

    async fn close(&self) {
        self.stop_listening.cancel();
        self.pool.close().await;
    }

    fn pool_usage(&self) -> Vec<super::PoolUsage> {
        vec![super::PoolUsage::of("main", &self.pool)]
    }
}
