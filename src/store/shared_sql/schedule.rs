//! Schedule versions, shift instances, assignments and coverage, written once for both
//! SQL backends. Each phase's rows go in one transaction. Only two things differ per
//! backend: how many rows are inserted at once (PostgreSQL sends them as arrays in one
//! statement, SQLite one statement per row on its single writer), and whether the
//! version row is locked (PostgreSQL locks it so two writers of one phase queue up;
//! SQLite's single writer already keeps other writers out).

/// Columns of `VersionRow`.
pub(crate) const VERSION_COLUMNS: &str = "version_id, hospital_id, upload_id, run_id, status, \
     period_start, period_end, shift_count, created_by, created_at, assignments_fetched_at, \
     assignments_matched, assignments_unmatched, published_at, published_by, superseded_at, \
     superseded_by";
/// Columns of `ShiftInstanceRow`.
pub(crate) const SHIFT_COLUMNS: &str = "shift_id, position, sheet, row_number, shift_date, \
     shift_name, service, starts_at, ends_at, required_staff";
/// Columns of `AssignmentRow`.
pub(crate) const ASSIGNMENT_COLUMNS: &str = "assignment_id, shift_id, position, staff_name, \
     staff_key, staff_ref, assignment_name, starts_at, ends_at";

/// Implements `ScheduleStore` for a backend: writes on the `writer` pool, reads on the
/// `reader` pool; `lock` ends the selects that hold a version row for the transaction,
/// and `db` is the backend's database type. The invoking module provides
/// `insert_shifts`, `insert_assignments` and `insert_coverage`, which write many rows
/// inside the phase's transaction.
macro_rules! schedule_store {
    (
        $store:ty, writer: $writer:ident, reader: $reader:ident,
        lock: $lock:literal, db: $db:ty
    ) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use sqlx::types::Json;
        use uuid::Uuid;

        use $crate::store::shared_sql::schedule::{
            ASSIGNMENT_COLUMNS, SHIFT_COLUMNS, VERSION_COLUMNS,
        };
        use $crate::store::{
            AssignmentBatch, AssignmentRow, CoverageRow, CoverageWrite, CreatedVersion,
            NewScheduleVersion, Published, ScheduleStore, ShiftCoverageRow, ShiftInstanceRow,
            StoreError, StoreResult, TenantId, VersionRow,
        };

        #[async_trait]
        impl ScheduleStore for $store {
            async fn create_version_with_shifts(
                &self,
                tenant: &TenantId,
                v: &NewScheduleVersion,
            ) -> StoreResult<CreatedVersion> {
                let mut tx = self.begin_write().await?;
                let existing: Option<VersionRow> = sqlx::query_as(&format!(
                    "select {VERSION_COLUMNS} from schedule_versions
                     where tenant_id = $1 and upload_id = $2"
                ))
                .bind(tenant)
                .bind(v.upload_id)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(existing) = existing {
                    return Ok(CreatedVersion::Existing(Box::new(existing)));
                }
                sqlx::query(
                    "insert into schedule_versions (tenant_id, version_id, hospital_id, upload_id, run_id,
                        status, period_start, period_end, shift_count, created_by, created_at)
                     values ($1, $2, $3, $4, $5, 'draft', $6, $7, $8, $9, $10)",
                )
                .bind(tenant)
                .bind(v.version_id)
                .bind(v.hospital_id)
                .bind(v.upload_id)
                .bind(v.run_id)
                .bind(v.period_start)
                .bind(v.period_end)
                .bind(v.shifts.len() as i32)
                .bind(&v.created_by)
                .bind(v.created_at)
                .execute(&mut *tx)
                .await?;
                insert_shifts(&mut tx, tenant, v.version_id, &v.shifts).await?;
                tx.commit().await?;
                Ok(CreatedVersion::Created)
            }

            async fn get_version(&self, tenant: &TenantId, id: Uuid) -> StoreResult<Option<VersionRow>> {
                Ok(sqlx::query_as(&format!(
                    "select {VERSION_COLUMNS} from schedule_versions
                     where tenant_id = $1 and version_id = $2"
                ))
                .bind(tenant)
                .bind(id)
                .fetch_optional(&self.$reader)
                .await?)
            }

            async fn list_versions(
                &self,
                tenant: &TenantId,
                hospital: Uuid,
                before: Option<Uuid>,
                limit: i64,
            ) -> StoreResult<Vec<VersionRow>> {
                Ok(sqlx::query_as(&format!(
                    "select {VERSION_COLUMNS} from schedule_versions
                     where tenant_id = $1 and hospital_id = $2
                       and ($3 is null or version_id < $3)
                     order by version_id desc limit $4"
                ))
                .bind(tenant)
                .bind(hospital)
                .bind(before)
                .bind(limit)
                .fetch_all(&self.$reader)
                .await?)
            }

            async fn publish_version(
                &self,
                tenant: &TenantId,
                version: Uuid,
                by: &str,
                at: DateTime<Utc>,
            ) -> StoreResult<Published> {
                let mut tx = self.$writer.begin().await?;
                let row: Option<VersionRow> = sqlx::query_as(&format!(
                    "select {VERSION_COLUMNS} from schedule_versions
                     where tenant_id = $1 and version_id = $2{}",
                    $lock
                ))
                .bind(tenant)
                .bind(version)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(row) = row else {
                    return Ok(Published::NotFound);
                };
                if row.status != "draft" {
                    return Ok(Published::NotDraft(row.status));
                }
                let overlap: Option<Uuid> = sqlx::query_scalar(
                    "select version_id from schedule_versions
                     where tenant_id = $1 and hospital_id = $2 and status = 'published'
                       and not (period_start = $3 and period_end = $4)
                       and period_start <= $4 and period_end >= $3
                     limit 1",
                )
                .bind(tenant)
                .bind(row.hospital_id)
                .bind(row.period_start)
                .bind(row.period_end)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(other) = overlap {
                    return Ok(Published::Overlaps(other));
                }
                let superseded: Vec<Uuid> = sqlx::query_scalar(
                    "update schedule_versions set status = 'superseded', superseded_at = $5,
                        superseded_by = $6
                     where tenant_id = $1 and hospital_id = $2 and status = 'published'
                       and period_start = $3 and period_end = $4
                     returning version_id",
                )
                .bind(tenant)
                .bind(row.hospital_id)
                .bind(row.period_start)
                .bind(row.period_end)
                .bind(at)
                .bind(version)
                .fetch_all(&mut *tx)
                .await?;
                sqlx::query(
                    "update schedule_versions set status = 'published', published_at = $3,
                        published_by = $4
                     where tenant_id = $1 and version_id = $2",
                )
                .bind(tenant)
                .bind(version)
                .bind(at)
                .bind(by)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Published::Published { superseded })
            }

            async fn list_shifts(
                &self,
                tenant: &TenantId,
                version: Uuid,
            ) -> StoreResult<Vec<ShiftInstanceRow>> {
                Ok(sqlx::query_as(&format!(
                    "select {SHIFT_COLUMNS} from shift_instances
                     where tenant_id = $1 and version_id = $2 order by position"
                ))
                .bind(tenant)
                .bind(version)
                .fetch_all(&self.$reader)
                .await?)
            }

            async fn store_assignments(&self, tenant: &TenantId, b: &AssignmentBatch) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                lock_version(&mut tx, tenant, b.version_id).await?;
                sqlx::query("delete from shift_assignments where tenant_id = $1 and version_id = $2")
                    .bind(tenant)
                    .bind(b.version_id)
                    .execute(&mut *tx)
                    .await?;
                insert_assignments(&mut tx, tenant, b.version_id, &b.assignments).await?;
                sqlx::query(
                    "update schedule_versions set assignments_fetched_at = $3, assignments_matched = $4,
                        assignments_unmatched = $5
                     where tenant_id = $1 and version_id = $2",
                )
                .bind(tenant)
                .bind(b.version_id)
                .bind(b.fetched_at)
                .bind(b.assignments.len() as i32)
                .bind(b.unmatched)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn list_assignments(
                &self,
                tenant: &TenantId,
                version: Uuid,
            ) -> StoreResult<Vec<AssignmentRow>> {
                Ok(sqlx::query_as(&format!(
                    "select {ASSIGNMENT_COLUMNS} from shift_assignments
                     where tenant_id = $1 and version_id = $2 order by position, assignment_id"
                ))
                .bind(tenant)
                .bind(version)
                .fetch_all(&self.$reader)
                .await?)
            }

            async fn store_coverage(&self, tenant: &TenantId, c: &CoverageWrite) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                lock_version(&mut tx, tenant, c.version_id).await?;
                for table in ["shift_coverage", "schedule_coverage"] {
                    sqlx::query(&format!(
                        "delete from {table} where tenant_id = $1 and version_id = $2"
                    ))
                    .bind(tenant)
                    .bind(c.version_id)
                    .execute(&mut *tx)
                    .await?;
                }
                sqlx::query(
                    "insert into schedule_coverage (tenant_id, version_id, computed_at,
                        overall_percentage, required_staff, assigned_staff, days)
                     values ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(tenant)
                .bind(c.version_id)
                .bind(c.computed_at)
                .bind(c.overall_percentage)
                .bind(c.required_staff)
                .bind(c.assigned_staff)
                .bind(Json(&c.days))
                .execute(&mut *tx)
                .await?;
                insert_coverage(&mut tx, tenant, c.version_id, &c.shifts).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn get_coverage(
                &self,
                tenant: &TenantId,
                version: Uuid,
            ) -> StoreResult<Option<CoverageRow>> {
                Ok(sqlx::query_as(
                    "select computed_at, overall_percentage, required_staff, assigned_staff, days
                     from schedule_coverage where tenant_id = $1 and version_id = $2",
                )
                .bind(tenant)
                .bind(version)
                .fetch_optional(&self.$reader)
                .await?)
            }

            async fn list_shift_coverage(
                &self,
                tenant: &TenantId,
                version: Uuid,
            ) -> StoreResult<Vec<ShiftCoverageRow>> {
                Ok(sqlx::query_as(
                    "select c.shift_id, c.required_staff, c.assigned_staff, c.status
                     from shift_coverage c
                     join shift_instances s on s.tenant_id = c.tenant_id
                        and s.version_id = c.version_id and s.shift_id = c.shift_id
                     where c.tenant_id = $1 and c.version_id = $2 order by s.position",
                )
                .bind(tenant)
                .bind(version)
                .fetch_all(&self.$reader)
                .await?)
            }
        }

        /// Holds the version row for the transaction (see `lock`); `NotFound` when it
        /// does not exist.
        async fn lock_version(
            tx: &mut sqlx::Transaction<'_, $db>,
            tenant: &TenantId,
            version: Uuid,
        ) -> StoreResult<()> {
            let found: Option<i32> = sqlx::query_scalar(&format!(
                "select 1 from schedule_versions where tenant_id = $1 and version_id = $2{}",
                $lock
            ))
            .bind(tenant)
            .bind(version)
            .fetch_optional(&mut **tx)
            .await?;
            found.map(|_| ()).ok_or(StoreError::NotFound)
        }
    };
}

pub(crate) use schedule_store;
