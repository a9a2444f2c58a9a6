//! The attempt history of steps: what the engine notes on a step when one of its
//! attempts starts or ends (committed with the step, in the same write), and how
//! the stored history is shown to clients.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use crate::domain::casing;
use crate::store::{AttemptMark, AttemptOutcome, StepAttemptRow, StepWrite};

/// Notes that the step's current attempt (`attempts`, already counted) started.
pub(super) fn started(s: &mut StepWrite, at: DateTime<Utc>) {
    s.attempt_marks.push(AttemptMark::Started {
        id: uuid::Uuid::now_v7(),
        attempt: s.attempts.max(1),
        at,
    });
}

/// Notes that the step's current attempt ended.
pub(super) fn ended(
    s: &mut StepWrite,
    at: DateTime<Utc>,
    outcome: AttemptOutcome,
    error: Option<Value>,
) {
    s.attempt_marks.push(AttemptMark::Ended {
        attempt: s.attempts.max(1),
        at,
        outcome,
        error,
    });
}

/// Notes that the step's current attempt did nothing and its number is given back
/// (call before the count is decremented).
pub(super) fn given_back(s: &mut StepWrite) {
    s.attempt_marks.push(AttemptMark::GivenBack {
        attempt: s.attempts.max(1),
    });
}

/// One attempt as clients see it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Attempt)]
pub struct AttemptView {
    /// Its number within the step, from 1 (from 1 again after a retry of the run).
    pub attempt: i32,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// End; `null` while it lasts, or while the step is parked on a timer or an
    /// event within this attempt.
    pub ended_at: Option<DateTime<Utc>>,
    /// From start to end, in milliseconds (parked time included).
    pub duration_ms: Option<i64>,
    /// `completed`, `failed`, `timed_out`, `lost` (its replica stopped before it
    /// reported) or `cancelled`; `null` while it lasts.
    pub outcome: Option<String>,
    /// The error the attempt reported, as the step stores it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
    /// The replica that ran it (its lease owner id).
    pub replica: String,
}

/// The stored history grouped by step, each in start order.
pub(super) fn by_step(rows: Vec<StepAttemptRow>) -> HashMap<String, Vec<AttemptView>> {
    let mut out: HashMap<String, Vec<AttemptView>> = HashMap::new();
    for r in rows {
        out.entry(r.step_name).or_default().push(AttemptView {
            attempt: r.attempt,
            started_at: r.started_at,
            ended_at: r.ended_at,
            duration_ms: r
                .ended_at
                .map(|e| (e - r.started_at).num_milliseconds().max(0)),
            // Stored as written (`timedOut`), shown in the API's spelling.
            outcome: r.outcome.as_deref().map(casing::api_value),
            error: r.error.map(|e| e.0),
            replica: r.replica,
        });
    }
    out
}

impl super::Engine {
    /// Adds every step's attempt history to a view of one of the tenant's runs.
    pub async fn with_attempt_history(
        &self,
        tenant: &crate::store::TenantId,
        mut view: super::RunView,
    ) -> super::EngineResult<super::RunView> {
        let rows = self.inner.store.step_attempts(tenant, view.run_id).await?;
        let mut history = by_step(rows);
        for step in &mut view.steps {
            step.attempt_history = Some(history.remove(&step.name).unwrap_or_default());
        }
        Ok(view)
    }
}
