//! The care tables' SQL, shared by both backends: only what PostgreSQL and SQLite both
//! understand (`$n` parameters, `on conflict do nothing`, `coalesce`, `case`), with each
//! backend binding values in its own types. Parameter lists are documented above each
//! statement.

/// Columns of `NurseRow`.
pub const NURSE_COLUMNS: &str = "tenant_id, nurse_id, name, phone, email, preferred_channel, \
     max_open_tasks, active, last_assigned_at, assignment_count, created_at";

/// Columns of `ShiftRow`.
pub const SHIFT_COLUMNS: &str = "tenant_id, shift_id, nurse_id, starts_at, ends_at, created_at";

/// Columns of `TaskRow`.
pub const TASK_COLUMNS: &str = "tenant_id, task_id, patient_id, title, description, priority, \
     severity, sla_minutes, status, assignee_id, origin, origin_key, interaction_id, created_at, \
     assigned_at, resolved_at, resolution, sla_warned_at, sla_breached_at, updated_at, \
     reference_number";

/// Columns of `NotificationRow`.
pub const NOTIFICATION_COLUMNS: &str = "tenant_id, notification_id, origin_key, kind, channel, \
     recipient_kind, recipient_id, address, subject, body, priority, task_id, patient_id, \
     attempt_id, status, provider, provider_id, provider_status, attempts, last_attempt_at, \
     error, error_code, cap_day, created_at, sent_at, delivered_at, read_at, failed_at, \
     cancelled_at, updated_at";

/// Columns of `PlanRow`.
pub const PLAN_COLUMNS: &str = "tenant_id, plan_id, origin_key, patient_id, phone, patient_name, \
     discharged_at, status, max_attempts, reply_timeout_secs, created_at, finished_at";

/// Columns of `AttemptRow`.
pub const ATTEMPT_COLUMNS: &str = "tenant_id, attempt_id, plan_id, attempt_number, channel, \
     status, interaction_id, sent_at, finished_at";

/// Columns of `InteractionRow`.
pub const INTERACTION_COLUMNS: &str = "tenant_id, interaction_id, patient_id, plan_id, channel, \
     direction, body, message_sid, origin_key, severity, matched_rules, reason, task_id, \
     received_at, classified_at, classified_by";

/// `$1..$8`: tenant, nurse, name, phone, email, channel, max open tasks, now.
pub const INSERT_NURSE: &str = "insert into nurses (tenant_id, nurse_id, name, phone, email, \
     preferred_channel, max_open_tasks, created_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8)";

/// `$1..$6`: tenant, shift, nurse, starts, ends, now.
pub const INSERT_SHIFT: &str = "insert into nurse_shifts (tenant_id, shift_id, nurse_id, \
     starts_at, ends_at, created_at)
     values ($1, $2, $3, $4, $5, $6)";

/// `$1, $2`: tenant, instant. Active nurses with a shift covering the instant.
pub const CANDIDATES: &str = "select n.nurse_id, n.last_assigned_at, n.assignment_count, \
     n.max_open_tasks,
       (select count(*) from tasks t
        where t.tenant_id = n.tenant_id and t.assignee_id = n.nurse_id
          and t.status = 'ASSIGNED') as open_tasks
     from nurses n
     where n.tenant_id = $1 and n.active
       and exists (select 1 from nurse_shifts s
                   where s.tenant_id = n.tenant_id and s.nurse_id = n.nurse_id
                     and s.starts_at <= $2 and s.ends_at > $2)";

/// `$1..$4`: tenant, nurse, expected count, now.
pub const TAKE_TURN: &str = "update nurses
     set last_assigned_at = $4, assignment_count = assignment_count + 1
     where tenant_id = $1 and nurse_id = $2 and assignment_count = $3";

/// `$1..$4`: tenant, task, nurse, now.
pub const ASSIGN_TASK: &str = "update tasks
     set status = 'ASSIGNED', assignee_id = $3, assigned_at = $4, updated_at = $4
     where tenant_id = $1 and task_id = $2 and status = 'OPEN'";

/// `$1..$13`: tenant, task, patient, title, description, priority, severity, SLA
/// minutes, origin, origin key, interaction, now, reference number.
pub const INSERT_TASK: &str = "insert into tasks (tenant_id, task_id, patient_id, title, \
     description, priority, severity, sla_minutes, status, origin, origin_key, interaction_id, \
     created_at, updated_at, reference_number)
     values ($1, $2, $3, $4, $5, $6, $7, $8, 'OPEN', $9, $10, $11, $12, $12, $13)
     on conflict do nothing";

/// `$1`: tenant. The tenant's next task number (1 for its first task); the counter's
/// row stays locked until the transaction ends, so numbers are never shared.
pub const NEXT_TASK_NUMBER: &str = "insert into task_reference_counters (tenant_id, last_number)
     values ($1, 1)
     on conflict (tenant_id) do update
     set last_number = task_reference_counters.last_number + 1
     returning last_number";

/// `$1..$6`: tenant, status, assignee, patient, before, limit.
pub fn list_tasks() -> String {
    format!(
        "select {TASK_COLUMNS} from tasks
         where tenant_id = $1 and ($2 is null or status = $2)
           and ($3 is null or assignee_id = $3) and ($4 is null or patient_id = $4)
           and ($5 is null or task_id < $5)
         order by task_id desc limit $6"
    )
}

/// `$1..$4`: tenant, task, resolution, now.
pub const RESOLVE_TASK: &str = "update tasks
     set status = 'RESOLVED', resolution = $3, resolved_at = $4, updated_at = $4
     where tenant_id = $1 and task_id = $2 and status <> 'RESOLVED'";

/// `$1..$3`: tenant, task, now.
pub const MARK_SLA_WARNED: &str = "update tasks
     set sla_warned_at = coalesce(sla_warned_at, $3), updated_at = $3
     where tenant_id = $1 and task_id = $2 and status <> 'RESOLVED'";

/// `$1..$3`: tenant, task, now.
pub const MARK_SLA_BREACHED: &str = "update tasks
     set sla_breached_at = coalesce(sla_breached_at, $3), updated_at = $3
     where tenant_id = $1 and task_id = $2 and status <> 'RESOLVED'";

/// `$1..$15`: tenant, notification, origin, kind, channel, recipient kind, recipient
/// id, address, subject, body, priority, task, patient, attempt, now.
pub const INSERT_NOTIFICATION: &str = "insert into notifications (tenant_id, notification_id, \
     origin_key, kind, channel, recipient_kind, recipient_id, address, subject, body, priority, \
     task_id, patient_id, attempt_id, status, created_at, updated_at)
     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'PENDING', $15, $15)
     on conflict do nothing";

/// `$1..$6`: tenant, status, channel, patient, before, limit.
pub fn list_notifications() -> String {
    format!(
        "select {NOTIFICATION_COLUMNS} from notifications
         where tenant_id = $1 and ($2 is null or status = $2)
           and ($3 is null or channel = $3) and ($4 is null or patient_id = $4)
           and ($5 is null or notification_id < $5)
         order by notification_id desc limit $6"
    )
}

/// `$1..$3`: tenant, day, channel. Creates the day's counter at zero.
pub const OPEN_DAY: &str = "insert into sms_daily_counts (tenant_id, day, channel, sent)
     values ($1, $2, $3, 0) on conflict do nothing";

/// `$1..$4`: tenant, day, channel, cap. Counts one send unless the cap is reached.
pub const COUNT_SEND: &str = "update sms_daily_counts set sent = sent + 1
     where tenant_id = $1 and day = $2 and channel = $3 and sent < $4";

/// `$1..$3`: tenant, notification, day.
pub const SET_CAP_DAY: &str = "update notifications set cap_day = $3
     where tenant_id = $1 and notification_id = $2 and cap_day is null";

/// `$1..$3`: tenant, notification, now.
pub const BEGIN_SEND: &str = "update notifications
     set attempts = attempts + 1, last_attempt_at = $3, updated_at = $3
     where tenant_id = $1 and notification_id = $2 and status = 'PENDING'";

/// `$1..$9`: tenant, notification, status, provider, provider id, provider status,
/// error, error code, now.
pub const FINISH_SEND: &str = "update notifications
     set status = $3, provider = coalesce($4, provider), provider_id = coalesce($5, provider_id),
         provider_status = coalesce($6, provider_status), error = $7, error_code = $8,
         sent_at = case when $3 = 'SENT' then $9 else sent_at end,
         failed_at = case when $3 = 'FAILED' then $9 else failed_at end,
         cancelled_at = case when $3 = 'CANCELLED' then $9 else cancelled_at end,
         updated_at = $9
     where tenant_id = $1 and notification_id = $2 and status = 'PENDING'";

/// `$1..$7`: tenant, notification, expected provider status ('' for none), provider
/// status, status, error code, now.
pub const APPLY_PROVIDER_STATUS: &str = "update notifications
     set provider_status = $4, status = $5, error_code = coalesce($6, error_code),
         delivered_at = case when $5 in ('DELIVERED', 'READ')
                             then coalesce(delivered_at, $7) else delivered_at end,
         read_at = case when $5 = 'READ' then coalesce(read_at, $7) else read_at end,
         failed_at = case when $5 = 'FAILED' then coalesce(failed_at, $7) else failed_at end,
         cancelled_at = case when $5 = 'CANCELLED'
                             then coalesce(cancelled_at, $7) else cancelled_at end,
         updated_at = $7
     where tenant_id = $1 and notification_id = $2
       and coalesce(provider_status, '') = $3";

/// `$1..$10`: tenant, plan, origin, patient, phone, name, discharged, max attempts,
/// reply timeout, now.
pub const INSERT_PLAN: &str = "insert into outreach_plans (tenant_id, plan_id, origin_key, \
     patient_id, phone, patient_name, discharged_at, status, max_attempts, reply_timeout_secs, \
     created_at)
     values ($1, $2, $3, $4, $5, $6, $7, 'ACTIVE', $8, $9, $10)
     on conflict do nothing";

/// `$1..$4`: tenant, plan, status, now.
pub const FINISH_PLAN: &str = "update outreach_plans set status = $3, finished_at = $4
     where tenant_id = $1 and plan_id = $2 and status = 'ACTIVE'";

/// `$1..$6`: tenant, attempt, plan, number, channel, now.
pub const INSERT_ATTEMPT: &str = "insert into outreach_attempts (tenant_id, attempt_id, plan_id, \
     attempt_number, channel, status, sent_at)
     values ($1, $2, $3, $4, $5, 'AWAITING_REPLY', $6)
     on conflict do nothing";

/// `$1..$5`: tenant, attempt, status, interaction, now.
pub const FINISH_ATTEMPT: &str = "update outreach_attempts
     set status = $3, interaction_id = $4, finished_at = $5
     where tenant_id = $1 and attempt_id = $2 and status = 'AWAITING_REPLY'";

/// `$1, $2`: tenant, patient.
pub fn attempts_for_patient() -> String {
    let columns = ATTEMPT_COLUMNS
        .split(", ")
        .map(|c| format!("a.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "select {columns} from outreach_attempts a
         join outreach_plans p on p.tenant_id = a.tenant_id and p.plan_id = a.plan_id
         where a.tenant_id = $1 and p.patient_id = $2
         order by a.sent_at, a.attempt_number"
    )
}

/// `$1..$9`: tenant, interaction, patient, plan, channel, body, message sid, origin,
/// received.
pub const INSERT_INTERACTION: &str = "insert into interactions (tenant_id, interaction_id, \
     patient_id, plan_id, channel, direction, body, message_sid, origin_key, received_at)
     values ($1, $2, $3, $4, $5, 'inbound', $6, $7, $8, $9)
     on conflict do nothing";

/// `$1..$7`: tenant, interaction, severity, rules, reason, now, decided by.
pub const CLASSIFY_INTERACTION: &str = "update interactions
     set severity = $3, matched_rules = $4, reason = $5, classified_at = $6, classified_by = $7
     where tenant_id = $1 and interaction_id = $2";

/// `$1..$3`: tenant, interaction, task.
pub const SET_INTERACTION_TASK: &str = "update interactions set task_id = $3
     where tenant_id = $1 and interaction_id = $2";

/// One row of `table` with `columns` by its tenant and `id_column` (`$1, $2`).
pub fn by_id(table: &str, columns: &str, id_column: &str) -> String {
    format!("select {columns} from {table} where tenant_id = $1 and {id_column} = $2")
}
