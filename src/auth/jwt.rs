//! JWT verification as Supabase Auth issues them.
//!
//! Rules: the algorithm must be on the allowlist (ES256/RS256 when a JWKS URL is
//! configured, else HS256 when a secret is; `none` never parses); `exp` is required
//! and `nbf` checked, with a small leeway; `aud` must match (default
//! `authenticated`); when an issuer is configured `iss` must be present and match;
//! `role` must not be `anon`; the tenant is read from a server-controlled claim
//! (default `app_metadata.tenant_id`), never from `user_metadata`.

use std::collections::HashSet;

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};
use serde_json::Value;

use super::jwks::JwksCache;
use super::{AuthError, CredentialKind, Principal};
use crate::config::AuthSettings;
use crate::store::TenantId;

enum KeySource {
    None,
    Secret(DecodingKey),
    Jwks(JwksCache),
}

/// Verifies JWTs against the configured keys.
pub struct JwtVerifier {
    keys: KeySource,
    audience: String,
    issuer: Option<String>,
    tenant_claim: Vec<String>,
    leeway_secs: u64,
}

impl JwtVerifier {
    /// Builds the verifier from `[auth]`.
    pub fn new(settings: &AuthSettings, http: reqwest::Client) -> Result<Self, String> {
        let keys = if !settings.jwks_url.is_empty() {
            reqwest::Url::parse(&settings.jwks_url)
                .map_err(|e| format!("invalid setting: auth.jwks_url: {e}"))?;
            KeySource::Jwks(JwksCache::new(
                settings.jwks_url.clone(),
                http,
                settings.jwks_cache_ttl,
                settings.jwks_min_refresh,
                settings.jwks_fetch_timeout,
            ))
        } else if !settings.jwt_secret.is_empty() {
            KeySource::Secret(DecodingKey::from_secret(
                settings.jwt_secret.expose().as_bytes(),
            ))
        } else {
            KeySource::None
        };
        Ok(Self {
            keys,
            audience: settings.audience.clone(),
            issuer: Some(settings.issuer.clone()).filter(|i| !i.is_empty()),
            tenant_claim: settings.tenant_claim.split('.').map(String::from).collect(),
            leeway_secs: settings.leeway.as_secs(),
        })
    }

    /// Verifies a token and reads its principal.
    pub async fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        let invalid = |m: &str| AuthError::Invalid(m.to_string());
        let header = decode_header(token).map_err(|_| invalid("malformed token"))?;
        let key = match &self.keys {
            KeySource::None => return Err(invalid("JWT authentication is not configured")),
            KeySource::Secret(key) => {
                if header.alg != Algorithm::HS256 {
                    return Err(invalid("token algorithm not allowed"));
                }
                key.clone()
            }
            KeySource::Jwks(cache) => {
                if !matches!(header.alg, Algorithm::ES256 | Algorithm::RS256) {
                    return Err(invalid("token algorithm not allowed"));
                }
                let kid = header
                    .kid
                    .as_deref()
                    .ok_or_else(|| invalid("token has no kid"))?;
                let jwk = cache
                    .key(kid)
                    .await
                    .map_err(AuthError::KeysUnavailable)?
                    .ok_or_else(|| invalid("unknown signing key"))?;
                key_for(&jwk, header.alg).ok_or_else(|| invalid("signing key does not fit"))?
            }
        };
        let mut validation = Validation::new(header.alg);
        validation.leeway = self.leeway_secs;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.set_audience(&[&self.audience]);
        let mut required: HashSet<String> =
            HashSet::from(["exp".into(), "sub".into(), "aud".into()]);
        if let Some(iss) = &self.issuer {
            // The check alone passes a token without `iss`: require the claim too.
            validation.set_issuer(&[iss]);
            required.insert("iss".into());
        }
        validation.required_spec_claims = required;
        let data = decode::<Value>(token, &key, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind::*;
            invalid(match e.kind() {
                ExpiredSignature => "token expired",
                ImmatureSignature => "token not yet valid",
                InvalidAudience => "token audience not accepted",
                InvalidIssuer => "token issuer not accepted",
                InvalidSignature => "token signature invalid",
                MissingRequiredClaim(_) => "token lacks a required claim",
                _ => "token invalid",
            })
        })?;
        let claims = data.claims;
        if claims.get("role").and_then(Value::as_str) == Some("anon") {
            return Err(invalid("anonymous tokens are not accepted"));
        }
        let subject = claims
            .get("sub")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| invalid("token has no subject"))?
            .to_string();
        let tenant = self
            .tenant_claim
            .iter()
            .try_fold(&claims, |v, k| v.get(k))
            .and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .ok_or_else(|| invalid("token carries no tenant claim"))?;
        let tenant = TenantId::parse(&tenant).map_err(|_| invalid("token tenant is malformed"))?;
        Ok(Principal {
            tenant,
            subject,
            credential: CredentialKind::Jwt,
        })
    }
}

/// The decoding key of a JWK, only when its type fits the token's algorithm (an RSA
/// key cannot verify an ES256 token, and a key pinned to one algorithm serves no other).
fn key_for(jwk: &Jwk, alg: Algorithm) -> Option<DecodingKey> {
    if let Some(pinned) = jwk.common.key_algorithm {
        let pinned = format!("{pinned:?}");
        if pinned != format!("{alg:?}") {
            return None;
        }
    }
    let fits = matches!(
        (&jwk.algorithm, alg),
        (AlgorithmParameters::EllipticCurve(_), Algorithm::ES256)
            | (AlgorithmParameters::RSA(_), Algorithm::RS256)
    );
    if !fits {
        return None;
    }
    DecodingKey::from_jwk(jwk).ok()
}
