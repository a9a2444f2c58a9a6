//! Environment variables as settings layers: `CAREFLOW_<SECTION>__<KEY>` and the
//! conventional `DATABASE_URL`, `PORT`, `RUST_LOG` and `CAREFLOW_LOG_FORMAT`.
//!
//! Values stay text. A phone number (`+15550001111`), a numeric password or an
//! account id must reach its setting exactly as written, so nothing is guessed from
//! how a value looks; numbers and booleans are read from the text where a setting
//! wants one (the settings are extracted leniently for that). Only values written as
//! TOML arrays or tables (`[...]`, `{...}`) are parsed as such, which is how lists of
//! tables such as `encounters.sources` are given.

use figment::value::{Dict, Map, Value};
use figment::{Error, Metadata, Profile, Provider};

/// Prefix of careflow's own variables.
const PREFIX: &str = "CAREFLOW_";

/// Prefixed variables that are not settings paths: read by the loader itself, or by
/// the mapping of conventional names below.
const NOT_PATHS: [&str; 3] = ["ENV", "CONFIG_DIR", "LOG_FORMAT"];

/// Conventional variables and the setting each sets; they win over prefixed ones.
const CONVENTIONAL: [(&str, &str); 4] = [
    ("DATABASE_URL", "database.url"),
    ("PORT", "server.port"),
    ("RUST_LOG", "log.filter"),
    ("CAREFLOW_LOG_FORMAT", "log.format"),
];

/// One layer of settings taken from environment variables.
pub(super) struct TextEnv {
    name: String,
    /// Dotted setting paths and their raw values, later entries winning.
    entries: Vec<(String, String)>,
}

impl TextEnv {
    /// The layers read from `vars`, in the order they are merged (later ones win):
    /// the prefixed variables, then each conventional one.
    pub(super) fn layers(vars: &[(String, String)]) -> Vec<TextEnv> {
        let mut prefixed: Vec<(String, String)> = vars
            .iter()
            .filter_map(|(name, value)| {
                let rest = strip_prefix_ignoring_case(name.trim(), PREFIX)?;
                if NOT_PATHS.iter().any(|n| rest.eq_ignore_ascii_case(n)) {
                    return None;
                }
                let path = rest.to_ascii_lowercase().replace("__", ".");
                // `CAREFLOW_A____B` or a trailing `__` names no setting.
                if path.split('.').any(str::is_empty) {
                    return None;
                }
                Some((path, value.clone()))
            })
            .collect();
        // Deterministic when two spellings of one name are set.
        prefixed.sort();
        let mut layers = vec![TextEnv {
            name: format!("`{PREFIX}` environment variable(s)"),
            entries: prefixed,
        }];
        for (var, path) in CONVENTIONAL {
            if let Some((_, value)) = vars
                .iter()
                .find(|(name, _)| name.trim().eq_ignore_ascii_case(var))
            {
                layers.push(TextEnv {
                    name: format!("environment variable {var}"),
                    entries: vec![(path.to_string(), value.clone())],
                });
            }
        }
        layers
    }
}

fn strip_prefix_ignoring_case<'a>(name: &'a str, prefix: &str) -> Option<&'a str> {
    let head = name.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &name[prefix.len()..])
}

/// The value a variable's text stands for: a TOML array or table when written as one,
/// else the text itself.
fn value_of(raw: &str) -> Value {
    let trimmed = raw.trim_start();
    if trimmed.starts_with('[') || trimmed.starts_with('{') {
        let parsed: Value = raw
            .parse()
            .unwrap_or_else(|e: std::convert::Infallible| match e {});
        if matches!(parsed, Value::Array(..) | Value::Dict(..)) {
            return parsed;
        }
    }
    Value::from(raw.to_string())
}

/// Sets `value` at `path` inside `dict`, creating the tables on the way.
fn insert(dict: &mut Dict, path: &[&str], value: Value) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    if rest.is_empty() {
        dict.insert((*first).to_string(), value);
        return;
    }
    let entry = dict
        .entry((*first).to_string())
        .or_insert_with(|| Value::from(Dict::new()));
    if !matches!(entry, Value::Dict(..)) {
        *entry = Value::from(Dict::new());
    }
    if let Value::Dict(_, inner) = entry {
        insert(inner, rest, value);
    }
}

impl Provider for TextEnv {
    fn metadata(&self) -> Metadata {
        Metadata::named(self.name.clone())
    }

    fn data(&self) -> Result<Map<Profile, Dict>, Error> {
        let mut dict = Dict::new();
        for (path, raw) in &self.entries {
            let segments: Vec<&str> = path.split('.').collect();
            insert(&mut dict, &segments, value_of(raw));
        }
        Ok(Profile::Default.collect(dict))
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Settings;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn text_that_looks_like_a_number_stays_text_where_a_setting_wants_text() {
        let s = Settings::from_vars(&vars(&[
            (
                "CAREFLOW_PROVIDERS__TWILIO__BASE_URL",
                "https://api.twilio.test",
            ),
            ("CAREFLOW_PROVIDERS__TWILIO__ACCOUNT_SID", "1234567890"),
            ("CAREFLOW_PROVIDERS__TWILIO__AUTH_TOKEN", "0042"),
            ("CAREFLOW_PROVIDERS__TWILIO__FROM", "+15550001111"),
            ("CAREFLOW_PROVIDERS__SMTP__USERNAME", "1001"),
            ("CAREFLOW_PROVIDERS__SMTP__PASSWORD", "123456"),
            ("CAREFLOW_PROVIDERS__AMION__LOGIN", "true"),
        ]))
        .unwrap();
        let twilio = &s.providers.twilio;
        assert_eq!(twilio.from, "+15550001111");
        assert_eq!(twilio.account_sid, "1234567890");
        assert_eq!(twilio.auth_token.expose(), "0042");
        assert_eq!(s.providers.smtp.username, "1001");
        assert_eq!(s.providers.smtp.password.expose(), "123456");
        assert_eq!(s.providers.amion.login.expose(), "true");
    }

    #[test]
    fn numbers_booleans_lists_and_tables_are_read_where_settings_want_them() {
        let s = Settings::from_vars(&vars(&[
            ("CAREFLOW_SERVER__PORT", "9000"),
            ("CAREFLOW_ENGINE__RETRY__JITTER", "0.5"),
            ("CAREFLOW_AUTH__BOOTSTRAP_API_KEY", "false"),
            ("careflow_engine__max_concurrent_runs", "7"),
            (
                "CAREFLOW_SERVER__CORS_ALLOWED_ORIGINS",
                "https://a.example, https://b.example",
            ),
            (
                "CAREFLOW_ENCOUNTERS__SOURCES",
                r#"[{name="main-ehr", base_url="https://ehr.example/fhir", tenant="default"}]"#,
            ),
        ]))
        .unwrap();
        assert_eq!(s.server.port, 9000);
        assert_eq!(s.engine.retry.jitter, 0.5);
        assert!(!s.auth.bootstrap_api_key);
        assert_eq!(s.engine.max_concurrent_runs, 7);
        assert_eq!(
            s.server.cors_allowed_origins,
            ["https://a.example", "https://b.example"]
        );
        assert_eq!(s.encounters.sources.len(), 1);
    }

    #[test]
    fn conventional_variables_win_and_bad_values_name_their_setting() {
        let s = Settings::from_vars(&vars(&[
            ("CAREFLOW_SERVER__PORT", "9000"),
            ("PORT", "9100"),
            ("DATABASE_URL", "sqlite://elsewhere.db"),
            ("CAREFLOW_LOG_FORMAT", "json"),
        ]))
        .unwrap();
        assert_eq!(s.server.port, 9100);
        assert_eq!(s.database.url.expose(), "sqlite://elsewhere.db");
        assert_eq!(s.log.format, crate::config::LogFormat::Json);
        let err = Settings::from_vars(&vars(&[("CAREFLOW_SERVER__PORT", "+15550001111")]))
            .unwrap_err()
            .to_string();
        assert!(err.contains("server.port"), "{err}");
    }
}
