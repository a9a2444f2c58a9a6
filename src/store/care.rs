//! What care transitions keep: nurses and shifts, follow-up tasks, the notification
//! log (with per-tenant daily send counts), outreach plans and attempts, and
//! interactions, and the tenants' Twilio numbers. Every row belongs to a tenant except
//! an unrouted reply (an SMS that could be from patients of several tenants); the
//! lookups without a tenant (by a provider's message id, by a receiving number, by a
//! patient's phone number) exist for Twilio's webhooks, which name no tenant, and
//! return rows whose tenant then applies.
//!
//! Rows created by workflow steps carry an `origin_key` (the step's idempotency key or
//! the run's id): a repeated attempt finds the row it created instead of adding one.
//! Writes made outside a step (HTTP handlers, webhooks) take the events announcing
//! them and append them in the same transaction, so a change and its event are
//! committed together or not at all.

mod consent;
mod contacts;
mod notifications;
mod outreach;
mod routing;
pub(crate) mod sql;
mod staff;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub use consent::{ConsentChangeRow, ConsentStore};
pub use contacts::{EscalationContactRow, EscalationContactStore};
pub use notifications::{
    NewNotification, NotificationFilter, NotificationRow, ProviderUpdate, Reservation, SendResult,
};
pub use outreach::{
    AttemptRow, Classified, InteractionRow, NewAttempt, NewInteraction, NewPlan, PlanRow,
};
pub use routing::{
    InboundCandidateRow, NewUnroutedReply, RoutingStore, TwilioNumberRow, UnroutedCandidate,
    UnroutedForTenant,
};
pub use staff::{
    AssignOutcome, CandidateRow, NewNurse, NewTask, NurseRow, ShiftRow, TaskFilter, TaskRow,
};

use super::{NewEvent, StoreResult, TenantId};

/// Nurses, their shifts, and assignment.
#[async_trait]
pub trait NurseStore {
    /// Stores a nurse.
    async fn insert_nurse(&self, nurse: &NewNurse) -> StoreResult<NurseRow>;
    /// A nurse of the tenant.
    async fn get_nurse(&self, tenant: &TenantId, nurse: Uuid) -> StoreResult<Option<NurseRow>>;
    /// The tenant's nurses, by name.
    async fn list_nurses(&self, tenant: &TenantId) -> StoreResult<Vec<NurseRow>>;
    /// Stores a shift of an existing nurse.
    async fn insert_shift(&self, shift: &ShiftRow) -> StoreResult<ShiftRow>;
    /// The tenant's shifts ending after `after`, by start.
    async fn shifts_ending_after(
        &self,
        tenant: &TenantId,
        after: DateTime<Utc>,
    ) -> StoreResult<Vec<ShiftRow>>;
    /// Active nurses on shift at `at`, with their open task counts.
    async fn assignment_candidates(
        &self,
        tenant: &TenantId,
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<CandidateRow>>;
    /// Gives an open task to a nurse, in one transaction: only if the nurse's
    /// assignment count is still `expected_count` (else nothing changes and the caller
    /// chooses again) and the task is still open.
    async fn assign_task(
        &self,
        tenant: &TenantId,
        task: Uuid,
        nurse: Uuid,
        expected_count: i64,
        at: DateTime<Utc>,
    ) -> StoreResult<AssignOutcome>;
}

/// Follow-up tasks.
#[async_trait]
pub trait TaskStore {
    /// Stores a task; with an origin key, a repeat returns the task stored first.
    /// `events` are appended in the same transaction when this call stored it.
    async fn insert_task(&self, task: &NewTask, events: &[NewEvent]) -> StoreResult<TaskRow>;
    /// A task of the tenant.
    async fn get_task(&self, tenant: &TenantId, task: Uuid) -> StoreResult<Option<TaskRow>>;
    /// The tenant's tasks passing `filter`, newest first.
    async fn list_tasks(&self, tenant: &TenantId, filter: &TaskFilter)
    -> StoreResult<Vec<TaskRow>>;
    /// Resolves an unresolved task; returns it and whether this call resolved it.
    /// `events` are appended in the same transaction when this call resolved it.
    async fn resolve_task(
        &self,
        tenant: &TenantId,
        task: Uuid,
        resolution: Option<&str>,
        at: DateTime<Utc>,
        events: &[NewEvent],
    ) -> StoreResult<Option<(TaskRow, bool)>>;
    /// Records the SLA warning (`breach` false) or breach of an unresolved task;
    /// false when it is resolved (or unknown).
    async fn mark_task_sla(
        &self,
        tenant: &TenantId,
        task: Uuid,
        breach: bool,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
}

/// The notification log and the daily send counts.
#[async_trait]
pub trait NotificationStore {
    /// Logs a notification (`PENDING`); a repeat with the same origin key returns
    /// the row logged first.
    async fn insert_notification(&self, n: &NewNotification) -> StoreResult<NotificationRow>;
    /// A notification of the tenant.
    async fn get_notification(
        &self,
        tenant: &TenantId,
        id: Uuid,
    ) -> StoreResult<Option<NotificationRow>>;
    /// The tenant's notifications passing `filter`, newest first.
    async fn list_notifications(
        &self,
        tenant: &TenantId,
        filter: &NotificationFilter,
    ) -> StoreResult<Vec<NotificationRow>>;
    /// Counts a pending notification against the tenant's cap for `channel` on
    /// `day`, once: a repeated attempt finds it counted already.
    async fn reserve_send(
        &self,
        tenant: &TenantId,
        id: Uuid,
        channel: &str,
        day: &str,
        cap: i64,
    ) -> StoreResult<Reservation>;
    /// Starts a send attempt of a pending notification (counts it, stamps it);
    /// `None` when it is not pending any more.
    async fn begin_send(
        &self,
        tenant: &TenantId,
        id: Uuid,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<NotificationRow>>;
    /// Ends a pending notification's send: `SENT`, `FAILED` or `CANCELLED`; false when
    /// it was not pending.
    async fn finish_send(
        &self,
        tenant: &TenantId,
        id: Uuid,
        result: &SendResult,
    ) -> StoreResult<bool>;
    /// The notification a provider's message or call id belongs to, in any tenant.
    async fn notification_by_provider_id(
        &self,
        provider_id: &str,
    ) -> StoreResult<Option<NotificationRow>>;
    /// Applies a status callback when the stored provider status is still
    /// `update.expected`; false when it changed meanwhile. `events` are appended in
    /// the same transaction when it applied.
    async fn apply_provider_status(
        &self,
        tenant: &TenantId,
        id: Uuid,
        update: &ProviderUpdate,
        events: &[NewEvent],
    ) -> StoreResult<bool>;
}

/// Outreach plans, their attempts, and interactions.
#[async_trait]
pub trait OutreachStore {
    /// Stores a plan; a repeat with the same origin key returns the first.
    async fn insert_plan(&self, plan: &NewPlan) -> StoreResult<PlanRow>;
    /// A plan of the tenant.
    async fn get_plan(&self, tenant: &TenantId, plan: Uuid) -> StoreResult<Option<PlanRow>>;
    /// A patient's plans, oldest first.
    async fn plans_for_patient(
        &self,
        tenant: &TenantId,
        patient: &str,
    ) -> StoreResult<Vec<PlanRow>>;
    /// Ends an active plan (`COMPLETED` or `ESCALATED`); false when it was not active.
    async fn finish_plan(
        &self,
        tenant: &TenantId,
        plan: Uuid,
        status: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Stores an attempt; a repeat of the same plan and number returns the first.
    async fn insert_attempt(&self, attempt: &NewAttempt) -> StoreResult<AttemptRow>;
    /// Ends an attempt awaiting a reply (`RESPONDED`, `NO_RESPONSE`); false when it
    /// was not awaiting one.
    async fn finish_attempt(
        &self,
        tenant: &TenantId,
        attempt: Uuid,
        status: &str,
        interaction: Option<Uuid>,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// A patient's attempts, oldest first.
    async fn attempts_for_patient(
        &self,
        tenant: &TenantId,
        patient: &str,
    ) -> StoreResult<Vec<AttemptRow>>;
    /// Stores an interaction; returns it and whether it is new (a repeated message
    /// id or origin key returns the row stored first). `events` are appended in the
    /// same transaction when it is new.
    async fn insert_interaction(
        &self,
        interaction: &NewInteraction,
        events: &[NewEvent],
    ) -> StoreResult<(InteractionRow, bool)>;
    /// An interaction of the tenant.
    async fn get_interaction(
        &self,
        tenant: &TenantId,
        id: Uuid,
    ) -> StoreResult<Option<InteractionRow>>;
    /// Records an interaction's classification and, when one was raised, its task.
    async fn classify_interaction(
        &self,
        tenant: &TenantId,
        id: Uuid,
        classified: &Classified,
    ) -> StoreResult<bool>;
    /// Links the task an interaction raised.
    async fn set_interaction_task(
        &self,
        tenant: &TenantId,
        id: Uuid,
        task: Uuid,
    ) -> StoreResult<bool>;
    /// A patient's interactions, oldest first.
    async fn interactions_for_patient(
        &self,
        tenant: &TenantId,
        patient: &str,
    ) -> StoreResult<Vec<InteractionRow>>;
    /// The patient's latest reply received at or after `since`.
    async fn reply_since(
        &self,
        tenant: &TenantId,
        patient: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<Option<InteractionRow>>;
}

/// Everything care transitions keep.
pub trait CareStore:
    NurseStore
    + TaskStore
    + NotificationStore
    + OutreachStore
    + RoutingStore
    + EscalationContactStore
    + ConsentStore
{
}

impl<
    T: NurseStore
        + TaskStore
        + NotificationStore
        + OutreachStore
        + RoutingStore
        + EscalationContactStore
        + ConsentStore,
> CareStore for T
{
}
