//! The embedded mode (`BENCH_BACKEND=sqlite`): the service on a fresh SQLite file
//! in a temporary folder, driven like the PostgreSQL levels. There is no pgbench
//! ceiling and no server counters; it reports runs and steps per second, latency,
//! statements per run, peak RSS and CPU per level.

use std::time::Duration;

use tokio::runtime::Handle;

use super::census::Census;
use super::cpu::{self, Usage};
use super::load::{self, Outcome};
use super::seed::{self, Seeded};
use super::{BoxError, Config, rss, start_service};

/// Steps in the benchmark's workflow.
const STEPS: f64 = 5.0;

/// One level on SQLite.
pub struct Level {
    clients: usize,
    outcome: Outcome,
    statements: u64,
    peak_rss_mib: f64,
    cpu: Usage,
}

/// Everything measured on SQLite.
pub struct Report {
    levels: Vec<Level>,
    history: Option<Seeded>,
    idle_rss_mib: f64,
}

/// Starts the service on a fresh file, seeds the history if asked, and runs the
/// levels.
pub async fn bench(config: &Config, census: Census, svc: Handle) -> Result<Report, BoxError> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("careflow.db").display());
    let (app, target) = start_service(config, &svc, url.clone()).await?;
    let result = levels(config, &census, &target, &url).await;
    svc.spawn(app.shutdown()).await?;
    result
}

async fn levels(
    config: &Config,
    census: &Census,
    target: &load::Target,
    url: &str,
) -> Result<Report, BoxError> {
    let tck = cpu::clock_ticks();
    eprintln!("service on {} (SQLite): warming up", target.base);
    let warm = load::drive(target, 16, config.warmup).await?;
    if warm.failed > 0 || warm.completed == 0 {
        return Err(format!(
            "warm-up runs did not complete: {}",
            warm.first_failure.unwrap_or_default()
        )
        .into());
    }
    let history = if config.history > 0 {
        Some(seed::sqlite(url, config.history).await?)
    } else {
        None
    };
    let idle_rss_mib = rss::current_mib();
    let mut levels = Vec::new();
    for &n in &config.clients {
        let rss_reset = rss::reset_peak();
        let before = cpu::snapshot();
        eprintln!(
            "service (SQLite), {n} clients, {} s: started",
            config.level.as_secs()
        );
        census.start();
        let outcome = load::drive(target, n, config.level).await?;
        let statements = census.stop().values().map(|(n, _)| n).sum();
        let after = cpu::snapshot();
        levels.push(Level {
            clients: n,
            outcome,
            statements,
            peak_rss_mib: if rss_reset { rss::peak_mib() } else { f64::NAN },
            cpu: cpu::usage(&before, &after, &[], tck),
        });
        // Let the background work the level left (event pump, router) drain.
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(Report {
        levels,
        history,
        idle_rss_mib,
    })
}

impl Report {
    /// Prints the level table as Markdown.
    pub fn print(&self, shape: &str, cores: usize) {
        println!();
        println!("## careflow engine benchmark on SQLite: 5 no-op steps ({shape}), {cores} cores");
        println!();
        if let Some(h) = &self.history {
            println!(
                "History: {} runs and {} events stored before the levels (seeded in {:.0} s).",
                h.runs, h.events, h.secs
            );
            println!();
        }
        println!(
            "RSS before the first level: {:.1} MiB (service and load clients).",
            self.idle_rss_mib
        );
        println!();
        println!(
            "| clients | runs/s | steps/s | p50 ms | p99 ms | runs | failed | statements/run | peak RSS MiB | CPU service % | CPU load clients % | CPU other % |"
        );
        println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for l in &self.levels {
            let runs = l.outcome.runs_per_sec();
            println!(
                "| {} | {:.0} | {:.0} | {:.2} | {:.2} | {} | {} | {:.2} | {:.1} | {:.0} | {:.0} | {:.0} |",
                l.clients,
                runs,
                runs * STEPS,
                l.outcome.quantile_ms(0.50),
                l.outcome.quantile_ms(0.99),
                l.outcome.completed,
                l.outcome.failed,
                l.statements as f64 / l.outcome.completed.max(1) as f64,
                l.peak_rss_mib,
                l.cpu.service,
                l.cpu.load,
                l.cpu.other,
            );
        }
        for l in &self.levels {
            if let Some(f) = &l.outcome.first_failure {
                println!("\nfirst failure at {} clients: {f}", l.clients);
            }
        }
    }
}
