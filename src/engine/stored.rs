//! Store failures as step failures: the one place that decides whether a failed read or
//! write inside a step is worth another attempt. Steps write `?` (through the `From`
//! impl) or [`StepError::stored`] when the message should say what they were doing;
//! none classifies [`StoreError`]s itself.

use super::StepError;
use crate::store::StoreError;

impl StepError {
    /// A store failure inside a step; `what` says what the step was doing ("reading the
    /// upload failed"). Retryable when another attempt may succeed ([`retry_helps`]),
    /// permanent otherwise.
    pub fn stored(what: &str, e: StoreError) -> Self {
        let message = format!("{what}: {e}");
        if retry_helps(&e) {
            StepError::retryable(message)
        } else {
            StepError::permanent(message)
        }
    }
}

impl From<StoreError> for StepError {
    fn from(e: StoreError) -> Self {
        StepError::stored("storage failed", e)
    }
}

/// The retry rule for store failures inside a step. The match is exhaustive on
/// purpose: a new kind of store failure must be placed here before it compiles.
fn retry_helps(e: &StoreError) -> bool {
    match e {
        // The database was unreachable, or failed for a reason of its own (a dropped
        // connection, a busy writer); a statement or value it refused fails the same
        // way every time.
        StoreError::Unavailable(_) | StoreError::Connect { .. } => true,
        StoreError::Database(_) => e.is_transient(),
        // A concurrent writer won a race for the same key; the next attempt reads what
        // it stored instead of inserting again.
        StoreError::Conflict(_) => true,
        // Another holder took the run: whatever this attempt answers is dropped by the
        // engine's fence, and the holder's attempt decides; retryable never ends a run
        // that is still live.
        StoreError::LeaseLost => true,
        // The row is missing, unreadable or of a schema this build does not know:
        // another attempt reads the same.
        StoreError::NotFound | StoreError::Corrupt(_) | StoreError::Migration(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused_value() -> StoreError {
        // What PostgreSQL answers for a broken NOT NULL rule (class 23, integrity).
        #[derive(Debug)]
        struct Refused;
        impl std::fmt::Display for Refused {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("null value violates not-null constraint")
            }
        }
        impl std::error::Error for Refused {}
        impl sqlx::error::DatabaseError for Refused {
            fn message(&self) -> &str {
                "null value violates not-null constraint"
            }
            fn code(&self) -> Option<std::borrow::Cow<'_, str>> {
                Some("23502".into())
            }
            fn as_error(&self) -> &(dyn std::error::Error + Send + Sync + 'static) {
                self
            }
            fn as_error_mut(&mut self) -> &mut (dyn std::error::Error + Send + Sync + 'static) {
                self
            }
            fn into_error(self: Box<Self>) -> Box<dyn std::error::Error + Send + Sync + 'static> {
                self
            }
            fn kind(&self) -> sqlx::error::ErrorKind {
                sqlx::error::ErrorKind::NotNullViolation
            }
        }
        StoreError::Database(sqlx::Error::Database(Box::new(Refused)))
    }

    #[test]
    fn outages_races_and_lost_leases_are_retried() {
        for e in [
            StoreError::Unavailable(sqlx::Error::PoolTimedOut),
            StoreError::Database(sqlx::Error::Protocol("connection reset".into())),
            StoreError::Conflict("tasks_origin_key".into()),
            StoreError::LeaseLost,
        ] {
            let shown = e.to_string();
            assert!(StepError::from(e).is_retryable(), "{shown}");
        }
    }

    #[test]
    fn missing_malformed_and_refused_data_fail_the_step() {
        for e in [
            StoreError::NotFound,
            StoreError::Corrupt("service call body".into()),
            refused_value(),
        ] {
            let shown = e.to_string();
            assert!(!StepError::from(e).is_retryable(), "{shown}");
        }
    }

    #[test]
    fn the_message_says_what_the_step_was_doing() {
        let e = StepError::stored("reading the upload failed", StoreError::NotFound);
        assert_eq!(e.message, "reading the upload failed: not found");
    }
}
