//! The storage of follow-up tasks, written once for both SQL backends.

/// Implements the store of follow-up tasks for a backend: the same statements on
/// either, writes on the `writer` pool and reads on the `reader` pool (PostgreSQL names
/// its one pool twice; SQLite its single writer and its readers). The invoking module
/// provides `super::append_in` where events are appended.
macro_rules! task_store {
    ($store:ty, writer: $writer:ident, reader: $reader:ident) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use uuid::Uuid;

        use super::append_in;
        use $crate::store::care::sql;
        use $crate::store::{
            NewEvent, NewTask, Notice, StoreResult, TaskFilter, TaskRow, TaskStore, TenantId,
        };

        #[async_trait]
        impl TaskStore for $store {
            async fn insert_task(&self, t: &NewTask, events: &[NewEvent]) -> StoreResult<TaskRow> {
                let mut tx = self.begin_write().await?;
                // A repeated insert (same task or origin key) spends a number and
                // stores nothing: references may skip, never repeat.
                let (number,): (i64,) = sqlx::query_as(sql::NEXT_TASK_NUMBER)
                    .bind(&t.tenant_id)
                    .fetch_one(&mut *tx)
                    .await?;
                let inserted = sqlx::query(sql::INSERT_TASK)
                    .bind(&t.tenant_id)
                    .bind(t.task_id)
                    .bind(&t.patient_id)
                    .bind(&t.title)
                    .bind(&t.description)
                    .bind(&t.priority)
                    .bind(&t.severity)
                    .bind(t.sla_minutes)
                    .bind(&t.origin)
                    .bind(&t.origin_key)
                    .bind(t.interaction_id)
                    .bind(t.created_at)
                    .bind(number)
                    .execute(&mut *tx)
                    .await?;
                let row = match &t.origin_key {
                    Some(key) => {
                        sqlx::query_as(&sql::by_id("tasks", sql::TASK_COLUMNS, "origin_key"))
                            .bind(&t.tenant_id)
                            .bind(key)
                            .fetch_one(&mut *tx)
                            .await?
                    }
                    None => {
                        sqlx::query_as(&sql::by_id("tasks", sql::TASK_COLUMNS, "task_id"))
                            .bind(&t.tenant_id)
                            .bind(t.task_id)
                            .fetch_one(&mut *tx)
                            .await?
                    }
                };
                let announced = inserted.rows_affected() == 1 && !events.is_empty();
                if announced {
                    append_in(&mut tx, &t.tenant_id, events).await?;
                }
                tx.commit().await?;
                if announced {
                    self.announce_local(Notice::EventsAppended);
                }
                Ok(row)
            }

            async fn get_task(
                &self,
                tenant: &TenantId,
                task: Uuid,
            ) -> StoreResult<Option<TaskRow>> {
                Ok(
                    sqlx::query_as(&sql::by_id("tasks", sql::TASK_COLUMNS, "task_id"))
                        .bind(tenant)
                        .bind(task)
                        .fetch_optional(&self.$reader)
                        .await?,
                )
            }

            async fn list_tasks(
                &self,
                tenant: &TenantId,
                filter: &TaskFilter,
            ) -> StoreResult<Vec<TaskRow>> {
                Ok(sqlx::query_as(&sql::list_tasks())
                    .bind(tenant)
                    .bind(&filter.status)
                    .bind(filter.assignee_id)
                    .bind(&filter.patient_id)
                    .bind(filter.before)
                    .bind(filter.limit)
                    .fetch_all(&self.$reader)
                    .await?)
            }

            async fn resolve_task(
                &self,
                tenant: &TenantId,
                task: Uuid,
                resolution: Option<&str>,
                at: DateTime<Utc>,
                events: &[NewEvent],
            ) -> StoreResult<Option<(TaskRow, bool)>> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(sql::RESOLVE_TASK)
                    .bind(tenant)
                    .bind(task)
                    .bind(resolution)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                let row: Option<TaskRow> =
                    sqlx::query_as(&sql::by_id("tasks", sql::TASK_COLUMNS, "task_id"))
                        .bind(tenant)
                        .bind(task)
                        .fetch_optional(&mut *tx)
                        .await?;
                let resolved = done.rows_affected() == 1;
                let announced = resolved && !events.is_empty();
                if announced {
                    append_in(&mut tx, tenant, events).await?;
                }
                tx.commit().await?;
                if announced {
                    self.announce_local(Notice::EventsAppended);
                }
                Ok(row.map(|r| (r, resolved)))
            }

            async fn mark_task_sla(
                &self,
                tenant: &TenantId,
                task: Uuid,
                breach: bool,
                at: DateTime<Utc>,
            ) -> StoreResult<bool> {
                let statement = if breach {
                    sql::MARK_SLA_BREACHED
                } else {
                    sql::MARK_SLA_WARNED
                };
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(statement)
                    .bind(tenant)
                    .bind(task)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}

pub(crate) use task_store;
