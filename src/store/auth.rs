//! Tenants and API keys.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{StoreResult, TenantId};

/// A stored API key: only its hash is kept.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ApiKeyRow {
    /// The key's public id (also embedded in the token).
    pub key_id: Uuid,
    /// The tenant the key acts for.
    pub tenant_id: TenantId,
    /// Hex SHA-256 of the secret part of the token.
    pub key_hash: String,
    /// A label chosen at creation.
    pub label: String,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A key to store.
#[derive(Debug, Clone)]
pub struct NewApiKey {
    /// The key's public id.
    pub key_id: Uuid,
    /// The tenant the key acts for (created if new).
    pub tenant_id: TenantId,
    /// Hex SHA-256 of the secret.
    pub key_hash: String,
    /// A label.
    pub label: String,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

/// Storage of tenants and credentials.
#[async_trait]
pub trait AuthStore {
    /// Number of API keys ever created (revoked included): zero means a new database.
    async fn count_api_keys(&self) -> StoreResult<i64>;
    /// Stores a key, creating its tenant when needed.
    async fn insert_api_key(&self, key: &NewApiKey) -> StoreResult<()>;
    /// Looks a key up by id.
    async fn find_api_key(&self, key_id: Uuid) -> StoreResult<Option<ApiKeyRow>>;
    /// Every API key, or those of one tenant, oldest first, revoked ones included.
    async fn list_api_keys(&self, tenant: Option<&TenantId>) -> StoreResult<Vec<ApiKeyRow>>;
    /// Revokes a key; false when there is no such key or it was already revoked.
    async fn revoke_api_key(&self, key_id: Uuid, at: DateTime<Utc>) -> StoreResult<bool>;
    /// The signing key stored under `name`; when there is none yet, `candidate` is
    /// stored and returned. Replicas racing on first start all get the one that won.
    async fn signing_key(
        &self,
        name: &str,
        candidate: &[u8],
        at: DateTime<Utc>,
    ) -> StoreResult<Vec<u8>>;
}
