//! The fence of a step's writes: every write a step makes, to any table, commits
//! only while the step's run is still held under the lease the step was started
//! with (owner and epoch), exactly like the engine's own `commit_progress`. A
//! replica that paused past its lease, or lost the run any other way, writes
//! nothing anywhere: its write fails with [`StoreError::LeaseLost`] and its
//! transaction is rolled back.
//!
//! The engine runs each step attempt inside [`scope`] with the attempt's lease.
//! Workflows and domain services call the store as usual and never see the fence
//! (they know nothing about leases); each backend begins its write transactions
//! (`begin_write`) by verifying the lease in scope, inside the same transaction,
//! in a way that keeps it from changing until the commit: PostgreSQL locks the run
//! row `for share`, so a claim waits for (or skips) it; SQLite takes its write lock
//! at once with a no-op update of the run row. Outside a step (HTTP handlers, the event
//! router, pollers) no fence is in scope and writes are not fenced.
//!
//! The fence is task-local: a step that spawned a task of its own would have to
//! carry it with [`scope`] (the built-in steps spawn none).

use std::future::Future;

use super::LeaseRef;

tokio::task_local! {
    static FENCE: LeaseRef;
}

/// Runs `work` with every store write it makes fenced by `lease`.
pub async fn scope<F: Future>(lease: LeaseRef, work: F) -> F::Output {
    FENCE.scope(lease, work).await
}

/// The lease fencing writes made here, if any.
pub fn current() -> Option<LeaseRef> {
    FENCE.try_with(LeaseRef::clone).ok()
}
