//! The attempt history of steps. A step's latest attempt lives on its step row
//! ([`CurrentAttempt`], migration 0144), written by the same update that writes the
//! step; an attempt moves to the `step_attempts` table only when a newer one starts.
//! A step that succeeds at its first attempt, the common case, so writes no history
//! row at all, yet its attempt shows while it lasts and is found lost when its
//! replica dies, as before. The engine says what happened to attempts as
//! [`AttemptMark`]s on the step writes it commits; [`replay`] turns them into what
//! the commit writes, within the same transaction.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::types::Json;
use uuid::Uuid;

use super::{RunId, StepWrite, StoreResult, TenantId};

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
        /// Its id: time-ordered, so the history sorts in start order.
        id: Uuid,
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

/// A step's latest attempt, as its step row keeps it (JSON, camelCase).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CurrentAttempt {
    /// Time-ordered id.
    pub id: Uuid,
    /// Its number within the step.
    pub attempt: i32,
    /// Start.
    pub started_at: DateTime<Utc>,
    /// End; `None` while it lasts (or while the step is parked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
    /// How it ended ([`AttemptOutcome::as_str`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// The error it reported.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<Value>,
    /// The replica that ran it.
    pub replica: String,
}

impl CurrentAttempt {
    /// The attempt as a history row of step `step`.
    pub fn into_row(self, step: &str) -> StepAttemptRow {
        StepAttemptRow {
            step_name: step.to_string(),
            attempt_id: self.id,
            attempt: self.attempt,
            started_at: self.started_at,
            ended_at: self.ended_at,
            outcome: self.outcome,
            error: self.error.map(Json),
            replica: self.replica,
        }
    }
}

/// What a commit writes for one step's attempt marks (see [`replay`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AttemptWrites {
    /// The step row's latest attempt after the marks.
    pub current: Option<CurrentAttempt>,
    /// Attempts a newer one superseded: inserted into the history table.
    pub archived: Vec<CurrentAttempt>,
    /// Ends of attempts the step row does not hold (written to the history table
    /// before the step row kept its latest attempt): `(attempt, at, outcome, error)`.
    pub table_ends: Vec<(i32, DateTime<Utc>, AttemptOutcome, Option<Value>)>,
    /// Given-back attempts the step row does not hold: removed from the table.
    pub table_backs: Vec<i32>,
}

/// Applies `step`'s marks, in order, to the latest attempt its row holds, for a
/// commit by `replica`. A pure function of its inputs, so the store and the engine
/// (which keeps the result once the commit holds) reach the same answer.
pub fn replay(step: &StepWrite, replica: &str) -> AttemptWrites {
    let mut w = AttemptWrites {
        current: step.attempt.clone(),
        ..AttemptWrites::default()
    };
    for mark in &step.attempt_marks {
        match mark {
            AttemptMark::Started { id, attempt, at } => {
                w.archived.extend(w.current.take());
                w.current = Some(CurrentAttempt {
                    id: *id,
                    attempt: *attempt,
                    started_at: *at,
                    ended_at: None,
                    outcome: None,
                    error: None,
                    replica: replica.to_string(),
                });
            }
            AttemptMark::Ended {
                attempt,
                at,
                outcome,
                error,
            } => match w.current.as_mut() {
                Some(c) if c.attempt == *attempt && c.ended_at.is_none() => {
                    c.ended_at = Some(*at);
                    c.outcome = Some(outcome.as_str().to_string());
                    c.error = error.clone();
                }
                _ => w.table_ends.push((*attempt, *at, *outcome, error.clone())),
            },
            AttemptMark::GivenBack { attempt } => match &w.current {
                Some(c) if c.attempt == *attempt && c.ended_at.is_none() => w.current = None,
                _ => w.table_backs.push(*attempt),
            },
        }
    }
    w
}

/// A stored attempt.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StepAttemptRow {
    /// The step.
    pub step_name: String,
    /// Time-ordered id: the history's order.
    pub attempt_id: Uuid,
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

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(1_700_000_000 + s, 0).unwrap()
    }

    fn started(n: i32, s: i64) -> AttemptMark {
        AttemptMark::Started {
            id: Uuid::from_u128(n as u128),
            attempt: n,
            at: at(s),
        }
    }

    fn ended(n: i32, s: i64, outcome: AttemptOutcome) -> AttemptMark {
        AttemptMark::Ended {
            attempt: n,
            at: at(s),
            outcome,
            error: (outcome != AttemptOutcome::Completed).then(|| json!({"message": "no"})),
        }
    }

    fn step(marks: Vec<AttemptMark>) -> StepWrite {
        let mut s = StepWrite::pending("fetch", 0);
        s.attempt_marks = marks;
        s
    }

    #[test]
    fn a_first_attempt_stays_on_the_step_row_and_writes_no_history_row() {
        let mut s = step(vec![started(1, 1)]);
        let w = replay(&s, "a");
        assert!(w.archived.is_empty() && w.table_ends.is_empty());
        assert_eq!(
            w.current.as_ref().map(|c| (c.attempt, c.ended_at)),
            Some((1, None))
        );
        s.settle_attempts("a");
        s.attempt_marks = vec![ended(1, 2, AttemptOutcome::Completed)];
        let w = replay(&s, "b");
        assert!(w.archived.is_empty() && w.table_ends.is_empty());
        let c = w.current.unwrap();
        assert_eq!(
            (c.ended_at, c.outcome.as_deref(), c.replica.as_str()),
            (Some(at(2)), Some("completed"), "a"),
            "the replica is the one that started it"
        );
    }

    #[test]
    fn a_newer_attempt_moves_the_previous_one_to_the_history_in_one_commit() {
        let s = step(vec![
            started(1, 1),
            ended(1, 2, AttemptOutcome::Failed),
            started(2, 3),
        ]);
        let w = replay(&s, "a");
        let old: Vec<_> = w
            .archived
            .iter()
            .map(|a| (a.attempt, a.ended_at, a.outcome.as_deref()))
            .collect();
        assert_eq!(old, [(1, Some(at(2)), Some("failed"))]);
        assert_eq!(w.current.map(|c| (c.attempt, c.ended_at)), Some((2, None)));
    }

    #[test]
    fn a_given_back_attempt_leaves_no_trace_and_the_earlier_one_stays() {
        let mut s = step(vec![
            started(1, 1),
            ended(1, 2, AttemptOutcome::Failed),
            started(2, 3),
        ]);
        s.settle_attempts("a");
        s.attempt_marks = vec![AttemptMark::GivenBack { attempt: 2 }];
        let w = replay(&s, "a");
        assert_eq!(w.current, None);
        assert!(w.archived.is_empty() && w.table_backs.is_empty());
    }

    #[test]
    fn marks_about_attempts_the_row_does_not_hold_go_to_the_history_table() {
        // Written before the step row kept its latest attempt: open in the table.
        let s = step(vec![
            ended(1, 2, AttemptOutcome::Lost),
            AttemptMark::GivenBack { attempt: 3 },
        ]);
        let w = replay(&s, "a");
        assert_eq!(w.current, None);
        assert_eq!(
            w.table_ends.iter().map(|e| (e.0, e.2)).collect::<Vec<_>>(),
            [(1, AttemptOutcome::Lost)]
        );
        assert_eq!(w.table_backs, [3]);
    }

    #[test]
    fn the_latest_attempt_reads_back_as_a_history_row() {
        let s = step(vec![started(1, 1), ended(1, 2, AttemptOutcome::TimedOut)]);
        let c = replay(&s, "a").current.unwrap();
        let stored: CurrentAttempt =
            serde_json::from_value(serde_json::to_value(&c).unwrap()).unwrap();
        let row = stored.into_row("fetch");
        assert_eq!(
            (row.step_name.as_str(), row.attempt, row.outcome.as_deref()),
            ("fetch", 1, Some("timedOut"))
        );
        assert_eq!(row.error.map(|e| e.0), Some(json!({"message": "no"})));
    }
}
