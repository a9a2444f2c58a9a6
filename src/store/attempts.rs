//! The attempt history of steps: one row per attempt, started in the commit that
//! starts the attempt and closed in the commit that records its outcome. The engine
//! says what happened to attempts as [`AttemptMark`]s on the step writes it commits;
//! the store turns them into rows within the same transaction.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use sqlx::types::Json;

use super::{RunId, StoreResult, TenantId};

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttemptOutcome {
    /// The step completed.
    Completed,
    /// The step's code reported an error.
    Failed,
    /// The attempt hit its deadline.
    TimedOut,
    /// The attempt never reported: the replica running it stopped.
    Lost,
    /// The run was cancelled while the attempt ran.
    Cancelled,
}

impl AttemptOutcome {
    /// The stored and serialized name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::TimedOut => "timedOut",
            Self::Lost => "lost",
            Self::Cancelled => "cancelled",
        }
    }
}

impl FromStr for AttemptOutcome {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            Self::Completed,
            Self::Failed,
            Self::TimedOut,
            Self::Lost,
            Self::Cancelled,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
        .ok_or_else(|| format!("unknown attempt outcome: {s}"))
    }
}

impl fmt::Display for AttemptOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happened to one of a step's attempts since the last commit. Marks are
/// applied in order, so an attempt can end and the next one start in one commit.
#[derive(Debug, Clone, PartialEq)]
pub enum AttemptMark {
    /// Attempt `attempt` started (on the replica committing it).
    Started {
        /// Its number, from 1.
        attempt: i32,
        /// When.
        at: DateTime<Utc>,
    },
    /// Attempt `attempt`, still open, ended.
    Ended {
        /// Its number.
        attempt: i32,
        /// When.
        at: DateTime<Utc>,
        /// How.
        outcome: AttemptOutcome,
        /// The error the step reported, as stored on the step.
        error: Option<Value>,
    },
    /// Attempt `attempt`, still open, did nothing (a provider's breaker was open)
    /// and its number is given back: its row is removed.
    GivenBack {
        /// Its number.
        attempt: i32,
    },
}

/// A stored attempt.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StepAttemptRow {
    /// The step.
    pub step_name: String,
    /// Its number within the step (from 1 again after a retry of the run).
    pub attempt: i32,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// End; `None` while it lasts (or while the step is parked on a timer or event).
    pub ended_at: Option<DateTime<Utc>>,
    /// How it ended.
    pub outcome: Option<String>,
    /// The error it reported.
    pub error: Option<Json<Value>>,
    /// The replica that ran it (its lease owner id).
    pub replica: String,
}

/// Reading the attempt history.
#[async_trait]
pub trait AttemptStore {
    /// Every attempt of a run's steps, by step and then in start order.
    async fn step_attempts(
        &self,
        tenant: &TenantId,
        run: RunId,
    ) -> StoreResult<Vec<StepAttemptRow>>;
}
