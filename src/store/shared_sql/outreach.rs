//! The storage of outreach plans, attempts and interactions, written once for both SQL
//! backends.

/// Implements the store of outreach plans, attempts and interactions for a backend: the
/// same statements on either, writes on the `writer` pool and reads on the `reader`
/// pool (PostgreSQL names its one pool twice; SQLite its single writer and its
/// readers). The invoking module provides `super::append_in` where events are appended.
macro_rules! outreach_store {
    ($store:ty, writer: $writer:ident, reader: $reader:ident) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use sqlx::types::Json;
        use uuid::Uuid;

        use super::append_in;
        use $crate::store::care::sql;
        use $crate::store::{
            AttemptRow, Classified, InteractionRow, NewAttempt, NewEvent, NewInteraction, NewPlan,
            Notice, OutreachStore, PlanRow, StoreResult, TenantId,
        };

        #[async_trait]
        impl OutreachStore for $store {
            async fn insert_plan(&self, p: &NewPlan) -> StoreResult<PlanRow> {
                let mut tx = self.begin_write().await?;
                sqlx::query(sql::INSERT_PLAN)
                    .bind(&p.tenant_id)
                    .bind(p.plan_id)
                    .bind(&p.origin_key)
                    .bind(&p.patient_id)
                    .bind(&p.phone)
                    .bind(&p.patient_name)
                    .bind(p.discharged_at)
                    .bind(p.max_attempts)
                    .bind(p.reply_timeout_secs)
                    .bind(p.created_at)
                    .execute(&mut *tx)
                    .await?;
                let row = sqlx::query_as(&sql::by_id(
                    "outreach_plans",
                    sql::PLAN_COLUMNS,
                    "origin_key",
                ))
                .bind(&p.tenant_id)
                .bind(&p.origin_key)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(row)
            }

            async fn get_plan(
                &self,
                tenant: &TenantId,
                plan: Uuid,
            ) -> StoreResult<Option<PlanRow>> {
                Ok(
                    sqlx::query_as(&sql::by_id("outreach_plans", sql::PLAN_COLUMNS, "plan_id"))
                        .bind(tenant)
                        .bind(plan)
                        .fetch_optional(&self.$reader)
                        .await?,
                )
            }

            async fn plans_for_patient(
                &self,
                tenant: &TenantId,
                patient: &str,
            ) -> StoreResult<Vec<PlanRow>> {
                Ok(sqlx::query_as(&format!(
                    "select {} from outreach_plans where tenant_id = $1 and patient_id = $2
                     order by created_at, plan_id",
                    sql::PLAN_COLUMNS
                ))
                .bind(tenant)
                .bind(patient)
                .fetch_all(&self.$reader)
                .await?)
            }

            async fn finish_plan(
                &self,
                tenant: &TenantId,
                plan: Uuid,
                status: &str,
                at: DateTime<Utc>,
            ) -> StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(sql::FINISH_PLAN)
                    .bind(tenant)
                    .bind(plan)
                    .bind(status)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }

            async fn insert_attempt(&self, a: &NewAttempt) -> StoreResult<AttemptRow> {
                let mut tx = self.begin_write().await?;
                sqlx::query(sql::INSERT_ATTEMPT)
                    .bind(&a.tenant_id)
                    .bind(a.attempt_id)
                    .bind(a.plan_id)
                    .bind(a.attempt_number)
                    .bind(&a.channel)
                    .bind(a.sent_at)
                    .execute(&mut *tx)
                    .await?;
                let row = sqlx::query_as(&format!(
                    "select {} from outreach_attempts
                     where tenant_id = $1 and plan_id = $2 and attempt_number = $3",
                    sql::ATTEMPT_COLUMNS
                ))
                .bind(&a.tenant_id)
                .bind(a.plan_id)
                .bind(a.attempt_number)
                .fetch_one(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(row)
            }

            async fn finish_attempt(
                &self,
                tenant: &TenantId,
                attempt: Uuid,
                status: &str,
                interaction: Option<Uuid>,
                at: DateTime<Utc>,
            ) -> StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(sql::FINISH_ATTEMPT)
                    .bind(tenant)
                    .bind(attempt)
                    .bind(status)
                    .bind(interaction)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }

            async fn attempts_for_patient(
                &self,
                tenant: &TenantId,
                patient: &str,
            ) -> StoreResult<Vec<AttemptRow>> {
                Ok(sqlx::query_as(&sql::attempts_for_patient())
                    .bind(tenant)
                    .bind(patient)
                    .fetch_all(&self.$reader)
                    .await?)
            }

            async fn insert_interaction(
                &self,
                i: &NewInteraction,
                events: &[NewEvent],
            ) -> StoreResult<(InteractionRow, bool)> {
                let mut tx = self.begin_write().await?;
                let inserted = sqlx::query(sql::INSERT_INTERACTION)
                    .bind(&i.tenant_id)
                    .bind(i.interaction_id)
                    .bind(&i.patient_id)
                    .bind(i.plan_id)
                    .bind(&i.channel)
                    .bind(&i.body)
                    .bind(&i.message_sid)
                    .bind(&i.origin_key)
                    .bind(i.received_at)
                    .execute(&mut *tx)
                    .await?;
                let (column, key) = match (&i.message_sid, &i.origin_key) {
                    (Some(sid), _) => ("message_sid", sid.clone()),
                    (None, Some(origin)) => ("origin_key", origin.clone()),
                    (None, None) => ("interaction_id", String::new()),
                };
                let query = sql::by_id("interactions", sql::INTERACTION_COLUMNS, column);
                let row = if column == "interaction_id" {
                    sqlx::query_as(&query)
                        .bind(&i.tenant_id)
                        .bind(i.interaction_id)
                        .fetch_one(&mut *tx)
                        .await?
                } else {
                    sqlx::query_as(&query)
                        .bind(&i.tenant_id)
                        .bind(key)
                        .fetch_one(&mut *tx)
                        .await?
                };
                let new = inserted.rows_affected() == 1;
                let announced = new && !events.is_empty();
                if announced {
                    append_in(&mut tx, &i.tenant_id, events).await?;
                }
                tx.commit().await?;
                if announced {
                    self.announce_local(Notice::EventsAppended);
                }
                Ok((row, new))
            }

            async fn get_interaction(
                &self,
                tenant: &TenantId,
                id: Uuid,
            ) -> StoreResult<Option<InteractionRow>> {
                Ok(sqlx::query_as(&sql::by_id(
                    "interactions",
                    sql::INTERACTION_COLUMNS,
                    "interaction_id",
                ))
                .bind(tenant)
                .bind(id)
                .fetch_optional(&self.$reader)
                .await?)
            }

            async fn classify_interaction(
                &self,
                tenant: &TenantId,
                id: Uuid,
                c: &Classified,
            ) -> StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(sql::CLASSIFY_INTERACTION)
                    .bind(tenant)
                    .bind(id)
                    .bind(&c.severity)
                    .bind(Json(&c.matched_rules))
                    .bind(&c.reason)
                    .bind(c.at)
                    .bind(&c.decided_by)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }

            async fn set_interaction_task(
                &self,
                tenant: &TenantId,
                id: Uuid,
                task: Uuid,
            ) -> StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(sql::SET_INTERACTION_TASK)
                    .bind(tenant)
                    .bind(id)
                    .bind(task)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }

            async fn interactions_for_patient(
                &self,
                tenant: &TenantId,
                patient: &str,
            ) -> StoreResult<Vec<InteractionRow>> {
                Ok(sqlx::query_as(&format!(
                    "select {} from interactions where tenant_id = $1 and patient_id = $2
                     order by received_at, interaction_id",
                    sql::INTERACTION_COLUMNS
                ))
                .bind(tenant)
                .bind(patient)
                .fetch_all(&self.$reader)
                .await?)
            }

            async fn reply_since(
                &self,
                tenant: &TenantId,
                patient: &str,
                since: DateTime<Utc>,
            ) -> StoreResult<Option<InteractionRow>> {
                Ok(sqlx::query_as(&format!(
                    "select {} from interactions
                     where tenant_id = $1 and patient_id = $2 and direction = 'inbound'
                       and received_at >= $3
                     order by received_at desc limit 1",
                    sql::INTERACTION_COLUMNS
                ))
                .bind(tenant)
                .bind(patient)
                .bind(since)
                .fetch_optional(&self.$reader)
                .await?)
            }
        }
    };
}

pub(crate) use outreach_store;
