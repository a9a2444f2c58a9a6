//! The engine's error type.

use std::time::Duration;

use crate::domain::validation::Problems;
use crate::store::{QueueFull, RunId, StoreError};

/// Why an engine call failed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// No workflow of that name is registered.
    #[error("unknown workflow `{0}`")]
    UnknownWorkflow(String),
    /// The request's options or input are invalid.
    #[error("invalid request: {0}")]
    Invalid(Problems),
    /// No such run in this tenant.
    #[error("run not found")]
    NotFound,
    /// The queue is at its bound (the shared one, or the tenant's share); retry
    /// later. Nothing was written.
    #[error("too many queued runs")]
    Backlogged {
        /// A sensible delay before retrying.
        retry_after: Duration,
        /// Which bound refused the run.
        full: QueueFull,
    },
    /// The replica is shutting down and accepts no new work.
    #[error("shutting down")]
    ShuttingDown,
    /// The idempotency key was used before for a different request.
    #[error("the idempotency key was already used for a different request (run {run_id})")]
    KeyReused {
        /// The run the key names.
        run_id: RunId,
    },
    /// The run is not in a state that allows the operation.
    #[error("{0}")]
    InvalidState(String),
    /// The store failed.
    #[error("store failure")]
    Store(#[from] StoreError),
}

/// Result alias of the engine.
pub type EngineResult<T> = Result<T, EngineError>;
