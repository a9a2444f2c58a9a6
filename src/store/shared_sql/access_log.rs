//! The access log's statements, identical in both dialects but for pruning, written once
//! and stamped into each backend by [`access_log_store!`].

/// Implements [`crate::store::AccessLogStore`] for a backend type: writes on the `writer`
/// pool, reads on the `reader` pool (PostgreSQL names its one pool twice); `prune`
/// deletes up to `$2` records older than `$1`.
macro_rules! access_log_store {
    ($store:ty, writer: $writer:ident, reader: $reader:ident, prune: $prune:expr) => {
        #[async_trait::async_trait]
        impl $crate::store::AccessLogStore for $store {
            async fn append_access(
                &self,
                a: &$crate::store::NewAccess,
            ) -> $crate::store::StoreResult<()> {
                sqlx::query(
                    "insert into access_log (tenant_id, at, credential, credential_kind, method,
                                             route, resource, resource_ids, request_id, status)
                     values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(&a.tenant_id)
                .bind(a.at)
                .bind(&a.credential)
                .bind(&a.credential_kind)
                .bind(&a.method)
                .bind(&a.route)
                .bind(&a.resource)
                .bind(sqlx::types::Json(&a.resource_ids))
                .bind(&a.request_id)
                .bind(a.status)
                .execute(&self.$writer)
                .await?;
                Ok(())
            }

            async fn tenant_access_after(
                &self,
                tenant: &$crate::store::TenantId,
                resource: Option<&str>,
                after: i64,
                limit: i64,
            ) -> $crate::store::StoreResult<Vec<$crate::store::AccessRow>> {
                // Two statements rather than "$2 is null or ...", so each one uses its index.
                let columns = "id, tenant_id, at, credential, credential_kind, method, route,
                               resource, resource_ids, request_id, status";
                let rows = match resource {
                    Some(r) => {
                        sqlx::query_as(&format!(
                            "select {columns} from access_log
                             where tenant_id = $1 and resource = $2 and id > $3
                             order by id limit $4"
                        ))
                        .bind(tenant)
                        .bind(r)
                        .bind(after)
                        .bind(limit)
                        .fetch_all(&self.$reader)
                        .await?
                    }
                    None => {
                        sqlx::query_as(&format!(
                            "select {columns} from access_log
                             where tenant_id = $1 and id > $2
                             order by id limit $3"
                        ))
                        .bind(tenant)
                        .bind(after)
                        .bind(limit)
                        .fetch_all(&self.$reader)
                        .await?
                    }
                };
                Ok(rows)
            }

            async fn prune_access(
                &self,
                before: chrono::DateTime<chrono::Utc>,
                batch: i64,
            ) -> $crate::store::StoreResult<u64> {
                let done = sqlx::query($prune)
                .bind(before)
                .bind(batch)
                .execute(&self.$writer)
                .await?;
                Ok(done.rows_affected())
            }
        }
    };
}

pub(crate) use access_log_store;
