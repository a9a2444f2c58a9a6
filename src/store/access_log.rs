//! The access log: an append-only record of who read which patient-bearing record.
//! Rows hold ids, never the records' content; they are never updated, and only
//! pruning past retention deletes them. The statements are written once in
//! `shared_sql` and stamped into each backend; only pruning's differs.

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
