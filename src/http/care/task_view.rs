//! Tasks as the API shows them: the answer types of `/v1/tasks` (which the API
//! description names), with the enums their stored values are read into.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::care::reference::task_reference;
use crate::domain::care::sla::{SlaStatus, sla_times};
use crate::http::stored::{Unlisted, enum_value};
use crate::store::TaskRow;

/// How severe a patient's situation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Nothing to act on.
    None,
    /// Low.
    Low,
    /// Moderate.
    Moderate,
    /// High.
    High,
    /// Critical.
    Critical,
}

/// How soon a task should be taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskPriority {
    /// Low.
    Low,
    /// Normal.
    Normal,
    /// High.
    High,
    /// Urgent: the assignee is called.
    Urgent,
}

/// Where a task is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// Nobody holds it.
    Open,
    /// A nurse holds it.
    Assigned,
    /// Done.
    Resolved,
}

/// What made a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskOrigin {
    /// `POST /v1/tasks`.
    Api,
    /// A patient's reply to a check-in.
    CheckinResponse,
    /// A check-in nobody answered.
    CheckinNoReply,
    /// A reply that could be from several patients.
    UnroutedReply,
}

/// Where a task stands against its SLA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SlaStanding {
    /// Before the warning.
    OnTrack,
    /// Past the warning.
    AtRisk,
    /// Past the breach.
    Breached,
}

impl From<SlaStatus> for SlaStanding {
    fn from(s: SlaStatus) -> Self {
        match s {
            SlaStatus::OnTrack => Self::OnTrack,
            SlaStatus::AtRisk => Self::AtRisk,
            SlaStatus::Breached => Self::Breached,
        }
    }
}

/// A task's SLA timetable.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskSla {
    /// When the SLA warning falls due (75% of the SLA).
    pub warn_at: DateTime<Utc>,
    /// When the SLA is breached.
    pub breach_at: DateTime<Utc>,
    /// When the warning was sent.
    #[schema(required = true)]
    pub warned_at: Option<DateTime<Utc>>,
    /// When the breach was announced.
    #[schema(required = true)]
    pub breached_at: Option<DateTime<Utc>>,
    /// Standing now; `null` once resolved.
    #[schema(required = true)]
    pub standing: Option<SlaStanding>,
}

/// A task for a nurse, with its SLA timetable.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    /// Id.
    pub task_id: Uuid,
    /// Short reference, unique in the tenant, quoted in task SMS.
    #[schema(example = "T-0042")]
    pub reference: String,
    /// The patient.
    pub patient_id: String,
    /// Title.
    pub title: String,
    /// Details.
    #[schema(required = true)]
    pub description: Option<String>,
    /// Priority.
    pub priority: TaskPriority,
    /// Severity.
    pub severity: Severity,
    /// Minutes from creation to breach.
    pub sla_minutes: i32,
    /// Status.
    pub status: TaskStatus,
    /// The nurse who holds it.
    #[schema(required = true)]
    pub assignee_id: Option<Uuid>,
    /// What made it.
    pub origin: TaskOrigin,
    /// The patient interaction that made it.
    #[schema(required = true)]
    pub interaction_id: Option<Uuid>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Assigned.
    #[schema(required = true)]
    pub assigned_at: Option<DateTime<Utc>>,
    /// Resolved.
    #[schema(required = true)]
    pub resolved_at: Option<DateTime<Utc>>,
    /// How it was resolved.
    #[schema(required = true)]
    pub resolution: Option<String>,
    /// SLA timetable.
    pub sla: TaskSla,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl Task {
    /// The task `t` as shown at `now` (its SLA standing moves with the clock).
    pub fn of(t: &TaskRow, now: DateTime<Utc>) -> Result<Self, Unlisted> {
        let times = sla_times(t.created_at, u32::try_from(t.sla_minutes).unwrap_or(0));
        let status: TaskStatus = enum_value("tasks.status", &t.status)?;
        Ok(Self {
            task_id: t.task_id,
            reference: task_reference(t.reference_number, t.task_id),
            patient_id: t.patient_id.clone(),
            title: t.title.clone(),
            description: t.description.clone(),
            priority: enum_value("tasks.priority", &t.priority)?,
            severity: enum_value("tasks.severity", &t.severity)?,
            sla_minutes: t.sla_minutes,
            status,
            assignee_id: t.assignee_id,
            origin: enum_value("tasks.origin", &t.origin)?,
            interaction_id: t.interaction_id,
            created_at: t.created_at,
            assigned_at: t.assigned_at,
            resolved_at: t.resolved_at,
            resolution: t.resolution.clone(),
            sla: TaskSla {
                warn_at: times.warn_at,
                breach_at: times.breach_at,
                warned_at: t.sla_warned_at,
                breached_at: t.sla_breached_at,
                standing: (status != TaskStatus::Resolved).then(|| times.status_at(now).into()),
            },
            updated_at: t.updated_at,
        })
    }
}

/// `GET /v1/tasks`: a page of tasks, newest first.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskPage {
    /// The tasks.
    pub tasks: Vec<Task>,
    /// `cursor` of the next page; `null` on the last one.
    #[schema(required = true)]
    pub next_cursor: Option<Uuid>,
}

/// `200` of `POST /v1/tasks/{id}/resolve`: the task, and whether this call resolved it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedTask {
    /// The task.
    #[serde(flatten)]
    pub task: Task,
    /// False when it was resolved already (nothing changed).
    pub resolved_now: bool,
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;
    use crate::store::TenantId;

    fn row(status: &str) -> TaskRow {
        let at = Utc.with_ymd_and_hms(2025, 3, 3, 14, 0, 0).unwrap();
        TaskRow {
            tenant_id: TenantId::parse("t").unwrap(),
            task_id: Uuid::nil(),
            patient_id: "p-1".into(),
            title: "Call back".into(),
            description: None,
            priority: "normal".into(),
            severity: "MODERATE".into(),
            sla_minutes: 60,
            status: status.into(),
            assignee_id: None,
            origin: "checkin-response".into(),
            origin_key: None,
            interaction_id: None,
            created_at: at,
            assigned_at: None,
            resolved_at: None,
            resolution: None,
            sla_warned_at: None,
            sla_breached_at: None,
            updated_at: at,
            reference_number: Some(42),
        }
    }

    #[test]
    fn a_task_keeps_the_members_and_spellings_it_always_had() {
        let now = Utc.with_ymd_and_hms(2025, 3, 3, 14, 50, 0).unwrap();
        let task = Task::of(&row("OPEN"), now).unwrap();
        let value = serde_json::to_value(ResolvedTask {
            task,
            resolved_now: false,
        })
        .unwrap();
        assert_eq!(
            value,
            json!({
                "taskId": "00000000-0000-0000-0000-000000000000",
                "reference": "T-0042",
                "patientId": "p-1",
                "title": "Call back",
                "description": null,
                "priority": "normal",
                "severity": "moderate",
                "slaMinutes": 60,
                "status": "open",
                "assigneeId": null,
                "origin": "checkin_response",
                "interactionId": null,
                "createdAt": "2025-03-03T14:00:00Z",
                "assignedAt": null,
                "resolvedAt": null,
                "resolution": null,
                "sla": {
                    "warnAt": "2025-03-03T14:45:00Z",
                    "breachAt": "2025-03-03T15:00:00Z",
                    "warnedAt": null,
                    "breachedAt": null,
                    "standing": "at_risk",
                },
                "updatedAt": "2025-03-03T14:00:00Z",
                "resolvedNow": false,
            })
        );
        let resolved = Task::of(&row("RESOLVED"), now).unwrap();
        assert_eq!(resolved.sla.standing, None);
        assert!(Task::of(&row("LOST"), now).is_err());
    }
}
