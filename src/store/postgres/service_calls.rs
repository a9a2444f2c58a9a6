//! Scheduled service calls in PostgreSQL: each write is one transaction holding
//! the conditional update and the event it publishes.

use async_trait::async_trait;
use sqlx::types::Json;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use super::PgStore;
use crate::store::service_calls::SERVICE_CALL_COLUMNS;
use crate::store::{
    InsertServiceCall, NewEvent, NewServiceCall, Notice, ServiceCallFilter, ServiceCallRow,
    ServiceCallStore, ServiceCallTransition, StoreError, StoreResult, TenantId,
};

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

/// Records a call as `Submitted` with its event inside the caller's transaction;
/// `None` when a call with the same tenant and idempotency key exists (the
/// transaction must then be rolled back).
pub(super) async fn insert_call_in(
    tx: &mut Transaction<'_, Postgres>,
    call: &NewServiceCall,
    event: &NewEvent,
) -> StoreResult<Option<ServiceCallRow>> {
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
    if inserted.is_some() {
        append_event(tx, &call.tenant_id, event).await?;
    }
    Ok(inserted)
}

impl PgStore {
    /// The call an earlier submission recorded under `call`'s idempotency key.
    pub(super) async fn call_by_key(
        &self,
        call: &NewServiceCall,
    ) -> StoreResult<Option<ServiceCallRow>> {
        Ok(sqlx::query_as(&format!(
            "select {SERVICE_CALL_COLUMNS} from service_calls
             where tenant_id = $1 and idempotency_key = $2"
        ))
        .bind(&call.tenant_id)
        .bind(&call.idempotency_key)
        .fetch_optional(&self.pool)
        .await?)
    }
}

#[async_trait]
impl ServiceCallStore for PgStore {
    async fn insert_service_call(
        &self,
        call: &NewServiceCall,
        event: &NewEvent,
    ) -> StoreResult<InsertServiceCall> {
        let mut tx = self.begin_write().await?;
        if let Some(row) = insert_call_in(&mut tx, call, event).await? {
            tx.commit().await?;
            return Ok(InsertServiceCall::Created(Box::new(row)));
        }
        tx.rollback().await?;
        self.call_by_key(call)
            .await?
            .map(|row| InsertServiceCall::Duplicate(Box::new(row)))
            .ok_or_else(|| StoreError::Conflict("service call id already exists".into()))
    }

    async fn transition_service_call(
        &self,
        tenant: &TenantId,
        id: Uuid,
        change: &ServiceCallTransition,
    ) -> StoreResult<Option<ServiceCallRow>> {
        let from: Vec<&str> = change.from.iter().map(|s| s.as_str()).collect();
        let mut tx = self.begin_write().await?;
        let row: Option<ServiceCallRow> = sqlx::query_as(&format!(
            "update service_calls set
                status = $4,
                run_id = coalesce($5, run_id),
                attempts = coalesce($7, attempts),
                scheduled_at = case when $4 = 'scheduled' then coalesce(scheduled_at, $6)
                                    else scheduled_at end,
                started_at = case when $4 = 'running' then coalesce(started_at, $6)
                                  else started_at end,
                finished_at = case when $4 in ('succeeded', 'failed', 'cancelled') then $6
                                   else finished_at end,
                response = coalesce($8, response),
                error = case when $4 = 'succeeded' then null else coalesce($9, error) end,
                next_attempt_at = $11
             where tenant_id = $1 and service_call_id = $2 and status = any($3::text[])
               and ($10::uuid is null or run_id = $10)
               and ($7::int is null or attempts < $7)
             returning {SERVICE_CALL_COLUMNS}"
        ))
        .bind(tenant)
        .bind(id)
        .bind(from)
        .bind(change.to.as_str())
        .bind(change.set_run)
        .bind(change.at)
        .bind(change.attempt)
        .bind(change.response.as_ref().map(Json))
        .bind(change.error.as_ref().map(Json))
        .bind(change.require_run)
        .bind(change.next_attempt_at)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            tx.rollback().await?;
            return Ok(None);
        };
        if let Some(event) = &change.event {
            append_event(&mut tx, tenant, event).await?;
        }
        tx.commit().await?;
        Ok(Some(row))
    }

    async fn get_service_call(
        &self,
        tenant: &TenantId,
        id: Uuid,
    ) -> StoreResult<Option<ServiceCallRow>> {
        Ok(sqlx::query_as(&format!(
            "select {SERVICE_CALL_COLUMNS} from service_calls
             where tenant_id = $1 and service_call_id = $2"
        ))
        .bind(tenant)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn list_service_calls(
        &self,
        tenant: &TenantId,
        filter: &ServiceCallFilter,
    ) -> StoreResult<Vec<ServiceCallRow>> {
        Ok(sqlx::query_as(&format!(
            "select {SERVICE_CALL_COLUMNS} from service_calls
             where tenant_id = $1
               and ($2::text is null or status = $2)
               and ($3::text is null or tags ? $3)
               and ($4::timestamptz is null or due_at < $4)
               and ($5::uuid is null or service_call_id < $5)
             order by service_call_id desc
             limit $6"
        ))
        .bind(tenant)
        .bind(filter.status.map(|s| s.as_str()))
        .bind(&filter.tag)
        .bind(filter.due_before)
        .bind(filter.before)
        .bind(filter.limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
