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

    /// CTEs that apply the marks present (ending, starting, giving back attempts),
    /// for tenant `$1` and run `$2`, by replica `replica`, when `guard` holds; their
    /// arrays are numbered from `*next` on, which moves past them. Kinds with no mark
    /// add nothing: a smaller statement is less for the server to set up at every
    /// execution. Every CTE of a statement sees the rows as they were before it, so an
    /// attempt ending and the next one starting in one commit touch different rows, as
    /// they should. Bind with [`AttemptColumns::bind`].
    pub fn ctes(&self, next: &mut usize, replica: &str, guard: &str) -> Vec<String> {
        let mut take = |n: usize| {
            let first = *next;
            *next += n;
            (first..first + n)
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
        };
        let mut ctes = Vec::new();
        if !self.end_steps.is_empty() {
            let p = take(5);
            ctes.push(format!(
                "a_end as (
                    update step_attempts t set ended_at = u.at, outcome = u.outcome, error = u.error
                    from unnest({}::text[], {}::int[], {}::timestamptz[], {}::text[], {}::jsonb[])
                        as u(step_name, attempt, at, outcome, error)
                    where t.tenant_id = $1 and t.run_id = $2 and t.step_name = u.step_name
                      and t.attempt = u.attempt and t.ended_at is null and {guard}
                )",
                p[0], p[1], p[2], p[3], p[4]
            ));
        }
        if !self.start_steps.is_empty() {
            let p = take(4);
            ctes.push(format!(
                "a_start as (
                    insert into step_attempts (tenant_id, run_id, step_name, attempt_id, attempt,
                                               started_at, replica)
                    select $1, $2, u.step_name, u.id, u.attempt, u.at, {replica}
                    from unnest({}::text[], {}::uuid[], {}::int[], {}::timestamptz[])
                        as u(step_name, id, attempt, at)
                    where {guard}
                )",
                p[0], p[1], p[2], p[3]
            ));
        }
        if !self.back_steps.is_empty() {
            let p = take(2);
            ctes.push(format!(
                "a_back as (
                    delete from step_attempts t
                    using unnest({}::text[], {}::int[]) as u(step_name, attempt)
                    where t.tenant_id = $1 and t.run_id = $2 and t.step_name = u.step_name
                      and t.attempt = u.attempt and t.ended_at is null and {guard}
                )",
                p[0], p[1]
            ));
        }
        ctes
    }

    /// Binds the arrays of the CTEs [`AttemptColumns::ctes`] wrote, in their order.
    pub fn bind<'q>(
        self,
        q: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
        let mut q = q;
        if !self.end_steps.is_empty() {
            q = q
                .bind(self.end_steps)
                .bind(self.end_attempts)
                .bind(self.end_at)
                .bind(self.end_outcomes)
                .bind(self.end_errors);
        }
        if !self.start_steps.is_empty() {
            q = q
                .bind(self.start_steps)
                .bind(self.start_ids)
                .bind(self.start_attempts)
                .bind(self.start_at);
        }
        if !self.back_steps.is_empty() {
            q = q.bind(self.back_steps).bind(self.back_attempts);
        }
        q
    }
}

crate::store::shared_sql::attempt_store!(PgStore, reader: pool);
