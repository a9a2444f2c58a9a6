//! Keeping secrets of service-call headers out of responses, logs and records.

/// What a secret header value is replaced with.
pub const REDACTED: &str = "[redacted]";

/// Headers whose values are always secret.
const ALWAYS_SECRET: [&str; 3] = ["authorization", "proxy-authorization", "cookie"];

/// True when a header of this name carries a secret: `Authorization`,
/// `Proxy-Authorization`, `Cookie` or one of `secret_names` (case-insensitive).
pub fn is_secret_header(name: &str, secret_names: &[String]) -> bool {
    ALWAYS_SECRET.iter().any(|s| s.eq_ignore_ascii_case(name))
        || secret_names.iter().any(|s| s.eq_ignore_ascii_case(name))
}

/// The headers with every secret value replaced by [`REDACTED`], names and
/// order kept.
pub fn redact_headers(
    headers: &[(String, String)],
    secret_names: &[String],
) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            let value = if is_secret_header(name, secret_names) {
                REDACTED.to_owned()
            } else {
                value.clone()
            };
            (name.clone(), value)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn standard_and_configured_secret_headers_are_redacted_case_insensitively() {
        let headers = pairs(&[
            ("authorization", "Bearer abc"),
            ("PROXY-AUTHORIZATION", "Basic xyz"),
            ("Cookie", "session=1"),
            ("X-Api-Key", "k-123"),
            ("x-partner-secret", "p-456"),
            ("Content-Type", "application/json"),
            ("X-Request-Id", "r-1"),
        ]);
        let secret_names = vec!["x-api-key".to_string(), "X-Partner-Secret".to_string()];
        let redacted = redact_headers(&headers, &secret_names);
        let expected = pairs(&[
            ("authorization", REDACTED),
            ("PROXY-AUTHORIZATION", REDACTED),
            ("Cookie", REDACTED),
            ("X-Api-Key", REDACTED),
            ("x-partner-secret", REDACTED),
            ("Content-Type", "application/json"),
            ("X-Request-Id", "r-1"),
        ]);
        assert_eq!(redacted, expected);
    }

    #[test]
    fn configured_names_are_not_secret_unless_configured() {
        let headers = pairs(&[("X-Api-Key", "k-123")]);
        assert_eq!(redact_headers(&headers, &[]), headers);
    }
}
