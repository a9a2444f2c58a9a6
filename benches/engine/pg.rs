//! The PostgreSQL side of the benchmark: fresh databases, commit counters, the
//! backends serving a database, and pgbench as the commit-rate ceiling.

use std::process::Command;
use std::time::Duration;

use sqlx::{Connection, PgConnection};

use super::BoxError;

/// The admin URL: `BENCH_DATABASE_URL`, else the local server with trust auth.
pub fn admin_url() -> String {
    std::env::var("BENCH_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// The admin URL with its database replaced by `db` (query parameters kept).
pub fn url_for(admin: &str, db: &str) -> String {
    let (base, query) = match admin.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin, None),
    };
    let server = match base.rsplit_once('/') {
        // `postgres://host` has no database part: the last slash is the scheme's.
        Some((s, _)) if !s.ends_with('/') => s,
        _ => base,
    };
    match query {
        Some(q) => format!("{server}/{db}?{q}"),
        None => format!("{server}/{db}"),
    }
}

/// A connection to the admin database, for statistics and DDL. Its own
/// transactions are counted in the admin database, not in the measured ones.
pub struct Admin {
    conn: PgConnection,
    url: String,
}

/// Commit counters of one database.
#[derive(Debug, Clone, Copy, Default)]
pub struct DbStats {
    /// `pg_stat_database.xact_commit`.
    pub commits: i64,
    /// `pg_stat_database.xact_rollback`.
    pub rollbacks: i64,
}

/// Cluster-wide WAL counters (`pg_stat_wal`): every database on the server counts.
#[derive(Debug, Clone, Copy, Default)]
pub struct WalStats {
    /// WAL flushes to disk.
    pub syncs: i64,
    /// WAL records written.
    pub records: i64,
}

impl Admin {
    /// Connects to the admin URL.
    pub async fn connect(url: &str) -> Result<Self, BoxError> {
        let conn = PgConnection::connect(url)
            .await
            .map_err(|e| format!("PostgreSQL at {url} must be reachable: {e}"))?;
        Ok(Self {
            conn,
            url: url.to_string(),
        })
    }

    /// The URL of database `db` on the same server.
    pub fn url_of(&self, db: &str) -> String {
        url_for(&self.url, db)
    }

    /// Creates an empty database.
    pub async fn create_db(&mut self, db: &str) -> Result<(), BoxError> {
        sqlx::query(&format!("create database {db}"))
            .execute(&mut self.conn)
            .await?;
        Ok(())
    }

    /// Drops a database, closing whatever is still connected to it.
    pub async fn drop_db(&mut self, db: &str) -> Result<(), BoxError> {
        sqlx::query(&format!("drop database if exists {db} with (force)"))
            .execute(&mut self.conn)
            .await?;
        Ok(())
    }

    /// The commit counters of `db`. Backends publish their counters when idle and
    /// at most once a second while busy, so read them a second or more after the
    /// measured work ended.
    pub async fn stats(&mut self, db: &str) -> Result<DbStats, BoxError> {
        let (commits, rollbacks): (i64, i64) = sqlx::query_as(
            "select xact_commit, xact_rollback from pg_stat_database where datname = $1",
        )
        .bind(db)
        .fetch_one(&mut self.conn)
        .await?;
        Ok(DbStats { commits, rollbacks })
    }

    /// Cluster-wide WAL counters.
    pub async fn wal(&mut self) -> Result<WalStats, BoxError> {
        let (syncs, records): (i64, i64) =
            sqlx::query_as("select wal_sync::bigint, wal_records::bigint from pg_stat_wal")
                .fetch_one(&mut self.conn)
                .await?;
        Ok(WalStats { syncs, records })
    }

    /// Process ids of the backends connected to `db`.
    pub async fn backends(&mut self, db: &str) -> Result<Vec<i32>, BoxError> {
        Ok(
            sqlx::query_scalar("select pid from pg_stat_activity where datname = $1")
                .bind(db)
                .fetch_all(&mut self.conn)
                .await?,
        )
    }
}

/// Runs a one-line statement in `url`'s database.
pub async fn execute(url: &str, sql: &str) -> Result<(), BoxError> {
    let mut conn = PgConnection::connect(url).await?;
    sqlx::query(sql).execute(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

/// What pgbench reported.
#[derive(Debug, Clone, Copy, Default)]
pub struct PgbenchResult {
    /// Transactions per second, without connection time.
    pub tps: f64,
    /// Mean transaction latency in milliseconds.
    pub latency_ms: f64,
}

/// Checks that pgbench can be run.
pub fn pgbench_available() -> Result<String, BoxError> {
    let out = Command::new("pgbench")
        .arg("--version")
        .output()
        .map_err(|e| format!("pgbench (PostgreSQL's client tools) must be installed: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Runs pgbench with `clients` connections (one thread each) for `duration` on the
/// script file, against the database at `url`.
pub fn pgbench(
    url: &str,
    script: &std::path::Path,
    clients: usize,
    duration: Duration,
) -> Result<PgbenchResult, BoxError> {
    let out = Command::new("pgbench")
        .args(["-n", "-c", &clients.to_string(), "-j", &clients.to_string()])
        .args(["-T", &duration.as_secs().max(1).to_string()])
        .arg("-f")
        .arg(script)
        .arg(url)
        .output()?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "pgbench failed ({}): {}{}",
            out.status,
            stdout,
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    let number_after = |prefix: &str| {
        stdout
            .lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<f64>().ok())
    };
    let tps =
        number_after("tps = ").ok_or_else(|| format!("no tps in pgbench's output: {stdout}"))?;
    let latency_ms = number_after("latency average = ").unwrap_or(f64::NAN);
    Ok(PgbenchResult { tps, latency_ms })
}

/// Row writes to one table: inserted, updated, of which heap-only (no index
/// entries written), deleted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableWrites {
    /// Table name.
    pub table: String,
    /// Rows inserted.
    pub inserted: i64,
    /// Rows updated.
    pub updated: i64,
    /// Updates that wrote no index entries (HOT).
    pub hot: i64,
    /// Rows deleted.
    pub deleted: i64,
}

/// Row-write counters of every table of the database at `url`.
pub async fn table_stats(url: &str) -> Result<Vec<TableWrites>, BoxError> {
    let mut conn = PgConnection::connect(url).await?;
    let rows: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
        "select relname::text, n_tup_ins, n_tup_upd, n_tup_hot_upd, n_tup_del
         from pg_stat_user_tables order by relname",
    )
    .fetch_all(&mut conn)
    .await?;
    conn.close().await?;
    Ok(rows
        .into_iter()
        .map(|(table, inserted, updated, hot, deleted)| TableWrites {
            table,
            inserted,
            updated,
            hot,
            deleted,
        })
        .collect())
}

/// What was written between two readings (tables that saw no writes left out).
pub fn table_delta(before: &[TableWrites], after: &[TableWrites]) -> Vec<TableWrites> {
    after
        .iter()
        .map(|a| {
            let b = before
                .iter()
                .find(|b| b.table == a.table)
                .cloned()
                .unwrap_or_default();
            TableWrites {
                table: a.table.clone(),
                inserted: a.inserted - b.inserted,
                updated: a.updated - b.updated,
                hot: a.hot - b.hot,
                deleted: a.deleted - b.deleted,
            }
        })
        .filter(|d| d.inserted + d.updated + d.deleted > 0)
        .collect()
}
