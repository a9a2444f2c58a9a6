//! Retention and erasure on PostgreSQL: the shared implementation, with row locks
//! and the event position floor (see `events::raise_floor`). An events row may carry
//! earlier events of its commit (migration 0143): the erasures answer one position
//! per event, so the counts are of events, not rows.

use super::events::raise_floor;

/// The end of an erasure of events rows (`with gone as (delete ... returning` comes
/// before it): raises the position floor and answers one position per event.
macro_rules! gone_events {
    () => {
        concat!(
            "position, coalesce(jsonb_array_length(earlier), 0) as back), ",
            raise_floor!(),
            " select g.position - b from gone g, generate_series(0, g.back) as b"
        )
    };
}

crate::store::shared_sql::retention_store!(
    super::PgStore, writer: pool, reader: pool,
    lock: " for update",
    skip_locked: " for update skip locked",
    run_events: concat!(
        "with gone as (delete from events where tenant_id = $1 and run_id = $2
                       returning ",
        gone_events!()
    ),
    correlation_events: concat!(
        "with gone as (delete from events where tenant_id = $1 and correlation_id = $2
                       returning ",
        gone_events!()
    ),
    // An earlier event of a row that names the patient takes its row with it.
    patient_events: concat!(
        "with gone as (delete from events
                       where tenant_id = $1
                         and (data->>'patientId' = $2
                              or jsonb_path_exists(earlier, '$[*] ? (@.data.patientId == $p)',
                                                   jsonb_build_object('p', $2::text)))
                       returning ",
        gone_events!()
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
