//! Workflows defined by the tests (not by the product) to exercise the engine.
//!
//! `lab` has the discharge shape: a -> b -> c -> d, a -> e. What each step does is
//! read from the run's input, `{"steps": {"<name>": {...}}}`:
//! - `sleepMs`: work for that long (noticing cancellation);
//! - `failCalls` + `failKind` (`retryable`/`permanent`): fail the first N calls;
//! - `failFirstCalls` + `failKind`: fail the step's first N calls in this process,
//!   whatever the run (a rerun with the same input then succeeds);
//! - `panic`: panic;
//! - `abort`: abort the whole process (after logging the call), as running out of
//!   memory would;
//! - `log`: a file path; every call appends `<step>\n` to it (survives a crash);
//! - `padEvents` (top level): every step publishes an event of that many bytes.
//!   `lab-critical` is `lab` with `b` critical; `nap` sleeps durably; `slow` times out;
//!   `recording` (one step, 200 ms per attempt) records its outcome through
//!   `StepContext::persist` while the store fails for `input.failForMs`.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use careflow::engine::{
    RetryPolicy, StepContext, StepError, StepOutcome, StepOutput, StepPolicy, WorkflowDefinition,
};
use serde_json::{Value, json};

/// One call of a step handler.
#[derive(Debug, Clone)]
pub struct Call {
    pub run: String,
    pub step: String,
    pub started: Instant,
    pub ended: Instant,
    pub cancelled: bool,
}

/// What the lab's steps did, in this process.
#[derive(Clone, Default)]
pub struct Recorder {
    calls: Arc<Mutex<Vec<Call>>>,
    counts: Arc<Mutex<HashMap<(String, String), u32>>>,
}

impl Recorder {
    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    pub fn calls_of(&self, run: &str) -> Vec<Call> {
        self.calls().into_iter().filter(|c| c.run == run).collect()
    }

    fn count(&self, run: &str, step: &str) -> u32 {
        let mut counts = self.counts.lock().unwrap();
        let n = counts
            .entry((run.to_string(), step.to_string()))
            .or_default();
        *n += 1;
        *n
    }
}

fn behaviour(ctx: &StepContext) -> Value {
    ctx.input["steps"][&*ctx.step].clone()
}

async fn lab_step(rec: Recorder, ctx: StepContext) -> Result<StepOutcome, StepError> {
    let b = behaviour(&ctx);
    let run = ctx.run_id.to_string();
    let call_no = rec.count(&run, &ctx.step);
    if let Some(path) = ctx.input["log"].as_str() {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        // One write per line: `writeln!` issues the step name and the newline as two
        // writes, which parallel steps would interleave ("eb\n\n").
        f.write_all(format!("{}\n", ctx.step).as_bytes()).unwrap();
        f.sync_all().unwrap();
    }
    if b["abort"].as_bool() == Some(true) {
        std::process::abort();
    }
    let started = Instant::now();
    let mut cancelled = false;
    if let Some(ms) = b["sleepMs"].as_u64() {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(ms)) => {}
            _ = ctx.cancel.cancelled() => { cancelled = true; }
        }
    }
    rec.calls.lock().unwrap().push(Call {
        run,
        step: ctx.step.to_string(),
        started,
        ended: Instant::now(),
        cancelled,
    });
    if cancelled {
        return Err(StepError::permanent("cancelled"));
    }
    if b["panic"].as_bool() == Some(true) {
        panic!("lab step asked to panic");
    }
    if let Some(n) = b["failCalls"].as_u64()
        && u64::from(call_no) <= n
    {
        // `failWithNul` puts a NUL character in the message, as a provider's text
        // may carry one (which no request is allowed to).
        let nul = if b["failWithNul"].as_bool() == Some(true) {
            "\0"
        } else {
            ""
        };
        let msg = format!("{}{nul} failed on call {call_no}", ctx.step);
        return Err(match b["failKind"].as_str() {
            Some("permanent") => StepError::permanent(msg),
            _ => StepError::retryable(msg),
        });
    }
    if let Some(n) = b["failFirstCalls"].as_u64() {
        // Counted under no run: every run of this process shares the count.
        let overall = rec.count("", &ctx.step);
        if u64::from(overall) <= n {
            let msg = format!("{} failed on call {overall} overall", ctx.step);
            return Err(match b["failKind"].as_str() {
                Some("permanent") => StepError::permanent(msg),
                _ => StepError::retryable(msg),
            });
        }
    }
    let deps: Vec<String> = ctx.deps.keys().cloned().collect();
    let mut out =
        StepOutput::new(json!({"step": &*ctx.step, "attempt": ctx.attempt, "deps": deps}));
    // `padEvents`: each step also publishes an event of that many bytes.
    if let Some(n) = ctx.input["padEvents"].as_u64() {
        out = out.emit("lab.padding", json!({"pad": "x".repeat(n as usize)}));
    }
    Ok(StepOutcome::Done(out))
}

fn lab_like(name: &str, rec: &Recorder, critical_b: bool) -> WorkflowDefinition {
    let step = |rec: &Recorder| {
        let rec = rec.clone();
        move |ctx: StepContext| lab_step(rec.clone(), ctx)
    };
    let b_policy = if critical_b {
        StepPolicy::new().critical()
    } else {
        StepPolicy::new()
    };
    WorkflowDefinition::builder(name, 1)
        .step("a", &[], StepPolicy::new(), step(rec))
        .step("b", &["a"], b_policy, step(rec))
        .step("c", &["b"], StepPolicy::new(), step(rec))
        .step("d", &["c"], StepPolicy::new(), step(rec))
        .step("e", &["a"], StepPolicy::new(), step(rec))
        .build()
        .unwrap()
}

async fn nap(ctx: StepContext) -> Result<StepOutcome, StepError> {
    match &ctx.wake {
        None => {
            let secs = ctx.input["seconds"].as_i64().unwrap_or(60);
            Ok(StepOutcome::SleepUntil {
                until: ctx.now() + chrono::Duration::seconds(secs),
                state: json!({"asked": secs}),
            })
        }
        Some(wake) => Ok(StepOutcome::Done(StepOutput::new(json!({"woke": wake})))),
    }
}

/// A step whose outcome write fails as an unreachable database would, for
/// `input.failForMs`, then succeeds; it counts its calls in `rec`.
async fn recording_step(rec: Recorder, ctx: StepContext) -> Result<StepOutcome, StepError> {
    rec.count(&ctx.run_id.to_string(), &ctx.step);
    let fail_for = Duration::from_millis(ctx.input["failForMs"].as_u64().unwrap_or(0));
    let started = Instant::now();
    let tries = std::sync::atomic::AtomicU32::new(0);
    ctx.persist("a lab outcome", || async {
        tries.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if started.elapsed() < fail_for {
            Err(careflow::store::StoreError::Unavailable(
                sqlx::Error::PoolTimedOut,
            ))
        } else {
            Ok(())
        }
    })
    .await
    .map_err(|e| StepError::retryable(e.to_string()))?;
    let tries = tries.load(std::sync::atomic::Ordering::Relaxed);
    Ok(StepOutcome::Done(StepOutput::new(
        json!({"attempt": ctx.attempt, "tries": tries}),
    )))
}

/// Every lab workflow, recording into `rec`.
pub fn workflows(rec: &Recorder) -> Vec<WorkflowDefinition> {
    let slow_rec = rec.clone();
    let recording_rec = rec.clone();
    vec![
        lab_like("lab", rec, false),
        lab_like("lab-critical", rec, true),
        WorkflowDefinition::builder("nap", 1)
            .step("wait", &[], StepPolicy::new(), nap)
            .step(
                "after",
                &["wait"],
                StepPolicy::new(),
                move |ctx: StepContext| lab_step(slow_rec.clone(), ctx),
            )
            .build()
            .unwrap(),
        WorkflowDefinition::builder("recording", 1)
            .step(
                "record",
                &[],
                StepPolicy::new()
                    .timeout(Duration::from_millis(200))
                    .retry(RetryPolicy {
                        max_attempts: 2,
                        initial_backoff: Duration::from_millis(10),
                        multiplier: 1.0,
                        max_backoff: Duration::from_millis(10),
                        jitter: 0.0,
                    }),
                move |ctx: StepContext| recording_step(recording_rec.clone(), ctx),
            )
            .build()
            .unwrap(),
        WorkflowDefinition::builder("slow", 1)
            .step(
                "slow",
                &[],
                StepPolicy::new()
                    .timeout(Duration::from_millis(200))
                    .retry(RetryPolicy {
                        max_attempts: 2,
                        initial_backoff: Duration::from_millis(10),
                        multiplier: 1.0,
                        max_backoff: Duration::from_millis(10),
                        jitter: 0.0,
                    }),
                |_ctx: StepContext| async move {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    Ok(StepOutcome::Done(StepOutput::new(Value::Null)))
                },
            )
            .build()
            .unwrap(),
    ]
}
