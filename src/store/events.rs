//! The event table: every run and step transition and every domain milestone,
//! appended in the same transaction as the change it reports.
//!
//! Readers go by `position`, a number given at insert that only grows: on PostgreSQL
//! it comes from the inserting transaction's id, and readers read only below the
//! oldest transaction still running (the horizon), so the order they see is fixed; on
//! SQLite, with its single writer, it is the row id. So "everything after position
//! X" never skips an event that commits late. On PostgreSQL a run's commit stores its
//! events about that run in one row, each at its own position; readers hand them out
//! one by one, so nothing here sees the difference.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{EventRow, NewEvent, RunId, StoreResult, TenantId};

/// Which of a tenant's events to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    /// Only events of this run.
    pub run_id: Option<RunId>,
    /// Only events with this correlation id.
    pub correlation_id: Option<String>,
    /// Only events of this workflow.
    pub workflow: Option<String>,
    /// Only events of this type.
    pub event_type: Option<String>,
}

impl EventFilter {
    /// True when `e` passes the filter.
    pub fn matches(&self, e: &EventRow) -> bool {
        self.run_id.is_none_or(|r| e.run_id == Some(r))
            && self
                .correlation_id
                .as_ref()
                .is_none_or(|c| e.correlation_id.as_ref() == Some(c))
            && self
                .workflow
                .as_ref()
                .is_none_or(|w| e.workflow.as_ref() == Some(w))
            && self.event_type.as_ref().is_none_or(|t| &e.event_type == t)
    }
}

/// What [`EventStore::sequence_events`] saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sequenced {
    /// Committed events still wait to become readable (on PostgreSQL, for an older
    /// transaction to end).
    pub waiting: bool,
    /// A position at or below which every event is readable and none can still be
    /// added, when the pass learned one (PostgreSQL's horizon, less one). `None`
    /// when it did not look (SQLite, whose positions are readable at commit:
    /// [`EventStore::last_event_position`] answers there).
    pub readable_through: Option<i64>,
}

/// Storage of events.
#[async_trait]
pub trait EventStore {
    /// Appends events outside any run commit (pollers, webhooks).
    async fn append_events(&self, tenant: &TenantId, events: &[NewEvent]) -> StoreResult<()>;

    /// Announces events that became readable since the last pass to every replica
    /// (`Notice::EventsPositioned`), and says what it saw (see [`Sequenced`]).
    async fn sequence_events(&self) -> StoreResult<Sequenced>;

    /// Readable events of every tenant after `after`, for the live fan-out.
    async fn events_after(&self, after: i64, limit: i64) -> StoreResult<Vec<EventRow>>;

    /// A tenant's readable events after `after` that pass `filter`.
    async fn tenant_events_after(
        &self,
        tenant: &TenantId,
        after: i64,
        filter: &EventFilter,
        limit: i64,
    ) -> StoreResult<Vec<EventRow>>;

    /// The highest readable position, or the highest deleted one below the
    /// horizon if higher (0 when none): a reader starting after it misses no event
    /// committed later.
    async fn last_event_position(&self) -> StoreResult<i64>;

    /// Deletes events created before `before`; returns how many.
    async fn prune_events(&self, before: DateTime<Utc>) -> StoreResult<u64>;
}
