//! The storage of tenants' workflow definitions, written once for both SQL
//! backends: the statements are portable and only the pools differ.

/// Implements the user workflow store for a backend: writes on the `writer` pool,
/// reads on the `reader` pool.
macro_rules! user_workflow_store {
    ($store:ty, writer: $writer:ident, reader: $reader:ident) => {
        use async_trait::async_trait;
        use chrono::{DateTime, Utc};
        use serde_json::Value;
        use sqlx::types::Json;

        use $crate::store::{StoreResult, TenantId, UserWorkflowRow, UserWorkflowStore};

        #[async_trait]
        impl UserWorkflowStore for $store {
            async fn add_user_workflow_version(
                &self,
                tenant: &TenantId,
                name: &str,
                definition: &Value,
                now: DateTime<Utc>,
            ) -> StoreResult<UserWorkflowRow> {
                // The next number is read and written in one statement; a writer
                // racing for the same number breaks the primary key and gets a
                // conflict instead of overwriting.
                let row = sqlx::query_as::<_, UserWorkflowRow>(
                    "insert into user_workflows (tenant_id, name, version, definition, created_at)
                     select $1, $2, coalesce(max(version), 0) + 1, $3, $4
                     from user_workflows where tenant_id = $1 and name = $2
                     returning tenant_id, name, version, definition, created_at",
                )
                .bind(tenant)
                .bind(name)
                .bind(Json(definition))
                .bind(now)
                .fetch_one(&self.$writer)
                .await?;
                Ok(row)
            }

            async fn user_workflow(
                &self,
                tenant: &TenantId,
                name: &str,
                version: Option<i32>,
            ) -> StoreResult<Option<UserWorkflowRow>> {
                let row = sqlx::query_as::<_, UserWorkflowRow>(
                    "select tenant_id, name, version, definition, created_at
                     from user_workflows
                     where tenant_id = $1 and name = $2 and ($3 is null or version = $3)
                     order by version desc limit 1",
                )
                .bind(tenant)
                .bind(name)
                .bind(version)
                .fetch_optional(&self.$reader)
                .await?;
                Ok(row)
            }

            async fn user_workflow_versions(
                &self,
                tenant: &TenantId,
                name: &str,
            ) -> StoreResult<Vec<UserWorkflowRow>> {
                let rows = sqlx::query_as::<_, UserWorkflowRow>(
                    "select tenant_id, name, version, definition, created_at
                     from user_workflows where tenant_id = $1 and name = $2
                     order by version",
                )
                .bind(tenant)
                .bind(name)
                .fetch_all(&self.$reader)
                .await?;
                Ok(rows)
            }

            async fn latest_user_workflows(
                &self,
                tenant: &TenantId,
            ) -> StoreResult<Vec<UserWorkflowRow>> {
                let rows = sqlx::query_as::<_, UserWorkflowRow>(
                    "select w.tenant_id, w.name, w.version, w.definition, w.created_at
                     from user_workflows w
                     where w.tenant_id = $1
                       and w.version = (select max(v.version) from user_workflows v
                                        where v.tenant_id = w.tenant_id and v.name = w.name)
                     order by w.name",
                )
                .bind(tenant)
                .fetch_all(&self.$reader)
                .await?;
                Ok(rows)
            }
        }
    };
}

pub(crate) use user_workflow_store;
