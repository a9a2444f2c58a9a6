//! The benchmark's figures, printed as Markdown tables ready for the README.

use super::census::Counts;
use super::cpu::Usage;
use super::load::Outcome;
use super::pg::{PgbenchResult, TableWrites};
use super::seed::Seeded;

/// Steps in the benchmark's workflow.
const STEPS: f64 = 5.0;

/// One concurrency level: the service's run and pgbench's beside it.
pub struct Level {
    /// Concurrent clients (and pgbench connections).
    pub clients: usize,
    /// The service's runs.
    pub outcome: Outcome,
    /// Transactions the service committed during the level (its statements).
    pub transactions: u64,
    /// Commits in the service's database during the level, as PostgreSQL counts
    /// them (lagging by up to a second, and including the idle service's while the
    /// counters settle).
    pub commits: i64,
    /// Rollbacks in the service's database during the level.
    pub rollbacks: i64,
    /// WAL flushes, whole server.
    pub wal_syncs: i64,
    /// WAL records, whole server.
    pub wal_records: i64,
    /// Rows of `events` inserted or updated during the level.
    pub event_writes: i64,
    /// Peak resident memory of the benchmark process (service and load clients)
    /// during the level, MiB.
    pub peak_rss_mib: f64,
    /// CPU while the service ran.
    pub service_cpu: Usage,
    /// The ceiling.
    pub pgbench: PgbenchResult,
    /// CPU while pgbench ran.
    pub pgbench_cpu: Usage,
}

/// Everything measured.
pub struct Report {
    /// Levels in the order run.
    pub levels: Vec<Level>,
    /// Statements the service sent during the censuses (clients, by kind, runs
    /// completed): one client, then 16.
    pub statements: [(usize, Counts, u64); 2],
    /// Row writes by table during the census.
    pub tables: Vec<TableWrites>,
    /// The idle service.
    pub idle: Idle,
    /// The history seeded before the levels, if any.
    pub history: Option<Seeded>,
}

/// What the service did while no run was submitted.
pub struct Idle {
    /// Commits per second in its database.
    pub commits_per_sec: f64,
    /// Statements sent, by kind.
    pub statements: Counts,
    /// Length of the window, seconds.
    pub secs: f64,
    /// CPU meanwhile.
    pub cpu: Usage,
}

impl Level {
    fn steps_per_sec(&self) -> f64 {
        self.outcome.runs_per_sec() * STEPS
    }

    fn per_run(&self, n: i64) -> f64 {
        n as f64 / (self.outcome.completed.max(1)) as f64
    }
}

impl Report {
    /// Prints the tables and the verdict against the targets.
    pub fn print(&self, shape: &str, pool: u32, cores: usize, pgbench: &str) {
        println!();
        println!(
            "## careflow engine benchmark: 5 no-op steps ({shape}), {cores} cores, pool {pool}, {pgbench}"
        );
        println!();
        if let Some(h) = &self.history {
            println!(
                "History: {} runs and {} events stored before the levels (seeded in {:.0} s).",
                h.runs, h.events, h.secs
            );
            println!();
        }
        println!(
            "| clients | runs/s | steps/s | p50 ms | p99 ms | commits/run | pgbench commits/s | steps/s ÷ pgbench |"
        );
        println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
        for l in &self.levels {
            println!(
                "| {} | {:.0} | {:.0} | {:.2} | {:.2} | {:.2} | {:.0} | {:.3} |",
                l.clients,
                l.outcome.runs_per_sec(),
                l.steps_per_sec(),
                l.outcome.quantile_ms(0.50),
                l.outcome.quantile_ms(0.99),
                l.per_run(l.transactions as i64),
                l.pgbench.tps,
                l.steps_per_sec() / l.pgbench.tps,
            );
        }
        println!();
        println!(
            "| clients | runs | failed | mean ms | max ms | xact_commit/run | rollbacks | WAL flushes/run (server) | WAL records/run (server) | event writes/run | peak RSS MiB | pgbench latency ms |"
        );
        println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for l in &self.levels {
            println!(
                "| {} | {} | {} | {:.2} | {:.2} | {:.2} | {} | {:.2} | {:.1} | {:.2} | {:.1} | {:.3} |",
                l.clients,
                l.outcome.completed,
                l.outcome.failed,
                l.outcome.mean_ms(),
                l.outcome.quantile_ms(1.0),
                l.per_run(l.commits),
                l.rollbacks,
                l.per_run(l.wal_syncs),
                l.per_run(l.wal_records),
                l.per_run(l.event_writes),
                l.peak_rss_mib,
                l.pgbench.latency_ms,
            );
        }
        for l in &self.levels {
            if let Some(f) = &l.outcome.first_failure {
                println!("\nfirst failure at {} clients: {f}", l.clients);
            }
        }
        println!();
        println!("CPU, in % of one core ({cores} cores = {}%):", cores * 100);
        println!();
        println!(
            "| clients | phase | service | load clients | PG backends | PG background | pgbench | other | idle |"
        );
        println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|");
        for l in &self.levels {
            for (phase, u) in [("service", &l.service_cpu), ("pgbench", &l.pgbench_cpu)] {
                println!(
                    "| {} | {phase} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} | {:.0} |",
                    l.clients, u.service, u.load, u.backends, u.pg_aux, u.pgbench, u.other, u.idle
                );
            }
        }
        println!();
        let [(c1, alone, alone_runs), (c2, busy, busy_runs)] = &self.statements;
        println!(
            "Statements per run ({alone_runs} runs counted at {c1} client, {busy_runs} at {c2}):"
        );
        println!();
        println!(
            "| statement | per run, {c1} client | mean round trip ms | per run, {c2} clients | mean round trip ms |"
        );
        println!("|---|---:|---:|---:|---:|");
        let kinds: std::collections::BTreeSet<&String> = alone.keys().chain(busy.keys()).collect();
        let cell = |counts: &Counts, runs: u64, kind: &String| {
            let (n, secs) = counts.get(kind).copied().unwrap_or((0, 0.0));
            (
                n as f64 / runs.max(1) as f64,
                secs / n.max(1) as f64 * 1000.0,
            )
        };
        let (mut t1, mut t2) = (0.0, 0.0);
        for kind in kinds {
            let (n1, ms1) = cell(alone, *alone_runs, kind);
            let (n2, ms2) = cell(busy, *busy_runs, kind);
            t1 += n1;
            t2 += n2;
            println!("| {kind} | {n1:.2} | {ms1:.2} | {n2:.2} | {ms2:.2} |");
        }
        println!("| all | {t1:.2} | | {t2:.2} | |");
        println!();
        let runs = (*busy_runs).max(1) as f64;
        println!("Row writes per run at 16 clients (same runs):");
        println!();
        println!("| table | inserted | updated | of which HOT | deleted |");
        println!("|---|---:|---:|---:|---:|");
        for t in &self.tables {
            println!(
                "| {} | {:.2} | {:.2} | {:.2} | {:.2} |",
                t.table,
                t.inserted as f64 / runs,
                t.updated as f64 / runs,
                t.hot as f64 / runs,
                t.deleted as f64 / runs
            );
        }
        self.print_idle();
        self.verdict();
    }

    fn print_idle(&self) {
        let idle = &self.idle;
        println!();
        println!(
            "Idle service: {:.0} commits/s; over {:.0} s, CPU: service {:.0}%, its PG backends {:.0}%.",
            idle.commits_per_sec, idle.secs, idle.cpu.service, idle.cpu.backends
        );
        println!();
        println!("| statement while idle | per second |");
        println!("|---|---:|");
        for (kind, (n, _)) in &idle.statements {
            println!("| {kind} | {:.1} |", *n as f64 / idle.secs);
        }
    }

    /// The targets of the throughput issue: ratio to pgbench at 16 clients, latency
    /// at 1 client, WAL records and event-row writes per run.
    fn verdict(&self) {
        println!();
        let mark = |ok: bool| if ok { "met" } else { "NOT met" };
        let at = |n: usize| self.levels.iter().find(|l| l.clients == n);
        if let Some(l) = at(16) {
            let ratio = l.steps_per_sec() / l.pgbench.tps;
            println!(
                "target steps/s at 16 clients >= 0.35 x pgbench: {ratio:.3} -> {}",
                mark(ratio >= 0.35)
            );
        }
        if let Some(l) = at(1) {
            let (p50, p99) = (l.outcome.quantile_ms(0.5), l.outcome.quantile_ms(0.99));
            println!(
                "target 1 client p50 < 4 ms: {p50:.2} -> {}; p99 < 10 ms: {p99:.2} -> {}",
                mark(p50 < 4.0),
                mark(p99 < 10.0)
            );
        }
        for l in &self.levels {
            let (wal, events) = (l.per_run(l.wal_records), l.per_run(l.event_writes));
            println!(
                "target at {} clients: WAL records/run <= 60: {wal:.1} -> {}; event writes/run <= 7: {events:.2} -> {}",
                l.clients,
                mark(wal <= 60.0),
                mark(events <= 7.0)
            );
        }
    }
}
