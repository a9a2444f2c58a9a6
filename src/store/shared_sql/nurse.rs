//! The storage of nurses, shifts and assignment, written once for both SQL backends.

/// Implements the store of nurses, shifts and assignment for a backend: the same
/// statements on either, writes on the `writer` pool and reads on the `reader` pool
/// (PostgreSQL names its one pool twice; SQLite its single writer and its readers).
macro_rules! nurse_store {
    ($store:ty, writer: $writer:ident, reader: $reader:ident) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use uuid::Uuid;

        use $crate::store::care::sql;
        use $crate::store::{
            AssignOutcome, CandidateRow, NewNurse, NurseRow, NurseStore, ShiftRow, StoreResult,
            TenantId,
        };

        #[async_trait]
        impl NurseStore for $store {
            async fn insert_nurse(&self, n: &NewNurse) -> StoreResult<NurseRow> {
                let mut tx = self.begin_write().await?;
                sqlx::query(sql::INSERT_NURSE)
                    .bind(&n.tenant_id)
                    .bind(n.nurse_id)
                    .bind(&n.name)
                    .bind(&n.phone)
                    .bind(&n.email)
                    .bind(&n.preferred_channel)
                    .bind(n.max_open_tasks)
                    .bind(n.created_at)
                    .execute(&mut *tx)
                    .await?;
                let row = sqlx::query_as(&sql::by_id("nurses", sql::NURSE_COLUMNS, "nurse_id"))
                    .bind(&n.tenant_id)
                    .bind(n.nurse_id)
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(row)
            }

            async fn get_nurse(
                &self,
                tenant: &TenantId,
                nurse: Uuid,
            ) -> StoreResult<Option<NurseRow>> {
                Ok(
                    sqlx::query_as(&sql::by_id("nurses", sql::NURSE_COLUMNS, "nurse_id"))
                        .bind(tenant)
                        .bind(nurse)
                        .fetch_optional(&self.$reader)
                        .await?,
                )
            }

            async fn list_nurses(&self, tenant: &TenantId) -> StoreResult<Vec<NurseRow>> {
                Ok(sqlx::query_as(&format!(
                    "select {} from nurses where tenant_id = $1 order by name, nurse_id",
                    sql::NURSE_COLUMNS
                ))
                .bind(tenant)
                .fetch_all(&self.$reader)
                .await?)
            }

            async fn insert_shift(&self, s: &ShiftRow) -> StoreResult<ShiftRow> {
                let mut tx = self.begin_write().await?;
                sqlx::query(sql::INSERT_SHIFT)
                    .bind(&s.tenant_id)
                    .bind(s.shift_id)
                    .bind(s.nurse_id)
                    .bind(s.starts_at)
                    .bind(s.ends_at)
                    .bind(s.created_at)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(s.clone())
            }

            async fn shifts_ending_after(
                &self,
                tenant: &TenantId,
                after: DateTime<Utc>,
            ) -> StoreResult<Vec<ShiftRow>> {
                Ok(sqlx::query_as(&format!(
                    "select {} from nurse_shifts where tenant_id = $1 and ends_at > $2
                     order by starts_at, shift_id",
                    sql::SHIFT_COLUMNS
                ))
                .bind(tenant)
                .bind(after)
                .fetch_all(&self.$reader)
                .await?)
            }

            async fn assignment_candidates(
                &self,
                tenant: &TenantId,
                at: DateTime<Utc>,
            ) -> StoreResult<Vec<CandidateRow>> {
                Ok(sqlx::query_as(sql::CANDIDATES)
                    .bind(tenant)
                    .bind(at)
                    .fetch_all(&self.$reader)
                    .await?)
            }

            async fn assign_task(
                &self,
                tenant: &TenantId,
                task: Uuid,
                nurse: Uuid,
                expected_count: i64,
                at: DateTime<Utc>,
            ) -> StoreResult<AssignOutcome> {
                let mut tx = self.begin_write().await?;
                let taken = sqlx::query(sql::TAKE_TURN)
                    .bind(tenant)
                    .bind(nurse)
                    .bind(expected_count)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                if taken.rows_affected() == 0 {
                    return Ok(AssignOutcome::NurseChanged);
                }
                let assigned = sqlx::query(sql::ASSIGN_TASK)
                    .bind(tenant)
                    .bind(task)
                    .bind(nurse)
                    .bind(at)
                    .execute(&mut *tx)
                    .await?;
                if assigned.rows_affected() == 0 {
                    // Dropping the transaction rolls the nurse's turn back.
                    return Ok(AssignOutcome::TaskNotOpen);
                }
                let row = sqlx::query_as(&sql::by_id("tasks", sql::TASK_COLUMNS, "task_id"))
                    .bind(tenant)
                    .bind(task)
                    .fetch_one(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(AssignOutcome::Assigned(Box::new(row)))
            }
        }
    };
}

pub(crate) use nurse_store;
