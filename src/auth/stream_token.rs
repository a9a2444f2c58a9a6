//! Stream tokens: short-lived, signed grants to open `GET /v1/events/stream?token=`.
//!
//! A browser's `EventSource` cannot send an `Authorization` header, so a client that
//! holds a bearer credential first asks `POST /v1/stream-tokens` for one of these and
//! puts it in the stream's URL. A token names its tenant, its subject, the filters
//! the stream is confined to and when it stops opening streams. It is an HMAC-SHA256
//! over that payload with a key every replica shares (from settings or the database),
//! so any replica behind a load balancer accepts a token another one issued, without
//! a lookup. Tokens are not stored: they cannot be revoked, which is why they live
//! for seconds (`events.stream_token_ttl`).
//!
//! Format: `cfs_<base64url(payload JSON)>.<base64url(mac)>`.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use super::{AuthError, CredentialKind, Principal};
use crate::store::{RunId, TenantId};

/// Prefix of every stream token.
pub const PREFIX: &str = "cfs_";

/// The name the database-kept key is stored under.
pub const KEY_NAME: &str = "stream-tokens/v1";

/// Shortest accepted key, in bytes.
const MIN_KEY_BYTES: usize = 32;

/// The event filters a stream opened with a token is confined to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StreamFilters {
    /// Only this run's events.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run_id: Option<RunId>,
    /// Only events with this correlation id.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 200)]
    pub correlation_id: Option<String>,
    /// Only this workflow's events.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 200)]
    pub workflow: Option<String>,
    /// Only events of this type.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(min_length = 1, max_length = 200)]
    pub event_type: Option<String>,
}

/// What a valid token grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamGrant {
    /// Who asked for the token, confined to its tenant.
    pub principal: Principal,
    /// The filters the stream must keep.
    pub filters: StreamFilters,
    /// Until when the token opens streams.
    pub expires_at: DateTime<Utc>,
}

/// The signed payload. Short names keep URLs short.
#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    /// Tenant.
    ten: String,
    /// Subject of the credential that asked.
    sub: String,
    /// Kind of that credential.
    kind: CredentialKind,
    /// Expiry, in Unix seconds.
    exp: i64,
    /// Filters.
    #[serde(default)]
    f: StreamFilters,
}

/// Issues and checks stream tokens with one key.
#[derive(Clone)]
pub struct StreamTokens {
    /// The keyed MAC, cloned for each token.
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for StreamTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StreamTokens([redacted])")
    }
}

impl StreamTokens {
    /// Tokens signed with `key` (at least 32 bytes).
    pub fn new(key: Vec<u8>) -> Result<Self, String> {
        if key.len() < MIN_KEY_BYTES {
            return Err(format!(
                "a stream token key needs at least {MIN_KEY_BYTES} bytes"
            ));
        }
        let mac = <Hmac<Sha256> as Mac>::new_from_slice(&key).map_err(|e| e.to_string())?;
        Ok(Self { mac })
    }

    /// Tokens signed with a configured base64 key.
    pub fn from_base64(encoded: &str) -> Result<Self, String> {
        let key = STANDARD
            .decode(encoded.trim())
            .map_err(|_| "events.stream_token_key: not base64".to_string())?;
        Self::new(key).map_err(|e| format!("events.stream_token_key: {e}"))
    }

    /// A fresh random key, for storing on first start.
    pub fn random_key() -> Vec<u8> {
        use rand::RngCore;
        let mut key = vec![0u8; MIN_KEY_BYTES];
        rand::rngs::OsRng.fill_bytes(&mut key);
        key
    }

    /// A token for `principal`'s tenant and `filters`, valid until `expires_at`.
    pub fn issue(
        &self,
        principal: &Principal,
        filters: &StreamFilters,
        expires_at: DateTime<Utc>,
    ) -> String {
        let claims = Claims {
            ten: principal.tenant.as_str().to_string(),
            sub: principal.subject.clone(),
            kind: principal.credential,
            exp: expires_at.timestamp(),
            f: filters.clone(),
        };
        // Serialising plain strings and numbers cannot fail.
        let payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap_or_default());
        let mut mac = self.mac.clone();
        mac.update(payload.as_bytes());
        let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
        format!("{PREFIX}{payload}.{sig}")
    }

    /// Checks a token's signature and expiry at `now`.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<StreamGrant, AuthError> {
        let bad = || AuthError::Invalid("not a valid stream token".into());
        let rest = token.strip_prefix(PREFIX).ok_or_else(bad)?;
        let (payload, sig) = rest.split_once('.').ok_or_else(bad)?;
        let sig = URL_SAFE_NO_PAD.decode(sig).map_err(|_| bad())?;
        let mut mac = self.mac.clone();
        mac.update(payload.as_bytes());
        // Constant-time comparison.
        mac.verify_slice(&sig).map_err(|_| bad())?;
        let claims: Claims = URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|p| serde_json::from_slice(&p).ok())
            .ok_or_else(bad)?;
        let expires_at = DateTime::from_timestamp(claims.exp, 0).ok_or_else(bad)?;
        if expires_at <= now {
            return Err(AuthError::Invalid(
                "the stream token has expired; request a new one".into(),
            ));
        }
        let tenant = TenantId::parse(&claims.ten).map_err(|_| bad())?;
        Ok(StreamGrant {
            principal: Principal {
                tenant,
                subject: claims.sub,
                credential: claims.kind,
            },
            filters: claims.f,
            expires_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal() -> Principal {
        Principal {
            tenant: TenantId::parse("tenant-a").unwrap(),
            subject: "apikey:1".into(),
            credential: CredentialKind::ApiKey,
        }
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    fn tokens() -> StreamTokens {
        StreamTokens::new(vec![7; 32]).unwrap()
    }

    #[test]
    fn a_token_round_trips_its_tenant_and_filters() {
        let filters = StreamFilters {
            workflow: Some("discharge".into()),
            ..Default::default()
        };
        let exp = now() + chrono::Duration::seconds(60);
        let token = tokens().issue(&principal(), &filters, exp);
        assert!(token.starts_with(PREFIX));
        let grant = tokens().verify(&token, now()).unwrap();
        assert_eq!(grant.principal, principal());
        assert_eq!(grant.filters, filters);
        assert_eq!(grant.expires_at, exp);
    }

    #[test]
    fn an_expired_token_is_refused() {
        let token = tokens().issue(&principal(), &StreamFilters::default(), now());
        let err = tokens().verify(&token, now()).unwrap_err();
        assert!(err.to_string().contains("expired"), "{err}");
    }

    #[test]
    fn a_token_signed_with_another_key_is_refused() {
        let exp = now() + chrono::Duration::seconds(60);
        let token = tokens().issue(&principal(), &StreamFilters::default(), exp);
        let other = StreamTokens::new(vec![8; 32]).unwrap();
        assert!(other.verify(&token, now()).is_err());
    }

    #[test]
    fn a_token_whose_payload_was_changed_is_refused() {
        let exp = now() + chrono::Duration::seconds(60);
        let token = tokens().issue(&principal(), &StreamFilters::default(), exp);
        let (payload, sig) = token[PREFIX.len()..].split_once('.').unwrap();
        let mut claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
        claims["ten"] = "tenant-b".into();
        let forged = format!(
            "{PREFIX}{}.{sig}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap())
        );
        assert!(tokens().verify(&forged, now()).is_err());
    }

    #[test]
    fn garbage_is_refused_without_panicking() {
        for t in ["", "cfs_", "cfs_abc", "cfs_.x", "cfk_abc.def", "cfs_!!.??"] {
            assert!(tokens().verify(t, now()).is_err(), "{t}");
        }
    }

    #[test]
    fn configured_keys_must_be_base64_of_at_least_32_bytes() {
        assert!(StreamTokens::from_base64("not base64!").is_err());
        assert!(StreamTokens::from_base64(&STANDARD.encode([1u8; 16])).is_err());
        assert!(StreamTokens::from_base64(&STANDARD.encode([1u8; 32])).is_ok());
    }
}
