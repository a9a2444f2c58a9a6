//! [`RetentionStore`](crate::store::RetentionStore) for both backends. The flow and
//! most statements are shared; a backend passes what differs:
//! - `lock`: appended to the selection of runs to erase (`for update` on
//!   PostgreSQL, so a concurrent retry cannot revive a run being erased; nothing on
//!   SQLite, whose single writer already serialises);
//! - `skip_locked`: appended to the pruner's selection, so replicas take different
//!   runs;
//! - `run_events`: deletes the events of run `$2` of tenant `$1`, returning their
//!   positions (PostgreSQL raises the position floor in the same statement);
//! - `correlation_events` / `patient_events`: delete the tenant's (`$1`) remaining
//!   events carrying the correlation id / naming the patient (`$2`), returning positions;
//! - `patient_runs`: `run_id, status` of the tenant's runs about patient `$2`;
//! - `not_in_tenants`: a condition true when `tenant_id` is not in the JSON array `$5`.

/// Implements `RetentionStore` for `$store`, whose `$writer` and `$reader` fields are
/// sqlx pools (the same pool on PostgreSQL).
macro_rules! retention_store {
    (
        $store:ty, writer: $writer:ident, reader: $reader:ident,
        lock: $lock:expr, skip_locked: $skip_locked:expr,
        run_events: $run_events:expr,
        correlation_events: $correlation_events:expr,
        patient_events: $patient_events:expr,
        patient_runs: $patient_runs:expr,
        not_in_tenants: $not_in_tenants:expr $(,)?
    ) => {
        #[async_trait::async_trait]
        impl $crate::store::RetentionStore for $store {
            async fn erase_run(
                &self,
                run: $crate::store::RunId,
                record: &$crate::store::NewPurge,
            ) -> $crate::store::StoreResult<Option<$crate::store::EraseRun>> {
                use $crate::store::{EraseRun, Erased, Refusal};
                let tenant = &record.tenant_id;
                let mut tx = self.$writer.begin().await?;
                let status: Option<String> = sqlx::query_scalar(&format!(
                    "select status from runs where tenant_id = $1 and run_id = $2{}",
                    $lock
                ))
                .bind(tenant)
                .bind(run)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(status) = status else {
                    return Ok(None);
                };
                let status: $crate::store::RunStatus =
                    status.parse().map_err($crate::store::StoreError::Corrupt)?;
                if !status.is_final() {
                    return Ok(Some(EraseRun::Refused(Refusal::Unfinished(status))));
                }
                let in_use: Option<$crate::store::RunId> =
                    sqlx::query_scalar($crate::store::retention::RECORDS_IN_USE)
                        .bind(tenant)
                        .bind(run)
                        .fetch_optional(&mut *tx)
                        .await?;
                if let Some(other) = in_use {
                    return Ok(Some(EraseRun::Refused(Refusal::InUse(other))));
                }
                let mut erased = Erased::default();
                $crate::store::retention::erase_run_rows!(tx, tenant, run, $run_events, erased);
                let row = $crate::store::retention::insert_purge!(tx, record, &erased);
                tx.commit().await?;
                Ok(Some(EraseRun::Erased(row)))
            }

            async fn prune_runs(
                &self,
                scope: &$crate::store::PruneScope,
                before: chrono::DateTime<chrono::Utc>,
                cursor: Option<$crate::store::PruneCursor>,
                batch: i64,
            ) -> $crate::store::StoreResult<$crate::store::PruneBatch> {
                use $crate::store::{PruneBatch, PruneCursor, PruneScope, RunId, TenantId};
                let (scope_sql, scope_value) = match scope {
                    PruneScope::Tenant(t) => ("tenant_id = $5".to_owned(), t.as_str().to_owned()),
                    PruneScope::AllExcept(list) => (
                        $not_in_tenants.to_owned(),
                        serde_json::to_string(
                            &list.iter().map(TenantId::as_str).collect::<Vec<_>>(),
                        )
                        .map_err(|e| $crate::store::StoreError::Corrupt(e.to_string()))?,
                    ),
                };
                let start = cursor.unwrap_or(PruneCursor {
                    finished_at: chrono::DateTime::UNIX_EPOCH,
                    run_id: RunId(uuid::Uuid::nil()),
                });
                let mut tx = self.$writer.begin().await?;
                let candidates: Vec<(TenantId, RunId, chrono::DateTime<chrono::Utc>)> =
                    sqlx::query_as(&format!(
                        "select tenant_id, run_id, finished_at from runs
                         where status in {finished} and finished_at < $1
                           and (finished_at, run_id) > ($2, $3)
                           and {scope_sql}
                         order by finished_at, run_id
                         limit $4{skip}",
                        finished = $crate::store::retention::FINISHED,
                        skip = $skip_locked,
                    ))
                    .bind(before)
                    .bind(start.finished_at)
                    .bind(start.run_id)
                    .bind(batch)
                    .bind(scope_value)
                    .fetch_all(&mut *tx)
                    .await?;
                let mut out = PruneBatch {
                    examined: candidates.len() as u64,
                    ..PruneBatch::default()
                };
                for (tenant, run, _) in &candidates {
                    let in_use: Option<RunId> =
                        sqlx::query_scalar($crate::store::retention::RECORDS_IN_USE)
                            .bind(tenant)
                            .bind(*run)
                            .fetch_optional(&mut *tx)
                            .await?;
                    if in_use.is_some() {
                        // Left for a later pass; the cursor moves past it.
                        continue;
                    }
                    $crate::store::retention::erase_run_rows!(
                        tx,
                        tenant,
                        *run,
                        $run_events,
                        out.erased
                    );
                }
                tx.commit().await?;
                if candidates.len() as i64 == batch {
                    out.next = candidates.last().map(|(_, run, at)| PruneCursor {
                        finished_at: *at,
                        run_id: *run,
                    });
                }
                Ok(out)
            }

            async fn purge(
                &self,
                selector: &$crate::store::PurgeSelector,
                record: &$crate::store::NewPurge,
            ) -> $crate::store::StoreResult<$crate::store::PurgeOutcome> {
                use $crate::store::{
                    Erased, PurgeOutcome, PurgeSelector, Refusal, RefusedRun, RunId, RunStatus,
                };
                let tenant = &record.tenant_id;
                let mut tx = self.$writer.begin().await?;
                let (sql, key) = match selector {
                    PurgeSelector::CorrelationId(c) => (
                        format!(
                            "select run_id, status from runs
                             where tenant_id = $1 and correlation_id = $2
                             order by run_id{}",
                            $lock
                        ),
                        c,
                    ),
                    PurgeSelector::PatientReference(p) => {
                        (format!("{}{}", $patient_runs, $lock), p)
                    }
                };
                let runs: Vec<(RunId, String)> = sqlx::query_as(&sql)
                    .bind(tenant)
                    .bind(key)
                    .fetch_all(&mut *tx)
                    .await?;
                let mut refused = Vec::new();
                for (run, status) in &runs {
                    let status: RunStatus =
                        status.parse().map_err($crate::store::StoreError::Corrupt)?;
                    let refusal = if !status.is_final() {
                        Some(Refusal::Unfinished(status))
                    } else {
                        let in_use: Option<RunId> =
                            sqlx::query_scalar($crate::store::retention::RECORDS_IN_USE)
                                .bind(tenant)
                                .bind(*run)
                                .fetch_optional(&mut *tx)
                                .await?;
                        in_use.map(Refusal::InUse)
                    };
                    if let Some(refusal) = refusal {
                        refused.push(RefusedRun {
                            run_id: *run,
                            refusal,
                        });
                    }
                }
                if !refused.is_empty() {
                    // Dropping the transaction rolls back: nothing was written.
                    return Ok(PurgeOutcome::Refused(refused));
                }
                let mut erased = Erased::default();
                for (run, _) in &runs {
                    $crate::store::retention::erase_run_rows!(
                        tx,
                        tenant,
                        *run,
                        $run_events,
                        erased
                    );
                }
                let loose_events = match selector {
                    PurgeSelector::CorrelationId(_) => $correlation_events,
                    PurgeSelector::PatientReference(_) => {
                        $crate::store::retention::erase_rows!(
                            tx,
                            $crate::store::retention::PATIENT_RECORDS,
                            tenant,
                            key,
                            erased
                        );
                        $patient_events
                    }
                };
                let gone: Vec<Option<i64>> = sqlx::query_scalar(loose_events)
                    .bind(tenant)
                    .bind(key)
                    .fetch_all(&mut *tx)
                    .await?;
                erased.add("events", gone.len() as u64);
                let row = $crate::store::retention::insert_purge!(tx, record, &erased);
                tx.commit().await?;
                Ok(PurgeOutcome::Done(row))
            }

            async fn list_purges(
                &self,
                tenant: &$crate::store::TenantId,
                before: Option<uuid::Uuid>,
                limit: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::PurgeRow>> {
                // Purge ids are UUID v7: their order is the order purges were made.
                let columns = $crate::store::retention::PURGE_COLUMNS;
                let rows = match before {
                    Some(before) => {
                        sqlx::query_as(&format!(
                            "select {columns} from purges
                             where tenant_id = $1 and purge_id < $2
                             order by purge_id desc limit $3"
                        ))
                        .bind(tenant)
                        .bind(before)
                        .bind(limit)
                        .fetch_all(&self.$reader)
                        .await?
                    }
                    None => {
                        sqlx::query_as(&format!(
                            "select {columns} from purges
                             where tenant_id = $1
                             order by purge_id desc limit $2"
                        ))
                        .bind(tenant)
                        .bind(limit)
                        .fetch_all(&self.$reader)
                        .await?
                    }
                };
                Ok(rows)
            }
        }
    };
}

pub(crate) use retention_store;
