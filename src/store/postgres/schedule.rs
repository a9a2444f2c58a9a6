//! Schedule versions on PostgreSQL: the shared statements (see
//! `shared_sql::schedule`), the version row locked while a phase replaces its rows,
//! and many rows inserted in one statement through `unnest`.

use sqlx::{Postgres, Transaction};

use crate::store::NewShiftInstance;

crate::store::shared_sql::schedule_store!(
    super::PgStore, writer: pool, reader: pool, lock: " for update", db: sqlx::Postgres
);

/// Inserts a version's shift instances in one statement.
async fn insert_shifts(
    tx: &mut Transaction<'_, Postgres>,
    tenant: &TenantId,
    version: Uuid,
    s: &[NewShiftInstance],
) -> StoreResult<()> {
    sqlx::query(
        "insert into shift_instances (tenant_id, version_id, shift_id, position, sheet,
            row_number, shift_date, shift_name, service, starts_at, ends_at, required_staff)
         select $1, $2, u.* from unnest($3::uuid[], $4::int[], $5::text[], $6::int[],
            $7::date[], $8::text[], $9::text[], $10::timestamp[], $11::timestamp[],
            $12::int[]) as u",
    )
    .bind(tenant)
    .bind(version)
    .bind(s.iter().map(|x| x.shift_id).collect::<Vec<_>>())
    .bind(s.iter().map(|x| x.position).collect::<Vec<_>>())
    .bind(s.iter().map(|x| x.sheet.clone()).collect::<Vec<_>>())
    .bind(s.iter().map(|x| x.row_number).collect::<Vec<_>>())
    .bind(s.iter().map(|x| x.shift_date).collect::<Vec<_>>())
    .bind(s.iter().map(|x| x.shift_name.clone()).collect::<Vec<_>>())
    .bind(s.iter().map(|x| x.service.clone()).collect::<Vec<_>>())
    .bind(s.iter().map(|x| x.starts_at).collect::<Vec<_>>())
    .bind(s.iter().map(|x| x.ends_at).collect::<Vec<_>>())
    .bind(s.iter().map(|x| x.required_staff).collect::<Vec<_>>())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Inserts a version's assignments in one statement.
async fn insert_assignments(
    tx: &mut Transaction<'_, Postgres>,
    tenant: &TenantId,
    version: Uuid,
    a: &[AssignmentRow],
) -> StoreResult<()> {
    sqlx::query(
        "insert into shift_assignments (tenant_id, version_id, assignment_id, shift_id,
            position, staff_name, staff_key, staff_ref, assignment_name, starts_at, ends_at)
         select $1, $2, u.* from unnest($3::uuid[], $4::uuid[], $5::int[], $6::text[],
            $7::text[], $8::text[], $9::text[], $10::timestamp[], $11::timestamp[]) as u",
    )
    .bind(tenant)
    .bind(version)
    .bind(a.iter().map(|x| x.assignment_id).collect::<Vec<_>>())
    .bind(a.iter().map(|x| x.shift_id).collect::<Vec<_>>())
    .bind(a.iter().map(|x| x.position).collect::<Vec<_>>())
    .bind(a.iter().map(|x| x.staff_name.clone()).collect::<Vec<_>>())
    .bind(a.iter().map(|x| x.staff_key.clone()).collect::<Vec<_>>())
    .bind(a.iter().map(|x| x.staff_ref.clone()).collect::<Vec<_>>())
    .bind(
        a.iter()
            .map(|x| x.assignment_name.clone())
            .collect::<Vec<_>>(),
    )
    .bind(a.iter().map(|x| x.starts_at).collect::<Vec<_>>())
    .bind(a.iter().map(|x| x.ends_at).collect::<Vec<_>>())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Inserts a version's per-shift coverage in one statement.
async fn insert_coverage(
    tx: &mut Transaction<'_, Postgres>,
    tenant: &TenantId,
    version: Uuid,
    s: &[ShiftCoverageRow],
) -> StoreResult<()> {
    sqlx::query(
        "insert into shift_coverage (tenant_id, version_id, shift_id, required_staff,
            assigned_staff, status)
         select $1, $2, u.* from unnest($3::uuid[], $4::int[], $5::int[], $6::text[]) as u",
    )
    .bind(tenant)
    .bind(version)
    .bind(s.iter().map(|x| x.shift_id).collect::<Vec<_>>())
    .bind(s.iter().map(|x| x.required_staff).collect::<Vec<_>>())
    .bind(s.iter().map(|x| x.assigned_staff).collect::<Vec<_>>())
    .bind(s.iter().map(|x| x.status.clone()).collect::<Vec<_>>())
    .execute(&mut **tx)
    .await?;
    Ok(())
}
