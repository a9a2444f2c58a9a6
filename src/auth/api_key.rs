//! careflow API keys: `cfk_<key id>_<secret>`. The key id finds the row; only a
//! SHA-256 of the secret is stored, compared in constant time. Secrets are 256
//! random bits, so a fast hash is enough (no password stretching needed).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use rand::RngCore;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::key_cache::KeyCache;
use super::{AuthError, CredentialKind, Principal};
use crate::store::{NewApiKey, Store, StoreResult, TenantId};

/// Every API key starts with this.
pub const PREFIX: &str = "cfk_";

/// A freshly created key: the token is shown once and never stored.
#[derive(Debug, Clone)]
pub struct CreatedKey {
    /// The key's id, for revocation.
    pub key_id: Uuid,
    /// The tenant it acts for.
    pub tenant: TenantId,
    /// The bearer token.
    pub token: String,
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Creates and stores a key for `tenant`.
pub async fn create(store: &dyn Store, tenant: &TenantId, label: &str) -> StoreResult<CreatedKey> {
    let key_id = Uuid::now_v7();
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let secret = URL_SAFE_NO_PAD.encode(secret);
    store
        .insert_api_key(&NewApiKey {
            key_id,
            tenant_id: tenant.clone(),
            key_hash: hash(&secret),
            label: label.to_string(),
            created_at: Utc::now(),
        })
        .await?;
    Ok(CreatedKey {
        key_id,
        tenant: tenant.clone(),
        token: format!("{PREFIX}{}_{secret}", key_id.simple()),
    })
}

/// Checks a `cfk_` token against the store, or against `cache` when it holds the
/// key (the secret is compared either way).
pub async fn verify(
    store: &dyn Store,
    cache: Option<&KeyCache>,
    token: &str,
) -> Result<Principal, AuthError> {
    let invalid = || AuthError::Invalid("invalid API key".into());
    let rest = token.strip_prefix(PREFIX).ok_or_else(invalid)?;
    let (id, secret) = rest.split_once('_').ok_or_else(invalid)?;
    let key_id = Uuid::try_parse(id).map_err(|_| invalid())?;
    let row = match cache.and_then(|c| c.get(key_id)) {
        Some(row) => row,
        None => {
            let ticket = cache.map(KeyCache::ticket);
            let row = store.find_api_key(key_id).await?.ok_or_else(invalid)?;
            // Only a key whose secret matches is cached, so guessing ids cannot
            // fill the cache.
            if let (Some(cache), Some(ticket)) = (cache, ticket)
                && constant_time_eq(hash(secret).as_bytes(), row.key_hash.as_bytes())
            {
                cache.insert(ticket, row.clone());
            }
            row
        }
    };
    let presented = hash(secret);
    if !constant_time_eq(presented.as_bytes(), row.key_hash.as_bytes()) {
        return Err(invalid());
    }
    if row.revoked_at.is_some() {
        return Err(AuthError::Invalid("API key revoked".into()));
    }
    Ok(Principal {
        tenant: row.tenant_id,
        subject: format!("apikey:{}", row.key_id),
        credential: CredentialKind::ApiKey,
    })
}

/// Compares in time independent of where the inputs differ (only their lengths leak).
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_differ_for_different_secrets_and_compare_in_full() {
        assert_ne!(hash("a"), hash("b"));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
