//! The access log: an append-only record of who read which patient-bearing record.
//! Rows hold ids, never the records' content; they are never updated, and only
//! pruning past retention deletes them. The statements are written once and stamped
//! into each backend by [`impl_access_log_store!`]; only pruning's differs.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::types::Json;

use super::{StoreResult, TenantId};

/// One audited request, to append.
#[derive(Debug, Clone)]
pub struct NewAccess {
    /// The tenant of the credential.
    pub tenant_id: TenantId,
    /// When it was answered.
    pub at: DateTime<Utc>,
    /// `apikey:<key id>` or the JWT's subject.
    pub credential: String,
    /// `apiKey` or `jwt`.
    pub credential_kind: String,
    /// The HTTP method.
    pub method: String,
    /// The route template, e.g. `/v1/runs/{id}`.
    pub route: String,
    /// The first id the request named, if any.
    pub resource: Option<String>,
    /// Every id the request named, by parameter name.
    pub resource_ids: Value,
    /// The request id.
    pub request_id: Option<String>,
    /// The answer's status.
    pub status: i32,
}

/// A stored access record.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccessRow {
    /// Position in the log, for paging.
    pub id: i64,
    /// The tenant of the credential.
    pub tenant_id: TenantId,
    /// When it was answered.
    pub at: DateTime<Utc>,
    /// `apikey:<key id>` or the JWT's subject.
    pub credential: String,
    /// `apiKey` or `jwt`.
    pub credential_kind: String,
    /// The HTTP method.
    pub method: String,
    /// The route template.
    pub route: String,
    /// The first id the request named, if any.
    pub resource: Option<String>,
    /// Every id the request named, by parameter name.
    pub resource_ids: Json<Value>,
    /// The request id.
    pub request_id: Option<String>,
    /// The answer's status.
    pub status: i32,
}

/// Storage of the access log.
#[async_trait]
pub trait AccessLogStore {
    /// Appends one record.
    async fn append_access(&self, access: &NewAccess) -> StoreResult<()>;

    /// A tenant's records after `after` (a record id), oldest first, optionally only
    /// those about `resource`.
    async fn tenant_access_after(
        &self,
        tenant: &TenantId,
        resource: Option<&str>,
        after: i64,
        limit: i64,
    ) -> StoreResult<Vec<AccessRow>>;

    /// Deletes up to `batch` records older than `before`; returns how many.
    async fn prune_access(&self, before: DateTime<Utc>, batch: i64) -> StoreResult<u64>;
}

/// Implements [`AccessLogStore`] for a backend type whose `$reader` and `$writer`
/// fields are sqlx pools (the same pool on PostgreSQL); `$prune` deletes up to `$2`
/// records older than `$1`.
macro_rules! impl_access_log_store {
    ($store:ty, $reader:ident, $writer:ident, $prune:expr) => {
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

pub(crate) use impl_access_log_store;
