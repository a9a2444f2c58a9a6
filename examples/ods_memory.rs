//! Peak memory of reading a schedule spreadsheet: the largest file the default limits
//! accept, and an expansion bomb (one row repeated 6,100 times of one cell repeated
//! 16,384 times, about 100 million declared cells).
//!
//! Each case runs in a fresh process of this example, so its peak resident set
//! (`VmHWM` of `/proc/self/status`, Linux) is its own:
//!
//! ```sh
//! cargo run --release --example ods_memory
//! ```

#[path = "../tests/common/ods.rs"]
#[allow(
    dead_code,
    reason = "shared with the tests; not every helper is used here"
)]
mod ods;

use std::process::Command;

use careflow::domain::schedule::ods::{ImportLimits, parse_schedule};
use chrono::{Days, NaiveDate};
use ods::Cell;

const CASES: [&str; 2] = ["largest-accepted", "bomb"];

/// Shift names cycled through, ten per day, so no row repeats another.
const NAMES: [&str; 10] = ["S0", "S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9"];

fn main() {
    let mut args = std::env::args().skip(1);
    match (args.next(), args.next()) {
        (Some(case), Some(path)) => measure(&case, &path),
        _ => {
            println!("| case | file bytes | outcome | peak RSS (VmHWM) |");
            println!("|---|---|---|---|");
            let me = std::env::current_exe().expect("the example's own path");
            for case in CASES {
                // Built here, read there: the measuring process holds only the
                // upload's bytes, as a replica does.
                let bytes = match case {
                    "largest-accepted" => largest_accepted(),
                    _ => bomb(),
                };
                let path = std::env::temp_dir().join(format!(
                    "careflow-ods-memory-{}-{case}.ods",
                    std::process::id()
                ));
                std::fs::write(&path, &bytes).expect("the case's file is written");
                let out = Command::new(&me).arg(case).arg(&path).output();
                let _ = std::fs::remove_file(&path);
                let out = out.expect("a case runs");
                assert!(out.status.success(), "{case}: {out:?}");
                print!("{}", String::from_utf8_lossy(&out.stdout));
            }
        }
    }
}

fn measure(case: &str, path: &str) {
    let bytes = std::fs::read(path).expect("the case's file");
    // The default limits: 10 MiB, 20,000 rows, 500,000 cells.
    let limits = ImportLimits::default();
    let outcome = match parse_schedule(&bytes, &limits) {
        Ok(parsed) => format!("imported {} shifts", parsed.shifts.len()),
        Err(e) => format!("refused: {e}"),
    };
    println!(
        "| {case} | {} | {outcome} | {:.1} MiB |",
        bytes.len(),
        peak_rss_kib() as f64 / 1024.0
    );
}

/// 20,000 shift rows (the row limit) of 24 filled columns below the header: 480,024
/// declared cells, just under the cell limit.
fn largest_accepted() -> Vec<u8> {
    let first = NaiveDate::from_ymd_opt(2026, 1, 1).expect("a date");
    let rows: Vec<Vec<Cell>> = (0..20_000u64)
        .map(|i| {
            let date = first + Days::new(i / 10);
            let mut row = ods::shift(date, NAMES[(i % 10) as usize], 7, 15, "Ward", 2.0);
            row.extend(std::iter::repeat_n(Cell::Text("note"), 18));
            row
        })
        .collect();
    ods::schedule(&rows)
}

/// The kind of file of the report: under a kilobyte declaring ~100 M cells.
fn bomb() -> Vec<u8> {
    ods::repeat_bomb("Week 1", 6_100, 16_384)
}

/// This process's peak resident set in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status (Linux)");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}
