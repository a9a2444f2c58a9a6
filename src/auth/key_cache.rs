//! A short cache of API-key rows, so that a request does not cost a database read
//! to authenticate.
//!
//! Only keys found valid are cached, with their hash: the presented secret is still
//! compared on every request. A revocation reaches every replica through the
//! store's notices (PostgreSQL: a trigger on `api_keys` notifies on revocation and
//! deletion), and drops the key from the cache; so does anything that may have
//! lost notices (a listener reconnect, a subscriber that fell behind), which clears
//! the whole cache. The time to live bounds how long an entry can outlive a lost
//! notice.
//!
//! The cache is only used where revocations can be notified: on SQLite the command
//! line revokes keys from another process, which cannot reach this one, so keys are
//! read on every request there (a local read, no network round trip).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::store::{ApiKeyRow, Notice, Store};

/// Entries kept at most; a full cache is emptied rather than evicting one by one
/// (keys in active use are few; this bounds memory against many distinct keys).
const MAX_ENTRIES: usize = 10_000;

/// Valid API-key rows by key id, each trusted for `ttl`.
pub struct KeyCache {
    ttl: Duration,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<Uuid, (ApiKeyRow, Instant)>,
    /// Bumped by every invalidation, so a read that began before a revocation
    /// cannot store the row it read after the revocation dropped the key.
    generation: u64,
}

/// A ticket taken before reading a key from the store; see [`KeyCache::insert`].
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

impl KeyCache {
    /// A cache whose entries live `ttl`.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The map holds no invariant a panicking holder could break half-way.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached row of `key_id`, if still fresh.
    pub fn get(&self, key_id: Uuid) -> Option<ApiKeyRow> {
        let inner = self.lock();
        let (row, at) = inner.entries.get(&key_id)?;
        (at.elapsed() < self.ttl).then(|| row.clone())
    }

    /// Takes a ticket; call before reading the key from the store.
    pub fn ticket(&self) -> Ticket {
        Ticket(self.lock().generation)
    }

    /// Caches a valid row read after `ticket` was taken, unless an invalidation
    /// came in between (then the row may predate a revocation).
    pub fn insert(&self, ticket: Ticket, row: ApiKeyRow) {
        let mut inner = self.lock();
        if inner.generation != ticket.0 || row.revoked_at.is_some() {
            return;
        }
        if inner.entries.len() >= MAX_ENTRIES {
            inner.entries.clear();
        }
        inner.entries.insert(row.key_id, (row, Instant::now()));
    }

    /// Drops one key.
    pub fn invalidate(&self, key_id: Uuid) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.remove(&key_id);
    }

    /// Drops every key.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.generation += 1;
        inner.entries.clear();
    }

    /// Applies the store's notices to the cache until `stop` is cancelled.
    pub fn follow(self: &Arc<Self>, store: &dyn Store, stop: CancellationToken) {
        let mut notices = store.subscribe();
        let cache = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                let notice = tokio::select! {
                    _ = stop.cancelled() => return,
                    n = notices.recv() => n,
                };
                match notice {
                    Ok(Notice::ApiKeyRevoked { key }) => cache.invalidate(key),
                    Ok(Notice::Resync) | Err(RecvError::Lagged(_)) => cache.clear(),
                    Ok(_) => {}
                    Err(RecvError::Closed) => {
                        // No more notices: nothing may be trusted any longer.
                        cache.clear();
                        return;
                    }
                }
            }
        });
    }
}
