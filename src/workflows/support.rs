//! Helpers shared by workflow steps.

use crate::engine::StepError;
use crate::providers::resilience::{CallError, ProviderError};

/// A guarded provider call's failure as a step error: an open breaker defers the
/// step until the breaker's next trial without spending an attempt; other failures
/// are retryable or permanent as the provider's answer says.
pub fn call_failed<E: ProviderError>(provider: &str, e: CallError<E>) -> StepError {
    let message = format!("{provider}: {e}");
    match &e {
        CallError::Open(_) => StepError::deferred(message, e.retry_after()),
        _ if e.is_retryable() => StepError::retryable(message).with_retry_after(e.retry_after()),
        _ => StepError::permanent(message),
    }
}

/// Test helpers for the workflows' typed step outputs.
#[cfg(test)]
pub mod output_tests {
    use serde::Serialize;
    use serde::de::DeserializeOwned;
    use serde_json::Value;

    /// Reads `stored` (an output as an earlier version stored it) as `T` and writes
    /// it again: the same JSON must come out, so stored runs still finish.
    pub fn round_trip<T: Serialize + DeserializeOwned>(stored: Value) -> T {
        let typed: T = serde_json::from_value(stored.clone()).expect("reads the stored shape");
        assert_eq!(serde_json::to_value(&typed).expect("writes"), stored);
        typed
    }
}
