//! Where the machine's CPU went during a measured interval, pidstat-style, read from
//! /proc: the service's threads, the load clients' threads, the PostgreSQL backends
//! serving the measured database, PostgreSQL's own background processes, pgbench,
//! and everything else on the machine.

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

/// CPU time by consumer, in clock ticks, at one moment.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    at: Option<Instant>,
    /// Busy and total ticks of the whole machine (all cores).
    machine_busy: u64,
    machine_total: u64,
    /// This process's threads by group (`svc`, `load`, `other`).
    threads: HashMap<&'static str, u64>,
    /// Every PostgreSQL process (and pgbench) by pid: its ticks and its role.
    procs: HashMap<i32, (u64, Role)>,
}

/// What a process outside this one is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// A PostgreSQL backend (any database; the measured ones are picked by pid).
    Backend,
    /// WAL writer, checkpointer, background writer, autovacuum, and the like.
    PgAux,
    /// The pgbench client.
    Pgbench,
}

/// Shares of one core (100 = one core busy the whole interval) by consumer.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    /// The service's runtime threads (HTTP, engine, store client).
    pub service: f64,
    /// The load generator's threads (HTTP clients).
    pub load: f64,
    /// Backends connected to the measured database.
    pub backends: f64,
    /// PostgreSQL's background processes (WAL writer, checkpointer, ...).
    pub pg_aux: f64,
    /// The pgbench client.
    pub pgbench: f64,
    /// Everything else that was busy on the machine (other databases' backends,
    /// other programs, the kernel's share not charged to a process above).
    pub other: f64,
    /// Idle share of all cores (200 = two idle cores).
    pub idle: f64,
}

/// Ticks per second of /proc's CPU counters.
pub fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<f64>()
                .ok()
        })
        .filter(|t| *t > 0.0)
        .unwrap_or(100.0)
}

/// utime + stime from a /proc stat line, and the command name.
fn parse_stat(line: &str) -> Option<(String, u64)> {
    let open = line.find('(')?;
    let close = line.rfind(')')?;
    let comm = line.get(open + 1..close)?.to_string();
    let fields: Vec<&str> = line.get(close + 1..)?.split_whitespace().collect();
    // Fields after the name start at field 3 (state); utime is 14, stime 15.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some((comm, utime + stime))
}

fn machine_ticks() -> (u64, u64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let Some(cpu) = stat.lines().find(|l| l.starts_with("cpu ")) else {
        return (0, 0);
    };
    let v: Vec<u64> = cpu
        .split_whitespace()
        .skip(1)
        .filter_map(|n| n.parse().ok())
        .collect();
    let at = |i: usize| v.get(i).copied().unwrap_or(0);
    // user nice system idle iowait irq softirq steal (guest time is inside user).
    let busy = at(0) + at(1) + at(2) + at(5) + at(6) + at(7);
    (busy, busy + at(3) + at(4))
}

fn thread_group(name: &str) -> &'static str {
    if name.starts_with("svc") {
        "svc"
    } else if name.starts_with("load") {
        "load"
    } else {
        "other"
    }
}

/// Reads the counters now.
pub fn snapshot() -> Snapshot {
    let mut snap = Snapshot {
        at: Some(Instant::now()),
        ..Snapshot::default()
    };
    (snap.machine_busy, snap.machine_total) = machine_ticks();
    if let Ok(tasks) = std::fs::read_dir("/proc/self/task") {
        for task in tasks.flatten() {
            let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
            if let Some((comm, ticks)) = parse_stat(&stat) {
                *snap.threads.entry(thread_group(&comm)).or_default() += ticks;
            }
        }
    }
    if let Ok(procs) = std::fs::read_dir("/proc") {
        for p in procs.flatten() {
            let Some(pid) = p.file_name().to_str().and_then(|n| n.parse::<i32>().ok()) else {
                continue;
            };
            let stat = std::fs::read_to_string(p.path().join("stat")).unwrap_or_default();
            let Some((comm, ticks)) = parse_stat(&stat) else {
                continue;
            };
            let role = match comm.as_str() {
                "pgbench" => Role::Pgbench,
                "postgres" => {
                    let cmdline = std::fs::read(p.path().join("cmdline")).unwrap_or_default();
                    let cmdline = String::from_utf8_lossy(&cmdline);
                    // Backends are titled "postgres: <user> <db> <client> <state>";
                    // the background processes name their job after the cluster.
                    let aux = [
                        "writer",
                        "checkpointer",
                        "autovacuum",
                        "logical replication",
                        "archiver",
                        "stats",
                        "walsender",
                        "walreceiver",
                    ]
                    .iter()
                    .any(|k| cmdline.contains(k))
                        || !cmdline.starts_with("postgres:");
                    if aux { Role::PgAux } else { Role::Backend }
                }
                _ => continue,
            };
            snap.procs.insert(pid, (ticks, role));
        }
    }
    snap
}

/// CPU use between two snapshots; `measured` are the backends of the measured
/// database (pids), the rest count as "other".
pub fn usage(before: &Snapshot, after: &Snapshot, measured: &[i32], tck: f64) -> Usage {
    let secs = match (before.at, after.at) {
        (Some(a), Some(b)) => b.duration_since(a),
        _ => Duration::ZERO,
    }
    .as_secs_f64()
    .max(1e-9);
    let pct = |ticks: u64| ticks as f64 / tck / secs * 100.0;
    let thread = |g: &str| {
        after
            .threads
            .get(g)
            .copied()
            .unwrap_or(0)
            .saturating_sub(before.threads.get(g).copied().unwrap_or(0))
    };
    let mut backends = 0;
    let mut aux = 0;
    let mut pgbench = 0;
    for (pid, (ticks, role)) in &after.procs {
        let earlier = before.procs.get(pid).map(|(t, _)| *t).unwrap_or(0);
        let d = ticks.saturating_sub(earlier);
        match role {
            Role::Backend if measured.contains(pid) => backends += d,
            Role::Backend => {}
            Role::PgAux => aux += d,
            Role::Pgbench => pgbench += d,
        }
    }
    let busy = after.machine_busy.saturating_sub(before.machine_busy);
    let total = after.machine_total.saturating_sub(before.machine_total);
    let own = thread("svc") + thread("load") + thread("other");
    let accounted = own + backends + aux + pgbench;
    // The machine counters cover every core: scale their idle share to "percent of
    // one core" like the rest.
    let cores = if total > 0 {
        total as f64 / tck / secs
    } else {
        0.0
    };
    let idle_share = if total > 0 {
        (total - busy) as f64 / total as f64
    } else {
        0.0
    };
    Usage {
        service: pct(thread("svc")),
        load: pct(thread("load") + thread("other")),
        backends: pct(backends),
        pg_aux: pct(aux),
        pgbench: pct(pgbench),
        other: pct(busy.saturating_sub(accounted)),
        idle: idle_share * cores * 100.0,
    }
}
