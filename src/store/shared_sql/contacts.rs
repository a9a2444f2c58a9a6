//! The storage of escalation contacts, written once for both SQL backends.

/// Columns of `EscalationContactRow`.
pub(crate) const CONTACT_COLUMNS: &str = "tenant_id, contact_id, name, role, phone, created_at";

/// Implements the escalation contact store for a backend: the same statements on
/// either, writes on the `writer` pool and reads on the `reader` pool.
macro_rules! contact_store {
    ($store:ty, writer: $writer:ident, reader: $reader:ident) => {
        use async_trait::async_trait;
        use uuid::Uuid;

        use $crate::store::shared_sql::contacts::CONTACT_COLUMNS;
        use $crate::store::{EscalationContactRow, EscalationContactStore, StoreResult, TenantId};

        #[async_trait]
        impl EscalationContactStore for $store {
            async fn insert_escalation_contact(
                &self,
                c: &EscalationContactRow,
            ) -> StoreResult<EscalationContactRow> {
                sqlx::query(
                    "insert into escalation_contacts (tenant_id, contact_id, name, role, phone,
                                                      created_at)
                     values ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&c.tenant_id)
                .bind(c.contact_id)
                .bind(&c.name)
                .bind(&c.role)
                .bind(&c.phone)
                .bind(c.created_at)
                .execute(&self.$writer)
                .await?;
                Ok(c.clone())
            }

            async fn list_escalation_contacts(
                &self,
                tenant: &TenantId,
            ) -> StoreResult<Vec<EscalationContactRow>> {
                Ok(sqlx::query_as(&format!(
                    "select {CONTACT_COLUMNS} from escalation_contacts where tenant_id = $1
                     order by created_at, contact_id"
                ))
                .bind(tenant)
                .fetch_all(&self.$reader)
                .await?)
            }

            async fn get_escalation_contact(
                &self,
                tenant: &TenantId,
                contact: Uuid,
            ) -> StoreResult<Option<EscalationContactRow>> {
                Ok(sqlx::query_as(&format!(
                    "select {CONTACT_COLUMNS} from escalation_contacts
                     where tenant_id = $1 and contact_id = $2"
                ))
                .bind(tenant)
                .bind(contact)
                .fetch_optional(&self.$reader)
                .await?)
            }

            async fn delete_escalation_contact(
                &self,
                tenant: &TenantId,
                contact: Uuid,
            ) -> StoreResult<bool> {
                let done = sqlx::query(
                    "delete from escalation_contacts where tenant_id = $1 and contact_id = $2",
                )
                .bind(tenant)
                .bind(contact)
                .execute(&self.$writer)
                .await?;
                Ok(done.rows_affected() == 1)
            }
        }
    };
}

pub(crate) use contact_store;
