//! The one spelling of enum values careflow defines, in every answer, request body
//! and query: lower-case snake_case (`in_progress`, `on_track`, `checkin_response`).
//!
//! Some of those values are stored in the spelling earlier versions showed
//! (`IN_PROGRESS`, `OPEN`, `apiKey`, `checkin-response`). They stay so in the
//! database: the migration job runs before a rolling deploy, while replicas of the
//! previous version still read and write those columns, so rewriting them would
//! break the replicas still serving. This module translates them on the way out
//! ([`api_value`]) and on the way in ([`stored_value`]).
//!
//! Values an outside format defines (FHIR codes, Twilio statuses, HTTP methods,
//! published event names) are passed through as they are and never come here.

/// `stored` in the API's spelling: words split at `-`, spaces and lower-to-upper
/// case changes, lower-cased and joined with `_` (`IN_PROGRESS` → `in_progress`,
/// `onTrack` → `on_track`, `checkin-response` → `checkin_response`).
pub fn api_value(stored: &str) -> String {
    let mut out = String::with_capacity(stored.len() + 4);
    let mut previous: Option<char> = None;
    for c in stored.chars() {
        if c == '-' || c == ' ' {
            out.push('_');
        } else if c.is_ascii_uppercase() {
            if previous.is_some_and(|p| p.is_ascii_lowercase() || p.is_ascii_digit()) {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
        previous = Some(c);
    }
    out
}

/// [`api_value`] of an optional stored value.
pub fn api_option(stored: Option<&str>) -> Option<String> {
    stored.map(api_value)
}

/// The stored spelling, among `stored`, of the API value `api`; `None` when `api`
/// is not the API spelling of any of them (old spellings included: the API has one).
pub fn stored_value<'a>(api: &str, stored: &[&'a str]) -> Option<&'a str> {
    stored.iter().copied().find(|s| api_value(s) == api)
}

/// The API spellings of `stored`, comma-separated, for a problem's message.
pub fn accepted(stored: &[&str]) -> String {
    stored
        .iter()
        .map(|s| api_value(s))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stored_spelling_becomes_snake_case() {
        for (stored, api) in [
            ("IN_PROGRESS", "in_progress"),
            ("OPEN", "open"),
            ("onTrack", "on_track"),
            ("halfOpen", "half_open"),
            ("checkin-response", "checkin_response"),
            ("apiKey", "api_key"),
            ("Scheduled", "scheduled"),
            ("completed", "completed"),
            ("not_configured", "not_configured"),
        ] {
            assert_eq!(api_value(stored), api, "{stored}");
        }
    }

    #[test]
    fn api_spellings_map_back_and_old_spellings_do_not() {
        let stored = ["OPEN", "ASSIGNED", "RESOLVED"];
        assert_eq!(stored_value("open", &stored), Some("OPEN"));
        assert_eq!(stored_value("OPEN", &stored), None);
        assert_eq!(stored_value("closed", &stored), None);
        assert_eq!(accepted(&stored), "open, assigned, resolved");
    }
}
