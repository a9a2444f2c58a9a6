//! Retrying encounters that failed on a transient error (an outage that outlasted
//! `encounters.outage_max_wait`) once their source answers again: every
//! `encounters.recovery_interval`, each replica looks for such encounters of each
//! source, reads the first of them again through the `fhir` breaker, and when the
//! server answers (even with an error that is not transient) retries their runs. A
//! run another replica retried first is simply found no longer failed.

use std::sync::Arc;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::Source;
use crate::engine::{Engine, EngineError};
use crate::providers::resilience::CallError;
use crate::workflows::Services;

/// Encounters retried per source and round.
const BATCH: i64 = 100;

/// Starts the recovery task of one source.
pub(super) fn spawn(
    engine: Engine,
    services: Services,
    source: Arc<Source>,
    stop: CancellationToken,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let interval = services.settings.encounters.recovery_interval;
        loop {
            tokio::select! {
                _ = stop.cancelled() => break,
                _ = tokio::time::sleep(interval) => {}
            }
            recover(&engine, &services, &source).await;
        }
    })
}

/// One round: when the source answers again, retries its failed encounters.
async fn recover(engine: &Engine, services: &Services, source: &Source) {
    let store = &services.store;
    let due = match store
        .encounters_to_recover(&source.tenant, &source.name, BATCH)
        .await
    {
        Ok(due) => due,
        Err(e) => {
            tracing::warn!(source = %source.name, error = %e, "cannot list encounters to recover");
            return;
        }
    };
    let Some(first) = due.first() else {
        return;
    };
    let probe = services
        .resilience
        .call(
            &source.endpoint,
            services.settings.providers.fhir.timeout,
            source.client.encounter(&first.encounter_id),
        )
        .await;
    match probe {
        Ok(_) => {}
        // Still down (or the breaker is open): try again next round.
        Err(CallError::Open(_)) => return,
        Err(e) if e.is_retryable() => return,
        // Answering, if only to say no: the run's own steps judge the answer.
        Err(_) => {}
    }
    let mut retried = 0;
    for row in &due {
        match engine.retry(&source.tenant, row.run_id).await {
            Ok(_) => retried += 1,
            // Retried elsewhere already, or no longer failed.
            Err(EngineError::InvalidState(_)) | Err(EngineError::NotFound) => {}
            Err(e) => {
                tracing::warn!(source = %source.name, run.id = %row.run_id, error = %e,
                    "could not retry an encounter after the outage");
                continue;
            }
        }
        if let Err(e) = store
            .mark_encounter_failed_transient(
                &source.tenant,
                &row.encounter_id,
                &row.source,
                row.run_id,
                None,
            )
            .await
        {
            tracing::warn!(source = %source.name, error = %e, "could not clear a recovered encounter");
        }
    }
    if retried > 0 {
        tracing::info!(source = %source.name, retried, "encounters retried after their source recovered");
    }
}
