//! What a workflow does when one of its runs is cancelled: its domain records
//! (an email in the outbox, a scheduled call) follow the run, whoever cancelled it.
//!
//! The engine calls a workflow's hook once the cancellation is committed: at once
//! when a parked run is cancelled through [`super::Engine::cancel`], and, in every
//! case (a running run stopped by its executor, a replica that died in between),
//! from the event router when it reaches the committed `run.cancelled` event. A
//! hook may therefore run more than once and must be idempotent; it returns an
//! error only for failures a retry can fix, since the router retries its batch.

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::store::{RunId, TenantId};

/// The run that was cancelled.
#[derive(Debug, Clone)]
pub struct Cancelled {
    /// Its tenant.
    pub tenant: TenantId,
    /// Its id.
    pub run_id: RunId,
    /// Its input.
    pub input: Value,
    /// Now, by the engine's clock.
    pub at: DateTime<Utc>,
}

/// The future a hook returns.
pub type CancelFuture = Pin<Box<dyn Future<Output = Result<(), String>> + Send>>;

/// A workflow's reaction to a cancelled run.
pub trait CancelHook: Send + Sync + 'static {
    /// Brings the workflow's records in step with the cancelled run.
    fn cancelled(&self, run: Cancelled) -> CancelFuture;
}

impl<F, Fut> CancelHook for F
where
    F: Fn(Cancelled) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    fn cancelled(&self, run: Cancelled) -> CancelFuture {
        Box::pin(self(run))
    }
}

/// The event type a committed cancellation is announced with.
pub const RUN_CANCELLED: &str = "run.cancelled";

impl super::Engine {
    /// Calls the cancelled run's workflow hook, if it has one.
    pub(super) async fn run_cancel_hook(
        &self,
        tenant: &TenantId,
        run: RunId,
        workflow: &str,
    ) -> Result<(), String> {
        let Some(hook) = self
            .registry()
            .get(workflow)
            .and_then(|d| d.on_cancel.clone())
        else {
            return Ok(());
        };
        let view = self
            .get(tenant, run)
            .await
            .map_err(|e| format!("reading the cancelled run failed: {e}"))?;
        let Some(view) = view else {
            return Ok(());
        };
        hook.cancelled(Cancelled {
            tenant: tenant.clone(),
            run_id: run,
            input: view.input,
            at: self.inner.clock.now(),
        })
        .await
    }
}
