//! Signing keys fetched from a JWKS URL and cached: refreshed when older than the
//! cache TTL, or at once when a token names an unknown `kid` (key rotation), but
//! never more often than the minimum refresh interval, so bad tokens cannot make
//! careflow hammer the identity provider.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, JwkSet};
use tokio::sync::Mutex;

/// A cached key set.
pub(super) struct JwksCache {
    url: String,
    http: reqwest::Client,
    ttl: Duration,
    min_refresh: Duration,
    // A tokio mutex: held across the fetch so concurrent misses cause one request.
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    keys: HashMap<String, Jwk>,
    fetched_at: Option<Instant>,
    last_attempt: Option<Instant>,
}

impl JwksCache {
    pub fn new(url: String, http: reqwest::Client, ttl: Duration, min_refresh: Duration) -> Self {
        Self {
            url,
            http,
            ttl,
            min_refresh,
            state: Mutex::new(State::default()),
        }
    }

    /// The key with this `kid`, fetching the set when stale or when the kid is new.
    pub async fn key(&self, kid: &str) -> Result<Option<Jwk>, String> {
        let mut state = self.state.lock().await;
        let fresh = state.fetched_at.is_some_and(|t| t.elapsed() < self.ttl);
        if fresh && let Some(k) = state.keys.get(kid) {
            return Ok(Some(k.clone()));
        }
        let may_refresh = state
            .last_attempt
            .is_none_or(|t| t.elapsed() >= self.min_refresh);
        let never_fetched = state.fetched_at.is_none();
        if never_fetched || may_refresh {
            state.last_attempt = Some(Instant::now());
            match self.fetch().await {
                Ok(set) => {
                    state.keys = set
                        .keys
                        .into_iter()
                        .filter_map(|k| k.common.key_id.clone().map(|id| (id, k)))
                        .collect();
                    state.fetched_at = Some(Instant::now());
                }
                // Keep serving the keys we have; the provider may be briefly down.
                Err(e) if state.fetched_at.is_some() => {
                    tracing::warn!(error = %e, "refreshing signing keys failed; using cached keys");
                }
                Err(e) => return Err(e),
            }
        }
        Ok(state.keys.get(kid).cloned())
    }

    async fn fetch(&self) -> Result<JwkSet, String> {
        let response = self
            .http
            .get(&self.url)
            .timeout(Duration::from_secs(10))
            .send()
            .await
            .map_err(|e| format!("fetching JWKS failed: {}", e.without_url()))?;
        if !response.status().is_success() {
            return Err(format!("JWKS endpoint answered {}", response.status()));
        }
        response
            .json::<JwkSet>()
            .await
            .map_err(|e| format!("JWKS is not a key set: {}", e.without_url()))
    }
}
