//! Retention and erasure on SQLite: the shared implementation. The single writer
//! serialises erasures, so no row locks; positions are autoincrement keys, which are
//! never given again, so no position floor.

crate::store::shared_sql::retention_store!(
    super::SqliteStore, writer: writer, reader: reader,
    lock: "",
    skip_locked: "",
    run_events: "delete from events where tenant_id = $1 and run_id = $2 returning position",
    correlation_events:
        "delete from events where tenant_id = $1 and correlation_id = $2 returning position",
    patient_events: "delete from events
         where tenant_id = $1 and json_extract(data, '$.patientId') = $2
         returning position",
    // A run is about the patient when its trigger event (event functions) or one of
    // its steps' outputs (the encounter workflow's hydrate and form) names it.
    patient_runs: "select r.run_id, r.status from runs r
         where r.tenant_id = $1
           and (json_extract(r.input, '$.event.data.patientId') = $2
                or exists (select 1 from step_runs s
                           where s.tenant_id = r.tenant_id and s.run_id = r.run_id
                             and json_extract(s.output, '$.patientId') = $2))
         order by r.run_id",
    not_in_tenants: "tenant_id not in (select value from json_each($5))",
);
