//! The benchmark process's peak resident memory over one level. The service runs
//! in-process, so this is the service plus the load clients (a few MiB of their
//! own, measured by the idle service's reading before the first level).

/// Resets the kernel's peak-RSS mark of this process to its current RSS, so the
/// next [`peak_mib`] reports the peak of what follows. Returns false when the kernel
/// refused (then the peak is since the process started).
pub fn reset_peak() -> bool {
    // "5" resets VmHWM (Linux 4.0 and later).
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Peak resident memory since the last reset, in MiB (NaN when unreadable).
pub fn peak_mib() -> f64 {
    field("VmHWM:")
}

/// Current resident memory, in MiB (NaN when unreadable).
pub fn current_mib() -> f64 {
    field("VmRSS:")
}

fn field(name: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|kib| kib.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}
