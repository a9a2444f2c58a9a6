//! The storage of the notification log and daily send counts, written once for both SQL
//! backends.

/// Implements the store of the notification log and daily send counts for a backend:
/// the same statements on either, writes on the `writer` pool and reads on the `reader`
/// pool (PostgreSQL names its one pool twice; SQLite its single writer and its
/// readers). The invoking module provides `super::append_in` where events are appended.
macro_rules! notification_store {
    ($store:ty, writer: $writer:ident, reader: $reader:ident) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use uuid::Uuid;

        use super::append_in;
        use $crate::store::care::sql;
        use $crate::store::{
            NewEvent, NewNotification, Notice, NotificationFilter, NotificationRow,
            NotificationStore, ProviderUpdate, Reservation, SendResult, StoreResult, TenantId,
        };

        #[async_trait]
        impl NotificationStore for $store {
            async fn insert_notification(
                &self,
                n: &NewNotification,
            ) -> StoreResult<NotificationRow> {
                let mut tx = self.begin_write().await?;
                sqlx::query(sql::INSERT_NOTIFICATION)
                    .bind(&n.tenant_id)
                    .bind(n.notification_id)
                    .bind(&n.origin_key)
                    .bind(&n.kind)
                    .bind(&n.channel)
                    .bind(&n.recipient_kind)
                    .bind(&n.recipient_id)
                    .bind(&n.address)
                    .bind(&n.subject)
                    .bind(&n.body)
                    .bind(&n.priority)
                    .bind(n.task_id)
                    .bind(&n.patient_id)
                    .bind(n.attempt_id)
                    .bind(n.created_at)
                    .execute(&mut *tx)
                    .await?;
                let row = sqlx::query_as(&sql::by_id(
                    "notifications",
                    sql::NOTIFICATION_COLUMNS,
                    "origin_key",
                ))
                .bind(&n.tenant_id)
                .bind(&n.origin_key)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(row)
            }

            async fn get_notification(
                &self,
                tenant: &TenantId,
                id: Uuid,
            ) -> StoreResult<Option<NotificationRow>> {
                Ok(sqlx::query_as(&sql::by_id(
                    "notifications",
                    sql::NOTIFICATION_COLUMNS,
                    "notification_id",
                ))
                .bind(tenant)
                .bind(id)
                .fetch_optional(&self.$reader)
                .await?)
            }

            async fn list_notifications(
                &self,
                tenant: &TenantId,
                filter: &NotificationFilter,
            ) -> StoreResult<Vec<NotificationRow>> {
                Ok(sqlx::query_as(&sql::list_notifications())
                    .bind(tenant)
                    .bind(&filter.status)
                    .bind(&filter.channel)
                    .bind(&filter.patient_id)
                    .bind(filter.before)
                    .bind(filter.limit)
                    .fetch_all(&self.$reader)
                    .await?)
            }

            async fn reserve_send(
                &self,
                tenant: &TenantId,
                id: Uuid,
                channel: &str,
                day: &str,
                cap: i64,
            ) -> StoreResult<Reservation> {
                let mut tx = self.begin_write().await?;
                // Counting and marking the notification share the transaction, so a repeated
                // attempt sees the mark and never counts twice.
                let marked = sqlx::query(sql::SET_CAP_DAY)
                    .bind(tenant)
                    .bind(id)
                    .bind(day)
                    .execute(&mut *tx)
                    .await?;
                if marked.rows_affected() == 0 {
                    return Ok(Reservation::AlreadyCounted);
                }
                sqlx::query(sql::OPEN_DAY)
                    .bind(tenant)
                    .bind(day)
                    .bind(channel)
                    .execute(&mut *tx)
                    .await?;
                let counted = sqlx::query(sql::COUNT_SEND)
                    .bind(tenant)
                    .bind(day)
                    .bind(channel)
                    .bind(cap)
                    .execute(&mut *tx)
                    .await?;
                if counted.rows_affected() == 0 {
                    // Rolled back: the notification stays unmarked and uncounted.
                    return Ok(Reservation::CapReached);
                }
                tx.commit().await?;
                Ok(Reservation::Counted)
            }

            async fn begin_send(
                &self,
                tenant: &TenantId,
                id: Uuid,
                at: DateTime<Utc>,
            ) -> StoreResult<Option<NotificationRow>> {
                let mut tx = self.begin_write().await?;
                let started = sqlx::query(sql::BEGIN_SEND)
                    .bind(tenant)
                    .bind(id)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                if started.rows_affected() == 0 {
                    return Ok(None);
                }
                let row = sqlx::query_as(&sql::by_id(
                    "notifications",
                    sql::NOTIFICATION_COLUMNS,
                    "notification_id",
                ))
                .bind(tenant)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(row)
            }

            async fn finish_send(
                &self,
                tenant: &TenantId,
                id: Uuid,
                r: &SendResult,
            ) -> StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(sql::FINISH_SEND)
                    .bind(tenant)
                    .bind(id)
                    .bind(&r.status)
                    .bind(&r.provider)
                    .bind(&r.provider_id)
                    .bind(&r.provider_status)
                    .bind(&r.error)
                    .bind(&r.error_code)
                    .bind(r.at)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }

            async fn notification_by_provider_id(
                &self,
                provider_id: &str,
            ) -> StoreResult<Option<NotificationRow>> {
                Ok(sqlx::query_as(&format!(
                    "select {} from notifications where provider_id = $1",
                    sql::NOTIFICATION_COLUMNS
                ))
                .bind(provider_id)
                .fetch_optional(&self.$reader)
                .await?)
            }

            async fn apply_provider_status(
                &self,
                tenant: &TenantId,
                id: Uuid,
                u: &ProviderUpdate,
                events: &[NewEvent],
            ) -> StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(sql::APPLY_PROVIDER_STATUS)
                    .bind(tenant)
                    .bind(id)
                    .bind(u.expected.as_deref().unwrap_or(""))
                    .bind(&u.provider_status)
                    .bind(&u.status)
                    .bind(&u.error_code)
                    .bind(u.at)
                    .execute(&mut *tx)
                    .await?;
                if done.rows_affected() == 0 {
                    return Ok(false);
                }
                let announced = !events.is_empty();
                if announced {
                    append_in(&mut tx, tenant, events).await?;
                }
                tx.commit().await?;
                if announced {
                    self.announce_local(Notice::EventsAppended);
                }
                Ok(true)
            }
        }
    };
}

pub(crate) use notification_store;
