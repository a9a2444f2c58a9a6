//! Who is calling: bearer tokens turned into a [`Principal`] bound to a tenant.
//!
//! Two kinds of token: careflow API keys (`cfk_...`, stored only as a hash) and JWTs
//! as Supabase Auth issues them (HS256 with a shared secret, or ES256/RS256 keys from
//! a JWKS URL). The tenant always comes from the credential: the key's tenant, or a
//! server-controlled JWT claim; never from a request body.

pub mod api_key;
mod jwks;
pub mod jwt;
pub mod key_cache;
pub mod stream_token;

use std::sync::Arc;

use serde::Serialize;
use tokio_util::sync::CancellationToken;

use crate::config::AuthSettings;
use crate::store::{Backend, Store, StoreError, TenantId};

use key_cache::KeyCache;

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Principal {
    /// The tenant every read and write of this request is confined to.
    pub tenant: TenantId,
    /// The user id (`sub`) of a JWT, or `apikey:<id>` for an API key.
    pub subject: String,
    /// Which kind of credential it was.
    pub credential: CredentialKind,
}

/// The kind of credential a request carried (`api_key`, `jwt`). Stream tokens
/// signed by earlier versions carry `apiKey`, which is still read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// A careflow API key.
    #[serde(alias = "apiKey")]
    ApiKey,
    /// A JWT.
    Jwt,
}

/// Why a credential was refused. Messages are safe to show to the caller.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No usable `Authorization: Bearer` header.
    #[error("missing bearer token")]
    Missing,
    /// The token is not valid; the message says why, without secrets.
    #[error("{0}")]
    Invalid(String),
    /// The credential store could not be reached.
    #[error("credential store unavailable")]
    Store(#[from] StoreError),
    /// The signing keys could not be fetched.
    #[error("signing keys unavailable: {0}")]
    KeysUnavailable(String),
}

/// Checks bearer tokens.
pub struct Authenticator {
    store: Arc<dyn Store>,
    jwt: jwt::JwtVerifier,
    /// API keys read recently; none on SQLite or with a zero time to live.
    keys: Option<Arc<KeyCache>>,
    /// Stops the task applying revocation notices to `keys`.
    stop: CancellationToken,
}

impl Authenticator {
    /// An authenticator over the store's API keys and the configured JWT keys.
    /// On PostgreSQL, with `auth.api_key_cache_ttl` above zero, it caches valid keys
    /// and follows revocation notices (see [`key_cache`]); call it inside a Tokio
    /// runtime.
    pub fn new(
        store: Arc<dyn Store>,
        settings: &AuthSettings,
        http: reqwest::Client,
    ) -> Result<Self, String> {
        let stop = CancellationToken::new();
        let keys = (store.backend() == Backend::Postgres && !settings.api_key_cache_ttl.is_zero())
            .then(|| {
                let cache = Arc::new(KeyCache::new(settings.api_key_cache_ttl));
                cache.follow(store.as_ref(), stop.clone());
                cache
            });
        Ok(Self {
            store,
            jwt: jwt::JwtVerifier::new(settings, http)?,
            keys,
            stop,
        })
    }

    /// Authenticates the value of an `Authorization` header.
    pub async fn authenticate(&self, header: Option<&str>) -> Result<Principal, AuthError> {
        let token = header
            .and_then(|h| {
                let (scheme, rest) = h.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            })
            .filter(|t| !t.is_empty())
            .ok_or(AuthError::Missing)?;
        if token.starts_with(api_key::PREFIX) {
            api_key::verify(self.store.as_ref(), self.keys.as_deref(), token).await
        } else {
            self.jwt.verify(token).await
        }
    }
}

impl Drop for Authenticator {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}
