//! Scheduled service calls on SQLite: the shared statements (see
//! `shared_sql::service_calls`), each write on the single writer connection, which
//! makes a submission's idempotency check and its insert atomic; events are
//! broadcast in-process after the commit.

use sqlx::{Sqlite, Transaction};

use super::SqliteStore;
use crate::store::Notice;

crate::store::shared_sql::service_call_store!(
    SqliteStore, writer: writer, reader: reader,
    statuses: "select value from json_each($3)",
    has_tag: "exists (select 1 from json_each(tags) where value = $3)"
);

impl SqliteStore {
    /// Tells this process's subscribers, the only ones, after the commit.
    fn events_appended(&self) {
        self.announce([Notice::EventsAppended]);
    }
}

/// Appends one event inside the caller's transaction.
async fn append_event(
    tx: &mut Transaction<'_, Sqlite>,
    tenant: &TenantId,
    e: &NewEvent,
) -> StoreResult<()> {
    sqlx::query(
        "insert into events (tenant_id, event_id, event_type, correlation_id, run_id,
                             workflow, source, data, created_at)
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
    Ok(())
}

/// Records a call as `Submitted` with its event inside the caller's transaction,
/// or finds the call an earlier submission recorded under the same idempotency
/// key (then nothing was written).
pub(super) async fn insert_call_in(
    tx: &mut Transaction<'_, Sqlite>,
    call: &NewServiceCall,
    event: &NewEvent,
) -> StoreResult<InsertServiceCall> {
    if let Some(key) = &call.idempotency_key {
        // The single writer makes this check and the insert atomic.
        let existing: Option<ServiceCallRow> = sqlx::query_as(&format!(
            "select {SERVICE_CALL_COLUMNS} from service_calls
             where tenant_id = $1 and idempotency_key = $2"
        ))
        .bind(&call.tenant_id)
        .bind(key)
        .fetch_optional(&mut **tx)
        .await?;
        if let Some(existing) = existing {
            return Ok(InsertServiceCall::Duplicate(Box::new(existing)));
        }
    }
    let row: ServiceCallRow = sqlx::query_as(&format!(
        "insert into service_calls (tenant_id, service_call_id, name, status, method, url,
                                    headers, body, due_at, correlation_id, tags,
                                    idempotency_key, request_hash, created_at)
         values ($1, $2, $3, 'submitted', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
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
    .fetch_one(&mut **tx)
    .await?;
    append_event(tx, &call.tenant_id, event).await?;
    Ok(InsertServiceCall::Created(Box::new(row)))
}
