//! The set of breakers, one per provider name, shared by the clients and the providers endpoint.

use super::{BreakerSnapshot, CircuitBreaker};
use crate::clock::Clock;
use crate::config::BreakerSettings;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// Breakers by provider name.
pub struct BreakerRegistry {
    clock: Arc<dyn Clock>,
    breakers: Mutex<BTreeMap<String, Arc<CircuitBreaker>>>,
}

impl std::fmt::Debug for BreakerRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BreakerRegistry")
            .field("names", &self.names())
            .finish_non_exhaustive()
    }
}

impl BreakerRegistry {
    /// An empty registry whose breakers all read `clock`.
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            breakers: Mutex::new(BTreeMap::new()),
        }
    }

    /// The breaker named `name`, created with `settings` if it does not exist yet (an existing
    /// breaker keeps its settings).
    pub fn get_or_create(&self, name: &str, settings: BreakerSettings) -> Arc<CircuitBreaker> {
        let mut map = self.breakers.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(map.entry(name.to_owned()).or_insert_with(|| {
            Arc::new(CircuitBreaker::new(name, settings, Arc::clone(&self.clock)))
        }))
    }

    /// The breaker named `name`, if registered.
    pub fn get(&self, name: &str) -> Option<Arc<CircuitBreaker>> {
        let map = self.breakers.lock().unwrap_or_else(|e| e.into_inner());
        map.get(name).cloned()
    }

    /// Registered names, sorted.
    pub fn names(&self) -> Vec<String> {
        let map = self.breakers.lock().unwrap_or_else(|e| e.into_inner());
        map.keys().cloned().collect()
    }

    /// A snapshot of every breaker, sorted by name.
    pub fn snapshots(&self) -> Vec<BreakerSnapshot> {
        // Clone the handles first so no breaker lock is taken while the map is locked.
        let breakers: Vec<Arc<CircuitBreaker>> = {
            let map = self.breakers.lock().unwrap_or_else(|e| e.into_inner());
            map.values().cloned().collect()
        };
        breakers.iter().map(|b| b.snapshot()).collect()
    }
}
