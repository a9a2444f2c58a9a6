//! History seeding: fills the service's database with finished runs before the
//! levels, so that cost per run can be compared between a young database and one
//! holding a long history. The rows are copies of one run the warm-up completed,
//! written by a few bulk `insert ... select` statements straight into the tables
//! (not through the API, which would take hours for a million runs).

use std::time::Instant;

use sqlx::{Connection, PgConnection, SqliteConnection};

use super::BoxError;

/// The tables holding a run's rows, parents first. Each has `tenant_id` and
/// `run_id`; their other columns are copied as they are, except those listed in
/// [`Fresh`].
const TABLES: [&str; 4] = ["runs", "step_runs", "step_attempts", "events"];

/// Runs copied per statement, so that no single transaction grows unbounded.
const CHUNK: u64 = 100_000;

/// What seeding wrote.
#[derive(Debug, Clone, Copy, Default)]
pub struct Seeded {
    /// Runs in the database afterwards.
    pub runs: i64,
    /// Events in the database afterwards.
    pub events: i64,
    /// Seconds the copies (and, on PostgreSQL, the vacuum after them) took.
    pub secs: f64,
}

/// How a column of a copied row gets its value: the same as the template's, a new
/// identifier, or the database's default.
enum Fresh {
    Same,
    Expr(&'static str),
    Default,
}

fn fresh_pg(table: &str, column: &str) -> Fresh {
    match (table, column) {
        (_, "run_id") => Fresh::Expr("s.id"),
        ("runs", "idempotency_key") => Fresh::Expr("null"),
        ("runs", "lease_owner") => Fresh::Expr("null"),
        ("step_attempts", "attempt_id") => Fresh::Expr("gen_random_uuid()"),
        ("events", "event_id") => Fresh::Expr("gen_random_uuid()"),
        ("events", "seq") | ("events", "tx_id") => Fresh::Default,
        // History is older than every event of the levels: positions below zero,
        // downwards, so they take no transaction's range (positions come from the
        // inserting transaction's id, 4096 per transaction, and a batch copies more).
        // A row's earlier events sit just below its position: 4096 apart, a copied
        // row's never meet the next one's.
        ("events", "position") => Fresh::Expr(
            "(select least(coalesce(min(position), 0), 0) from events)
             - 4096 * row_number() over (order by s.g, t.seq)",
        ),
        _ => Fresh::Same,
    }
}

fn fresh_sqlite(table: &str, column: &str) -> Fresh {
    match (table, column) {
        (_, "run_id") => Fresh::Expr("s.id"),
        ("runs", "idempotency_key") => Fresh::Expr("null"),
        ("runs", "lease_owner") => Fresh::Expr("null"),
        ("step_attempts", "attempt_id") | ("events", "event_id") => Fresh::Expr("randomblob(16)"),
        // The row id: insertion order is commit order there.
        ("events", "position") => Fresh::Default,
        _ => Fresh::Same,
    }
}

/// The `insert ... select` copying `table`'s rows of the template run once per row
/// of `seed_ids`.
fn copy_sql(table: &str, columns: &[String], fresh: fn(&str, &str) -> Fresh) -> String {
    let (mut into, mut from) = (Vec::new(), Vec::new());
    for c in columns {
        match fresh(table, c) {
            Fresh::Same => {
                into.push(c.clone());
                from.push(format!("t.{c}"));
            }
            Fresh::Expr(e) => {
                into.push(c.clone());
                from.push(e.to_string());
            }
            Fresh::Default => {}
        }
    }
    format!(
        "insert into {table} ({}) select {} from {table} t cross join seed_ids s
         where t.tenant_id = $1 and t.run_id = $2",
        into.join(", "),
        from.join(", ")
    )
}

/// Seeds `runs` copies of the newest completed run into the PostgreSQL database at
/// `url`, then vacuums and analyzes it so the levels do not pay for the backlog.
pub async fn postgres(url: &str, runs: u64) -> Result<Seeded, BoxError> {
    let started = Instant::now();
    let mut conn = PgConnection::connect(url).await?;
    let (tenant, template): (String, uuid::Uuid) = sqlx::query_as(
        "select tenant_id, run_id from runs where status = 'completed'
         order by finished_at desc limit 1",
    )
    .fetch_one(&mut conn)
    .await
    .map_err(|e| format!("no completed run to copy: {e}"))?;
    let mut statements = Vec::new();
    for table in TABLES {
        let columns: Vec<String> = sqlx::query_scalar(
            // Generated columns compute themselves.
            "select column_name::text from information_schema.columns
             where table_schema = current_schema() and table_name = $1
               and is_generated = 'NEVER'
             order by ordinal_position",
        )
        .bind(table)
        .fetch_all(&mut conn)
        .await?;
        if !columns.is_empty() {
            statements.push(copy_sql(table, &columns, fresh_pg));
        }
    }
    let mut done = 0;
    while done < runs {
        let n = CHUNK.min(runs - done);
        let mut tx = conn.begin().await?;
        sqlx::query(
            "create temp table seed_ids on commit drop as
             select g, gen_random_uuid() as id from generate_series(1, $1) g",
        )
        .bind(n as i64)
        .execute(&mut *tx)
        .await?;
        for sql in &statements {
            sqlx::query(sql)
                .bind(&tenant)
                .bind(template)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        done += n;
        eprintln!("history: {done} of {runs} runs seeded");
    }
    sqlx::query("vacuum analyze").execute(&mut conn).await?;
    // A row holds its earlier events too (see migration 0143): count events.
    let (runs, events): (i64, i64) = sqlx::query_as(
        "select (select count(*) from runs),
                (select coalesce(sum(1 + coalesce(jsonb_array_length(earlier), 0)), 0)::bigint
                 from events)",
    )
    .fetch_one(&mut conn)
    .await?;
    conn.close().await?;
    Ok(Seeded {
        runs,
        events,
        secs: started.elapsed().as_secs_f64(),
    })
}

/// Seeds `runs` copies of the newest completed run into the SQLite file at `url`
/// (the service keeps running: its writes wait on the file's lock meanwhile).
pub async fn sqlite(url: &str, runs: u64) -> Result<Seeded, BoxError> {
    let started = Instant::now();
    let mut conn = SqliteConnection::connect(url).await?;
    sqlx::query("pragma busy_timeout = 60000")
        .execute(&mut conn)
        .await?;
    let (tenant, template): (String, Vec<u8>) = sqlx::query_as(
        "select tenant_id, run_id from runs where status = 'completed'
         order by finished_at desc limit 1",
    )
    .fetch_one(&mut conn)
    .await
    .map_err(|e| format!("no completed run to copy: {e}"))?;
    let mut statements = Vec::new();
    for table in TABLES {
        let columns: Vec<String> =
            // `table_info` leaves generated columns out.
            sqlx::query_scalar("select name from pragma_table_info($1) order by cid")
                .bind(table)
                .fetch_all(&mut conn)
                .await?;
        if !columns.is_empty() {
            statements.push(copy_sql(table, &columns, fresh_sqlite));
        }
    }
    let mut done = 0;
    while done < runs {
        let n = CHUNK.min(runs - done);
        let mut tx = conn.begin().await?;
        sqlx::query(
            "create temp table seed_ids as
             with recursive s(g) as (select 1 union all select g + 1 from s where g < $1)
             select g, randomblob(16) as id from s",
        )
        .bind(n as i64)
        .execute(&mut *tx)
        .await?;
        for sql in &statements {
            sqlx::query(sql)
                .bind(&tenant)
                .bind(&template)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("drop table seed_ids").execute(&mut *tx).await?;
        tx.commit().await?;
        done += n;
        eprintln!("history: {done} of {runs} runs seeded");
    }
    sqlx::query("analyze").execute(&mut conn).await?;
    let (runs, events): (i64, i64) =
        sqlx::query_as("select (select count(*) from runs), (select count(*) from events)")
            .fetch_one(&mut conn)
            .await?;
    conn.close().await?;
    Ok(Seeded {
        runs,
        events,
        secs: started.elapsed().as_secs_f64(),
    })
}
