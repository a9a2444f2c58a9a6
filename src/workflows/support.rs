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
