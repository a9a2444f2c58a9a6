//! The attempt history in PostgreSQL: what the marks of a commit write to the
//! history table (see [`replay`]), as column arrays for `unnest`, so the commit
//! that carries them stays one statement. The steps' latest attempts are written
//! with their step rows.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use super::PgStore;
use crate::store::StepWrite;
use crate::store::attempts::replay;

/// The history rows of a set of step writes, as parallel arrays per kind.
#[derive(Default)]
pub(super) struct AttemptColumns {
    pub end_steps: Vec<String>,
    pub end_attempts: Vec<i32>,
    pub end_at: Vec<DateTime<Utc>>,
    pub end_outcomes: Vec<String>,
    pub end_errors: Vec<Option<Value>>,
    pub old_steps: Vec<String>,
    pub old_ids: Vec<Uuid>,
    pub old_attempts: Vec<i32>,
    pub old_started_at: Vec<DateTime<Utc>>,
    pub old_ended_at: Vec<Option<DateTime<Utc>>>,
    pub old_outcomes: Vec<Option<String>>,
    pub old_errors: Vec<Option<Value>>,
    pub old_replicas: Vec<String>,
    pub back_steps: Vec<String>,
    pub back_attempts: Vec<i32>,
}

impl AttemptColumns {
    /// What the marks of `steps`, committed by `replica`, write to the history.
    pub fn new(steps: &[StepWrite], replica: &str) -> Self {
        let mut c = Self::default();
        for s in steps.iter().filter(|s| !s.attempt_marks.is_empty()) {
            let writes = replay(s, replica);
            for a in writes.archived {
                c.old_steps.push(s.name.clone());
                c.old_ids.push(a.id);
                c.old_attempts.push(a.attempt);
                c.old_started_at.push(a.started_at);
                c.old_ended_at.push(a.ended_at);
                c.old_outcomes.push(a.outcome);
                c.old_errors.push(a.error);
                c.old_replicas.push(a.replica);
            }
            for (attempt, at, outcome, error) in writes.table_ends {
                c.end_steps.push(s.name.clone());
                c.end_attempts.push(attempt);
                c.end_at.push(at);
                c.end_outcomes.push(outcome.as_str().to_string());
                c.end_errors.push(error);
            }
            for attempt in writes.table_backs {
                c.back_steps.push(s.name.clone());
                c.back_attempts.push(attempt);
            }
        }
        c
    }

    /// True when the marks write nothing to the history.
    pub fn is_empty(&self) -> bool {
        self.end_steps.is_empty() && self.old_steps.is_empty() && self.back_steps.is_empty()
    }

    /// CTEs that write the history rows present (closing, archiving, removing
    /// attempts), for tenant `$1` and run `$2`, when `guard` holds; their arrays are
    /// numbered from `*next` on, which moves past them. Kinds with no row add
    /// nothing: a smaller statement is less for the server to set up at every
    /// execution, and a step's first attempt writes none. Bind with
    /// [`AttemptColumns::bind`].
    pub fn ctes(&self, next: &mut usize, guard: &str) -> Vec<String> {
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
        if !self.old_steps.is_empty() {
            // A commit sent again after its reply was lost may have moved them
            // already: the attempt ids come from the marks, so the copy is the same.
            let p = take(8);
            ctes.push(format!(
                "a_old as (
                    insert into step_attempts (tenant_id, run_id, step_name, attempt_id, attempt,
                                               started_at, ended_at, outcome, error, replica)
                    select $1, $2, u.*
                    from unnest({}::text[], {}::uuid[], {}::int[], {}::timestamptz[],
                                {}::timestamptz[], {}::text[], {}::jsonb[], {}::text[])
                        as u(step_name, id, attempt, started_at, ended_at, outcome, error,
                             replica)
                    where {guard}
                    on conflict do nothing
                )",
                p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7]
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
        &'q self,
        q: sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments>,
    ) -> sqlx::query::Query<'q, sqlx::Postgres, sqlx::postgres::PgArguments> {
        let mut q = q;
        if !self.end_steps.is_empty() {
            q = q
                .bind(&self.end_steps)
                .bind(&self.end_attempts)
                .bind(&self.end_at)
                .bind(&self.end_outcomes)
                .bind(&self.end_errors);
        }
        if !self.old_steps.is_empty() {
            q = q
                .bind(&self.old_steps)
                .bind(&self.old_ids)
                .bind(&self.old_attempts)
                .bind(&self.old_started_at)
                .bind(&self.old_ended_at)
                .bind(&self.old_outcomes)
                .bind(&self.old_errors)
                .bind(&self.old_replicas);
        }
        if !self.back_steps.is_empty() {
            q = q.bind(&self.back_steps).bind(&self.back_attempts);
        }
        q
    }
}

crate::store::shared_sql::attempt_store!(PgStore, reader: pool);
