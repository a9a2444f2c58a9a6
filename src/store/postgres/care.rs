//! Care transitions' tables in PostgreSQL: nurses and assignment, tasks, the
//! notification log, outreach. The stores themselves are shared (see `shared.rs`);
//! only how events are appended differs.

use sqlx::{Postgres, Transaction};

use super::columns::EventColumns;
use super::runs::{bind_events, insert_events_sql};
use crate::store::{NewEvent, StoreResult, TenantId};

/// Appends events inside a care transaction, so they commit with the change they
/// announce (the caller announces them after the commit).
pub(super) async fn append_in(
    tx: &mut Transaction<'_, Postgres>,
    tenant: &TenantId,
    events: &[NewEvent],
) -> StoreResult<()> {
    let sql = insert_events_sql(2, "true");
    bind_events(sqlx::query(&sql).bind(tenant), &EventColumns::new(events))
        .execute(&mut **tx)
        .await?;
    Ok(())
}
