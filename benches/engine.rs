//! The engine benchmark: starts the service in-process on a fresh PostgreSQL
//! database with a workflow of five steps that do nothing, drives it over HTTP with
//! concurrent clients submitting synchronous runs, and measures runs and steps per
//! second, latency, and database commits per run. Beside each level it runs pgbench
//! (one single-row insert per transaction, same concurrency) on the same server as
//! the ceiling, and samples where the machine's CPU went.
//!
//! Run it with `cargo bench --bench engine`. Settings (environment):
//! `BENCH_DATABASE_URL` (admin URL, default the local server as `postgres`),
//! `BENCH_CLIENTS` (default `1,4,16,32`), `BENCH_SECS` (per level, default 10),
//! `BENCH_WARMUP_SECS` (default 3), `BENCH_SHAPE` (`chain` or `discharge`),
//! `BENCH_POOL` (the service's connections, default as in production, 16),
//! `BENCH_BACKEND` (`postgres`, the default, or `sqlite`: the embedded file, no
//! pgbench beside it), `BENCH_HISTORY` (finished runs seeded into the database
//! after the warm-up, default 0, e.g. `1000` or `1000000`).

#[path = "engine/census.rs"]
mod census;
#[path = "engine/cpu.rs"]
mod cpu;
#[path = "engine/load.rs"]
mod load;
#[path = "engine/pg.rs"]
mod pg;
#[path = "engine/report.rs"]
mod report;
#[path = "engine/rss.rs"]
mod rss;
#[path = "engine/seed.rs"]
mod seed;
#[path = "engine/sqlite.rs"]
mod sqlite;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use careflow::app::{App, Extensions};
use careflow::auth::api_key;
use careflow::config::{Secret, Settings};
use careflow::engine::{StepContext, StepError, StepOutcome, StepOutput, StepPolicy};
use careflow::engine::{WorkflowBuilder, WorkflowDefinition};
use careflow::store::TenantId;
use serde_json::Value;
use tokio::runtime::{Builder, Handle};
use tracing_subscriber::layer::SubscriberExt;

use census::Census;
use report::{Idle, Level, Report};

/// Any error, for a program that reports and exits.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

const WORKFLOW: &str = "bench-noop";

/// What to measure, from the environment.
struct Config {
    clients: Vec<usize>,
    level: Duration,
    warmup: Duration,
    shape: String,
    pool: u32,
    backend: Backend,
    history: u64,
}

/// Which database the service runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Postgres,
    Sqlite,
}

impl Config {
    fn from_env() -> Result<Self, BoxError> {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.trim().is_empty());
        let secs = |k: &str, default: u64| -> Result<Duration, BoxError> {
            Ok(Duration::from_secs(match var(k) {
                Some(v) => v
                    .trim()
                    .parse()
                    .map_err(|_| format!("{k} must be whole seconds"))?,
                None => default,
            }))
        };
        let clients = match var("BENCH_CLIENTS") {
            Some(v) => v
                .split(',')
                .map(|c| c.trim().parse::<usize>().ok().filter(|n| *n > 0))
                .collect::<Option<Vec<_>>>()
                .ok_or("BENCH_CLIENTS must list client counts, e.g. 1,4,16,32")?,
            None => vec![1, 4, 16, 32],
        };
        let shape = var("BENCH_SHAPE").unwrap_or_else(|| "chain".into());
        if shape != "chain" && shape != "discharge" {
            return Err("BENCH_SHAPE must be chain or discharge".into());
        }
        let pool = match var("BENCH_POOL") {
            Some(v) => v
                .trim()
                .parse()
                .map_err(|_| "BENCH_POOL must be a number")?,
            None => Settings::defaults().database.max_connections,
        };
        let backend = match var("BENCH_BACKEND").as_deref().map(str::trim) {
            None | Some("postgres") => Backend::Postgres,
            Some("sqlite") => Backend::Sqlite,
            Some(_) => return Err("BENCH_BACKEND must be postgres or sqlite".into()),
        };
        let history = match var("BENCH_HISTORY") {
            Some(v) => v
                .trim()
                .parse()
                .map_err(|_| "BENCH_HISTORY must be a number of runs")?,
            None => 0,
        };
        Ok(Self {
            clients,
            backend,
            history,
            level: secs("BENCH_SECS", 10)?.max(Duration::from_secs(3)),
            warmup: secs("BENCH_WARMUP_SECS", 3)?,
            shape,
            pool,
        })
    }
}

async fn noop(_: StepContext) -> Result<StepOutcome, StepError> {
    Ok(StepOutcome::Done(StepOutput::new(Value::Null)))
}

/// Five steps that do nothing: a chain `s1 -> s2 -> s3 -> s4 -> s5`, or the
/// discharge shape `a -> b -> c -> d`, `a -> e`.
fn workflow(shape: &str) -> Result<WorkflowDefinition, BoxError> {
    let p = StepPolicy::new;
    let b: WorkflowBuilder = WorkflowDefinition::builder(WORKFLOW, 1);
    let b = if shape == "discharge" {
        b.step("a", &[], p(), noop)
            .step("b", &["a"], p(), noop)
            .step("c", &["b"], p(), noop)
            .step("d", &["c"], p(), noop)
            .step("e", &["a"], p(), noop)
    } else {
        b.step("s1", &[], p(), noop)
            .step("s2", &["s1"], p(), noop)
            .step("s3", &["s2"], p(), noop)
            .step("s4", &["s3"], p(), noop)
            .step("s5", &["s4"], p(), noop)
    };
    Ok(b.build()?)
}

fn main() -> ExitCode {
    // `cargo bench` passes --bench; built as a test (`cargo test --benches`) it only
    // says how to run it.
    if !std::env::args().any(|a| a == "--bench") {
        println!("engine benchmark: run it with `cargo bench --bench engine`");
        return ExitCode::SUCCESS;
    }
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("engine benchmark failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), BoxError> {
    let config = Config::from_env()?;
    let census = Census::default();
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(census.clone()))?;
    // The service gets a runtime of its own, sized like production's default (one
    // worker per core); the clients run on another, so their CPU is told apart.
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let svc = Builder::new_multi_thread()
        .worker_threads(cores)
        .thread_name("svc")
        .enable_all()
        .build()?;
    let clients = Builder::new_multi_thread()
        .worker_threads(cores)
        .thread_name("load")
        .enable_all()
        .build()?;
    if config.backend == Backend::Sqlite {
        let report = clients.block_on(sqlite::bench(&config, census, svc.handle().clone()))?;
        svc.shutdown_timeout(Duration::from_secs(2));
        report.print(&config.shape, cores);
        return Ok(());
    }
    let pgbench = pg::pgbench_available()?;
    let report = clients.block_on(bench(&config, census, svc.handle().clone()))?;
    svc.shutdown_timeout(Duration::from_secs(2));
    report.print(&config.shape, config.pool, cores, &pgbench);
    Ok(())
}

/// Creates the databases, measures, and drops them whatever happened.
async fn bench(config: &Config, census: Census, svc: Handle) -> Result<Report, BoxError> {
    let mut admin = pg::Admin::connect(&pg::admin_url()).await?;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let service_db = format!("careflow_bench_{}", &id[..12]);
    let pgbench_db = format!("{service_db}_pgbench");
    admin.create_db(&service_db).await?;
    admin.create_db(&pgbench_db).await?;
    let result = measure(config, census, svc, &mut admin, &service_db, &pgbench_db).await;
    for db in [&service_db, &pgbench_db] {
        if let Err(e) = admin.drop_db(db).await {
            eprintln!("could not drop database {db}: {e}");
        }
    }
    result
}

async fn measure(
    config: &Config,
    census: Census,
    svc: Handle,
    admin: &mut pg::Admin,
    service_db: &str,
    pgbench_db: &str,
) -> Result<Report, BoxError> {
    let (app, target) = start_service(config, &svc, admin.url_of(service_db)).await?;
    let service = service_phases(config, &census, admin, &target, service_db).await;
    svc.spawn(app.shutdown()).await?;
    let mut report = service?;
    // The ceiling is measured with the service stopped, so that nothing of it
    // (background loops included) competes with pgbench for the cores.
    let ceilings = pgbench_phases(config, admin, pgbench_db).await?;
    for (level, (result, usage)) in report.levels.iter_mut().zip(ceilings) {
        level.pgbench = result;
        level.pgbench_cpu = usage;
    }
    Ok(report)
}

/// Starts the service on the database at `url` with the benchmark's settings and
/// workflow, and makes the API key the clients use.
async fn start_service(
    config: &Config,
    svc: &Handle,
    url: String,
) -> Result<(App, load::Target), BoxError> {
    let mut settings = Settings::defaults();
    settings.server.port = 0;
    settings.database.url = Secret::new(url);
    settings.database.max_connections = config.pool;
    settings.auth.bootstrap_api_key = false;
    settings.engine.max_concurrent_runs = 256;
    let ext = Extensions {
        workflows: vec![workflow(&config.shape)?],
        ..Extensions::default()
    };
    let app = svc.spawn(App::start(settings, ext)).await??;
    let key = api_key::create(app.store.as_ref(), &TenantId::parse("bench")?, "bench").await?;
    let target = load::Target {
        base: format!("http://{}", app.addr),
        token: key.token,
        workflow: WORKFLOW.into(),
    };
    Ok((app, target))
}

/// How long to let pg_stat_database catch up after some work: a busy backend
/// publishes its counters at most once a second (one that goes idle within a second
/// of its last report holds its last second's counts until it works again or 10 s
/// pass, so the server-side counts of a level are off by up to a second of work).
const SETTLE: Duration = Duration::from_millis(1500);

/// Long enough for every idle backend to have published its counters.
const IDLE_SETTLE: Duration = Duration::from_secs(11);

async fn service_phases(
    config: &Config,
    census: &Census,
    admin: &mut pg::Admin,
    target: &load::Target,
    service_db: &str,
) -> Result<Report, BoxError> {
    let tck = cpu::clock_ticks();
    eprintln!("service on {}: warming up", target.base);
    let warm = load::drive(target, 16, config.warmup).await?;
    if warm.failed > 0 || warm.completed == 0 {
        return Err(format!(
            "warm-up runs did not complete: {}",
            warm.first_failure.unwrap_or_default()
        )
        .into());
    }
    let history = if config.history > 0 {
        let seeded = seed::postgres(&admin.url_of(service_db), config.history).await?;
        // The seeding's vacuum and analyze leave their counters to publish.
        tokio::time::sleep(SETTLE).await;
        Some(seeded)
    } else {
        None
    };

    // What the service does while nothing is submitted. The warm-up's backends go
    // idle holding up to a second of counts, published within 10 s: wait them out,
    // or the idle window would be charged with warm-up commits.
    tokio::time::sleep(IDLE_SETTLE).await;
    let idle_for = Duration::from_secs(5);
    let idle_from = Instant::now();
    let before = admin.stats(service_db).await?;
    let mut pids = admin.backends(service_db).await?;
    let cpu_before = cpu::snapshot();
    census.start();
    tokio::time::sleep(idle_for).await;
    let idle_statements = census.stop();
    let cpu_after = cpu::snapshot();
    pids.extend(admin.backends(service_db).await?);
    // The service stays idle until the counters are complete.
    tokio::time::sleep(IDLE_SETTLE).await;
    let after = admin.stats(service_db).await?;
    let idle_commits_per_sec =
        (after.commits - before.commits) as f64 / idle_from.elapsed().as_secs_f64();
    let idle = Idle {
        commits_per_sec: idle_commits_per_sec,
        statements: idle_statements,
        secs: idle_for.as_secs_f64(),
        cpu: cpu::usage(&cpu_before, &cpu_after, &pids, tck),
    };

    // Which statements a run costs alone (its round trips in sequence), and which
    // statements and row writes at 16 clients (not timed: counting costs a little).
    census.start();
    let alone = load::drive(target, 1, Duration::from_secs(3)).await?;
    let alone_statements = census.stop();
    let tables_before = pg::table_stats(&admin.url_of(service_db)).await?;
    census.start();
    let counted = load::drive(target, 16, Duration::from_secs(3)).await?;
    let statements = census.stop();
    tokio::time::sleep(SETTLE).await;
    let tables_after = pg::table_stats(&admin.url_of(service_db)).await?;
    let tables = pg::table_delta(&tables_before, &tables_after);

    let mut levels = Vec::new();
    for &n in &config.clients {
        tokio::time::sleep(SETTLE).await;
        // Read first, so that its own connection's commit falls outside the level.
        let events_before = pg::table_stats(&admin.url_of(service_db)).await?;
        tokio::time::sleep(SETTLE).await;
        let before = admin.stats(service_db).await?;
        let wal_before = admin.wal().await?;
        let mut pids = admin.backends(service_db).await?;
        let rss_reset = rss::reset_peak();
        let cpu_before = cpu::snapshot();
        eprintln!(
            "service, {n} clients, {} s: started",
            config.level.as_secs()
        );
        // Every statement the service sends outside a transaction block (all of its
        // hot path) is one transaction: counting them counts its commits exactly.
        census.start();
        let outcome = load::drive(target, n, config.level).await?;
        let transactions: u64 = census.stop().values().map(|(n, _)| n).sum();
        let cpu_after = cpu::snapshot();
        let peak_rss_mib = if rss_reset { rss::peak_mib() } else { f64::NAN };
        pids.extend(admin.backends(service_db).await?);
        let service_cpu = cpu::usage(&cpu_before, &cpu_after, &pids, tck);
        tokio::time::sleep(SETTLE).await;
        let after = admin.stats(service_db).await?;
        let wal_after = admin.wal().await?;
        let events_after = pg::table_stats(&admin.url_of(service_db)).await?;
        let event_writes = pg::table_delta(&events_before, &events_after)
            .iter()
            .filter(|t| t.table == "events")
            .map(|t| t.inserted + t.updated)
            .sum();
        levels.push(Level {
            event_writes,
            peak_rss_mib,
            clients: n,
            transactions,
            commits: after.commits - before.commits,
            outcome,
            rollbacks: after.rollbacks - before.rollbacks,
            wal_syncs: wal_after.syncs - wal_before.syncs,
            wal_records: wal_after.records - wal_before.records,
            service_cpu,
            pgbench: pg::PgbenchResult::default(),
            pgbench_cpu: cpu::Usage::default(),
        });
    }
    Ok(Report {
        levels,
        statements: [
            (1, alone_statements, alone.completed),
            (16, statements, counted.completed),
        ],
        tables,
        idle,
        history,
    })
}

/// pgbench at each level's concurrency: one single-row insert per transaction.
async fn pgbench_phases(
    config: &Config,
    admin: &mut pg::Admin,
    pgbench_db: &str,
) -> Result<Vec<(pg::PgbenchResult, cpu::Usage)>, BoxError> {
    let tck = cpu::clock_ticks();
    let pgbench_url = admin.url_of(pgbench_db);
    pg::execute(
        &pgbench_url,
        "create table bench_commit (id bigserial primary key, v integer not null)",
    )
    .await?;
    let mut script = tempfile::NamedTempFile::new()?;
    std::io::Write::write_all(&mut script, b"insert into bench_commit(v) values (1);\n")?;
    let script = Arc::new(script.into_temp_path());
    let mut out = Vec::new();
    for &n in &config.clients {
        // pgbench's backends exit with it, so its CPU is sampled inside its run.
        let (url, path, secs) = (pgbench_url.clone(), script.clone(), config.level);
        eprintln!("pgbench, {n} clients, {} s: started", secs.as_secs());
        let run = tokio::task::spawn_blocking(move || pg::pgbench(&url, &path, n, secs));
        let edge = Duration::from_secs(1);
        tokio::time::sleep(edge).await;
        let mut pids = admin.backends(pgbench_db).await?;
        let before = cpu::snapshot();
        tokio::time::sleep(config.level.saturating_sub(edge * 2)).await;
        let after = cpu::snapshot();
        pids.extend(admin.backends(pgbench_db).await?);
        let result = run.await??;
        out.push((result, cpu::usage(&before, &after, &pids, tck)));
    }
    Ok(out)
}
