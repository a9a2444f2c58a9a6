//! Settings that moved: a file key or `CAREFLOW_*` variable under its old name stops
//! start-up with a message naming its new place, rather than being silently ignored
//! or refused as merely unknown.

use figment::value::{Dict, Value};
use figment::{Figment, Profile, Provider};

/// Old key (or section) and its new place; a section's keys keep their names below it.
const MOVED: &[(&str, &str)] = &[
    ("encounters.analysis.llm_base_url", "providers.llm.base_url"),
    ("encounters.analysis.llm_api_key", "providers.llm.api_key"),
    ("encounters.analysis.llm_model", "providers.llm.model"),
    ("encounters.analysis.llm_timeout", "providers.llm.timeout"),
    ("encounters.max_attempts", "encounters.retry.max_attempts"),
    ("encounters.request_timeout", "providers.fhir.timeout"),
    ("providers.voice", "providers.twilio"),
    ("email.spool_dir", "providers.smtp.spool_dir"),
    ("email.retry", "providers.smtp.retry"),
    ("email.clinic_name", "discharge.clinic_name"),
    ("care.email_spool_dir", "providers.smtp.spool_dir"),
    ("care.send_attempts", "care.retry.max_attempts"),
    ("outbound", "providers.outbound"),
    (
        "service_calls.max_attempts",
        "providers.outbound.retry.max_attempts",
    ),
    (
        "service_calls.initial_backoff",
        "providers.outbound.retry.initial_backoff",
    ),
    (
        "service_calls.max_backoff",
        "providers.outbound.retry.max_backoff",
    ),
    (
        "service_calls.max_retry_after",
        "providers.outbound.max_retry_after",
    ),
    ("engine.retry.attempt_timeout", "engine.attempt_timeout"),
];

/// Provider kinds whose breaker overrides were `[resilience.providers.<kind>]`, and
/// the provider section that holds them now.
const BREAKER_OWNERS: &[(&str, &str)] = &[
    ("llm", "llm"),
    ("smtp", "smtp"),
    ("voice", "twilio"),
    ("sms", "twilio"),
    ("amion", "amion"),
    ("fhir", "fhir"),
    ("outbound", "outbound"),
];

/// One message per setting given under an old name, naming the new one and where the
/// old one came from.
pub(super) fn problems(figment: &Figment) -> Vec<String> {
    let Ok(data) = figment.data() else {
        return Vec::new();
    };
    let Some(root) = data.get(&Profile::Default) else {
        return Vec::new();
    };
    let mut leaves = Vec::new();
    walk(root, &mut Vec::new(), &mut leaves);
    leaves
        .iter()
        .filter_map(|path| {
            let new = new_place(path)?;
            let old = dotted(path);
            let source = figment
                .find_metadata(&path.join("."))
                .map(|m| m.name.to_string())
                .unwrap_or_default();
            Some(if source.contains("environment") {
                format!(
                    "{} moved to {} (`{old}` is now `{}`)",
                    variable(path),
                    variable(&new),
                    dotted(&new)
                )
            } else {
                let from = if source.is_empty() {
                    String::new()
                } else {
                    format!(" (in {source})")
                };
                format!("`{old}` moved to `{}`{from}", dotted(&new))
            })
        })
        .collect()
}

/// Every leaf path under `dict`.
fn walk(dict: &Dict, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    for (key, value) in dict {
        prefix.push(key.clone());
        match value {
            Value::Dict(_, inner) if !inner.is_empty() => walk(inner, prefix, out),
            _ => out.push(prefix.clone()),
        }
        prefix.pop();
    }
}

/// The new path of a setting given at `path`, when it moved.
fn new_place(path: &[String]) -> Option<Vec<String>> {
    if let [resilience, providers, name, rest @ ..] = path
        && resilience == "resilience"
        && providers == "providers"
    {
        let mut new: Vec<String> = match BREAKER_OWNERS.iter().find(|(kind, _)| kind == name) {
            Some((_, owner)) => ["providers", owner, "breaker"].map(String::from).to_vec(),
            None => vec!["resilience".into(), "endpoints".into(), name.clone()],
        };
        new.extend(rest.iter().cloned());
        return Some(new);
    }
    MOVED.iter().find_map(|(old, new)| {
        let old: Vec<&str> = old.split('.').collect();
        let matches = path.len() >= old.len() && path.iter().zip(&old).all(|(a, b)| a == b);
        matches.then(|| {
            let mut moved: Vec<String> = new.split('.').map(String::from).collect();
            moved.extend(path[old.len()..].iter().cloned());
            moved
        })
    })
}

/// `a.b."c:d"`: a path as written in TOML.
fn dotted(path: &[String]) -> String {
    path.iter()
        .map(|s| {
            if s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                s.clone()
            } else {
                format!("\"{s}\"")
            }
        })
        .collect::<Vec<_>>()
        .join(".")
}

/// `CAREFLOW_A__B`: a path as an environment variable.
fn variable(path: &[String]) -> String {
    format!("CAREFLOW_{}", path.join("__").to_ascii_uppercase())
}

#[cfg(test)]
mod tests {
    use figment::providers::{Format, Toml};

    use super::*;
    use crate::config::{DEFAULT_TOML, Settings};

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_built_in_defaults_use_no_old_name() {
        let f = Figment::new().merge(Toml::string(DEFAULT_TOML));
        assert_eq!(problems(&f), Vec::<String>::new());
    }

    #[test]
    fn an_old_file_key_names_its_new_place() {
        let f = Figment::new().merge(Toml::string(DEFAULT_TOML)).merge(Toml::string(
            "[encounters.analysis]\nllm_model = \"m\"\n[resilience.providers.\"fhir:north\"]\nmin_calls = 1\n",
        ));
        let all = problems(&f).join("\n");
        assert!(
            all.contains("`encounters.analysis.llm_model` moved to `providers.llm.model`"),
            "{all}"
        );
        assert!(
            all.contains(
                "`resilience.providers.\"fhir:north\".min_calls` moved to `resilience.endpoints.\"fhir:north\".min_calls`"
            ),
            "{all}"
        );
    }

    #[test]
    fn an_old_variable_names_the_new_variable() {
        let err = Settings::from_vars(&vars(&[
            (
                "CAREFLOW_PROVIDERS__VOICE__BASE_URL",
                "https://api.twilio.com",
            ),
            (
                "CAREFLOW_RESILIENCE__PROVIDERS__FHIR__FAILURE_THRESHOLD",
                "3",
            ),
        ]))
        .unwrap_err()
        .to_string();
        assert!(
            err.contains(
                "CAREFLOW_PROVIDERS__VOICE__BASE_URL moved to CAREFLOW_PROVIDERS__TWILIO__BASE_URL"
            ),
            "{err}"
        );
        assert!(
            err.contains("CAREFLOW_RESILIENCE__PROVIDERS__FHIR__FAILURE_THRESHOLD moved to CAREFLOW_PROVIDERS__FHIR__BREAKER__FAILURE_THRESHOLD"),
            "{err}"
        );
    }
}
