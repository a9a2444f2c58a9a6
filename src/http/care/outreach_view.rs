//! A patient's outreach as `GET /v1/patients/{id}/outreach` shows it: plans with
//! their check-ins (and the delivery of each check-in SMS), the patient's
//! interactions with their classification, notifications about the patient and the
//! consent of the newest plan's number. The patient's number is shown masked.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::notification_view::{Notification, NotificationStatus};
use super::task_view::Severity;
use crate::http::stored::{Unlisted, enum_value, json_value, optional_enum};
use crate::store::{AttemptRow, ConsentChangeRow, InteractionRow, NotificationRow, PlanRow};

/// Where an outreach plan is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanStatus {
    /// Check-ins go on.
    Active,
    /// Every check-in was done.
    Completed,
    /// Silence or a reply made a task.
    Escalated,
    /// Readmission, death or a new plan ended it.
    Cancelled,
    /// The patient's number opted out of SMS.
    OptedOut,
}

/// Where a check-in attempt is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AttemptStatus {
    /// Sent; no reply yet.
    AwaitingReply,
    /// The patient replied.
    Responded,
    /// No reply within the timeout.
    NoResponse,
    /// The plan ended first.
    Cancelled,
}

/// The delivery of a check-in SMS.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AttemptNotification {
    /// The notification.
    pub notification_id: Uuid,
    /// Its status.
    pub status: NotificationStatus,
    /// Why it failed.
    #[schema(required = true)]
    pub error: Option<String>,
}

/// One check-in of a plan.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CheckinAttempt {
    /// Id.
    pub attempt_id: Uuid,
    /// 1 for the first check-in.
    pub number: i32,
    /// How it was sent (`sms`).
    pub channel: String,
    /// Status.
    pub status: AttemptStatus,
    /// Sent.
    pub sent_at: DateTime<Utc>,
    /// Ended.
    #[schema(required = true)]
    pub finished_at: Option<DateTime<Utc>>,
    /// The reply.
    #[schema(required = true)]
    pub interaction_id: Option<Uuid>,
    /// The SMS that carried it; `null` before it was logged.
    #[schema(required = true)]
    pub notification: Option<AttemptNotification>,
}

/// An outreach plan after a discharge.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct OutreachPlan {
    /// Id.
    pub plan_id: Uuid,
    /// Status.
    pub status: PlanStatus,
    /// The patient's number, masked: `***1234`.
    #[schema(example = "***4567")]
    pub phone: String,
    /// The discharge.
    pub discharged_at: DateTime<Utc>,
    /// Check-ins at most.
    pub max_attempts: i32,
    /// Seconds a check-in waits for a reply.
    pub reply_timeout_secs: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Ended.
    #[schema(required = true)]
    pub finished_at: Option<DateTime<Utc>>,
    /// Check-ins, first first.
    pub attempts: Vec<CheckinAttempt>,
}

/// Who set an interaction's severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DecidedBy {
    /// The rule table.
    Rules,
    /// The model, which rated it higher.
    Model,
    /// Both, agreeing.
    Both,
}

/// A message from or to a patient, with its classification.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Interaction {
    /// Id.
    pub interaction_id: Uuid,
    /// The plan it answers.
    #[schema(required = true)]
    pub plan_id: Option<Uuid>,
    /// `sms`.
    pub channel: String,
    /// `inbound` or `outbound`.
    pub direction: String,
    /// The message.
    pub text: String,
    /// Severity, once classified.
    #[schema(required = true)]
    pub severity: Option<Severity>,
    /// The rules that matched.
    #[schema(required = true)]
    pub matched_rules: Option<Vec<String>>,
    /// Why the severity was given.
    #[schema(required = true)]
    pub reason: Option<String>,
    /// Who set the severity.
    #[schema(required = true)]
    pub decided_by: Option<DecidedBy>,
    /// The task it made.
    #[schema(required = true)]
    pub task_id: Option<Uuid>,
    /// Received.
    pub received_at: DateTime<Utc>,
    /// Classified.
    #[schema(required = true)]
    pub classified_at: Option<DateTime<Utc>>,
}

impl Interaction {
    fn of(i: &InteractionRow) -> Result<Self, Unlisted> {
        Ok(Self {
            interaction_id: i.interaction_id,
            plan_id: i.plan_id,
            channel: i.channel.clone(),
            direction: i.direction.clone(),
            text: i.body.clone(),
            severity: optional_enum("interactions.severity", i.severity.as_deref())?,
            matched_rules: i
                .matched_rules
                .as_ref()
                .map(|r| json_value("interactions.matched_rules", r.0.clone()))
                .transpose()?,
            reason: i.reason.clone(),
            decided_by: optional_enum("interactions.classified_by", i.classified_by.as_deref())?,
            task_id: i.task_id,
            received_at: i.received_at,
            classified_at: i.classified_at,
        })
    }
}

/// The latest opt-out or opt-in keyword a number sent.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SmsConsent {
    /// True after an opt-out keyword.
    pub opted_out: bool,
    /// The keyword (`STOP`, `START`, ...).
    pub keyword: String,
    /// When it arrived.
    pub at: DateTime<Utc>,
}

/// `GET /v1/patients/{id}/outreach`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Outreach {
    /// The patient.
    pub patient_id: String,
    /// Plans, oldest first.
    pub plans: Vec<OutreachPlan>,
    /// Messages from and to the patient.
    pub interactions: Vec<Interaction>,
    /// Notifications about the patient, newest first.
    pub notifications: Vec<Notification>,
    /// Consent of the newest plan's number; `null` when it sent no keyword.
    #[schema(required = true)]
    pub sms_consent: Option<SmsConsent>,
}

/// What the store holds about a patient's outreach, read for one answer.
pub struct OutreachRecords {
    /// Plans, oldest first.
    pub plans: Vec<PlanRow>,
    /// Check-ins of every plan.
    pub attempts: Vec<AttemptRow>,
    /// Messages from and to the patient.
    pub interactions: Vec<InteractionRow>,
    /// Notifications about the patient, newest first.
    pub notifications: Vec<NotificationRow>,
    /// The latest keyword of the newest plan's number.
    pub consent: Option<ConsentChangeRow>,
}

impl Outreach {
    /// The answer about `patient`: each check-in with the SMS that carried it.
    pub fn of(patient: String, records: &OutreachRecords) -> Result<Self, Unlisted> {
        let by_attempt: HashMap<Uuid, &NotificationRow> = records
            .notifications
            .iter()
            .filter_map(|n| n.attempt_id.map(|a| (a, n)))
            .collect();
        let attempt = |a: &AttemptRow| -> Result<CheckinAttempt, Unlisted> {
            let notification = by_attempt
                .get(&a.attempt_id)
                .map(|n| -> Result<AttemptNotification, Unlisted> {
                    Ok(AttemptNotification {
                        notification_id: n.notification_id,
                        status: enum_value("notifications.status", &n.status)?,
                        error: n.error.clone(),
                    })
                })
                .transpose()?;
            Ok(CheckinAttempt {
                attempt_id: a.attempt_id,
                number: a.attempt_number,
                channel: a.channel.clone(),
                status: enum_value("outreach_attempts.status", &a.status)?,
                sent_at: a.sent_at,
                finished_at: a.finished_at,
                interaction_id: a.interaction_id,
                notification,
            })
        };
        let plans = records
            .plans
            .iter()
            .map(|p| -> Result<OutreachPlan, Unlisted> {
                Ok(OutreachPlan {
                    plan_id: p.plan_id,
                    status: enum_value("outreach_plans.status", &p.status)?,
                    phone: masked(&p.phone),
                    discharged_at: p.discharged_at,
                    max_attempts: p.max_attempts,
                    reply_timeout_secs: p.reply_timeout_secs,
                    created_at: p.created_at,
                    finished_at: p.finished_at,
                    attempts: records
                        .attempts
                        .iter()
                        .filter(|a| a.plan_id == p.plan_id)
                        .map(attempt)
                        .collect::<Result<_, _>>()?,
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            patient_id: patient,
            plans,
            interactions: records
                .interactions
                .iter()
                .map(Interaction::of)
                .collect::<Result<_, _>>()?,
            notifications: records
                .notifications
                .iter()
                .map(Notification::of)
                .collect::<Result<_, _>>()?,
            sms_consent: records.consent.as_ref().map(|c| SmsConsent {
                opted_out: c.action == "opt_out",
                keyword: c.keyword.clone(),
                at: c.received_at,
            }),
        })
    }
}

/// The last four digits of a number, the rest hidden.
fn masked(phone: &str) -> String {
    let tail: String = phone
        .chars()
        .rev()
        .take(4)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    format!("***{tail}")
}

#[cfg(test)]
mod tests {
    use super::masked;

    #[test]
    fn only_the_last_four_digits_of_a_number_show() {
        assert_eq!(masked("+15551234567"), "***4567");
        assert_eq!(masked("12"), "***12");
    }
}
