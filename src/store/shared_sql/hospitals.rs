//! Hospitals, schedule uploads and import status, written once for both SQL backends.
//! The import slot is claimed with one conditional upsert, so two replicas (or two
//! requests) can never both take it.

/// Implements [`crate::store::HospitalStore`] for a backend type: writes on the `writer`
/// pool, reads on the `reader` pool (PostgreSQL names its one pool twice).
macro_rules! hospital_store {
    ($store:ty, writer: $writer:ident, reader: $reader:ident) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use uuid::Uuid;

        use $crate::store::{
            HospitalRow, HospitalStore, ImportClaim, ImportState, ImportStatusRow, NewUpload, RunId,
            StoreError, StoreResult, TenantId, UploadRow,
        };

        const STATUS_COLUMNS: &str =
            "hospital_id, status, import_id, run_id, started_at, completed_at, updated_at";

        #[async_trait]
        impl HospitalStore for $store {
            async fn create_hospital(&self, tenant: &TenantId, h: &HospitalRow) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "insert into hospitals (tenant_id, hospital_id, name, time_zone, created_by, created_at)
                     values ($1, $2, $3, $4, $5, $6)",
                )
                .bind(tenant)
                .bind(h.hospital_id)
                .bind(&h.name)
                .bind(&h.time_zone)
                .bind(&h.created_by)
                .bind(h.created_at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn list_hospitals(&self, tenant: &TenantId) -> StoreResult<Vec<HospitalRow>> {
                Ok(sqlx::query_as(
                    "select hospital_id, name, time_zone, created_by, created_at from hospitals
                     where tenant_id = $1 order by name, hospital_id",
                )
                .bind(tenant)
                .fetch_all(&self.$reader)
                .await?)
            }

            async fn get_hospital(&self, tenant: &TenantId, id: Uuid) -> StoreResult<Option<HospitalRow>> {
                Ok(sqlx::query_as(
                    "select hospital_id, name, time_zone, created_by, created_at from hospitals
                     where tenant_id = $1 and hospital_id = $2",
                )
                .bind(tenant)
                .bind(id)
                .fetch_optional(&self.$reader)
                .await?)
            }

            async fn insert_upload(&self, tenant: &TenantId, u: &NewUpload) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "insert into schedule_uploads (tenant_id, upload_id, hospital_id, file_name,
                        size_bytes, sha256, content, amion_login, uploaded_by, created_at)
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(tenant)
                .bind(u.upload_id)
                .bind(u.hospital_id)
                .bind(&u.file_name)
                .bind(u.content.len() as i64)
                .bind(&u.sha256)
                .bind(&u.content)
                .bind(&u.amion_login)
                .bind(&u.uploaded_by)
                .bind(u.created_at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn get_upload(&self, tenant: &TenantId, id: Uuid) -> StoreResult<Option<UploadRow>> {
                Ok(sqlx::query_as(
                    "select upload_id, hospital_id, file_name, size_bytes, sha256, uploaded_by, created_at
                     from schedule_uploads where tenant_id = $1 and upload_id = $2",
                )
                .bind(tenant)
                .bind(id)
                .fetch_optional(&self.$reader)
                .await?)
            }

            async fn get_upload_content(
                &self,
                tenant: &TenantId,
                id: Uuid,
            ) -> StoreResult<Option<Vec<u8>>> {
                Ok(sqlx::query_scalar(
                    "select content from schedule_uploads where tenant_id = $1 and upload_id = $2",
                )
                .bind(tenant)
                .bind(id)
                .fetch_optional(&self.$reader)
                .await?)
            }

            async fn get_upload_login(&self, tenant: &TenantId, id: Uuid) -> StoreResult<Option<String>> {
                let login: Option<Option<String>> = sqlx::query_scalar(
                    "select amion_login from schedule_uploads where tenant_id = $1 and upload_id = $2",
                )
                .bind(tenant)
                .bind(id)
                .fetch_optional(&self.$reader)
                .await?;
                Ok(login.flatten())
            }

            async fn clear_upload_login(&self, tenant: &TenantId, id: Uuid) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "update schedule_uploads set amion_login = null
                     where tenant_id = $1 and upload_id = $2 and amion_login is not null",
                )
                .bind(tenant)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn get_import_status(
                &self,
                tenant: &TenantId,
                hospital: Uuid,
            ) -> StoreResult<Option<ImportStatusRow>> {
                Ok(sqlx::query_as(&format!(
                    "select {STATUS_COLUMNS} from schedule_import_status
                     where tenant_id = $1 and hospital_id = $2"
                ))
                .bind(tenant)
                .bind(hospital)
                .fetch_optional(&self.$reader)
                .await?)
            }

            async fn claim_import(
                &self,
                tenant: &TenantId,
                hospital: Uuid,
                import: Uuid,
                run: Option<RunId>,
                now: DateTime<Utc>,
            ) -> StoreResult<ImportClaim> {
                // The upsert's `where` makes the check and the write one atomic step: a
                // concurrent claim either sees our IN_PROGRESS row or we see its.
                let claimed: Option<Uuid> = sqlx::query_scalar(
                    "insert into schedule_import_status (tenant_id, hospital_id, status, import_id,
                        run_id, started_at, completed_at, updated_at)
                     values ($1, $2, 'IN_PROGRESS', $3, $5, $4, null, $4)
                     on conflict (tenant_id, hospital_id) do update
                        set status = 'IN_PROGRESS', import_id = excluded.import_id,
                            run_id = case when schedule_import_status.status = 'IN_PROGRESS'
                                          then coalesce(excluded.run_id, schedule_import_status.run_id)
                                          else excluded.run_id end,
                            started_at = case when schedule_import_status.status = 'IN_PROGRESS'
                                              then schedule_import_status.started_at
                                              else excluded.started_at end,
                            completed_at = null,
                            updated_at = excluded.updated_at
                        where schedule_import_status.status <> 'IN_PROGRESS'
                           or schedule_import_status.import_id = excluded.import_id
                     returning import_id",
                )
                .bind(tenant)
                .bind(hospital)
                .bind(import)
                .bind(now)
                .bind(run)
                .fetch_optional(&self.$writer)
                .await?;
                if claimed.is_some() {
                    return Ok(ImportClaim::Claimed);
                }
                // Read on the writer: the row that beat us is committed there.
                let current: Option<ImportStatusRow> = sqlx::query_as(&format!(
                    "select {STATUS_COLUMNS} from schedule_import_status
                     where tenant_id = $1 and hospital_id = $2"
                ))
                .bind(tenant)
                .bind(hospital)
                .fetch_optional(&self.$writer)
                .await?;
                match current {
                    Some(row) => Ok(ImportClaim::Busy(row)),
                    None => Err(StoreError::Corrupt(
                        "the import status row vanished while being claimed".into(),
                    )),
                }
            }

            async fn attach_import_run(
                &self,
                tenant: &TenantId,
                hospital: Uuid,
                import: Uuid,
                run: RunId,
                now: DateTime<Utc>,
            ) -> StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(
                    "update schedule_import_status set run_id = $4, updated_at = $5
                     where tenant_id = $1 and hospital_id = $2 and import_id = $3",
                )
                .bind(tenant)
                .bind(hospital)
                .bind(import)
                .bind(run)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }

            async fn finish_import(
                &self,
                tenant: &TenantId,
                hospital: Uuid,
                import: Uuid,
                state: ImportState,
                now: DateTime<Utc>,
            ) -> StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(
                    "update schedule_import_status set status = $4, completed_at = $5, updated_at = $5
                     where tenant_id = $1 and hospital_id = $2 and import_id = $3
                       and (status = 'IN_PROGRESS'
                            or ($4 = 'COMPLETED' and status in ('FAILED', 'CANCELLED')))",
                )
                .bind(tenant)
                .bind(hospital)
                .bind(import)
                .bind(state.as_str())
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}

pub(crate) use hospital_store;
