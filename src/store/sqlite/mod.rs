//! The SQLite store: one process, one file, zero set-up.
//!
//! SQLite allows one writer at a time, so writes go through a pool of exactly one
//! connection (transactions never meet a busy writer half-way), while reads use a
//! few read-only connections that WAL mode lets run beside the writer. Notices are
//! broadcast in-process after each commit.

mod access_log;
mod attempts;
mod care;
mod events;
mod pause;
mod retention;
mod runs;
mod schedule;
mod service_calls;
mod shared;
mod trigger_limits;
mod triggers;
mod user_workflows;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};
use tokio::sync::broadcast;

use super::{Backend, Notice, Store, StoreError, StoreResult, fence};
use crate::config::DatabaseSettings;

/// This build's migrations (see `store::migrations` for why newer ones are allowed).
fn migrator() -> Migrator {
    super::migrations::lenient(sqlx::migrate!("./migrations/sqlite"))
}

const NOTICE_BUFFER: usize = 4096;
const READERS: u32 = 4;

/// careflow's data in a SQLite file.
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    notices: broadcast::Sender<Notice>,
    path: PathBuf,
}

/// The file named by a `sqlite:` URL (`sqlite://data/x.db`, `sqlite:x.db`,
/// `sqlite:///abs/x.db`), without query parameters.
pub fn path_from_url(url: &str) -> PathBuf {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let rest = rest.split('?').next().unwrap_or(rest);
    PathBuf::from(rest)
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and its folder.
    pub async fn open(path: &Path, settings: &DatabaseSettings) -> StoreResult<Self> {
        let failed = |cause: String| StoreError::Connect {
            target: format!("SQLite file {}", path.display()),
            cause,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| failed(format!("cannot create {}: {e}", dir.display())))?;
        }
        let options = SqliteConnectOptions::from_str("sqlite://")
            .map_err(StoreError::Unavailable)?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a committed step outcome survives a power cut, as it does on PostgreSQL.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let writer = super::pool_checks::pool_options::<Sqlite>(settings)
            .max_connections(1)
            .acquire_timeout(settings.acquire_timeout.max(Duration::from_secs(30)))
            .connect_with(options.clone())
            .await
            .map_err(|e| failed(e.to_string()))?;
        let reader = super::pool_checks::pool_options::<Sqlite>(settings)
            .max_connections(READERS)
            .connect_with(options.read_only(true))
            .await
            .map_err(|e| failed(e.to_string()))?;
        let (notices, _) = broadcast::channel(NOTICE_BUFFER);
        Ok(Self {
            writer,
            reader,
            notices,
            path: path.to_path_buf(),
        })
    }

    /// Begins a write transaction on the single writer, fenced by the lease of the
    /// step running in this task, if any ([`crate::store::fence`]): a no-op update
    /// of the run row under the lease takes SQLite's write lock at once, so nothing
    /// can change the lease before the commit; a lost lease rolls back and answers
    /// [`StoreError::LeaseLost`].
    pub(super) async fn begin_write(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        let mut tx = self.writer.begin().await?;
        if let Some(lease) = fence::current() {
            let held = sqlx::query(
                "update runs set lease_epoch = lease_epoch
                 where tenant_id = $1 and run_id = $2 and lease_owner = $3 and lease_epoch = $4",
            )
            .bind(&lease.tenant_id)
            .bind(lease.run_id)
            .bind(&lease.owner)
            .bind(lease.epoch)
            .execute(&mut *tx)
            .await?;
            if held.rows_affected() == 0 {
                tx.rollback().await?;
                return Err(StoreError::LeaseLost);
            }
        }
        Ok(tx)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Broadcasts one notice after a commit (as the PostgreSQL store names it).
    fn announce_local(&self, notice: Notice) {
        self.announce([notice]);
    }

    /// Broadcasts notices after a commit.
    fn announce(&self, notices: impl IntoIterator<Item = Notice>) {
        for n in notices {
            // No receiver is fine: nobody is waiting.
            let _ = self.notices.send(n);
        }
    }

    /// The versions of the migrations applied successfully, or `None` before the
    /// first migration.
    async fn applied_migrations(&self) -> StoreResult<Option<Vec<i64>>> {
        let exists: bool = sqlx::query_scalar(
            "select count(*) > 0 from sqlite_master where type = 'table' and name = '_sqlx_migrations'",
        )
        .fetch_one(&self.reader)
        .await?;
        if !exists {
            return Ok(None);
        }
        let applied = sqlx::query_scalar("select version from _sqlx_migrations where success")
            .fetch_all(&self.reader)
            .await?;
        Ok(Some(applied))
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("select 1").execute(&self.reader).await?;
        Ok(())
    }

    async fn migrate(&self) -> StoreResult<()> {
        let migrator = migrator();
        if let Some(applied) = self.applied_migrations().await? {
            super::migrations::warn_of_newer(&applied, &migrator);
        }
        migrator.run(&self.writer).await?;
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
        self.writer.close().await;
        self.reader.close().await;
    }

    fn pool_usage(&self) -> Vec<super::PoolUsage> {
        vec![
            super::PoolUsage::of("writer", &self.writer),
            super::PoolUsage::of("reader", &self.reader),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_their_files() {
        assert_eq!(
            path_from_url("sqlite://data/x.db"),
            PathBuf::from("data/x.db")
        );
        assert_eq!(path_from_url("sqlite:x.db?mode=rwc"), PathBuf::from("x.db"));
        assert_eq!(
            path_from_url("sqlite:///tmp/x.db"),
            PathBuf::from("/tmp/x.db")
        );
    }
}
