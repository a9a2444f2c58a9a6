//! The process's own figures (CPU time, memory, file descriptors, start time),
//! read from `/proc` on Linux under the names Prometheus client libraries use, so
//! stock dashboards and alerts work unchanged. Elsewhere there is nothing to read
//! and the figures are left out rather than reported as zero.

use std::fs;

/// Linux reports process times in USER_HZ ticks, fixed at 100 per second in its
/// user-space ABI (whatever the kernel's internal tick rate).
const TICKS_PER_SECOND: f64 = 100.0;

/// One reading of the process's figures; each is `None` when it could not be read.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ProcessFigures {
    /// User and system CPU time, in seconds.
    pub cpu_seconds: Option<f64>,
    /// Resident memory, in bytes.
    pub resident_memory_bytes: Option<f64>,
    /// Open file descriptors.
    pub open_fds: Option<f64>,
    /// The most file descriptors the process may open.
    pub max_fds: Option<f64>,
    /// Start time, in seconds since the Unix epoch.
    pub start_time_seconds: Option<f64>,
}

impl ProcessFigures {
    /// Reads this process's figures.
    pub fn read() -> Self {
        let stat = fs::read_to_string("/proc/self/stat").ok();
        let stat = stat.as_deref().and_then(parse_stat);
        let boot_time = fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|s| parse_boot_time(&s));
        Self {
            cpu_seconds: stat.map(|s| (s.utime + s.stime) as f64 / TICKS_PER_SECOND),
            resident_memory_bytes: fs::read_to_string("/proc/self/status")
                .ok()
                .and_then(|s| parse_rss_bytes(&s)),
            open_fds: fs::read_dir("/proc/self/fd")
                .ok()
                .map(|entries| entries.count() as f64),
            max_fds: fs::read_to_string("/proc/self/limits")
                .ok()
                .and_then(|s| parse_max_fds(&s)),
            start_time_seconds: stat
                .zip(boot_time)
                .map(|(s, boot)| boot + s.start_ticks as f64 / TICKS_PER_SECOND),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Stat {
    utime: u64,
    stime: u64,
    start_ticks: u64,
}

/// Fields of `/proc/self/stat`. The command name (field 2) is in parentheses and may
/// itself hold spaces and parentheses, so fields are counted after its last `)`.
fn parse_stat(text: &str) -> Option<Stat> {
    let rest = &text[text.rfind(')')? + 1..];
    // After the name: field 3 (state) is index 0, so field n is index n - 3.
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |n: usize| fields.get(n - 3)?.parse::<u64>().ok();
    Some(Stat {
        utime: field(14)?,
        stime: field(15)?,
        start_ticks: field(22)?,
    })
}

/// `btime` of `/proc/stat`: boot time in seconds since the epoch.
fn parse_boot_time(text: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|v| v.trim().parse().ok())
}

/// `VmRSS` of `/proc/self/status`, given in kB.
fn parse_rss_bytes(text: &str) -> Option<f64> {
    let line = text.lines().find_map(|l| l.strip_prefix("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().next()?.parse().ok()?;
    Some(kb * 1024.0)
}

/// The soft limit of `Max open files` in `/proc/self/limits`.
fn parse_max_fds(text: &str) -> Option<f64> {
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("Max open files"))?;
    line.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_are_counted_after_a_command_name_with_spaces_and_parentheses() {
        let text = "42 (my (odd) name) S 1 42 42 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 \
                    9 0 123456 1000000 500 18446744073709551615";
        let s = parse_stat(text).unwrap();
        assert_eq!((s.utime, s.stime, s.start_ticks), (250, 50, 123456));
    }

    #[test]
    fn status_limits_and_boot_time_are_read() {
        assert_eq!(
            parse_rss_bytes("Name:\tx\nVmRSS:\t  2048 kB\n"),
            Some(2048.0 * 1024.0)
        );
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max open files            1024                 524288               files\n";
        assert_eq!(parse_max_fds(limits), Some(1024.0));
        assert_eq!(
            parse_boot_time("cpu  1 2 3\nbtime 1700000000\n"),
            Some(1.7e9)
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn this_process_has_figures() {
        let f = ProcessFigures::read();
        assert!(f.cpu_seconds.is_some_and(|s| s >= 0.0));
        assert!(f.resident_memory_bytes.is_some_and(|b| b > 0.0));
        assert!(f.open_fds.is_some_and(|n| n >= 3.0));
        assert!(f.start_time_seconds.is_some_and(|t| t > 1.5e9));
    }
}
