//! The storage of the encounter workflow's tables, written once for both SQL backends.

/// Implements the store of the encounter workflow's tables for a backend: the same
/// statements on either, writes on the `writer` pool and reads on the `reader` pool
/// (PostgreSQL names its one pool twice; SQLite its single writer and its readers).
macro_rules! encounter_store {
    ($store:ty, writer: $writer:ident, reader: $reader:ident) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use sqlx::Row;
        use sqlx::types::Json;

        use $crate::store::{
            EncounterFormInfo, EncounterRunRow, EncounterStore, NewEncounterForm, RunId, SourceCursor,
            StoreResult, TenantId,
        };

        #[async_trait]
        impl EncounterStore for $store {
            async fn claim_encounter_source(
                &self,
                tenant: &TenantId,
                source: &str,
                owner: &str,
                now: DateTime<Utc>,
                lease_until: DateTime<Utc>,
            ) -> StoreResult<Option<SourceCursor>> {
                // One statement: the row is created on first use, and the conditional update
                // only takes a lease that is ours, released or expired.
                let mut tx = self.begin_write().await?;
                let row = sqlx::query(
                    "insert into encounter_sources (tenant_id, source, owner, lease_until, updated_at)
                     values ($1, $2, $3, $5, $4)
                     on conflict (tenant_id, source) do update
                        set owner = excluded.owner, lease_until = excluded.lease_until,
                            updated_at = excluded.updated_at
                        where encounter_sources.owner = excluded.owner
                           or encounter_sources.owner is null
                           or encounter_sources.lease_until is null
                           or encounter_sources.lease_until < $4
                     returning cursor_last_updated, cursor_ids",
                )
                .bind(tenant)
                .bind(source)
                .bind(owner)
                .bind(now)
                .bind(lease_until)
                .fetch_optional(&mut *tx)
                .await?;
                tx.commit().await?;
                row.map(|r| {
                    let ids: Json<Vec<String>> = r.try_get("cursor_ids")?;
                    Ok(SourceCursor {
                        last_updated: r.try_get("cursor_last_updated")?,
                        ids: ids.0,
                    })
                })
                .transpose()
            }

            async fn save_encounter_cursor(
                &self,
                tenant: &TenantId,
                source: &str,
                owner: &str,
                cursor: &SourceCursor,
                now: DateTime<Utc>,
                lease_until: DateTime<Utc>,
            ) -> StoreResult<bool> {
                let mut tx = self.begin_write().await?;
                let done = sqlx::query(
                    "update encounter_sources
                     set cursor_last_updated = $4, cursor_ids = $5, lease_until = $6, updated_at = $7
                     where tenant_id = $1 and source = $2 and owner = $3",
                )
                .bind(tenant)
                .bind(source)
                .bind(owner)
                .bind(cursor.last_updated)
                .bind(Json(&cursor.ids))
                .bind(lease_until)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }

            async fn release_encounter_source(
                &self,
                tenant: &TenantId,
                source: &str,
                owner: &str,
            ) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "update encounter_sources set owner = null, lease_until = null
                     where tenant_id = $1 and source = $2 and owner = $3",
                )
                .bind(tenant)
                .bind(source)
                .bind(owner)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn record_encounter_run(&self, row: &EncounterRunRow) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "insert into encounter_runs (tenant_id, encounter_id, source, run_id, submitted_at,
                                                 version, failed_transient_at)
                     values ($1, $2, $3, $4, $5, $6, null)
                     on conflict (tenant_id, encounter_id, source) do update
                        set run_id = excluded.run_id, submitted_at = excluded.submitted_at,
                            version = excluded.version, failed_transient_at = null
                        where encounter_runs.run_id < excluded.run_id",
                )
                .bind(&row.tenant_id)
                .bind(&row.encounter_id)
                .bind(&row.source)
                .bind(row.run_id)
                .bind(row.submitted_at)
                .bind(&row.version)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn encounter_runs(
                &self,
                tenant: &TenantId,
                encounter_id: &str,
                source: Option<&str>,
            ) -> StoreResult<Vec<EncounterRunRow>> {
                let rows = sqlx::query(
                    "select tenant_id, encounter_id, source, run_id, submitted_at, version
                     from encounter_runs
                     where tenant_id = $1 and encounter_id = $2 and (cast($3 as text) is null or source = $3)
                     order by source",
                )
                .bind(tenant)
                .bind(encounter_id)
                .bind(source)
                .fetch_all(&self.$reader)
                .await?;
                rows.into_iter()
                    .map(|r| {
                        Ok(EncounterRunRow {
                            tenant_id: r.try_get("tenant_id")?,
                            encounter_id: r.try_get("encounter_id")?,
                            source: r.try_get("source")?,
                            run_id: r.try_get::<RunId, _>("run_id")?,
                            version: r.try_get("version")?,
                            submitted_at: r.try_get("submitted_at")?,
                        })
                    })
                    .collect()
            }

            async fn mark_encounter_failed_transient(
                &self,
                tenant: &TenantId,
                encounter_id: &str,
                source: &str,
                run: RunId,
                at: Option<DateTime<Utc>>,
            ) -> StoreResult<()> {
                sqlx::query(
                    "update encounter_runs set failed_transient_at = $5
                     where tenant_id = $1 and encounter_id = $2 and source = $3 and run_id = $4",
                )
                .bind(tenant)
                .bind(encounter_id)
                .bind(source)
                .bind(run)
                .bind(at)
                .execute(&self.$writer)
                .await?;
                Ok(())
            }

            async fn encounters_to_recover(
                &self,
                tenant: &TenantId,
                source: &str,
                limit: i64,
            ) -> StoreResult<Vec<EncounterRunRow>> {
                let rows = sqlx::query(
                    "select tenant_id, encounter_id, source, run_id, submitted_at, version
                     from encounter_runs
                     where tenant_id = $1 and source = $2 and failed_transient_at is not null
                     order by failed_transient_at limit $3",
                )
                .bind(tenant)
                .bind(source)
                .bind(limit)
                .fetch_all(&self.$reader)
                .await?;
                rows.into_iter()
                    .map(|r| {
                        Ok(EncounterRunRow {
                            tenant_id: r.try_get("tenant_id")?,
                            encounter_id: r.try_get("encounter_id")?,
                            source: r.try_get("source")?,
                            run_id: r.try_get::<RunId, _>("run_id")?,
                            version: r.try_get("version")?,
                            submitted_at: r.try_get("submitted_at")?,
                        })
                    })
                    .collect()
            }

            async fn save_encounter_form(&self, form: &NewEncounterForm) -> StoreResult<()> {
                let mut tx = self.begin_write().await?;
                // A later run's current form, if one exists, replaces this one at once.
                let later: Option<String> = sqlx::query_scalar(
                    "select transaction_id from encounter_forms
                     where tenant_id = $1 and encounter_id = $2 and source = $3 and run_id > $4
                       and superseded_at is null
                     order by run_id desc limit 1",
                )
                .bind(&form.tenant_id)
                .bind(&form.encounter_id)
                .bind(&form.source)
                .bind(form.run_id)
                .fetch_optional(&mut *tx)
                .await?;
                let superseded_at = later.as_ref().map(|_| form.created_at);
                sqlx::query(
                    "insert into encounter_forms (tenant_id, encounter_id, source, run_id,
                                                  transaction_id, pdf, size_bytes, created_at,
                                                  version, superseded_at, superseded_by)
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                     on conflict (tenant_id, encounter_id, source, run_id) do update
                        set transaction_id = excluded.transaction_id, pdf = excluded.pdf,
                            size_bytes = excluded.size_bytes, created_at = excluded.created_at,
                            version = excluded.version, superseded_at = excluded.superseded_at,
                            superseded_by = excluded.superseded_by",
                )
                .bind(&form.tenant_id)
                .bind(&form.encounter_id)
                .bind(&form.source)
                .bind(form.run_id)
                .bind(&form.transaction_id)
                .bind(&form.pdf)
                .bind(form.pdf.len() as i64)
                .bind(form.created_at)
                .bind(&form.version)
                .bind(superseded_at)
                .bind(&later)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "update encounter_forms set superseded_at = $6, superseded_by = $5
                     where tenant_id = $1 and encounter_id = $2 and source = $3 and run_id < $4
                       and superseded_at is null",
                )
                .bind(&form.tenant_id)
                .bind(&form.encounter_id)
                .bind(&form.source)
                .bind(form.run_id)
                .bind(&form.transaction_id)
                .bind(form.created_at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn supersede_encounter_forms(
                &self,
                tenant: &TenantId,
                encounter_id: &str,
                source: &str,
                run: RunId,
                by: &str,
                at: DateTime<Utc>,
            ) -> StoreResult<()> {
                let mut tx = self.$writer.begin().await?;
                sqlx::query(
                    "update encounter_forms set superseded_at = $6, superseded_by = $5
                     where tenant_id = $1 and encounter_id = $2 and source = $3 and run_id < $4
                       and superseded_at is null",
                )
                .bind(tenant)
                .bind(encounter_id)
                .bind(source)
                .bind(run)
                .bind(by)
                .bind(at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn encounter_forms(
                &self,
                tenant: &TenantId,
                encounter_id: &str,
                source: &str,
            ) -> StoreResult<Vec<EncounterFormInfo>> {
                let rows = sqlx::query(
                    "select run_id, transaction_id, size_bytes, created_at, version, superseded_at,
                            superseded_by
                     from encounter_forms
                     where tenant_id = $1 and encounter_id = $2 and source = $3
                     order by run_id desc",
                )
                .bind(tenant)
                .bind(encounter_id)
                .bind(source)
                .fetch_all(&self.$reader)
                .await?;
                rows.into_iter()
                    .map(|r| {
                        Ok(EncounterFormInfo {
                            run_id: r.try_get("run_id")?,
                            transaction_id: r.try_get("transaction_id")?,
                            size_bytes: r.try_get("size_bytes")?,
                            created_at: r.try_get("created_at")?,
                            version: r.try_get("version")?,
                            superseded_at: r.try_get("superseded_at")?,
                            superseded_by: r.try_get("superseded_by")?,
                        })
                    })
                    .collect()
            }

            async fn encounter_form_pdf(
                &self,
                tenant: &TenantId,
                encounter_id: &str,
                source: &str,
                transaction_id: Option<&str>,
            ) -> StoreResult<Option<Vec<u8>>> {
                Ok(sqlx::query_scalar(
                    "select pdf from encounter_forms
                     where tenant_id = $1 and encounter_id = $2 and source = $3
                       and (case when cast($4 as text) is null then superseded_at is null
                                 else transaction_id = $4 end)
                     order by run_id desc limit 1",
                )
                .bind(tenant)
                .bind(encounter_id)
                .bind(source)
                .bind(transaction_id)
                .fetch_optional(&self.$reader)
                .await?)
            }
        }

    };
}

pub(crate) use encounter_store;
