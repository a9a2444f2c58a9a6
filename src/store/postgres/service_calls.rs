//! Scheduled service calls on PostgreSQL: the shared statements (see
//! `shared_sql::service_calls`); a submission that meets an earlier one with its
//! idempotency key inserts nothing, and events are announced with NOTIFY inside the
//! transaction, so every replica hears them once it commits.

use sqlx::{Postgres, Transaction};

use super::PgStore;
use crate::store::{Notice, StoreError};

crate::store::shared_sql::service_call_store!(
    PgStore, writer: pool, reader: pool,
    statuses: "select jsonb_array_elements_text($3::jsonb)",
    has_tag: "tags ? $3"
);

impl PgStore {
    /// Nothing left to do: the append's NOTIFY reaches this replica too.
    fn events_appended(&self) {}
}

/// Appends one event and announces it, inside the caller's transaction.
async fn append_event(
    tx: &mut Transaction<'_, Postgres>,
    tenant: &TenantId,
    e: &NewEvent,
) -> StoreResult<()> {
    sqlx::query(
        "insert into events (tenant_id, event_id, event_type, correlation_id, run_id, workflow,
                             source, data, created_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(tenant)
    .bind(e.event_id)
    .bind(&e.event_type)
    .bind(&e.correlation_id)
    .bind(e.run_id)
    .bind(&e.workflow)
    .bind(&e.source)
    .bind(Json(&e.data))
    .bind(e.created_at)
    .execute(&mut **tx)
    .await?;
    sqlx::query("select pg_notify($1, $2)")
        .bind(Notice::CHANNEL)
        .bind(Notice::EventsAppended.to_payload())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Records a call as `Submitted` with its event inside the caller's transaction, or
/// finds the call an earlier submission recorded under the same idempotency key
/// (then nothing was written; the insert waited for that submission to commit).
pub(super) async fn insert_call_in(
    tx: &mut Transaction<'_, Postgres>,
    call: &NewServiceCall,
    event: &NewEvent,
) -> StoreResult<InsertServiceCall> {
    let inserted: Option<ServiceCallRow> = sqlx::query_as(&format!(
        "insert into service_calls (tenant_id, service_call_id, name, status, method, url,
                                    headers, body, due_at, correlation_id, tags,
                                    idempotency_key, request_hash, created_at)
         values ($1, $2, $3, 'submitted', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         on conflict (tenant_id, idempotency_key) where idempotency_key is not null
            do nothing
         returning {SERVICE_CALL_COLUMNS}"
    ))
    .bind(&call.tenant_id)
    .bind(call.service_call_id)
    .bind(&call.name)
    .bind(&call.method)
    .bind(&call.url)
    .bind(Json(&call.headers))
    .bind(call.body.as_ref().map(Json))
    .bind(call.due_at)
    .bind(&call.correlation_id)
    .bind(Json(&call.tags))
    .bind(&call.idempotency_key)
    .bind(&call.request_hash)
    .bind(call.created_at)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(row) = inserted {
        append_event(tx, &call.tenant_id, event).await?;
        return Ok(InsertServiceCall::Created(Box::new(row)));
    }
    // Read committed: this statement sees the call the conflicting one committed.
    let existing: Option<ServiceCallRow> = sqlx::query_as(&format!(
        "select {SERVICE_CALL_COLUMNS} from service_calls
         where tenant_id = $1 and idempotency_key = $2"
    ))
    .bind(&call.tenant_id)
    .bind(&call.idempotency_key)
    .fetch_optional(&mut **tx)
    .await?;
    existing
        .map(|row| InsertServiceCall::Duplicate(Box::new(row)))
        .ok_or_else(|| StoreError::Conflict("service call id already exists".into()))
}
