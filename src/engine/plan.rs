//! The plan: from a definition, a run's options and its steps' states, decide which
//! steps are skipped (and why), which start now, and whether the run is over,
//! parked, or still going. Pure: no I/O, no clock of its own.
//!
//! Rules: a step is ready when every dependency completed; it is skipped when it is
//! disabled, or a dependency was skipped or failed (the reason names it). A failed
//! critical step, or any failed step under `stopOnError`, stops the run: what has not
//! started is skipped with that reason. In parallel mode every ready step starts at
//! once; in sequential mode one step at a time, in definition order.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use super::attempts;
use super::definition::WorkflowDefinition;
use super::lost::{self, Orphan};
use super::options::RunOptions;
use crate::store::{AttemptOutcome, RunStatus, StepStatus, StepWrite};

/// Circumstances of one planning pass.
#[derive(Debug, Clone, Copy)]
pub struct PassContext<'a> {
    /// Now.
    pub now: DateTime<Utc>,
    /// Steps whose attempt is executing in this process.
    pub in_flight: &'a [bool],
    /// The run was cancelled.
    pub cancelled: bool,
    /// The replica is shutting down: start nothing new.
    pub draining: bool,
    /// Attempts of a step whose policy names none (`engine.retry.max_attempts`).
    pub max_attempts: u32,
}

/// What the run does next.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Steps are executing; wait for them.
    Continue,
    /// Every step is final.
    Final {
        /// `completed`, `failed` or `cancelled`.
        status: RunStatus,
        /// Why it failed.
        error: Option<Value>,
    },
    /// Nothing can start before `ready_at` (a retry backoff or a timer), or before
    /// an event arrives when `ready_at` is `None`.
    Idle {
        /// `sleeping` or `waiting`.
        status: RunStatus,
        /// The next time something is due.
        ready_at: Option<DateTime<Utc>>,
    },
}

/// The outcome of a planning pass.
#[derive(Debug, Clone, PartialEq)]
pub struct Pass {
    /// Steps to start now (already marked `running` in the states).
    pub start: Vec<usize>,
    /// Steps whose state this pass changed.
    pub changed: Vec<usize>,
    /// What the run does next.
    pub verdict: Verdict,
}

fn stop_reason(
    def: &WorkflowDefinition,
    opts: &RunOptions,
    steps: &[StepWrite],
) -> Option<(String, String)> {
    for (i, s) in steps.iter().enumerate() {
        if s.status == StepStatus::Failed {
            if def.steps[i].policy.critical {
                return Some((
                    s.name.clone(),
                    format!("run stopped: critical step '{}' failed", s.name),
                ));
            }
            if opts.stop_on_error {
                return Some((
                    s.name.clone(),
                    format!("run stopped on error: step '{}' failed", s.name),
                ));
            }
        }
    }
    None
}

fn skip(s: &mut StepWrite, reason: String) {
    s.status = StepStatus::Skipped;
    s.skip_reason = Some(reason);
    s.wake_at = None;
}

/// Runs one planning pass over the states, mutating them.
pub fn advance(
    def: &WorkflowDefinition,
    opts: &RunOptions,
    steps: &mut [StepWrite],
    cx: PassContext<'_>,
) -> Pass {
    let mut changed = Vec::new();
    // A step left `running` by a holder that stopped spent that attempt; when it was
    // the last, the step has failed (before stops and skips are worked out, since
    // the failure may stop the run or skip dependents).
    if !cx.cancelled {
        for (i, s) in steps.iter_mut().enumerate() {
            if s.status == StepStatus::Running
                && !cx.in_flight[i]
                && orphan_verdict(def, i, s, &cx) == Orphan::Failed
            {
                lost::fail(s, cx.now);
                changed.push(i);
            }
        }
    }
    let stop = if cx.cancelled {
        Some((String::new(), "run cancelled".to_string()))
    } else {
        stop_reason(def, opts, steps)
    };

    // Skips: a stopped run skips whatever is not executing; otherwise disabled steps
    // and dependents of skipped or failed steps. Topological order propagates a skip
    // down the whole chain in one pass.
    for i in 0..steps.len() {
        let s = &steps[i];
        let open = matches!(s.status, StepStatus::Pending | StepStatus::Sleeping)
            || (s.status == StepStatus::Running && !cx.in_flight[i]);
        if !open {
            continue;
        }
        let reason = if let Some((_, why)) = &stop {
            Some(why.clone())
        } else if !opts.enabled(&s.name) {
            Some("disabled by request".to_string())
        } else {
            def.steps[i]
                .deps
                .iter()
                .find_map(|&d| match steps[d].status {
                    StepStatus::Skipped => {
                        Some(format!("dependency '{}' was skipped", steps[d].name))
                    }
                    StepStatus::Failed => Some(format!("dependency '{}' failed", steps[d].name)),
                    _ => None,
                })
        };
        if let Some(reason) = reason {
            if steps[i].status == StepStatus::Running {
                // Its attempt was started by a holder that stopped (or was cut by
                // the cancellation) and will never report.
                let outcome = if cx.cancelled {
                    AttemptOutcome::Cancelled
                } else {
                    AttemptOutcome::Lost
                };
                attempts::ended(&mut steps[i], cx.now, outcome, None);
            }
            skip(&mut steps[i], reason);
            changed.push(i);
        }
    }

    // Starts. Sequential mode considers only the first step that is not final (the
    // order is topological, so its dependencies are settled) and only when nothing
    // executes; parallel mode considers every step.
    let mut start = Vec::new();
    if stop.is_none() && !cx.draining {
        let candidates: Vec<usize> = if opts.parallel {
            (0..steps.len()).collect()
        } else if cx.in_flight.iter().any(|f| *f) {
            Vec::new()
        } else {
            steps
                .iter()
                .position(|s| !s.status.is_final())
                .into_iter()
                .collect()
        };
        for i in candidates {
            let s = &steps[i];
            let due = s.wake_at.is_none_or(|w| w <= cx.now);
            let deps_done = def.steps[i]
                .deps
                .iter()
                .all(|&d| steps[d].status == StepStatus::Completed);
            let startable = match s.status {
                StepStatus::Pending => deps_done && due,
                // A step left `running` by a holder that died runs again.
                StepStatus::Running => !cx.in_flight[i] && deps_done,
                StepStatus::Sleeping => due,
                _ => false,
            };
            if !startable {
                continue;
            }
            let reconcile = s.status == StepStatus::Running
                && orphan_verdict(def, i, s, &cx) == Orphan::Reconcile;
            let s = &mut steps[i];
            if reconcile {
                // The lost attempt was the last: the handler only settles it.
                lost::mark_lost(s, cx.now);
                lost::start_reconciling(s);
            } else if s.status != StepStatus::Sleeping {
                if s.status == StepStatus::Running {
                    lost::mark_lost(s, cx.now);
                }
                // A resumed sleeper continues where it parked; anything else is a new attempt.
                s.attempts += 1;
                attempts::started(s, cx.now);
            }
            s.status = StepStatus::Running;
            if s.started_at.is_none() {
                s.started_at = Some(cx.now);
            }
            start.push(i);
            changed.push(i);
        }
    }

    let verdict = verdict(steps, &cx, &start, stop.as_ref());
    changed.sort_unstable();
    changed.dedup();
    Pass {
        start,
        changed,
        verdict,
    }
}

/// What an orphaned `running` step (a holder that stopped started its attempt)
/// does next, by its policy.
fn orphan_verdict(
    def: &WorkflowDefinition,
    i: usize,
    s: &StepWrite,
    cx: &PassContext<'_>,
) -> Orphan {
    let policy = &def.steps[i].policy;
    let max = policy
        .retry
        .as_ref()
        .map_or(cx.max_attempts, |r| r.max_attempts);
    lost::verdict(s, max, policy.reconciles_lost)
}

fn verdict(
    steps: &[StepWrite],
    cx: &PassContext<'_>,
    start: &[usize],
    stop: Option<&(String, String)>,
) -> Verdict {
    if steps.iter().all(|s| s.status.is_final()) {
        if cx.cancelled {
            return Verdict::Final {
                status: RunStatus::Cancelled,
                error: Some(json!({"message": "run cancelled"})),
            };
        }
        let failed = stop.map(|(step, why)| json!({"step": step, "message": why}));
        return Verdict::Final {
            status: if failed.is_some() {
                RunStatus::Failed
            } else {
                RunStatus::Completed
            },
            error: failed,
        };
    }
    if !start.is_empty() || cx.in_flight.iter().any(|f| *f) {
        return Verdict::Continue;
    }
    let parked = steps
        .iter()
        .filter(|s| matches!(s.status, StepStatus::Pending | StepStatus::Sleeping));
    let mut ready_at: Option<DateTime<Utc>> = None;
    let mut waits_for_event = false;
    for s in parked {
        if let Some(w) = s.wake_at {
            ready_at = Some(ready_at.map_or(w, |r| r.min(w)));
        }
        let kind = s
            .wait
            .as_ref()
            .and_then(|w| w.get("kind"))
            .and_then(Value::as_str);
        if kind == Some("event") {
            waits_for_event = true;
        }
    }
    Verdict::Idle {
        status: if waits_for_event {
            RunStatus::Waiting
        } else {
            RunStatus::Sleeping
        },
        ready_at,
    }
}

/// The plan a dry run returns.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DryRunPlan {
    /// `parallel` or `sequential`.
    #[schema(value_type = String, pattern = "^(parallel|sequential)$")]
    pub mode: &'static str,
    /// Steps that would run, in the order a sequential run takes them.
    pub order: Vec<String>,
    /// Groups of steps that would start together in parallel mode (each group once
    /// the previous ones completed, assuming every step succeeds).
    pub waves: Vec<Vec<String>>,
    /// Steps that would not run, with the reason.
    pub skipped: Vec<SkippedStep>,
}

/// A step a dry run would skip.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SkippedStep {
    /// Step.
    pub step: String,
    /// Why.
    pub reason: String,
}

/// What a run with these options would do, assuming every step succeeds.
pub fn dry_run(def: &WorkflowDefinition, opts: &RunOptions) -> DryRunPlan {
    let n = def.steps.len();
    let mut wave: Vec<Option<usize>> = vec![None; n];
    let mut skipped = Vec::new();
    let mut order = Vec::new();
    for (i, s) in def.steps.iter().enumerate() {
        let reason = if !opts.enabled(&s.name) {
            Some("disabled by request".to_string())
        } else {
            s.deps
                .iter()
                .find(|&&d| wave[d].is_none())
                .map(|&d| format!("dependency '{}' was skipped", def.steps[d].name))
        };
        match reason {
            Some(reason) => skipped.push(SkippedStep {
                step: s.name.clone(),
                reason,
            }),
            None => {
                wave[i] = Some(
                    s.deps
                        .iter()
                        .filter_map(|&d| wave[d])
                        .max()
                        .map_or(0, |w| w + 1),
                );
                order.push(s.name.clone());
            }
        }
    }
    let depth = wave.iter().flatten().max().map_or(0, |w| w + 1);
    let mut waves = vec![Vec::new(); depth];
    for (i, w) in wave.iter().enumerate() {
        if let Some(w) = w {
            waves[*w].push(def.steps[i].name.clone());
        }
    }
    DryRunPlan {
        mode: if opts.parallel {
            "parallel"
        } else {
            "sequential"
        },
        order,
        waves,
        skipped,
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
