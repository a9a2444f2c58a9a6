//! `[encounters]`: the prior-authorization `encounter` workflow, its FHIR sources
//! (polled or pushed), who analyses encounters (the rule set or the `[providers.llm]`
//! model), and how its steps retry. FHIR deadlines and breakers are
//! `[providers.fhir]`'s.

use std::collections::BTreeSet;
use std::time::Duration;

use serde::Deserialize;

use super::serde_helpers::duration;
use super::{RetrySettings, Secret};

/// `[encounters]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EncounterSettings {
    /// `[encounters.retry]`: attempts of each step before the run fails with
    /// `EncounterProcessingFailed` (4 by default), and the backoff between them.
    pub retry: RetrySettings,
    /// `encounters.poll_lease_ttl`, default 60s: how long a replica's hold on polling a
    /// source lasts without renewal; another replica takes over after it expires.
    #[serde(with = "duration")]
    pub poll_lease_ttl: Duration,
    /// `encounters.outage_retry_interval`, default 1m: while a step's failures are
    /// transient after its last attempt (the FHIR server or model is down), the run
    /// parks and tries the step again this often.
    #[serde(with = "duration")]
    pub outage_retry_interval: Duration,
    /// `encounters.outage_max_wait`, default 24h: how long a run waits out an outage
    /// before it fails (`EncounterProcessingFailed`, kind `retryable`); such runs are
    /// retried once their source answers again. `0s` fails at the last attempt.
    #[serde(with = "duration")]
    pub outage_max_wait: Duration,
    /// `encounters.recovery_interval`, default 1m: how often each replica looks for
    /// encounters that failed on a transient error and, when their source answers a
    /// read again, retries them.
    #[serde(with = "duration")]
    pub recovery_interval: Duration,
    /// `encounters.analysis` (`CAREFLOW_ENCOUNTERS__ANALYSIS`): `rules` (default) or
    /// `llm`, the `[providers.llm]` model, which must then be configured.
    pub analysis: Analysis,
    /// `[encounters.rules]`: the prior-authorization rule set (the built-in `default`
    /// set when absent); see `domain::encounter::rules` for its format. Kept as
    /// read; the encounter workflow reads it into its rule set at start-up
    /// (`workflows::encounter::settings`), naming the key of any problem.
    #[serde(default)]
    pub rules: Option<serde_json::Value>,
    /// `[[encounters.sources]]`: FHIR servers encounters come from; none by default.
    #[serde(default)]
    pub sources: Vec<SourceSettings>,
}

/// Who decides whether an encounter needs prior authorization.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Analysis {
    /// The rule set (`[encounters.rules]` or the built-in one).
    #[default]
    Rules,
    /// The `[providers.llm]` model, given de-identified clinical facts.
    Llm,
}

/// How the service authenticates to a FHIR source.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceAuth {
    /// No `Authorization` header.
    #[default]
    None,
    /// `Authorization: Bearer <token>`.
    Bearer,
    /// HTTP Basic with `username` and `password`.
    Basic,
}

/// One `[[encounters.sources]]` entry: a FHIR server whose finished encounters are
/// processed for one tenant.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSettings {
    /// Unique name (letters, digits, `-`, `_`, `.`), used in idempotency keys
    /// (`<name>:<encounter id>`) and in `POST /v1/encounters`.
    pub name: String,
    /// The FHIR base URL, e.g. `https://ehr.example/fhir`.
    pub base_url: String,
    /// The tenant the source's encounters belong to.
    pub tenant: String,
    /// `none` (default), `bearer` or `basic`.
    #[serde(default)]
    pub auth: SourceAuth,
    /// Bearer token (with `auth = "bearer"`).
    #[serde(default)]
    pub token: Secret,
    /// User name (with `auth = "basic"`).
    #[serde(default)]
    pub username: String,
    /// Password (with `auth = "basic"`).
    #[serde(default)]
    pub password: Secret,
    /// Whether the service polls the source (default true); `false` for sources that
    /// push encounters through `POST /v1/encounters`.
    #[serde(default = "default_poll")]
    pub poll: bool,
    /// Time between polls, default 60s.
    #[serde(default = "default_interval", with = "duration")]
    pub interval: Duration,
    /// The payer whose rules apply to the source's encounters; every `"*"` rule
    /// applies regardless.
    #[serde(default)]
    pub payer: Option<String>,
    /// Encounters per search page (`_count`), default 50.
    #[serde(default = "default_page_size")]
    pub page_size: u32,
}

fn default_poll() -> bool {
    true
}

fn default_interval() -> Duration {
    Duration::from_secs(60)
}

fn default_page_size() -> u32 {
    50
}

/// A valid source name.
pub fn is_source_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

impl EncounterSettings {
    /// Every problem of the section's plain values, each naming its key; the rule set
    /// and the sources' tenants are the encounter workflow's to read.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Err(e) = self.retry.check("encounters.retry") {
            out.push(e);
        }
        if self.poll_lease_ttl < Duration::from_secs(1) {
            out.push("encounters.poll_lease_ttl: must be at least 1s".to_string());
        }
        if self.outage_retry_interval.is_zero() {
            out.push("encounters.outage_retry_interval: must be more than 0".to_string());
        }
        if self.recovery_interval.is_zero() {
            out.push("encounters.recovery_interval: must be more than 0".to_string());
        }
        let mut names = BTreeSet::new();
        for (i, s) in self.sources.iter().enumerate() {
            let at = format!("encounters.sources[{i}]");
            if !is_source_name(&s.name) {
                out.push(format!(
                    "{at}.name: must be 1-64 letters, digits, '-', '_' or '.'"
                ));
            } else if !names.insert(s.name.as_str()) {
                out.push(format!("{at}.name: `{}` is used twice", s.name));
            }
            if let Err(e) = url::Url::parse(s.base_url.trim())
                .map_err(|e| e.to_string())
                .and_then(|u| {
                    (matches!(u.scheme(), "http" | "https") && u.host().is_some())
                        .then_some(())
                        .ok_or_else(|| "must be an http or https URL with a host".to_string())
                })
            {
                out.push(format!("{at}.base_url: {e}"));
            }
            match s.auth {
                SourceAuth::None => {}
                SourceAuth::Bearer if s.token.is_empty() => {
                    out.push(format!("{at}.token: required with auth = \"bearer\""));
                }
                SourceAuth::Bearer => {}
                SourceAuth::Basic => {
                    if s.username.trim().is_empty() {
                        out.push(format!("{at}.username: required with auth = \"basic\""));
                    }
                    if s.password.is_empty() {
                        out.push(format!("{at}.password: required with auth = \"basic\""));
                    }
                }
            }
            if s.interval < Duration::from_millis(10) {
                out.push(format!("{at}.interval: must be at least 10ms"));
            }
            if !(1..=1000).contains(&s.page_size) {
                out.push(format!("{at}.page_size: must be between 1 and 1000"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Settings;
    use figment::Figment;
    use figment::providers::{Format, Toml};

    fn load(extra: &str) -> EncounterSettings {
        Figment::new()
            .merge(Toml::string(crate::config::DEFAULT_TOML))
            .merge(Toml::string(extra))
            .extract::<Settings>()
            .unwrap()
            .encounters
    }

    #[test]
    fn sources_and_an_inline_rule_set_are_read_from_toml() {
        let s = load(
            r#"
            [[encounters.sources]]
            name = "main-ehr"
            base_url = "https://ehr.example/fhir"
            tenant = "clinic-7"
            auth = "basic"
            username = "svc"
            password = "pw-123"
            interval = "30s"
            payer = "Acme Health"

            [encounters.rules]
            name = "acme"
            [[encounters.rules.payers]]
            payer = "*"
            [[encounters.rules.payers.diagnosis_prefixes]]
            prefix = "J18"
            description = "Pneumonia"
            "#,
        );
        assert!(s.problems().is_empty(), "{:?}", s.problems());
        let source = &s.sources[0];
        assert_eq!(source.auth, SourceAuth::Basic);
        assert_eq!(source.interval, Duration::from_secs(30));
        assert_eq!(source.page_size, 50);
        assert!(source.poll);
        assert!(!format!("{source:?}").contains("pw-123"));
        assert_eq!(s.rules.unwrap()["name"], "acme");
        assert_eq!(s.analysis, Analysis::Rules);
    }

    #[test]
    fn every_problem_of_the_section_is_named() {
        let s = load(
            r#"
            [encounters.retry]
            max_attempts = 0
            [[encounters.sources]]
            name = "a:b"
            base_url = "ftp://ehr"
            tenant = ""
            auth = "bearer"
            page_size = 0
            [[encounters.sources]]
            name = "x"
            base_url = "https://ehr.example/fhir"
            tenant = "t"
            [[encounters.sources]]
            name = "x"
            base_url = "https://ehr.example/fhir"
            tenant = "t"
            auth = "basic"
            "#,
        );
        let problems = s.problems().join("\n");
        for expected in [
            "encounters.retry.max_attempts",
            "encounters.sources[0].name",
            "encounters.sources[0].base_url",
            "encounters.sources[0].token",
            "encounters.sources[0].page_size",
            "encounters.sources[2].name: `x` is used twice",
            "encounters.sources[2].username",
            "encounters.sources[2].password",
        ] {
            assert!(problems.contains(expected), "{expected} in:\n{problems}");
        }
    }
}
