//! Callers waiting for a run to end (`?wait=`) are woken by a notification, never by
//! a polling loop: directly when this replica finishes the run, or through the
//! store's notices when another replica does.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use super::view::RunView;
use crate::store::RunId;

/// What a waiter is told: the final view when the finishing replica had it, else
/// `None` ("changed, read it again").
pub type Wakeup = Option<Arc<RunView>>;

/// Waiting callers by run.
#[derive(Default)]
pub struct Waiters {
    // A std mutex: only map operations happen under it, never an await.
    runs: Mutex<HashMap<RunId, watch::Sender<Wakeup>>>,
}

impl Waiters {
    /// Registers interest in a run. Subscribe before reading the run's state, so a
    /// wake-up between the read and the wait is not lost.
    pub fn subscribe(&self, run: RunId) -> watch::Receiver<Wakeup> {
        let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        runs.entry(run)
            .or_insert_with(|| watch::channel(None).0)
            .subscribe()
    }

    /// Wakes everyone waiting for `run`.
    pub fn wake(&self, run: RunId, view: Wakeup) {
        let sender = {
            let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
            runs.remove(&run)
        };
        if let Some(sender) = sender {
            let _ = sender.send(view);
        }
    }

    /// Wakes every waiter (after notices may have been lost).
    pub fn wake_all(&self) {
        let all: Vec<_> = {
            let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
            runs.drain().collect()
        };
        for (_, sender) in all {
            let _ = sender.send(None);
        }
    }

    /// Drops entries nobody listens to any more (waiters that timed out).
    pub fn prune(&self) {
        let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        runs.retain(|_, s| s.receiver_count() > 0);
    }
}
