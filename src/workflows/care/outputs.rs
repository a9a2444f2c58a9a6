//! The outputs of the care functions' steps (the check-in's are in
//! `checkin::outputs`), typed: each step writes one of these, a step after it reads
//! it back with `dep_as`. Field names are the stored JSON's; members an output does
//! not always carry default, so runs stored by an earlier version still finish.
//! Severities and statuses stay the text the store and the API use.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

fn is_false(b: &bool) -> bool {
    !*b
}

/// `assign` and `retry` of `assign-task`: whether the task found a nurse.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Assignment {
    /// True when the task is the nurse's.
    pub assigned: bool,
    /// The nurse, when assigned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nurse_id: Option<Uuid>,
    /// The task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<Uuid>,
    /// Nobody had room: `retry` tries again on a timer.
    #[serde(default, skip_serializing_if = "is_false")]
    pub waiting: bool,
    /// Tries made before giving up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tries: Option<u64>,
    /// Why it is not assigned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `retry` of `assign-task`: not needed, or how the retries ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Retried {
    /// The first try settled the task.
    NotNeeded {
        /// Always false.
        needed: bool,
    },
    /// How the retries ended.
    Tried(Assignment),
}

/// `warn` and `breach` of `monitor-sla`: whether the stage fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SlaStage {
    /// The task.
    pub task_id: Uuid,
    /// True when the stage was reached with the task open.
    pub fired: bool,
    /// When it fired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<DateTime<Utc>>,
    /// The nurse told, when the task had one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notified: Option<Uuid>,
    /// Why it did not fire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// `record` of `handle-checkin-response`: the reply stored and classified.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recorded {
    /// The stored reply.
    pub interaction_id: Uuid,
    /// Its patient.
    pub patient_id: String,
    /// The outreach plan it answers, if any.
    #[serde(default)]
    pub plan_id: Option<Uuid>,
    /// The severity it was classified with (`NONE` ... `CRITICAL`).
    pub severity: String,
    /// Ids of the rules that fired.
    #[serde(default)]
    pub matched_rules: Vec<String>,
    /// A one-line explanation naming rules only.
    #[serde(default)]
    pub reason: String,
    /// `rules`, `model` or `both`.
    #[serde(default)]
    pub decided_by: String,
    /// The rule table's severity.
    #[serde(default)]
    pub rules_severity: String,
    /// The model's opinion, when one was asked.
    #[serde(default)]
    pub model: Value,
}

/// `escalate` of `handle-checkin-response`: the task raised for the reply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplyEscalation {
    /// True for MODERATE and above (a follow-up task rather than a review).
    pub escalated: bool,
    /// The reply's severity.
    pub severity: String,
    /// The task.
    pub task_id: Uuid,
    /// The task's severity.
    pub task_severity: String,
    /// True when the patient is answered with the safety message.
    pub critical_reply: bool,
}

/// `task` of `review-unrouted-reply`: the review task raised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UnroutedReview {
    /// The unrouted reply.
    pub unrouted_reply_id: Uuid,
    /// The task.
    pub task_id: Uuid,
    /// The task's severity.
    pub severity: String,
    /// True when this run answers the sender with the safety message.
    pub critical_reply: bool,
}

/// Who a notification goes to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedRecipient {
    /// `nurse`, `escalation_contact`, `patient` or `address`.
    pub kind: String,
    /// Its id, when it has one.
    pub id: Option<String>,
}

/// `log` of `send-notification`: the notification logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Logged {
    /// The logged notification.
    pub notification_id: Uuid,
    /// Its kind.
    pub kind: String,
    /// Its channel.
    pub channel: String,
    /// Its recipient.
    pub recipient: LoggedRecipient,
    /// The unanswered call it stands in for, for a fallback SMS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback_for: Option<Uuid>,
}

impl Logged {
    /// The output for a notification just logged; `fallback_for` names the unanswered
    /// call a fallback SMS stands in for.
    pub fn of(row: crate::store::NotificationRow, fallback_for: Option<Uuid>) -> Self {
        Self {
            notification_id: row.notification_id,
            kind: row.kind,
            channel: row.channel,
            recipient: LoggedRecipient {
                kind: row.recipient_kind,
                id: row.recipient_id,
            },
            fallback_for,
        }
    }
}

/// `send` of `send-notification`: where the send ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sent {
    /// The notification.
    pub notification_id: Uuid,
    /// Its status (`SENT`, `FAILED`, `CANCELLED`, ...).
    pub status: String,
    /// The provider that took it.
    #[serde(default)]
    pub provider: Option<String>,
    /// The provider's id of it.
    #[serde(default)]
    pub provider_id: Option<String>,
    /// Why it failed.
    #[serde(default)]
    pub error: Option<String>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::workflows::support::output_tests::round_trip;

    #[test]
    fn assignments_read_in_every_shape_they_were_stored_in() {
        let id = Uuid::nil();
        let waiting: Assignment =
            round_trip(json!({"assigned": false, "taskId": id, "waiting": true}));
        assert!(waiting.waiting);
        let done: Assignment = round_trip(json!({"assigned": true, "nurseId": id, "taskId": id}));
        assert_eq!(done.nurse_id, Some(id));
        round_trip::<Assignment>(json!({"assigned": false}));
        round_trip::<Assignment>(
            json!({"assigned": false, "taskId": id, "tries": 3, "reason": "nobody"}),
        );
        let not_needed: Retried = round_trip(json!({"needed": false}));
        assert_eq!(not_needed, Retried::NotNeeded { needed: false });
        let tried: Retried = round_trip(json!({"assigned": true, "nurseId": id, "taskId": id}));
        assert!(matches!(tried, Retried::Tried(a) if a.assigned));
    }

    #[test]
    fn sla_stages_read_fired_or_quiet() {
        let id = Uuid::nil();
        round_trip::<SlaStage>(json!({"taskId": id, "fired": false, "reason": "task resolved"}));
        let fired: SlaStage = round_trip(
            json!({"taskId": id, "fired": true, "at": "2030-01-01T00:00:00Z", "notified": id}),
        );
        assert!(fired.fired);
        // Stored before by a stage without a nurse: `notified` was null.
        let unassigned: SlaStage = serde_json::from_value(
            json!({"taskId": id, "fired": true, "at": "2030-01-01T00:00:00Z", "notified": null}),
        )
        .expect("reads");
        assert_eq!(unassigned.notified, None);
    }

    #[test]
    fn a_recorded_reply_reads_as_stored() {
        let id = Uuid::nil();
        let typed: Recorded = round_trip(json!({
            "interactionId": id, "patientId": "p1", "planId": null, "severity": "HIGH",
            "matchedRules": ["chest_pain"], "reason": "rule chest_pain", "decidedBy": "rules",
            "rulesSeverity": "HIGH", "model": null,
        }));
        assert_eq!(typed.severity, "HIGH");
        round_trip::<ReplyEscalation>(json!({
            "escalated": true, "severity": "HIGH", "taskId": id, "taskSeverity": "HIGH",
            "criticalReply": false,
        }));
        round_trip::<UnroutedReview>(json!({
            "unroutedReplyId": id, "taskId": id, "severity": "LOW", "criticalReply": false,
        }));
    }

    #[test]
    fn notification_outputs_read_as_stored() {
        let id = Uuid::nil();
        let logged: Logged = round_trip(json!({
            "notificationId": id, "kind": "checkin", "channel": "sms",
            "recipient": {"kind": "patient", "id": "p1"},
        }));
        assert_eq!(logged.fallback_for, None);
        round_trip::<Logged>(json!({
            "notificationId": id, "kind": "message", "channel": "sms",
            "recipient": {"kind": "address", "id": null}, "fallbackFor": id,
        }));
        round_trip::<Sent>(json!({
            "notificationId": id, "status": "SENT", "provider": "twilio",
            "providerId": "SM1", "error": null,
        }));
        assert!(serde_json::from_value::<Logged>(json!({"notificationId": 7})).is_err());
    }
}
