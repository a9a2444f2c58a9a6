//! Schedule versions on SQLite: the shared statements (see `shared_sql::schedule`),
//! each phase on the single writer connection, so no other write can interleave with
//! it and no row lock is needed; many rows inserted one statement each.

use sqlx::{Sqlite, Transaction};

use crate::store::NewShiftInstance;

crate::store::shared_sql::schedule_store!(
    super::SqliteStore, writer: writer, reader: reader, lock: "", db: sqlx::Sqlite
);

/// Inserts a version's shift instances.
async fn insert_shifts(
    tx: &mut Transaction<'_, Sqlite>,
    tenant: &TenantId,
    version: Uuid,
    shifts: &[NewShiftInstance],
) -> StoreResult<()> {
    for x in shifts {
        sqlx::query(
            "insert into shift_instances (tenant_id, version_id, shift_id, position, sheet,
                row_number, shift_date, shift_name, service, starts_at, ends_at,
                required_staff)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(tenant)
        .bind(version)
        .bind(x.shift_id)
        .bind(x.position)
        .bind(&x.sheet)
        .bind(x.row_number)
        .bind(x.shift_date)
        .bind(&x.shift_name)
        .bind(&x.service)
        .bind(x.starts_at)
        .bind(x.ends_at)
        .bind(x.required_staff)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Inserts a version's assignments.
async fn insert_assignments(
    tx: &mut Transaction<'_, Sqlite>,
    tenant: &TenantId,
    version: Uuid,
    assignments: &[AssignmentRow],
) -> StoreResult<()> {
    for x in assignments {
        sqlx::query(
            "insert into shift_assignments (tenant_id, version_id, assignment_id, shift_id,
                position, staff_name, staff_key, staff_ref, assignment_name, starts_at,
                ends_at)
             values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(tenant)
        .bind(version)
        .bind(x.assignment_id)
        .bind(x.shift_id)
        .bind(x.position)
        .bind(&x.staff_name)
        .bind(&x.staff_key)
        .bind(&x.staff_ref)
        .bind(&x.assignment_name)
        .bind(x.starts_at)
        .bind(x.ends_at)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Inserts a version's per-shift coverage.
async fn insert_coverage(
    tx: &mut Transaction<'_, Sqlite>,
    tenant: &TenantId,
    version: Uuid,
    shifts: &[ShiftCoverageRow],
) -> StoreResult<()> {
    for x in shifts {
        sqlx::query(
            "insert into shift_coverage (tenant_id, version_id, shift_id, required_staff,
                assigned_staff, status)
             values ($1, $2, $3, $4, $5, $6)",
        )
        .bind(tenant)
        .bind(version)
        .bind(x.shift_id)
        .bind(x.required_staff)
        .bind(x.assigned_staff)
        .bind(&x.status)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
