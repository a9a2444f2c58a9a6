//! The API key and signing key statements, identical in both dialects, written once and
//! stamped into each backend by [`auth_store!`].

/// Implements [`crate::store::AuthStore`] for a backend type: writes on the `writer` pool,
/// reads on the `reader` pool (PostgreSQL names its one pool twice).
macro_rules! auth_store {
    ($store:ty, writer: $writer:ident, reader: $reader:ident) => {
        #[async_trait::async_trait]
        impl $crate::store::AuthStore for $store {
            async fn count_api_keys(&self) -> $crate::store::StoreResult<i64> {
                Ok(sqlx::query_scalar("select count(*) from api_keys")
                    .fetch_one(&self.$reader)
                    .await?)
            }

            async fn insert_api_key(
                &self,
                key: &$crate::store::NewApiKey,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.$writer.begin().await?;
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

            async fn find_api_key(
                &self,
                key_id: uuid::Uuid,
            ) -> $crate::store::StoreResult<Option<$crate::store::ApiKeyRow>> {
                Ok(sqlx::query_as(
                    "select key_id, tenant_id, key_hash, label, created_at, revoked_at
                     from api_keys where key_id = $1",
                )
                .bind(key_id)
                .fetch_optional(&self.$reader)
                .await?)
            }

            async fn list_api_keys(
                &self,
                tenant: Option<&$crate::store::TenantId>,
            ) -> $crate::store::StoreResult<Vec<$crate::store::ApiKeyRow>> {
                let rows = match tenant {
                    Some(tenant) => {
                        sqlx::query_as(
                            "select key_id, tenant_id, key_hash, label, created_at, revoked_at
                             from api_keys where tenant_id = $1 order by created_at, key_id",
                        )
                        .bind(tenant)
                        .fetch_all(&self.$reader)
                        .await?
                    }
                    None => {
                        sqlx::query_as(
                            "select key_id, tenant_id, key_hash, label, created_at, revoked_at
                             from api_keys order by created_at, key_id",
                        )
                        .fetch_all(&self.$reader)
                        .await?
                    }
                };
                Ok(rows)
            }

            async fn revoke_api_key(
                &self,
                key_id: uuid::Uuid,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<bool> {
                let done = sqlx::query(
                    "update api_keys set revoked_at = $2 where key_id = $1 and revoked_at is null",
                )
                .bind(key_id)
                .bind(at)
                .execute(&self.$writer)
                .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn signing_key(
                &self,
                name: &str,
                candidate: &[u8],
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<Vec<u8>> {
                // Insert-or-keep, then read back from the writer: the row that won a
                // race is the one every replica uses.
                sqlx::query(
                    "insert into signing_keys (name, secret, created_at) values ($1, $2, $3)
                     on conflict (name) do nothing",
                )
                .bind(name)
                .bind(candidate)
                .bind(at)
                .execute(&self.$writer)
                .await?;
                Ok(
                    sqlx::query_scalar("select secret from signing_keys where name = $1")
                        .bind(name)
                        .fetch_one(&self.$writer)
                        .await?,
                )
            }
        }
    };
}

pub(crate) use auth_store;
