//! The attempt history in PostgreSQL: the marks of a commit as column arrays for
//! `unnest`, so the commit that carries them stays one statement.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::PgStore;
use crate::store::{AttemptMark, StepWrite};

/// The attempt marks of a set of step writes, as parallel arrays per kind.
#[derive(Default)]
pub(super) struct AttemptColumns {
    pub end_steps: Vec<String>,
    pub end_attempts: Vec<i32>,
    pub end_at: Vec<DateTime<Utc>>,
    pub end_outcomes: Vec<String>,
    pub end_errors: Vec<Option<Value>>,
    pub start_steps: Vec<String>,
    pub start_ids: Vec<Uuid>,
    pub start_attempts: Vec<i32>,
    pub start_at: Vec<DateTime<Utc>>,
    pub back_steps: Vec<String>,
    pub back_attempts: Vec<i32>,
}

impl AttemptColumns {
    pub fn new(steps: &[StepWrite]) -> Self {
        let mut c = Self::default();
        for s in steps {
            for mark in &s.attempt_marks {
                match mark {
                    AttemptMark::Started { attempt, at } => {
                        c.start_steps.push(s.name.clone());
                        c.start_ids.push(Uuid::now_v7());
                        c.start_attempts.push(*attempt);
                        c.start_at.push(*at);
                    }
                    AttemptMark::Ended {
                        attempt,
                        at,
                        outcome,
                        error,
                    } => {
                        c.end_steps.push(s.name.clone());
                        c.end_attempts.push(*attempt);
                        c.end_at.push(*at);
                        c.end_outcomes.push(outcome.as_str().to_string());
                        c.end_errors.push(error.clone());
                    }
                    AttemptMark::GivenBack { attempt } => {
                        c.back_steps.push(s.name.clone());
                        c.back_attempts.push(*attempt);
                    }
                }
            }
        }
        c
    }
}

/// CTEs that apply the marks bound from `$first` on (11 arrays), for tenant `$1`
/// and run `$2`, by replica `replica`, when `guard` holds. Every CTE of a statement
/// sees the rows as they were before it, so an attempt ending and the next one
/// starting in one commit touch different rows, as they should.
pub(super) fn attempts_sql(first: usize, replica: &str, guard: &str) -> String {
    let p = |i: usize| format!("${}", first + i);
    format!(
        "a_end as (
            update step_attempts t set ended_at = u.at, outcome = u.outcome, error = u.error
            from unnest({}::text[], {}::int[], {}::timestamptz[], {}::text[], {}::jsonb[])
                as u(step_name, attempt, at, outcome, error)
            where t.tenant_id = $1 and t.run_id = $2 and t.step_name = u.step_name
              and t.attempt = u.attempt and t.ended_at is null and {guard}
            returning 1
        ), a_start as (
            insert into step_attempts (tenant_id, run_id, step_name, attempt_id, attempt,
                                       started_at, replica)
            select $1, $2, u.step_name, u.id, u.attempt, u.at, {replica}
            from unnest({}::text[], {}::uuid[], {}::int[], {}::timestamptz[])
                as u(step_name, id, attempt, at)
            where {guard}
            returning 1
        ), a_back as (
            delete from step_attempts t
            using unnest({}::text[], {}::int[]) as u(step_name, attempt)
            where t.tenant_id = $1 and t.run_id = $2 and t.step_name = u.step_name
              and t.attempt = u.attempt and t.ended_at is null and {guard}
            returning 1
        )",
        p(0),
        p(1),
        p(2),
        p(3),
        p(4),
        p(5),
        p(6),
        p(7),
        p(8),
        p(9),
        p(10),
    )
}

/// Binds the arrays [`attempts_sql`] expects, in its order.
pub(super) fn bind_attempts<'q>(
    q: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    c: AttemptColumns,
) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
    q.bind(c.end_steps)
        .bind(c.end_attempts)
        .bind(c.end_at)
        .bind(c.end_outcomes)
        .bind(c.end_errors)
        .bind(c.start_steps)
        .bind(c.start_ids)
        .bind(c.start_attempts)
        .bind(c.start_at)
        .bind(c.back_steps)
        .bind(c.back_attempts)
}

crate::store::shared_sql::attempt_store!(PgStore, reader: pool);
