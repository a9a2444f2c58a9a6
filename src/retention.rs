//! Retention of runs: a periodic task on every replica that erases finished runs
//! past `retention.runs_days` (or their tenant's own `[retention.tenants.<id>]`),
//! with their steps, events and the records only they made, in batches of
//! `retention.prune_batch` runs per transaction. Unfinished runs are never touched.
//! Replicas share the work: on PostgreSQL each batch skips runs another replica is
//! erasing. What an erasure removes is the store's business
//! (`store::RetentionStore`); erasures on request are in `http::erasure`.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::config::RetentionSettings;
use crate::engine::Clock;
use crate::store::{Erased, PruneScope, Store, StoreResult, TenantId};

/// `[retention.tenants.<tenant>]` read into tenant ids: each tenant with a retention
/// of its own, and that retention (`None`: for ever). The error names the key of a
/// tenant that is no tenant id; start-up stops on it.
pub fn overrides(
    settings: &RetentionSettings,
) -> Result<Vec<(TenantId, Option<Duration>)>, String> {
    settings
        .tenants
        .iter()
        .map(|(tenant, own)| {
            TenantId::parse(tenant)
                .map(|id| (id, own.runs()))
                .map_err(|e| format!("retention.tenants.{tenant}: not a tenant id: {e}"))
        })
        .collect()
}

/// Starts the pruner: a pass at once, then one every `retention.prune_interval`,
/// until `stop` fires. Does nothing while no tenant has a retention.
pub fn spawn_pruner(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: RetentionSettings,
    stop: CancellationToken,
) {
    if settings.default_runs().is_none() && settings.tenants.values().all(|t| t.runs().is_none()) {
        tracing::info!("runs are kept forever (retention.runs_days = 0)");
        return;
    }
    tokio::spawn(async move {
        loop {
            match prune_once(store.as_ref(), clock.as_ref(), &settings, &stop).await {
                Ok(erased) if erased.get("runs") > 0 => tracing::info!(
                    runs = erased.get("runs"),
                    events = erased.get("events"),
                    "erased finished runs past retention"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(
                    error = %e,
                    "erasing runs past retention failed; retrying at the next pass"
                ),
            }
            tokio::select! {
                _ = stop.cancelled() => return,
                _ = tokio::time::sleep(settings.prune_interval) => {}
            }
        }
    });
}

/// One pass over every tenant: erases batch after batch of finished runs past their
/// tenant's retention, oldest first, until none is left or `stop` fires. Returns
/// what was erased.
pub async fn prune_once(
    store: &dyn Store,
    clock: &dyn Clock,
    settings: &RetentionSettings,
    stop: &CancellationToken,
) -> StoreResult<Erased> {
    // Start-up refuses tenant keys that are no tenant id; should one get here, no run
    // is erased rather than that tenant's runs under the default retention.
    let overrides = match overrides(settings) {
        Ok(overrides) => overrides,
        Err(problem) => {
            tracing::error!(%problem, "retention skipped: a tenant key is no tenant id");
            return Ok(Erased::default());
        }
    };
    let mut scopes = Vec::new();
    if let Some(keep) = settings.default_runs() {
        let own = overrides.iter().map(|(t, _)| t.clone()).collect();
        scopes.push((PruneScope::AllExcept(own), keep));
    }
    for (tenant, keep) in overrides {
        if let Some(keep) = keep {
            scopes.push((PruneScope::Tenant(tenant), keep));
        }
    }
    let now = clock.now();
    let batch = i64::from(settings.prune_batch);
    let mut total = Erased::default();
    for (scope, keep) in scopes {
        let keep = chrono::Duration::from_std(keep).unwrap_or(chrono::Duration::MAX);
        let Some(before) = now.checked_sub_signed(keep) else {
            continue;
        };
        let mut cursor = None;
        while !stop.is_cancelled() {
            let done = store.prune_runs(&scope, before, cursor, batch).await?;
            total.merge(&done.erased);
            let Some(next) = done.next else { break };
            cursor = Some(next);
            // Let other work between batches.
            tokio::task::yield_now().await;
        }
    }
    Ok(total)
}
