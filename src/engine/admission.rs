//! Admission of events at the door. The runs an accepted event starts are inserted
//! later by the event router, which cannot refuse them without losing them; so an
//! event batch is refused (with nothing written) when the runs it would start at
//! once (for built-in functions and the tenant's own triggers) do not fit the
//! queue's bounds now. Submissions are bounded where their run
//! is inserted (counted and inserted atomically, see `NewRun::queue_bound`).

use std::time::Duration;

use serde_json::Value;

use super::{Engine, EngineError, EngineResult};
use crate::store::{QueueBound, TenantId};

impl Engine {
    /// The queue's bounds, as configured.
    pub(super) fn queue_bound(&self) -> QueueBound {
        let s = &self.inner.settings;
        QueueBound {
            max_queued: s.max_queued_runs,
            max_queued_per_tenant: s.max_queued_runs_per_tenant,
        }
    }

    /// How long a refused client should wait before trying again.
    pub(super) fn retry_after(&self) -> Duration {
        self.inner
            .settings
            .poll_interval
            .max(Duration::from_secs(1))
    }

    /// Refuses a batch of events (each `{name, data}`, all due now) when the runs
    /// they would start at once would not fit the tenant's share or the shared
    /// queue. The tenant's own workflows' triggers count like the built-in
    /// functions. Runs a debounced function starts later are parked, not queued,
    /// and are not counted.
    pub async fn admit_events(&self, tenant: &TenantId, due_now: &[Value]) -> EngineResult<()> {
        if due_now.is_empty() {
            return Ok(());
        }
        let mut functions = self.inner.registry.functions().to_vec();
        if let Some(source) = self.inner.registry.source() {
            functions.extend(source.functions(tenant).await?);
        }
        let starts = due_now
            .iter()
            .map(|event| {
                functions
                    .iter()
                    .filter(|f| f.debounce.is_none() && f.triggered_by(event))
                    .count() as i64
            })
            .sum::<i64>();
        if starts == 0 {
            return Ok(());
        }
        let now = self.inner.clock.now();
        let (all, mine) = self.inner.store.count_queued(tenant, now).await?;
        match self.queue_bound().passed(all + starts, mine + starts) {
            None => Ok(()),
            Some(full) => {
                self.inner.metrics.count(
                    "careflow_submissions_rejected_total",
                    "Submissions refused because the queue (or the tenant's share) was full.",
                    &[("bound", full.label())],
                    1.0,
                );
                Err(EngineError::Backlogged {
                    retry_after: self.retry_after(),
                    full,
                })
            }
        }
    }
}
