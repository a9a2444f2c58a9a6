//! Nurses and shifts as the API shows them (`/v1/nurses`): who assignment chooses
//! from, and when.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::stored::{Unlisted, enum_value};
use crate::store::{NurseRow, ShiftRow};

/// How a nurse prefers to be told of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PreferredChannel {
    /// A text message to `phone`.
    Sms,
    /// An email to `email`.
    Email,
    /// A call to `phone`.
    Voice,
}

/// A shift during which a nurse can be assigned tasks.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Shift {
    /// Id.
    pub shift_id: Uuid,
    /// The nurse.
    pub nurse_id: Uuid,
    /// Start.
    pub starts_at: DateTime<Utc>,
    /// End.
    pub ends_at: DateTime<Utc>,
}

impl From<&ShiftRow> for Shift {
    fn from(s: &ShiftRow) -> Self {
        Self {
            shift_id: s.shift_id,
            nurse_id: s.nurse_id,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
        }
    }
}

/// A nurse assignment can choose.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Nurse {
    /// Id.
    pub nurse_id: Uuid,
    /// Name.
    pub name: String,
    /// E.164 number.
    #[schema(required = true)]
    pub phone: Option<String>,
    /// Email address.
    #[schema(required = true)]
    pub email: Option<String>,
    /// How the nurse is told of a task.
    pub preferred_channel: PreferredChannel,
    /// Open tasks the nurse may hold at once.
    pub max_open_tasks: i32,
    /// Assignable at all.
    pub active: bool,
    /// Active and within a shift now.
    pub on_shift: bool,
    /// When a task was last assigned to the nurse.
    #[schema(required = true)]
    pub last_assigned_at: Option<DateTime<Utc>>,
    /// Tasks assigned so far.
    pub assignment_count: i64,
    /// Current and upcoming shifts.
    pub shifts: Vec<Shift>,
    /// Added.
    pub created_at: DateTime<Utc>,
}

impl Nurse {
    /// The nurse `n` with `shifts` (theirs, current and upcoming), as at `now`.
    pub fn of(n: &NurseRow, shifts: &[&ShiftRow], now: DateTime<Utc>) -> Result<Self, Unlisted> {
        let on_shift = shifts.iter().any(|s| s.starts_at <= now && now < s.ends_at);
        Ok(Self {
            nurse_id: n.nurse_id,
            name: n.name.clone(),
            phone: n.phone.clone(),
            email: n.email.clone(),
            preferred_channel: enum_value("nurses.preferred_channel", &n.preferred_channel)?,
            max_open_tasks: n.max_open_tasks,
            active: n.active,
            on_shift: n.active && on_shift,
            last_assigned_at: n.last_assigned_at,
            assignment_count: n.assignment_count,
            shifts: shifts.iter().map(|s| Shift::from(*s)).collect(),
            created_at: n.created_at,
        })
    }
}

/// `GET /v1/nurses`.
#[derive(Debug, Serialize, ToSchema)]
pub struct NurseList {
    /// Every nurse of the tenant, by name.
    pub nurses: Vec<Nurse>,
}
