//! Scheduled service calls, written once for both SQL backends: each write is one
//! transaction holding the conditional update and the event it publishes. What
//! differs per backend: how a submission meets an earlier one with its idempotency
//! key, how an event is appended and heard, and how JSON arrays are read.

/// Implements `ServiceCallStore` for a backend: writes in its fenced `begin_write`
/// transaction on the `writer` pool, reads on the `reader` pool. `statuses` lists the values of the JSON array bound as `$3`;
/// `has_tag` holds when the JSON array `tags` contains `$3`. The invoking module
/// provides `insert_call_in` (a submission inside a transaction), `append_event`
/// (one event inside a transaction) and the store's `events_appended` (tells the
/// replicas after the commit, where the append did not already).
macro_rules! service_call_store {
    (
        $store:ty, writer: $writer:ident, reader: $reader:ident,
        statuses: $statuses:literal, has_tag: $has_tag:literal
    ) => {
        use async_trait::async_trait;
        use sqlx::types::Json;
        use uuid::Uuid;

        use $crate::store::service_calls::SERVICE_CALL_COLUMNS;
        use $crate::store::{
            InsertServiceCall, NewEvent, NewServiceCall, ServiceCallFilter, ServiceCallRow,
            ServiceCallStore, ServiceCallTransition, StoreResult, TenantId,
        };

        #[async_trait]
        impl ServiceCallStore for $store {
            async fn insert_service_call(
                &self,
                call: &NewServiceCall,
                event: &NewEvent,
            ) -> StoreResult<InsertServiceCall> {
                let mut tx = self.begin_write().await?;
                let inserted = insert_call_in(&mut tx, call, event).await?;
                // A duplicate wrote nothing: its transaction just ends.
                if let InsertServiceCall::Created(_) = &inserted {
                    tx.commit().await?;
                    self.events_appended();
                }
                Ok(inserted)
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
                     where tenant_id = $1 and service_call_id = $2 and status in ({})
                       and ($10 is null or run_id = $10)
                       and ($7 is null or attempts < $7)
                     returning {SERVICE_CALL_COLUMNS}",
                    $statuses
                ))
                .bind(tenant)
                .bind(id)
                .bind(Json(from))
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
                if change.event.is_some() {
                    self.events_appended();
                }
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
                .fetch_optional(&self.$reader)
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
                       and ($2 is null or status = $2)
                       and ($3 is null or {})
                       and ($4 is null or due_at < $4)
                       and ($5 is null or service_call_id < $5)
                     order by service_call_id desc
                     limit $6",
                    $has_tag
                ))
                .bind(tenant)
                .bind(filter.status.map(|s| s.as_str()))
                .bind(&filter.tag)
                .bind(filter.due_before)
                .bind(filter.before)
                .bind(filter.limit)
                .fetch_all(&self.$reader)
                .await?)
            }
        }
    };
}

pub(crate) use service_call_store;
