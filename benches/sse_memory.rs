//! Memory of stalled event-stream subscribers: starts the service in-process on a
//! fresh SQLite file, opens 10 SSE subscribers that never read (sockets with a tiny
//! receive window), publishes 1,000 events of 50 KB through runs of a workflow, and
//! reports the process's resident memory (current and peak) from /proc.
//!
//! Each case runs in a child process of its own, so one case's freed memory never
//! counts in another's figures. A case is a byte bound of the subscribers' buffers:
//! `unbounded` lifts it (only the event bound acts, as before the byte bound
//! existed), `default` keeps `config/default.toml`'s, a number sets it in bytes.
//!
//! Run it with `cargo bench --bench sse_memory`. Settings (environment):
//! `SSE_SUBSCRIBERS` (default 10), `SSE_EVENT_BYTES` (default 50000),
//! `SSE_RUNS` (default 100, ten events each), `SSE_CASES` (default
//! `unbounded,default`).

use std::process::{Command, ExitCode};
use std::time::Duration;

use careflow::app::{App, Extensions};
use careflow::auth::api_key;
use careflow::config::Settings;
use careflow::engine::WorkflowDefinition;
use careflow::engine::{StepContext, StepError, StepOutcome, StepOutput, StepPolicy};
use careflow::store::TenantId;
use serde_json::json;
use tokio::io::AsyncWriteExt;

/// Any error, for a program that reports and exits.
type BoxError = Box<dyn std::error::Error + Send + Sync>;

const WORKFLOW: &str = "bench-sse-pad";
const EVENTS_PER_RUN: usize = 10;
/// The variable that makes a child process run one case.
const CASE: &str = "SSE_MEMORY_CASE";

fn number(key: &str, default: usize) -> Result<usize, BoxError> {
    match std::env::var(key).ok().filter(|v| !v.trim().is_empty()) {
        Some(v) => Ok(v
            .trim()
            .parse()
            .map_err(|_| format!("{key} must be a whole number"))?),
        None => Ok(default),
    }
}

fn main() -> ExitCode {
    // `cargo bench` passes --bench; built as a test it only says how to run it.
    if !std::env::args().any(|a| a == "--bench") {
        println!("SSE memory benchmark: run it with `cargo bench --bench sse_memory`");
        return ExitCode::SUCCESS;
    }
    let result = match std::env::var(CASE) {
        Ok(case) => run_case(&case),
        Err(_) => run_all(),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("SSE memory benchmark failed: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs every case in a child process and prints one table.
fn run_all() -> Result<(), BoxError> {
    let subscribers = number("SSE_SUBSCRIBERS", 10)?;
    let event_bytes = number("SSE_EVENT_BYTES", 50_000)?;
    let runs = number("SSE_RUNS", 100)?;
    println!(
        "{subscribers} stalled subscribers, {} events of {event_bytes} bytes\n",
        runs * EVENTS_PER_RUN
    );
    println!(
        "| subscriber buffer bound | RSS idle MiB | RSS after MiB | peak RSS MiB | events dropped |"
    );
    println!("|---|---:|---:|---:|---:|");
    let cases = std::env::var("SSE_CASES").unwrap_or_else(|_| "unbounded,default".into());
    for case in cases.split(',').map(str::trim) {
        let out = Command::new(std::env::current_exe()?)
            .arg("--bench")
            .env(CASE, case)
            .output()?;
        if !out.status.success() {
            return Err(format!(
                "case {case} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            )
            .into());
        }
        print!("{}", String::from_utf8_lossy(&out.stdout));
    }
    Ok(())
}

/// Resident and peak resident memory of this process, in MiB.
fn rss_mib() -> Result<(f64, f64), BoxError> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let field = |name: &str| -> Result<f64, BoxError> {
        let line = status
            .lines()
            .find(|l| l.starts_with(name))
            .ok_or_else(|| format!("{name} missing from /proc/self/status"))?;
        let kib: f64 = line
            .split_whitespace()
            .nth(1)
            .ok_or("unreadable /proc/self/status")?
            .parse()?;
        Ok(kib / 1024.0)
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}

/// A step that publishes `EVENTS_PER_RUN` events of `padBytes` bytes each.
async fn pad(ctx: StepContext) -> Result<StepOutcome, StepError> {
    let bytes = ctx.input["padBytes"].as_u64().unwrap_or(0) as usize;
    let mut out = StepOutput::new(json!({}));
    for _ in 0..EVENTS_PER_RUN {
        out = out.emit("bench.padding", json!({"pad": "x".repeat(bytes)}));
    }
    Ok(StepOutcome::Done(out))
}

fn run_case(case: &str) -> Result<(), BoxError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(measure(case))
}

async fn measure(case: &str) -> Result<(), BoxError> {
    let subscribers = number("SSE_SUBSCRIBERS", 10)?;
    let event_bytes = number("SSE_EVENT_BYTES", 50_000)?;
    let runs = number("SSE_RUNS", 100)?;
    let dir = tempfile::tempdir()?;
    let mut settings = Settings::defaults();
    settings.server.port = 0;
    settings.database.sqlite_path = dir.path().join("careflow.db");
    settings.auth.bootstrap_api_key = false;
    let bound = match case {
        "unbounded" => {
            settings.events.buffer_bytes_per_subscriber = usize::MAX;
            format!("{} events", settings.events.buffer_per_subscriber)
        }
        "default" => format!(
            "{} events, {} MiB (default)",
            settings.events.buffer_per_subscriber,
            settings.events.buffer_bytes_per_subscriber >> 20
        ),
        bytes => {
            settings.events.buffer_bytes_per_subscriber = bytes
                .parse()
                .map_err(|_| format!("case {bytes}: unbounded, default or a number of bytes"))?;
            format!(
                "{} events, {} KiB",
                settings.events.buffer_per_subscriber,
                settings.events.buffer_bytes_per_subscriber >> 10
            )
        }
    };
    let workflow = WorkflowDefinition::builder(WORKFLOW, 1)
        .step("pad", &[], StepPolicy::new(), pad)
        .build()?;
    let ext = Extensions {
        workflows: vec![workflow],
        ..Extensions::default()
    };
    let app = App::start(settings, ext).await?;
    let key = api_key::create(app.store.as_ref(), &TenantId::parse("bench")?, "bench").await?;
    let (idle, _) = rss_mib()?;

    // Subscribers that never read: the stream backs up into their buffers.
    let mut stalled = Vec::new();
    for _ in 0..subscribers {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.set_recv_buffer_size(2048)?;
        let mut s = socket.connect(app.addr).await?;
        let request = format!(
            "GET /v1/events/stream?workflow={WORKFLOW} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nAccept: text/event-stream\r\n\r\n",
            app.addr, key.token
        );
        s.write_all(request.as_bytes()).await?;
        stalled.push(s);
    }
    let http = reqwest::Client::new();
    let url = format!("http://{}/v1/workflows/{WORKFLOW}/runs?wait=30s", app.addr);
    for _ in 0..runs {
        let r = http
            .post(&url)
            .bearer_auth(&key.token)
            .json(&json!({"input": {"padBytes": event_bytes}}))
            .send()
            .await?;
        if !r.status().is_success() {
            return Err(format!("a run answered {}", r.status()).into());
        }
    }
    // Let the pump hand the last events to the subscribers.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (after, peak) = rss_mib()?;
    let metrics = http
        .get(format!("http://{}/metrics", app.addr))
        .send()
        .await?
        .text()
        .await?;
    let dropped = metrics
        .lines()
        .find(|l| l.starts_with("careflow_sse_dropped_events_total"))
        .and_then(|l| l.split_whitespace().last())
        .unwrap_or("0")
        .to_string();
    println!("| {bound} | {idle:.1} | {after:.1} | {peak:.1} | {dropped} |");
    drop(stalled);
    app.shutdown().await;
    Ok(())
}
