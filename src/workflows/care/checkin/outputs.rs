//! The outputs of `schedule-checkin`'s steps, typed: `plan` → `sleep` → (`checkin-n`
//! → `await-n`)… → `escalate`, each reading the one before it with `dep_as`. Field
//! names are the stored JSON's; members an output does not always carry default, so
//! plans stored by an earlier version still finish.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::engine::{StepContext, StepError};

fn is_false(b: &bool) -> bool {
    !*b
}

/// `plan`: the outreach plan created.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Planned {
    /// The plan.
    pub plan_id: Uuid,
    /// Check-ins it allows.
    pub max_attempts: i32,
    /// How long each waits for a reply, in seconds.
    pub reply_timeout_secs: i64,
}

/// `sleep`: the first check-in is due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Due {
    /// When it was due.
    pub due_at: DateTime<Utc>,
    /// The plan.
    pub plan_id: Uuid,
}

/// `checkin-n`: the check-in recorded and asked for, or why none was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckinSent {
    /// The plan.
    pub plan_id: Uuid,
    /// The attempt recorded, when one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt_id: Option<Uuid>,
    /// Its number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt: Option<u32>,
    /// When it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<DateTime<Utc>>,
    /// True when the SMS was asked for.
    pub sent: bool,
    /// The patient had replied already.
    #[serde(default, skip_serializing_if = "is_false")]
    pub replied: bool,
    /// Why outreach stopped (`opted_out`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

impl CheckinSent {
    /// Nothing sent: the plan is `plan_id`, and the patient replied or outreach
    /// `stopped`.
    pub(super) fn skipped(plan_id: Uuid, replied: bool, stopped: Option<String>) -> Self {
        Self {
            plan_id,
            attempt_id: None,
            attempt: None,
            sent_at: None,
            sent: false,
            replied,
            stopped,
        }
    }
}

/// `await-n`: whether the patient replied to check-in n.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReplyAwaited {
    /// The plan.
    pub plan_id: Uuid,
    /// The attempt waited on, when one was sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt_id: Option<Uuid>,
    /// True when the patient replied (now, or before this check-in).
    pub replied: bool,
    /// The reply, when the event named it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interaction_id: Option<Uuid>,
    /// Why outreach stopped (`opted_out`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

/// `escalate`: the task raised after silence, or why none was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Escalated {
    /// The plan.
    pub plan_id: Uuid,
    /// True when a task was raised.
    pub escalated: bool,
    /// The task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_id: Option<Uuid>,
}

/// Where outreach stands after `step`, which is `sleep` or an `await-n`: the plan,
/// whether the patient replied, and why outreach stopped, if it did.
pub(super) struct Standing {
    /// The plan.
    pub plan_id: Uuid,
    /// True when the patient replied.
    pub replied: bool,
    /// Why outreach stopped, if it did.
    pub stopped: Option<String>,
}

impl Standing {
    /// Reads the output of `step` as the step of that name writes it.
    pub(super) fn after(ctx: &StepContext, step: &str) -> Result<Self, StepError> {
        if step == "sleep" {
            let due: Due = ctx.dep_as(step)?;
            return Ok(Self {
                plan_id: due.plan_id,
                replied: false,
                stopped: None,
            });
        }
        let awaited: ReplyAwaited = ctx.dep_as(step)?;
        Ok(Self {
            plan_id: awaited.plan_id,
            replied: awaited.replied,
            stopped: awaited.stopped,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::workflows::support::output_tests::round_trip;

    #[test]
    fn plan_and_due_read_as_stored() {
        let id = Uuid::nil();
        round_trip::<Planned>(json!({"planId": id, "maxAttempts": 2, "replyTimeoutSecs": 3600}));
        round_trip::<Due>(json!({"dueAt": "2030-01-01T09:00:00Z", "planId": id}));
    }

    #[test]
    fn checkins_read_sent_replied_or_stopped() {
        let id = Uuid::nil();
        let sent: CheckinSent = round_trip(json!({
            "planId": id, "attemptId": id, "attempt": 1,
            "sentAt": "2030-01-01T09:00:00Z", "sent": true,
        }));
        assert!(sent.sent);
        let replied: CheckinSent =
            round_trip(json!({"planId": id, "sent": false, "replied": true}));
        assert!(replied.replied);
        let stopped: CheckinSent =
            round_trip(json!({"planId": id, "sent": false, "stopped": "opted_out"}));
        assert_eq!(stopped.stopped.as_deref(), Some("opted_out"));
    }

    #[test]
    fn waits_and_escalations_read_as_stored() {
        let id = Uuid::nil();
        round_trip::<ReplyAwaited>(json!({
            "planId": id, "attemptId": id, "replied": true, "interactionId": id,
        }));
        round_trip::<ReplyAwaited>(json!({"planId": id, "attemptId": id, "replied": false}));
        round_trip::<ReplyAwaited>(json!({"planId": id, "replied": false, "stopped": "opted_out"}));
        // A reply whose event named no interaction was stored with a null id.
        let unnamed: ReplyAwaited = serde_json::from_value(json!({
            "planId": id, "attemptId": id, "replied": true, "interactionId": null,
        }))
        .expect("reads");
        assert_eq!(unnamed.interaction_id, None);
        round_trip::<Escalated>(json!({"planId": id, "escalated": true, "taskId": id}));
        round_trip::<Escalated>(json!({"planId": id, "escalated": false}));
        assert!(serde_json::from_value::<Escalated>(json!({"escalated": true})).is_err());
    }
}
