//! A statement census: while switched on, counts the SQL statements the service
//! sends, by kind, with their total round-trip time. It listens to the database
//! driver's per-statement trace events, which cost nothing while it is off (every
//! other trace event of the service is disabled outright, as with logging off).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata};
use tracing_subscriber::layer::{Context, Layer};

const TARGET: &str = "sqlx::query";

/// Counts by statement kind: (statements, total seconds).
pub type Counts = BTreeMap<String, (u64, f64)>;

/// The census; clone it to switch it and read it.
#[derive(Clone, Default)]
pub struct Census {
    on: Arc<AtomicBool>,
    counts: Arc<Mutex<Counts>>,
}

impl Census {
    /// Starts counting from zero.
    pub fn start(&self) {
        self.counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.on.store(true, Ordering::SeqCst);
    }

    /// Stops counting and returns what was counted.
    pub fn stop(&self) -> Counts {
        self.on.store(false, Ordering::SeqCst);
        self.counts
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

/// Names a statement by its opening words (the driver's summary).
fn kind(summary: &str) -> String {
    let known = [
        ("with r as", "insert_run (run + steps + events)"),
        (
            "with n as",
            "submit_group (runs starting at once, several together)",
        ),
        ("with fence as", "commit_progress (fenced step outcome)"),
        ("with due as", "claim_runs (claim loop)"),
        (
            "with h as",
            "sequence_events (event pump: announce readable events)",
        ),
        ("select key_id,", "find_api_key (authentication)"),
        (
            "select position, tenant_id,",
            "events_after (event router; the pump with stream subscribers)",
        ),
        // PostgreSQL's readers, which give a row's earlier events their own positions.
        (
            "select e.position - x.back",
            "events_after (event router; the pump with stream subscribers)",
        ),
        ("select count(*) from runs", "count_queued (backlog check)"),
        (
            "update runs set lease_expires_at",
            "renew_leases (heartbeat)",
        ),
        ("select step_name,", "get_steps"),
        (
            "select tenant_id, run_id, cancel_requested",
            "commit_group (fenced step outcomes of several runs)",
        ),
        ("select tenant_id, run_id,", "get_run"),
    ];
    known
        .iter()
        .find(|(prefix, _)| summary.starts_with(prefix))
        .map(|(_, name)| (*name).to_string())
        .unwrap_or_else(|| summary.trim_end_matches(" …").to_string())
}

#[derive(Default)]
struct Fields {
    summary: Option<String>,
    secs: f64,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "summary" {
            self.summary = Some(value.to_string());
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        if field.name() == "elapsed_secs" {
            self.secs = value;
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "summary" && self.summary.is_none() {
            self.summary = Some(format!("{value:?}").trim_matches('"').to_string());
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for Census {
    fn register_callsite(&self, meta: &'static Metadata<'static>) -> Interest {
        if meta.target() == TARGET {
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, meta: &Metadata<'_>, _: Context<'_, S>) -> bool {
        meta.target() == TARGET && self.on.load(Ordering::Relaxed)
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let Some(summary) = fields.summary else {
            return;
        };
        let mut counts = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        let entry = counts.entry(kind(&summary)).or_default();
        entry.0 += 1;
        entry.1 += fields.secs;
    }
}
