//! Small checks shared by the sections: a refusal naming its key, and provider URLs.

use super::ConfigError;

/// A refusal of `key` for `why`.
pub(super) fn bad(key: &str, why: &str) -> Result<(), ConfigError> {
    Err(ConfigError::Invalid(format!("{key}: {why}")))
}

/// `value` must be an absolute http(s) URL with a host.
pub(super) fn check_url(key: &str, value: &str) -> Result<(), ConfigError> {
    match url::Url::parse(value.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => Ok(()),
        _ => bad(key, "must be an http:// or https:// URL"),
    }
}

/// A provider's deadline must be non-zero and end before the step attempt does, so a
/// slow answer becomes the provider's failure rather than a timed-out step.
pub(super) fn check_timeout(
    key: &str,
    timeout: std::time::Duration,
    attempt_timeout: std::time::Duration,
) -> Result<(), ConfigError> {
    if timeout.is_zero() || timeout >= attempt_timeout {
        return bad(
            key,
            "must be non-zero and shorter than engine.attempt_timeout",
        );
    }
    Ok(())
}
