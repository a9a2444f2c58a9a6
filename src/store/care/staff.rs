//! Rows of nurses, shifts and tasks, and what is written to create them.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::store::TenantId;

/// A nurse who may be assigned tasks.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NurseRow {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id.
    pub nurse_id: Uuid,
    /// Display name.
    pub name: String,
    /// E.164 number for SMS and calls.
    pub phone: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// `sms`, `email` or `voice`.
    pub preferred_channel: String,
    /// Tasks the nurse may hold at once.
    pub max_open_tasks: i32,
    /// Inactive nurses are never assigned.
    pub active: bool,
    /// The last assignment.
    pub last_assigned_at: Option<DateTime<Utc>>,
    /// Assignments so far (compared and set by every assignment).
    pub assignment_count: i64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// A nurse to store.
#[derive(Debug, Clone)]
pub struct NewNurse {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id.
    pub nurse_id: Uuid,
    /// Display name.
    pub name: String,
    /// E.164 number.
    pub phone: Option<String>,
    /// Email address.
    pub email: Option<String>,
    /// `sms`, `email` or `voice`.
    pub preferred_channel: String,
    /// Tasks the nurse may hold at once.
    pub max_open_tasks: i32,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// A shift during which a nurse can take tasks.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ShiftRow {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id.
    pub shift_id: Uuid,
    /// The nurse.
    pub nurse_id: Uuid,
    /// Start (inclusive).
    pub starts_at: DateTime<Utc>,
    /// End (exclusive).
    pub ends_at: DateTime<Utc>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// A nurse on shift at some moment, with what assignment needs to know.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CandidateRow {
    /// The nurse.
    pub nurse_id: Uuid,
    /// The last assignment.
    pub last_assigned_at: Option<DateTime<Utc>>,
    /// Assignments so far.
    pub assignment_count: i64,
    /// Tasks the nurse may hold.
    pub max_open_tasks: i32,
    /// Tasks the nurse holds.
    pub open_tasks: i64,
}

/// What assigning a task to a nurse did.
#[derive(Debug, Clone)]
pub enum AssignOutcome {
    /// The task is the nurse's now.
    Assigned(Box<TaskRow>),
    /// Someone assigned the nurse meanwhile: choose again from fresh data.
    NurseChanged,
    /// The task is no longer open (assigned or resolved already).
    TaskNotOpen,
}

/// A follow-up task.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TaskRow {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id.
    pub task_id: Uuid,
    /// The patient.
    pub patient_id: String,
    /// Short title.
    pub title: String,
    /// Longer description.
    pub description: Option<String>,
    /// `low`, `normal`, `high`, `urgent`.
    pub priority: String,
    /// `NONE` .. `CRITICAL`.
    pub severity: String,
    /// Minutes allowed until the SLA is breached.
    pub sla_minutes: i32,
    /// `OPEN`, `ASSIGNED`, `RESOLVED`.
    pub status: String,
    /// The nurse holding it.
    pub assignee_id: Option<Uuid>,
    /// `api`, `checkin-response`, `checkin-no-reply`.
    pub origin: String,
    /// The creating step's key, when a step created it.
    pub origin_key: Option<String>,
    /// The interaction that raised it.
    pub interaction_id: Option<Uuid>,
    /// Creation time (the SLA counts from here).
    pub created_at: DateTime<Utc>,
    /// Assignment time.
    pub assigned_at: Option<DateTime<Utc>>,
    /// Resolution time.
    pub resolved_at: Option<DateTime<Utc>>,
    /// How it was resolved.
    pub resolution: Option<String>,
    /// When the SLA warning fired.
    pub sla_warned_at: Option<DateTime<Utc>>,
    /// When the SLA breach fired.
    pub sla_breached_at: Option<DateTime<Utc>>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// The task's number in its tenant, from which its short reference (`T-0042`) is
    /// written; given when it is stored.
    pub reference_number: Option<i64>,
}

/// A task to store.
#[derive(Debug, Clone)]
pub struct NewTask {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id.
    pub task_id: Uuid,
    /// The patient.
    pub patient_id: String,
    /// Short title.
    pub title: String,
    /// Longer description.
    pub description: Option<String>,
    /// Priority.
    pub priority: String,
    /// Severity.
    pub severity: String,
    /// SLA minutes.
    pub sla_minutes: i32,
    /// Who creates it.
    pub origin: String,
    /// A step's key: a repeated attempt gets the task it created.
    pub origin_key: Option<String>,
    /// The interaction that raised it.
    pub interaction_id: Option<Uuid>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// Which tasks to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    /// Only this status.
    pub status: Option<String>,
    /// Only this nurse's.
    pub assignee_id: Option<Uuid>,
    /// Only this patient's.
    pub patient_id: Option<String>,
    /// Only tasks created before this one (the page cursor).
    pub before: Option<Uuid>,
    /// At most this many.
    pub limit: i64,
}
