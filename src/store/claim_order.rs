//! The order in which claims take due runs, in SQL both backends run: higher
//! priorities first; within a priority, runs already under way (woken timers and
//! waits, lapsed leases, deferred or requeued starts) by due time, then new runs
//! by turn, which tenants take in rotation.
//!
//! A run entering the queue due at once gets the later of the queue's head turn
//! (at its priority) and one past its tenant's last queued turn. A tenant that
//! floods the queue lines its runs up one turn apart, and another tenant's run
//! lands at the head: it waits behind at most one run of each tenant, however
//! long their backlogs. Turns are numbers, not times, so how fast runs execute
//! does not matter; an empty queue starts again from the submission time in
//! microseconds, which keeps turns growing.
//!
//! Each claim reads two short index ranges (`runs_timed` by due time,
//! `runs_fresh_by_turn` by priority and turn, see migration 0135), never the whole
//! backlog, and the turn of a new run is two index probes.

/// The turn of a run being inserted, as an SQL expression over the insert's
/// parameters: the tenant, the status, the creation and due times, the priority,
/// and the submission time in microseconds (the turn of an empty queue). Runs that
/// do not enter the queue due at once (executing at once, or deferred) get 0: the
/// claim orders them by due time instead, and no lookup is spent on them.
/// `greatest` names the dialect's two-argument maximum (`greatest`, `max`).
pub(crate) fn turn_sql(
    greatest: &str,
    tenant: &str,
    status: &str,
    created_at: &str,
    ready_at: &str,
    priority: &str,
    now_turn: &str,
) -> String {
    // The predicates repeat the partial indexes' so both backends use them.
    format!(
        "case when {status} = 'queued' and {ready_at} <= {created_at} then {greatest}(
            coalesce((select min(q.turn) from runs q
                      where q.status = 'queued' and q.ready_at <= q.created_at
                        and q.priority = {priority}), {now_turn}),
            coalesce((select max(q.turn) + 1 from runs q
                      where q.tenant_id = {tenant} and q.status = 'queued'
                        and q.ready_at <= q.created_at and q.priority = {priority}), 0))
         else 0 end"
    )
}

/// Due runs already under way (woken timers and waits, lapsed leases, deferred or
/// requeued starts), as a query of `({key}, priority, fresh, turn, ready_at)`
/// rows, the first `limit` by due time: the claim's first candidates.
pub(crate) fn timed_sql(key: &str, now: &str, limit: &str) -> String {
    format!(
        "select {key}, priority, 0 as fresh, 0 as turn, ready_at from runs
         where (status in ('running', 'sleeping', 'waiting')
                or (status = 'queued' and ready_at > created_at))
           and ready_at <= {now} and concurrency_key is null and not pause_requested
           and not (status = 'queued' and exists (
               select 1 from paused_workflows p
               where p.tenant_id = runs.tenant_id and p.workflow = runs.workflow))
         order by ready_at
         limit {limit}"
    )
}

/// Runs that entered the queue due at once, in the same row shape as
/// [`timed_sql`], the first `limit` by priority and turn: the claim's other
/// candidates.
pub(crate) fn fresh_sql(key: &str, now: &str, limit: &str) -> String {
    format!(
        "select {key}, priority, 1 as fresh, turn, ready_at from runs
         where status = 'queued' and ready_at <= created_at
           and ready_at <= {now} and concurrency_key is null and not pause_requested
           and not exists (
               select 1 from paused_workflows p
               where p.tenant_id = runs.tenant_id and p.workflow = runs.workflow)
         order by priority desc, turn
         limit {limit}"
    )
}

/// How the claim orders the union of both candidate queries before taking the
/// first `limit`.
pub(crate) const CLAIM_ORDER: &str = "priority desc, fresh, turn, ready_at";
