//! Tenants and API keys in PostgreSQL.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::PgStore;
use crate::store::{ApiKeyRow, AuthStore, NewApiKey, StoreResult};

#[async_trait]
impl AuthStore for PgStore {
    async fn count_api_keys(&self) -> StoreResult<i64> {
        Ok(sqlx::query_scalar("select count(*) from api_keys")
            .fetch_one(&self.pool)
            .await?)
    }

    async fn insert_api_key(&self, key: &NewApiKey) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("insert into tenants (tenant_id) values ($1) on conflict do nothing")
            .bind(&key.tenant_id)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "insert into api_keys (key_id, tenant_id, key_hash, label, created_at)
             values ($1, $2, $3, $4, $5)",
        )
        .bind(key.key_id)
        .bind(&key.tenant_id)
        .bind(&key.key_hash)
        .bind(&key.label)
        .bind(key.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn find_api_key(&self, key_id: Uuid) -> StoreResult<Option<ApiKeyRow>> {
        Ok(sqlx::query_as(
            "select key_id, tenant_id, key_hash, label, created_at, revoked_at
             from api_keys where key_id = $1",
        )
        .bind(key_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn revoke_api_key(&self, key_id: Uuid, at: DateTime<Utc>) -> StoreResult<bool> {
        let done = sqlx::query(
            "update api_keys set revoked_at = $2 where key_id = $1 and revoked_at is null",
        )
        .bind(key_id)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
