//! Retention of the access log: a periodic task that deletes access records past
//! `audit.retention_days`, in batches, so a large backlog never holds a long lock.
//! The records themselves are written at the HTTP edge (`http::audit`).

use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use crate::config::AuditSettings;
use crate::engine::Clock;
use crate::store::Store;

/// Starts the pruner: a pass at once, then one every `audit.prune_interval`, until
/// `stop` fires.
pub fn spawn_pruner(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: AuditSettings,
    stop: CancellationToken,
) {
    tokio::spawn(async move {
        loop {
            prune(store.as_ref(), clock.as_ref(), &settings, &stop).await;
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(settings.prune_interval) => {}
            }
        }
    });
}

/// One pass: deletes batch after batch until none is full.
async fn prune(
    store: &dyn Store,
    clock: &dyn Clock,
    settings: &AuditSettings,
    stop: &CancellationToken,
) {
    let retention =
        chrono::Duration::from_std(settings.retention()).unwrap_or(chrono::Duration::MAX);
    let Some(before) = clock.now().checked_sub_signed(retention) else {
        return;
    };
    let batch = i64::from(settings.prune_batch);
    let mut total = 0u64;
    while !stop.is_cancelled() {
        match store.prune_access(before, batch).await {
            Ok(n) => {
                total += n;
                if (n as i64) < batch {
                    break;
                }
                // Let other work between batches.
                tokio::task::yield_now().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "pruning the access log failed; retrying at the next pass");
                break;
            }
        }
    }
    if total > 0 {
        tracing::info!(records = total, "pruned access records past retention");
    }
}
