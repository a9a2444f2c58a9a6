//! The storage of SMS consent and of plans stopped early, written once for both SQL
//! backends.

/// Columns of `ConsentChangeRow`.
pub(crate) const CONSENT_COLUMNS: &str =
    "tenant_id, change_id, phone, action, keyword, message_sid, received_at";

/// Implements the consent store for a backend: the same statements on either, writes
/// on the `writer` pool and reads on the `reader` pool. The invoking module provides
/// `super::append_in` where events are appended.
macro_rules! consent_store {
    ($store:ty, writer: $writer:ident, reader: $reader:ident) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use uuid::Uuid;

        use super::append_in;
        use $crate::store::care::sql::PLAN_COLUMNS;
        use $crate::store::shared_sql::consent::CONSENT_COLUMNS;
        use $crate::store::{
            ConsentChangeRow, ConsentStore, NewEvent, Notice, PlanRow, StoreResult, TenantId,
        };

        #[async_trait]
        impl ConsentStore for $store {
            async fn record_consent_change(
                &self,
                c: &ConsentChangeRow,
                events: &[NewEvent],
            ) -> StoreResult<bool> {
                let mut tx = self.$writer.begin().await?;
                let inserted = sqlx::query(
                    "insert into sms_consent_changes (tenant_id, change_id, phone, action,
                                                      keyword, message_sid, received_at)
                     values ($1, $2, $3, $4, $5, $6, $7)
                     on conflict do nothing",
                )
                .bind(&c.tenant_id)
                .bind(c.change_id)
                .bind(&c.phone)
                .bind(&c.action)
                .bind(&c.keyword)
                .bind(&c.message_sid)
                .bind(c.received_at)
                .execute(&mut *tx)
                .await?;
                if inserted.rows_affected() == 0 {
                    return Ok(false);
                }
                if !events.is_empty() {
                    append_in(&mut tx, &c.tenant_id, events).await?;
                }
                tx.commit().await?;
                if !events.is_empty() {
                    self.announce_local(Notice::EventsAppended);
                }
                Ok(true)
            }

            async fn latest_consent(
                &self,
                tenant: &TenantId,
                phone: &str,
            ) -> StoreResult<Option<ConsentChangeRow>> {
                Ok(sqlx::query_as(&format!(
                    "select {CONSENT_COLUMNS} from sms_consent_changes
                     where tenant_id = $1 and phone = $2
                     order by received_at desc, change_id desc limit 1"
                ))
                .bind(tenant)
                .bind(phone)
                .fetch_optional(&self.$reader)
                .await?)
            }

            async fn plan_by_origin(
                &self,
                tenant: &TenantId,
                origin: &str,
            ) -> StoreResult<Option<PlanRow>> {
                Ok(sqlx::query_as(&format!(
                    "select {PLAN_COLUMNS} from outreach_plans
                     where tenant_id = $1 and origin_key = $2"
                ))
                .bind(tenant)
                .bind(origin)
                .fetch_optional(&self.$reader)
                .await?)
            }

            async fn stop_plan(
                &self,
                tenant: &TenantId,
                plan: Uuid,
                status: &str,
                at: DateTime<Utc>,
            ) -> StoreResult<bool> {
                let mut tx = self.$writer.begin().await?;
                let stopped = sqlx::query(
                    "update outreach_plans set status = $3, finished_at = $4
                     where tenant_id = $1 and plan_id = $2 and status = 'ACTIVE'",
                )
                .bind(tenant)
                .bind(plan)
                .bind(status)
                .bind(at)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "update outreach_attempts set status = 'CANCELLED', finished_at = $3
                     where tenant_id = $1 and plan_id = $2 and status = 'AWAITING_REPLY'",
                )
                .bind(tenant)
                .bind(plan)
                .bind(at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(stopped.rows_affected() == 1)
            }
        }
    };
}

pub(crate) use consent_store;
