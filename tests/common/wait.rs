//! Waiting for facts in tests: one helper and one deadline for every wait, so no
//! test sleeps for a fixed time or gives up early on a loaded machine.

use std::time::Duration;

/// How long any wait for a fact may take before the test fails. Generous on
/// purpose: a wait returns as soon as its fact holds, so the deadline costs nothing
/// when the test passes, and only a machine loaded far beyond CI's hits it.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// How often a wait looks again.
const POLL: Duration = Duration::from_millis(25);

/// What a check of [`eventually`] answers: the awaited value once the fact holds;
/// until then `None`, or `Err` with what it saw (shown if the wait fails).
pub trait Check {
    type Value;
    fn holds(self) -> Result<Self::Value, String>;
}

impl<T> Check for Option<T> {
    type Value = T;
    fn holds(self) -> Result<T, String> {
        self.ok_or_else(|| "nothing yet".to_string())
    }
}

impl<T, S: std::fmt::Debug> Check for Result<T, S> {
    type Value = T;
    fn holds(self) -> Result<T, String> {
        self.map_err(|seen| format!("{seen:?}"))
    }
}

/// Waits for a fact: polls `check` until it holds and returns its value; fails
/// after [`DEADLINE`] naming `what` was awaited and the last thing `check` saw.
pub async fn eventually<C, F, Fut>(what: &str, mut check: F) -> C::Value
where
    C: Check,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = C>,
{
    let deadline = tokio::time::Instant::now() + DEADLINE;
    loop {
        let seen = match check().await.holds() {
            Ok(v) => return v,
            Err(seen) => seen,
        };
        if tokio::time::Instant::now() >= deadline {
            panic!("waited {DEADLINE:?} for {what}; last seen: {seen}");
        }
        tokio::time::sleep(POLL).await;
    }
}
