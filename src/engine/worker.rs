//! The replica's background work: claiming due runs, renewing leases, and reacting
//! to notices (finished runs wake waiters, new work wakes the claimer, cancellation
//! reaches the run's holder).

use std::sync::Arc;

use chrono::Duration as ChronoDuration;
use serde_json::json;
use tokio::sync::OwnedSemaphorePermit;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use super::Inner;
use super::definition::WorkflowDefinition;
use super::executor::Executor;
use crate::store::{LeaseRef, Notice, RunRow, RunStatus, RunUpdate, StepWrite};

/// A slot for one run; freeing it wakes the claim loop, since queued work may wait
/// for exactly this slot.
pub(super) struct Slot {
    _permit: OwnedSemaphorePermit,
    poke: Arc<tokio::sync::Notify>,
    backlog: Arc<std::sync::atomic::AtomicBool>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        // Only worth a claim when queued work may be waiting for this slot.
        if self.backlog.load(std::sync::atomic::Ordering::Relaxed) {
            self.poke.notify_one();
        }
    }
}

/// A free slot, if any.
pub(super) fn try_slot(inner: &Arc<Inner>) -> Option<Slot> {
    if inner.shutdown.is_cancelled() {
        return None;
    }
    inner
        .slots
        .clone()
        .try_acquire_owned()
        .ok()
        .map(|p| slot_of(inner, p))
}

fn slot_of(inner: &Arc<Inner>, permit: OwnedSemaphorePermit) -> Slot {
    Slot {
        _permit: permit,
        poke: inner.poke.clone(),
        backlog: inner.backlog.clone(),
    }
}

/// Starts this replica's run loops: claiming due runs, renewing leases and
/// reacting to notices.
pub(super) fn spawn_background(inner: Arc<Inner>) {
    tokio::spawn(claim_loop(inner.clone()));
    tokio::spawn(heartbeat_loop(inner.clone()));
    tokio::spawn(notice_loop(inner));
}

/// Starts executing a run this replica holds.
pub(super) fn spawn_executor(
    inner: Arc<Inner>,
    def: Arc<WorkflowDefinition>,
    run: RunRow,
    steps: Vec<StepWrite>,
    started: Vec<usize>,
    slot: Slot,
) {
    let token = CancellationToken::new();
    if run.cancel_requested {
        token.cancel();
    }
    let run_id = run.run_id;
    inner
        .active
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(run_id, (token.clone(), None));
    let executor = Executor::new(inner.clone(), def, run, steps, token);
    let handle = inner.executors.spawn(async move {
        executor.drive(started).await;
        drop(slot);
    });
    if let Some(entry) = inner
        .active
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get_mut(&run_id)
    {
        entry.1 = Some(handle.abort_handle());
    }
}

async fn claim_loop(inner: Arc<Inner>) {
    let poll = inner.settings.poll_interval;
    loop {
        tokio::select! {
            _ = inner.shutdown.cancelled() => return,
            _ = inner.poke.notified() => {}
            _ = tokio::time::sleep(poll) => {}
        }
        loop {
            // Raw permits: only the ones a claimed run takes become slots, so permits
            // handed back unused wake nobody.
            let mut permits = Vec::new();
            while permits.len() < 32 && !inner.shutdown.is_cancelled() {
                match inner.slots.clone().try_acquire_owned() {
                    Ok(p) => permits.push(p),
                    Err(_) => break,
                }
            }
            if permits.is_empty() {
                break;
            }
            let wanted = permits.len();
            let now = inner.clock.now();
            // Runs executing here look orphaned to a claim once their leases have
            // lapsed by the clock, which happens when the heartbeat fell behind it
            // (the replica was starved of CPU, or a test moved its clock by hours).
            // Claiming them again would run a step twice on this very replica and
            // repeat its side effect, so the heartbeat's renewal comes first.
            if super::lease_watch::renewal_overdue(&inner.renewed, now, inner.settings.lease_ttl) {
                renew_leases(&inner, now).await;
            }
            let until =
                now + ChronoDuration::from_std(inner.settings.lease_ttl).unwrap_or_default();
            let claimed = match inner
                .store
                .claim_runs(&inner.owner, now, until, wanted as i64)
                .await
            {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming runs failed");
                    break;
                }
            };
            let got = claimed.len();
            // A full batch means more may be due; freed slots should look again.
            inner
                .backlog
                .store(got == wanted, std::sync::atomic::Ordering::Relaxed);
            for (row, permit) in claimed.into_iter().zip(permits.drain(..)) {
                tokio::spawn(start_claimed(inner.clone(), row, slot_of(&inner, permit)));
            }
            drop(permits);
            if got < wanted {
                break;
            }
        }
    }
}

/// Loads a claimed run's steps and executes it.
async fn start_claimed(inner: Arc<Inner>, run: RunRow, slot: Slot) {
    // The version the run started with, on whichever replica resumes it.
    let engine = super::Engine {
        inner: inner.clone(),
    };
    let def = match engine
        .definition(&run.tenant_id, &run.workflow, Some(run.workflow_version))
        .await
    {
        Ok(Some(def)) => def,
        Ok(None) => {
            fail_unknown_workflow(&inner, &run).await;
            return;
        }
        Err(e) => {
            // The lease will expire and the run will be claimed again.
            tracing::warn!(run.id = %run.run_id, error = %e, "loading a claimed run's workflow failed");
            return;
        }
    };
    let rows = match inner.store.get_steps(&run.tenant_id, run.run_id).await {
        Ok(rows) => rows,
        Err(e) => {
            // The lease will expire and the run will be claimed again.
            tracing::warn!(run.id = %run.run_id, error = %e, "loading a claimed run failed");
            return;
        }
    };
    // The stored steps in the definition's order; a step without a row (pending, or
    // gained by the definition since the run started) begins pending.
    let rows = rows.iter().map(StepWrite::from_row).collect();
    let (steps, _) = super::unwritten::complete(&def, run.status, rows);
    if run.lease_epoch > 1 {
        tracing::info!(run.id = %run.run_id, lease.epoch = run.lease_epoch, "resuming run");
    }
    spawn_executor(inner, def, run, steps, Vec::new(), slot);
}

async fn fail_unknown_workflow(inner: &Inner, run: &RunRow) {
    tracing::error!(run.id = %run.run_id, workflow = %run.workflow, "claimed a run of a workflow this build does not know");
    let lease = LeaseRef {
        tenant_id: run.tenant_id.clone(),
        run_id: run.run_id,
        owner: inner.owner.clone(),
        epoch: run.lease_epoch,
    };
    let now = inner.clock.now();
    let update = RunUpdate {
        status: RunStatus::Failed,
        ready_at: None,
        lease_until: None,
        finished_at: Some(now),
        error: Some(
            json!({"message": format!("workflow `{}` is not known to this version of careflow", run.workflow)}),
        ),
    };
    let notice = Notice::RunFinished {
        tenant: run.tenant_id.to_string(),
        run: run.run_id.0,
    };
    if let Err(e) = inner
        .store
        .commit_progress(&lease, &update, &[], &[], &[notice])
        .await
    {
        tracing::warn!(run.id = %run.run_id, error = %e, "could not record the unknown workflow");
    }
}

async fn heartbeat_loop(inner: Arc<Inner>) {
    let every = inner.settings.heartbeat_interval;
    loop {
        tokio::select! {
            _ = inner.stopped.cancelled() => return,
            _ = tokio::time::sleep(every) => {}
        }
        renew_leases(&inner, inner.clock.now()).await;
        inner.waiters.prune();
    }
}

/// Extends every lease this replica holds to a full TTL from `now`.
async fn renew_leases(inner: &Inner, now: chrono::DateTime<chrono::Utc>) {
    let until = now + ChronoDuration::from_std(inner.settings.lease_ttl).unwrap_or_default();
    match inner.store.renew_leases(&inner.owner, until).await {
        Ok(_) => super::lease_watch::renewed_until(&inner.renewed, until),
        Err(e) => tracing::warn!(error = %e, "renewing leases failed"),
    }
}

async fn notice_loop(inner: Arc<Inner>) {
    let mut rx = inner.store.subscribe();
    loop {
        let notice = tokio::select! {
            _ = inner.stopped.cancelled() => return,
            n = rx.recv() => n,
        };
        match notice {
            Ok(Notice::RunFinished { run, .. }) => {
                let run = crate::store::RunId(run);
                // A run executing here wakes its waiters itself, with the final view;
                // the notice would only make them read it back again.
                if !inner.is_active(run) {
                    inner.waiters.wake(run, None);
                }
            }
            Ok(Notice::RunsReady) => {
                inner
                    .backlog
                    .store(true, std::sync::atomic::Ordering::Relaxed);
                inner.poke.notify_one()
            }
            Ok(Notice::PauseRequested { run, .. }) => {
                inner.pause_local(crate::store::RunId(run), true);
            }
            Ok(Notice::CancelRequested { run, .. }) => {
                inner.cancel_local(crate::store::RunId(run));
            }
            Ok(
                Notice::EventsAppended | Notice::EventsPositioned | Notice::ApiKeyRevoked { .. },
            ) => {}
            Ok(Notice::Resync) | Err(RecvError::Lagged(_)) => {
                inner.waiters.wake_all();
                inner.poke.notify_one();
            }
            Err(RecvError::Closed) => return,
        }
    }
}
