//! The storage of the discharge workflow's cases, summaries, emails and calls, written
//! once for both SQL backends.

/// Implements the store of the discharge workflow's cases, summaries, emails and calls
/// for a backend: the same statements on either, writes on the `writer` pool and reads
/// on the `reader` pool (PostgreSQL names its one pool twice; SQLite its single writer
/// and its readers).
macro_rules! discharge_store {
    ($store:ty, writer: $writer:ident, reader: $reader:ident, row: $row:ty) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use sqlx::types::Json;
        use uuid::Uuid;

        use $crate::store::discharge::sql::{self, Table};
        use $crate::store::{
            CallOutcome, CallRow, CaseRow, DischargeStore, EmailOutcome, EmailRow, NewCall,
            NewCase, NewEmail, NewSummary, RunId, StoreResult, SummaryRow, TenantId,
        };

        impl $store {
            async fn fetch<T>(
                &self,
                table: Table,
                tenant: &TenantId,
                id: Uuid,
            ) -> StoreResult<Option<T>>
            where
                T: for<'r> sqlx::FromRow<'r, $row> + Send + Unpin,
            {
                Ok(sqlx::query_as(&sql::by_id(table))
                    .bind(tenant)
                    .bind(id)
                    .fetch_optional(&self.$reader)
                    .await?)
            }
        }

        #[async_trait]
        impl DischargeStore for $store {
            async fn insert_case(&self, c: &NewCase) -> StoreResult<CaseRow> {
                let mut tx = self.begin_write().await?;
                sqlx::query(sql::INSERT_CASE)
                    .bind(&c.tenant_id)
                    .bind(c.case_id)
                    .bind(&c.origin_key)
                    .bind(c.run_id)
                    .bind(&c.mode)
                    .bind(&c.source)
                    .bind(Json(&c.patient))
                    .bind(Json(&c.data))
                    .bind(Json(&c.entities))
                    .bind(c.created_at)
                    .execute(&mut *tx)
                    .await?;
                let row = sqlx::query_as(&sql::by_origin(Table::Cases))
                    .bind(&c.tenant_id)
                    .bind(&c.origin_key)
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(row)
            }

            async fn get_case(
                &self,
                tenant: &TenantId,
                case_id: Uuid,
            ) -> StoreResult<Option<CaseRow>> {
                self.fetch(Table::Cases, tenant, case_id).await
            }

            async fn insert_summary(&self, s: &NewSummary) -> StoreResult<SummaryRow> {
                let mut tx = self.begin_write().await?;
                sqlx::query(sql::INSERT_SUMMARY)
                    .bind(&s.tenant_id)
                    .bind(s.summary_id)
                    .bind(s.case_id)
                    .bind(&s.origin_key)
                    .bind(s.run_id)
                    .bind(&s.generated_by)
                    .bind(&s.content)
                    .bind(s.created_at)
                    .execute(&mut *tx)
                    .await?;
                let row = sqlx::query_as(&sql::by_origin(Table::Summaries))
                    .bind(&s.tenant_id)
                    .bind(&s.origin_key)
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(row)
            }

            async fn get_summary(
                &self,
                tenant: &TenantId,
                summary_id: Uuid,
            ) -> StoreResult<Option<SummaryRow>> {
                self.fetch(Table::Summaries, tenant, summary_id).await
            }

            async fn insert_email(&self, e: &NewEmail) -> StoreResult<EmailRow> {
                let mut tx = self.begin_write().await?;
                sqlx::query(sql::INSERT_EMAIL)
                    .bind(&e.tenant_id)
                    .bind(e.email_id)
                    .bind(e.case_id)
                    .bind(e.summary_id)
                    .bind(&e.origin_key)
                    .bind(e.run_id)
                    .bind(&e.recipient)
                    .bind(&e.subject)
                    .bind(&e.html_body)
                    .bind(&e.text_body)
                    .bind(e.created_at)
                    .execute(&mut *tx)
                    .await?;
                let row = sqlx::query_as(&sql::by_origin(Table::Emails))
                    .bind(&e.tenant_id)
                    .bind(&e.origin_key)
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(row)
            }

            async fn get_email(
                &self,
                tenant: &TenantId,
                email_id: Uuid,
            ) -> StoreResult<Option<EmailRow>> {
                self.fetch(Table::Emails, tenant, email_id).await
            }

            async fn schedule_email(
                &self,
                tenant: &TenantId,
                email_id: Uuid,
                at: DateTime<Utc>,
                now: DateTime<Utc>,
            ) -> StoreResult<Option<EmailRow>> {
                let mut tx = self.begin_write().await?;
                sqlx::query(sql::SCHEDULE_EMAIL)
                    .bind(tenant)
                    .bind(email_id)
                    .bind(at)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                self.get_email(tenant, email_id).await
            }

            async fn set_email_delivery_run(
                &self,
                tenant: &TenantId,
                email_id: Uuid,
                run: RunId,
                now: DateTime<Utc>,
            ) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query(sql::SET_EMAIL_RUN)
                    .bind(tenant)
                    .bind(email_id)
                    .bind(run)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn start_email_attempt(
                &self,
                tenant: &TenantId,
                email_id: Uuid,
                run: RunId,
                now: DateTime<Utc>,
            ) -> StoreResult<Option<EmailRow>> {
                let mut tx = self.begin_write().await?;
                sqlx::query(sql::START_EMAIL_ATTEMPT)
                    .bind(tenant)
                    .bind(email_id)
                    .bind(now)
                    .bind(run)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                self.get_email(tenant, email_id).await
            }

            async fn finish_email_attempt(
                &self,
                tenant: &TenantId,
                email_id: Uuid,
                o: &EmailOutcome,
                now: DateTime<Utc>,
            ) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query(sql::FINISH_EMAIL_ATTEMPT)
                    .bind(tenant)
                    .bind(email_id)
                    .bind(o.status.as_str())
                    .bind(&o.last_error)
                    .bind(&o.delivered_via)
                    .bind(&o.message_id)
                    .bind(o.sent_at)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn cancel_email(
                &self,
                tenant: &TenantId,
                email_id: Uuid,
                run: Option<RunId>,
                now: DateTime<Utc>,
            ) -> StoreResult<Option<EmailRow>> {
                let q = match run {
                    Some(run) => sqlx::query(sql::CANCEL_EMAIL_OF_RUN)
                        .bind(tenant)
                        .bind(email_id)
                        .bind(now)
                        .bind(run),
                    None => sqlx::query(sql::CANCEL_EMAIL)
                        .bind(tenant)
                        .bind(email_id)
                        .bind(now),
                };
                q.execute(&self.$writer).await?;
                self.get_email(tenant, email_id).await
            }

            async fn resend_email(
                &self,
                tenant: &TenantId,
                email_id: Uuid,
                at: DateTime<Utc>,
                now: DateTime<Utc>,
            ) -> StoreResult<Option<EmailRow>> {
                let done = sqlx::query(sql::RESEND_EMAIL)
                    .bind(tenant)
                    .bind(email_id)
                    .bind(at)
                    .bind(now)
                    .execute(&self.$writer)
                    .await?;
                if done.rows_affected() == 0 {
                    return Ok(None);
                }
                self.get_email(tenant, email_id).await
            }

            async fn cancel_call(
                &self,
                tenant: &TenantId,
                call_id: Uuid,
                run: Option<RunId>,
                now: DateTime<Utc>,
            ) -> StoreResult<Option<CallRow>> {
                let q = match run {
                    Some(run) => sqlx::query(sql::CANCEL_CALL_OF_RUN)
                        .bind(tenant)
                        .bind(call_id)
                        .bind(now)
                        .bind(run),
                    None => sqlx::query(sql::CANCEL_CALL)
                        .bind(tenant)
                        .bind(call_id)
                        .bind(now),
                };
                q.execute(&self.$writer).await?;
                self.get_call(tenant, call_id).await
            }

            async fn insert_call(&self, c: &NewCall) -> StoreResult<CallRow> {
                let mut tx = self.begin_write().await?;
                sqlx::query(sql::INSERT_CALL)
                    .bind(&c.tenant_id)
                    .bind(c.call_id)
                    .bind(c.case_id)
                    .bind(&c.origin_key)
                    .bind(c.run_id)
                    .bind(&c.to_phone)
                    .bind(&c.script)
                    .bind(c.scheduled_for)
                    .bind(c.created_at)
                    .execute(&mut *tx)
                    .await?;
                let row = sqlx::query_as(&sql::by_origin(Table::Calls))
                    .bind(&c.tenant_id)
                    .bind(&c.origin_key)
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(row)
            }

            async fn get_call(
                &self,
                tenant: &TenantId,
                call_id: Uuid,
            ) -> StoreResult<Option<CallRow>> {
                self.fetch(Table::Calls, tenant, call_id).await
            }

            async fn set_call_placement_run(
                &self,
                tenant: &TenantId,
                call_id: Uuid,
                run: RunId,
                now: DateTime<Utc>,
            ) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query(sql::SET_CALL_RUN)
                    .bind(tenant)
                    .bind(call_id)
                    .bind(run)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn start_call_attempt(
                &self,
                tenant: &TenantId,
                call_id: Uuid,
                run: RunId,
                now: DateTime<Utc>,
            ) -> StoreResult<Option<CallRow>> {
                let mut tx = self.begin_write().await?;
                sqlx::query(sql::START_CALL_ATTEMPT)
                    .bind(tenant)
                    .bind(call_id)
                    .bind(now)
                    .bind(run)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                self.get_call(tenant, call_id).await
            }

            async fn finish_call_attempt(
                &self,
                tenant: &TenantId,
                call_id: Uuid,
                o: &CallOutcome,
                now: DateTime<Utc>,
            ) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query(sql::FINISH_CALL_ATTEMPT)
                    .bind(tenant)
                    .bind(call_id)
                    .bind(o.status.as_str())
                    .bind(&o.last_error)
                    .bind(&o.provider_call_id)
                    .bind(&o.provider_status)
                    .bind(o.placed_at)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }
        }
    };
}

pub(crate) use discharge_store;
