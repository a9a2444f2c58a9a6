//! Bulk cancel and retry: every run of a tenant matching a filter, up to a bound
//! per call, each through the same code as the single cancel or retry. Runs that
//! were touched stop matching (cancelled runs are final, retried ones queued), so a
//! caller repeats the call while `more` says runs remain.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Engine, EngineError, EngineResult};
use crate::store::{RunFilter, RunId, RunStatus, TenantId};

/// Which runs a bulk action applies to. At least one criterion is set (the HTTP
/// layer checks it).
#[derive(Debug, Clone, Default)]
pub struct BulkFilter {
    /// Only this workflow.
    pub workflow: Option<String>,
    /// Only this status (one the action applies to).
    pub status: Option<RunStatus>,
    /// Only runs submitted at or after this time.
    pub submitted_after: Option<DateTime<Utc>>,
    /// Only runs submitted before this time.
    pub submitted_before: Option<DateTime<Utc>>,
    /// Only runs with this correlation id.
    pub correlation_id: Option<String>,
    /// At most this many runs per call.
    pub limit: i64,
}

/// A run a bulk action left as it was, and why.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SkippedRun {
    /// The run.
    pub run_id: RunId,
    /// Why (it changed state meanwhile, or the workflow's rules refused).
    pub reason: String,
}

/// What a bulk action did.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BulkOutcome {
    /// Runs that matched (at most the limit).
    pub matched: usize,
    /// Runs cancelled (or asked to stop, when running) or queued again.
    pub touched: usize,
    /// Runs left as they were.
    pub skipped: usize,
    /// More runs match than this call took: call again.
    pub more: bool,
    /// The touched runs.
    pub touched_runs: Vec<RunId>,
    /// The skipped runs, with the reason.
    pub skipped_runs: Vec<SkippedRun>,
}

/// The runs a cancel applies to.
pub const CANCELLABLE: [RunStatus; 4] = [
    RunStatus::Queued,
    RunStatus::Running,
    RunStatus::Sleeping,
    RunStatus::Waiting,
];

/// The runs a retry applies to.
pub const RETRYABLE: [RunStatus; 2] = [RunStatus::Failed, RunStatus::Cancelled];

#[derive(Clone, Copy)]
enum Action {
    Cancel,
    Retry,
}

impl Engine {
    /// Cancels the tenant's unfinished runs matching `filter`.
    pub async fn cancel_matching(
        &self,
        tenant: &TenantId,
        filter: &BulkFilter,
    ) -> EngineResult<BulkOutcome> {
        self.bulk(tenant, filter, Action::Cancel).await
    }

    /// Queues the tenant's failed or cancelled runs matching `filter` again.
    pub async fn retry_matching(
        &self,
        tenant: &TenantId,
        filter: &BulkFilter,
    ) -> EngineResult<BulkOutcome> {
        self.bulk(tenant, filter, Action::Retry).await
    }

    async fn bulk(
        &self,
        tenant: &TenantId,
        filter: &BulkFilter,
        action: Action,
    ) -> EngineResult<BulkOutcome> {
        let applies: &[RunStatus] = match action {
            Action::Cancel => &CANCELLABLE,
            Action::Retry => &RETRYABLE,
        };
        let statuses = match filter.status {
            Some(s) if applies.contains(&s) => vec![s],
            Some(_) => Vec::new(),
            None => applies.to_vec(),
        };
        let mut outcome = BulkOutcome {
            matched: 0,
            touched: 0,
            skipped: 0,
            more: false,
            touched_runs: Vec::new(),
            skipped_runs: Vec::new(),
        };
        if statuses.is_empty() {
            return Ok(outcome);
        }
        // One more than the bound tells whether runs remain.
        let rows = self
            .inner
            .store
            .list_runs(
                tenant,
                &RunFilter {
                    workflow: filter.workflow.clone(),
                    statuses,
                    correlation_id: filter.correlation_id.clone(),
                    created_from: filter.submitted_after,
                    created_until: filter.submitted_before,
                    limit: filter.limit + 1,
                    ..RunFilter::default()
                },
            )
            .await?;
        outcome.more = rows.len() as i64 > filter.limit;
        for row in rows.into_iter().take(filter.limit as usize) {
            outcome.matched += 1;
            let done = match action {
                Action::Cancel => self.request_cancellation(tenant, row.run_id).await,
                Action::Retry => self.retry(tenant, row.run_id).await.map(|_| ()),
            };
            match done {
                Ok(()) => outcome.touched_runs.push(row.run_id),
                // Changed state since it was listed, or refused by the workflow's
                // rules: left as it is.
                Err(
                    e @ (EngineError::InvalidState(_)
                    | EngineError::NotFound
                    | EngineError::Invalid(_)),
                ) => outcome.skipped_runs.push(SkippedRun {
                    run_id: row.run_id,
                    reason: e.to_string(),
                }),
                Err(e) => return Err(e),
            }
        }
        outcome.touched = outcome.touched_runs.len();
        outcome.skipped = outcome.skipped_runs.len();
        Ok(outcome)
    }
}
