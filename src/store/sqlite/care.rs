//! Care transitions' tables in SQLite: nurses and assignment, tasks, the
//! notification log, outreach. The stores themselves are shared (see `shared.rs`);
//! only how events are appended differs.

use sqlx::types::Json;
use sqlx::{Sqlite, Transaction};

use crate::store::{NewEvent, StoreResult, TenantId};

/// Appends events inside a care transaction, so they commit with the change they
/// announce (the caller announces them after the commit).
pub(super) async fn append_in(
    tx: &mut Transaction<'_, Sqlite>,
    tenant: &TenantId,
    events: &[NewEvent],
) -> StoreResult<()> {
    for e in events {
        sqlx::query(
            "insert into events (tenant_id, event_id, event_type, correlation_id, run_id,
                                 workflow, source, data, created_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(tenant)
        .bind(e.event_id)
        .bind(&e.event_type)
        .bind(&e.correlation_id)
        .bind(e.run_id)
        .bind(&e.workflow)
        .bind(&e.source)
        .bind(Json(&e.data))
        .bind(e.created_at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
