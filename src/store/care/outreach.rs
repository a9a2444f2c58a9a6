//! Rows of outreach plans, attempts and interactions, and what is written to create
//! them.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use crate::store::TenantId;

/// A post-discharge outreach plan.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PlanRow {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id.
    pub plan_id: Uuid,
    /// The creating step's key.
    pub origin_key: String,
    /// The patient.
    pub patient_id: String,
    /// The patient's E.164 number.
    pub phone: String,
    /// The patient's name, for the greeting.
    pub patient_name: Option<String>,
    /// Discharge time.
    pub discharged_at: DateTime<Utc>,
    /// `ACTIVE`, `COMPLETED`, `ESCALATED`.
    pub status: String,
    /// Check-ins in all.
    pub max_attempts: i32,
    /// Wait for a reply, in seconds.
    pub reply_timeout_secs: i64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// When it completed or escalated.
    pub finished_at: Option<DateTime<Utc>>,
}

/// A plan to store.
#[derive(Debug, Clone)]
pub struct NewPlan {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id.
    pub plan_id: Uuid,
    /// The creating step's key.
    pub origin_key: String,
    /// The patient.
    pub patient_id: String,
    /// E.164 number.
    pub phone: String,
    /// Name.
    pub patient_name: Option<String>,
    /// Discharge time.
    pub discharged_at: DateTime<Utc>,
    /// Check-ins in all.
    pub max_attempts: i32,
    /// Wait for a reply, in seconds.
    pub reply_timeout_secs: i64,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// One check-in of a plan.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttemptRow {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id.
    pub attempt_id: Uuid,
    /// The plan.
    pub plan_id: Uuid,
    /// 1, 2, ...
    pub attempt_number: i32,
    /// `sms`.
    pub channel: String,
    /// `AWAITING_REPLY`, `RESPONDED`, `NO_RESPONSE`.
    pub status: String,
    /// The reply.
    pub interaction_id: Option<Uuid>,
    /// When the check-in was sent for.
    pub sent_at: DateTime<Utc>,
    /// When it was answered or timed out.
    pub finished_at: Option<DateTime<Utc>>,
}

/// An attempt to store.
#[derive(Debug, Clone)]
pub struct NewAttempt {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id.
    pub attempt_id: Uuid,
    /// The plan.
    pub plan_id: Uuid,
    /// 1, 2, ...
    pub attempt_number: i32,
    /// `sms`.
    pub channel: String,
    /// Sending time.
    pub sent_at: DateTime<Utc>,
}

/// Something a patient said (a check-in reply).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InteractionRow {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id.
    pub interaction_id: Uuid,
    /// The patient.
    pub patient_id: String,
    /// The outreach plan it answers.
    pub plan_id: Option<Uuid>,
    /// `sms`, `api`, ...
    pub channel: String,
    /// `inbound`.
    pub direction: String,
    /// What the patient said.
    pub body: String,
    /// Twilio's id of the inbound SMS.
    pub message_sid: Option<String>,
    /// The event that carried it.
    pub origin_key: Option<String>,
    /// Classified severity.
    pub severity: Option<String>,
    /// The rules that fired.
    pub matched_rules: Option<Json<Value>>,
    /// The classifier's explanation (rule ids only).
    pub reason: Option<String>,
    /// The task it raised.
    pub task_id: Option<Uuid>,
    /// Arrival time.
    pub received_at: DateTime<Utc>,
    /// Classification time.
    pub classified_at: Option<DateTime<Utc>>,
    /// Who set the severity: `rules`, `model` or `both`.
    pub classified_by: Option<String>,
}

/// An interaction to store.
#[derive(Debug, Clone)]
pub struct NewInteraction {
    /// Tenant.
    pub tenant_id: TenantId,
    /// Id.
    pub interaction_id: Uuid,
    /// The patient.
    pub patient_id: String,
    /// The plan it answers.
    pub plan_id: Option<Uuid>,
    /// Channel.
    pub channel: String,
    /// What the patient said.
    pub body: String,
    /// Twilio's id (deduplicates repeated webhooks).
    pub message_sid: Option<String>,
    /// The carrying event (deduplicates repeated attempts).
    pub origin_key: Option<String>,
    /// Arrival time.
    pub received_at: DateTime<Utc>,
}

/// A classification to record.
#[derive(Debug, Clone)]
pub struct Classified {
    /// Severity name.
    pub severity: String,
    /// Rule ids.
    pub matched_rules: Value,
    /// Explanation.
    pub reason: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Who set the severity: `rules`, `model` or `both`.
    pub decided_by: String,
}
