//! Signing keys fetched from a JWKS URL and cached.
//!
//! A token whose `kid` is cached is verified at once, never waiting for the network:
//! when the keys are older than the cache TTL they are refreshed in the background
//! while the cached ones keep serving. A `kid` that is not cached (key rotation, or a
//! forged token) triggers a fetch, but only one fetch runs at a time (requests that
//! need one meanwhile wait for it and share its answer) and at most one starts per
//! minimum refresh interval, so bad tokens can neither stall good ones nor make
//! careflow hammer the identity provider. Keys that were never fetched successfully
//! cannot be had: such tokens are answered "unavailable", not "invalid".

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{Jwk, JwkSet};

/// Least time between fetches while no key set was ever fetched (or the minimum
/// refresh interval, when shorter).
const NO_KEYS_RETRY: Duration = Duration::from_secs(1);

/// A cached key set.
pub(super) struct JwksCache {
    inner: Arc<Inner>,
}

struct Inner {
    url: String,
    http: reqwest::Client,
    ttl: Duration,
    min_refresh: Duration,
    fetch_timeout: Duration,
    // A std mutex: read or replaced in a few instructions, never held across an await.
    state: Mutex<State>,
    // Held for the whole of a fetch, so at most one runs; a request that needs the
    // keys while one runs waits on it instead of starting another.
    fetching: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Default)]
struct State {
    keys: HashMap<String, Jwk>,
    /// When the keys were last fetched successfully.
    fetched_at: Option<Instant>,
    /// When the last fetch started, successful or not.
    last_attempt: Option<Instant>,
    /// Fetches finished so far: tells a waiter that a fetch ended while it waited.
    attempts: u64,
    /// Why the last fetch failed, if it did.
    last_error: Option<String>,
}

impl JwksCache {
    pub fn new(
        url: String,
        http: reqwest::Client,
        ttl: Duration,
        min_refresh: Duration,
        fetch_timeout: Duration,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                url,
                http,
                ttl,
                min_refresh,
                fetch_timeout,
                state: Mutex::new(State::default()),
                fetching: Arc::new(tokio::sync::Mutex::new(())),
            }),
        }
    }

    /// The key with this `kid`: `Ok(None)` when the key set does not have it, `Err`
    /// when no key set could be fetched at all.
    pub async fn key(&self, kid: &str) -> Result<Option<Jwk>, String> {
        let seen = {
            let state = self.inner.state();
            if let Some(key) = state.keys.get(kid) {
                let key = key.clone();
                let stale = state
                    .fetched_at
                    .is_none_or(|t| t.elapsed() >= self.inner.ttl);
                drop(state);
                if stale {
                    self.refresh_in_background();
                }
                return Ok(Some(key));
            }
            state.attempts
        };
        // Not cached: fetch, or share the fetch already running.
        match self.inner.fetching.try_lock() {
            Ok(gate) => {
                let due = {
                    let state = self.inner.state();
                    state.attempts == seen && self.inner.may_refresh(&state)
                };
                if due {
                    self.inner.fetch_and_store().await;
                }
                drop(gate);
            }
            Err(_) => drop(self.inner.fetching.lock().await),
        }
        let state = self.inner.state();
        match state.keys.get(kid) {
            Some(key) => Ok(Some(key.clone())),
            None if state.fetched_at.is_none() => Err(state
                .last_error
                .clone()
                .unwrap_or_else(|| "signing keys were not fetched yet".into())),
            None => Ok(None),
        }
    }

    /// Starts a refresh unless one runs or the last started too recently.
    fn refresh_in_background(&self) {
        if !self.inner.may_refresh(&self.inner.state()) {
            return;
        }
        let Ok(gate) = self.inner.fetching.clone().try_lock_owned() else {
            return;
        };
        let inner = self.inner.clone();
        tokio::spawn(async move {
            inner.fetch_and_store().await;
            drop(gate);
        });
    }
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn may_refresh(&self, state: &State) -> bool {
        // Without any keys every token waits on the provider, so retry sooner.
        let gap = if state.fetched_at.is_none() {
            self.min_refresh.min(NO_KEYS_RETRY)
        } else {
            self.min_refresh
        };
        state.last_attempt.is_none_or(|t| t.elapsed() >= gap)
    }

    /// Fetches the key set and stores the outcome; the caller holds `fetching`.
    async fn fetch_and_store(&self) {
        self.state().last_attempt = Some(Instant::now());
        let result = self.fetch().await;
        let mut state = self.state();
        state.attempts += 1;
        match result {
            Ok(set) => {
                state.keys = set
                    .keys
                    .into_iter()
                    .filter_map(|k| k.common.key_id.clone().map(|id| (id, k)))
                    .collect();
                state.fetched_at = Some(Instant::now());
                state.last_error = None;
            }
            Err(e) => {
                // Keep serving the keys we have; the provider may be briefly down.
                if state.fetched_at.is_some() {
                    tracing::warn!(error = %e, "refreshing signing keys failed; using cached keys");
                } else {
                    tracing::warn!(error = %e, "fetching signing keys failed");
                }
                state.last_error = Some(e);
            }
        }
    }

    async fn fetch(&self) -> Result<JwkSet, String> {
        let response = self
            .http
            .get(&self.url)
            .timeout(self.fetch_timeout)
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
