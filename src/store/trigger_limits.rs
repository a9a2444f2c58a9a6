//! Rate limits and throttles of event triggers, kept in the database so that every
//! replica's event router counts the same starts. Each decision is recorded against
//! the event that caused it: a router repeating events after a crash gets the same
//! answer again instead of counting the event twice.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{StoreResult, TenantId};

/// Which limit a decision was made under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitKind {
    /// At most `limit` runs per period: extra events are skipped.
    RateLimit,
    /// At most `limit` run starts per period: extra runs start later.
    Throttle,
    /// The queue's bounds refused the run the event would start.
    Admission,
}

impl LimitKind {
    /// The name stored, and shown to users (`rate_limit`, `throttle`, `admission`).
    pub fn as_str(self) -> &'static str {
        match self {
            LimitKind::RateLimit => "rate_limit",
            LimitKind::Throttle => "throttle",
            LimitKind::Admission => "admission",
        }
    }
}

/// One limited trigger meeting one event.
#[derive(Debug, Clone)]
pub struct LimitRequest<'a> {
    /// The event's tenant.
    pub tenant: &'a TenantId,
    /// The function (its workflow's name).
    pub function: &'a str,
    /// `RateLimit` or `Throttle`.
    pub kind: LimitKind,
    /// The event.
    pub event_id: Uuid,
    /// The key's value (`_` when the limit has no key).
    pub key: &'a str,
    /// Runs (or starts) per period.
    pub limit: u32,
    /// The period.
    pub period: chrono::Duration,
    /// Now, or for a throttle the earliest time the run could start otherwise.
    pub at: DateTime<Utc>,
}

/// What a limit decided for one event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitDecision {
    /// The run may start at this time (now for a rate limit).
    Start(DateTime<Utc>),
    /// The event starts no run. `first` is false when this was decided before (a
    /// repeat), so the refusal is not reported twice.
    Skip {
        /// True the first time.
        first: bool,
    },
}

/// An event a function skipped, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedTrigger {
    /// The event.
    pub event_id: Uuid,
    /// The function that skipped it.
    pub function: String,
    /// Why: `rateLimit`, or `admission` when the queue was full.
    pub reason: String,
}

/// Storage of trigger limits.
#[async_trait]
pub trait TriggerLimitStore {
    /// Decides, atomically, whether the event starts a run under a rate limit (the
    /// runs admitted for the key within the period are counted) or when its run
    /// starts under a throttle (after the `limit`-th latest start for the key has
    /// left the period). A repeated event gets its first decision back.
    async fn take_trigger_slot(&self, req: &LimitRequest<'_>) -> StoreResult<LimitDecision>;

    /// Records that the queue refused the run an event would start for `function`;
    /// false when this was recorded before.
    async fn record_trigger_refusal(
        &self,
        tenant: &TenantId,
        function: &str,
        event_id: Uuid,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// The recorded skips of these events.
    async fn skipped_triggers(
        &self,
        tenant: &TenantId,
        events: &[Uuid],
    ) -> StoreResult<Vec<SkippedTrigger>>;
}
