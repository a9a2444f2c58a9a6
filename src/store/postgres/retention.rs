//! Retention and erasure on PostgreSQL: the shared implementation, with row locks
//! and the event position floor (see `events::raise_floor`).

use super::events::raise_floor;

crate::store::shared_sql::retention_store!(
    super::PgStore, writer: pool, reader: pool,
    lock: " for update",
    skip_locked: " for update skip locked",
    run_events: concat!(
        "with gone as (delete from events where tenant_id = $1 and run_id = $2
                       returning position), ",
        raise_floor!(),
        " select position from gone"
    ),
    correlation_events: concat!(
        "with gone as (delete from events where tenant_id = $1 and correlation_id = $2
                       returning position), ",
        raise_floor!(),
        " select position from gone"
    ),
    patient_events: concat!(
        "with gone as (delete from events where tenant_id = $1 and data->>'patientId' = $2
                       returning position), ",
        raise_floor!(),
        " select position from gone"
    ),
    // A run is about the patient when its trigger event (event functions) or one of
    // its steps' outputs (the encounter workflow's hydrate and form) names it.
    patient_runs: "select r.run_id, r.status from runs r
         where r.tenant_id = $1
           and (r.input->'event'->'data'->>'patientId' = $2
                or exists (select 1 from step_runs s
                           where s.tenant_id = r.tenant_id and s.run_id = r.run_id
                             and s.output->>'patientId' = $2))
         order by r.run_id",
    not_in_tenants: "tenant_id not in (select jsonb_array_elements_text($5::jsonb))",
);
