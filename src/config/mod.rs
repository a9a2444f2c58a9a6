//! Settings: `config/default.toml` (built in), then `config/$CAREFLOW_ENV.toml`, then
//! `CAREFLOW_*` environment variables and the conventional `DATABASE_URL`, `PORT`,
//! `RUST_LOG` and `CAREFLOW_LOG_FORMAT`.
//!
//! Everything is parsed once, at load, into typed values; a wrong key or value stops
//! start-up with an error naming the setting. Tests build [`Settings`] in code from
//! [`Settings::defaults`] and never touch process-wide variables.

mod amion;
mod audit;
mod care;
mod checks;
mod cors;
mod discharge;
mod encounters;
mod env;
mod events;
mod fhir;
mod moved;
mod outbound;
mod providers;
mod resilience;
mod retention;
mod retry;
mod schedules;
mod secret;
mod serde_helpers;
mod service_calls;
mod smtp;
mod twilio;

use std::path::PathBuf;
use std::time::Duration;

use figment::Figment;
use figment::providers::{Format, Toml};
use serde::Deserialize;

pub use amion::AmionSettings;
pub use audit::AuditSettings;
pub use care::{CareSettings, SEVERITIES, SlaMinutes};
pub use cors::ANY_ORIGIN;
pub use discharge::DischargeSettings;
pub use encounters::{Analysis, EncounterSettings, SourceAuth, SourceSettings, is_source_name};
pub use events::EventSettings;
pub use fhir::FhirProviderSettings;
pub use outbound::OutboundProviderSettings;
pub use providers::{LlmProviderSettings, ProvidersSettings};
pub use resilience::{BreakerOverride, BreakerSettings, ResilienceSettings};
pub use retention::{RetentionSettings, TenantRetention};
pub use retry::RetrySettings;
pub use schedules::SchedulesSettings;
pub use secret::Secret;
use serde_helpers::{duration, string_list};
pub use service_calls::ServiceCallSettings;
pub use smtp::{SmtpProviderSettings, TlsMode};
pub use twilio::TwilioProviderSettings;

/// The defaults, documented key by key, compiled into the binary.
pub const DEFAULT_TOML: &str = include_str!("../../config/default.toml");

/// A setting that is missing, malformed or inconsistent.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A key or value that does not parse; the message names the setting and its source.
    #[error("invalid setting: {0}")]
    Invalid(String),
    /// `CAREFLOW_ENV` names a file that does not exist.
    #[error("CAREFLOW_ENV={env} but {path} does not exist")]
    MissingEnvFile {
        /// The environment name.
        env: String,
        /// The file that was expected.
        path: String,
    },
}

impl From<figment::Error> for ConfigError {
    fn from(e: figment::Error) -> Self {
        let messages: Vec<String> = e
            .into_iter()
            .map(|e| {
                let key = e.path.join(".").to_lowercase();
                let source = e
                    .metadata
                    .as_ref()
                    .map(|m| format!(" (from {})", m.name))
                    .unwrap_or_default();
                if key.is_empty() {
                    format!("{}{source}", e.kind)
                } else {
                    format!("{key}: {}{source}", e.kind)
                }
            })
            .collect();
        ConfigError::Invalid(messages.join("; "))
    }
}

/// All of careflow's settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `[server]`: listening, limits, shutdown.
    pub server: ServerSettings,
    /// `[database]`: PostgreSQL or SQLite.
    pub database: DatabaseSettings,
    /// `[log]`: format and filter.
    pub log: LogSettings,
    /// `[auth]`: API keys and JWTs.
    pub auth: AuthSettings,
    /// `[engine]`: queue, leases, retries.
    pub engine: EngineSettings,
    /// `[events]`: event stream and retention.
    pub events: EventSettings,
    /// `[audit]`: the access log of reads of patient-bearing records.
    pub audit: AuditSettings,
    /// `[retention]`: how long finished runs are kept, per tenant.
    pub retention: RetentionSettings,
    /// `[metrics]`: who may read `/metrics`.
    pub metrics: MetricsSettings,
    /// `[telemetry]`: span export over OTLP.
    pub telemetry: TelemetrySettings,
    /// `[resilience]`: circuit breaker defaults and single-breaker overrides.
    pub resilience: ResilienceSettings,
    /// `[service_calls]`: scheduled service calls.
    pub service_calls: ServiceCallSettings,
    /// `[providers]`: one section per outside service (LLM, SMTP, Twilio, Amion,
    /// FHIR, outbound calls).
    pub providers: ProvidersSettings,
    /// `[discharge]`: how discharge cases are read and owner emails signed.
    pub discharge: DischargeSettings,
    /// `[schedules]`: schedule import and coverage bounds.
    pub schedules: SchedulesSettings,
    /// `[encounters]`: the prior-authorization encounter workflow and its sources.
    pub encounters: EncounterSettings,
    /// `[care]`: care transitions after discharge.
    pub care: CareSettings,
}

/// `[server]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// `server.host` (`CAREFLOW_SERVER__HOST`), default `127.0.0.1`.
    pub host: String,
    /// `server.port` (`PORT`, `CAREFLOW_SERVER__PORT`), default 8080; 0 picks a free port.
    pub port: u16,
    /// `server.request_timeout`, default 60s.
    #[serde(with = "duration")]
    pub request_timeout: Duration,
    /// `server.body_limit_bytes`, default 1 MiB.
    pub body_limit_bytes: usize,
    /// `server.upload_limit_bytes`, default 10 MiB.
    pub upload_limit_bytes: usize,
    /// `server.shutdown_timeout`, default 20s.
    #[serde(with = "duration")]
    pub shutdown_timeout: Duration,
    /// `server.header_read_timeout`, default 10s: how long a client may take to send
    /// a request head, counted from connecting or from its first byte after an idle
    /// spell; slower (or silent) connections are closed.
    #[serde(with = "duration")]
    pub header_read_timeout: Duration,
    /// `server.idle_timeout`, default 75s: a keep-alive connection with no request
    /// in flight is closed after this long. Longer than the usual proxy keep-alive
    /// (60s), so the proxy, not the service, closes an idle connection first.
    #[serde(with = "duration")]
    pub idle_timeout: Duration,
    /// `server.cors_allowed_origins`, default none: origins, or `*` alone for any
    /// origin (without credentials).
    #[serde(deserialize_with = "string_list::deserialize")]
    pub cors_allowed_origins: Vec<String>,
}

/// `[metrics]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSettings {
    /// `metrics.token` (`CAREFLOW_METRICS__TOKEN`), default empty (open): when set,
    /// `/metrics` answers only requests with `Authorization: Bearer <token>`.
    pub token: Secret,
}

/// `[telemetry]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySettings {
    /// `telemetry.otlp_endpoint` (`CAREFLOW_TELEMETRY__OTLP_ENDPOINT`), default empty
    /// (off): base URL of an OTLP/HTTP collector (`/v1/traces` is added), which then
    /// receives a span per request and per step attempt, in JSON.
    pub otlp_endpoint: String,
    /// `telemetry.otlp_export_interval`, default 5s: the longest a finished span
    /// waits before it is sent (a full batch goes at once).
    #[serde(with = "duration")]
    pub otlp_export_interval: Duration,
}

/// `[database]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `database.url` (`DATABASE_URL`); empty means the embedded SQLite file.
    pub url: Secret,
    /// `database.sqlite_path`, default `data/careflow.db`.
    pub sqlite_path: PathBuf,
    /// `database.max_connections`, default 16.
    pub max_connections: u32,
    /// `database.acquire_timeout`, default 5s.
    #[serde(with = "duration")]
    pub acquire_timeout: Duration,
    /// `database.test_after_idle`, default 1s: a pooled connection idle this long is
    /// tested with a round trip before a statement uses it; `0s` tests every one.
    #[serde(with = "duration")]
    pub test_after_idle: Duration,
}

/// `[log]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// `log.format` (`CAREFLOW_LOG_FORMAT`): `text` or `json`.
    pub format: LogFormat,
    /// `log.filter` (`RUST_LOG`): tracing filter directives.
    pub filter: String,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// `[auth]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// `auth.bootstrap_api_key`, default true.
    pub bootstrap_api_key: bool,
    /// `auth.jwt_secret`: HS256 secret; empty disables HS256.
    pub jwt_secret: Secret,
    /// `auth.jwks_url`: ES256/RS256 keys; empty disables.
    pub jwks_url: String,
    /// `auth.jwks_cache_ttl`, default 10m.
    #[serde(with = "duration")]
    pub jwks_cache_ttl: Duration,
    /// `auth.jwks_min_refresh`, default 30s: least time between two fetches.
    #[serde(with = "duration")]
    pub jwks_min_refresh: Duration,
    /// `auth.jwks_fetch_timeout`, default 5s: deadline of one JWKS fetch.
    #[serde(with = "duration")]
    pub jwks_fetch_timeout: Duration,
    /// `auth.issuer`: expected `iss`; empty is not checked.
    pub issuer: String,
    /// `auth.audience`: expected `aud`, default `authenticated`.
    pub audience: String,
    /// `auth.tenant_claim`: dotted claim path, default `app_metadata.tenant_id`.
    pub tenant_claim: String,
    /// `auth.leeway`: clock skew on `exp`/`nbf`, default 30s.
    #[serde(with = "duration")]
    pub leeway: Duration,
    /// `auth.api_key_cache_ttl`, default 30s: how long a replica trusts an API key
    /// it read without reading it again (PostgreSQL only; revocations are pushed to
    /// every replica at once, this bounds a lost notice). `0s` reads every time.
    #[serde(with = "duration")]
    pub api_key_cache_ttl: Duration,
}

/// `[engine]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineSettings {
    /// `engine.max_concurrent_runs`, default 64.
    pub max_concurrent_runs: usize,
    /// `engine.max_queued_runs`, default 10000: due, unclaimed runs across the
    /// cluster beyond which submissions get 429.
    pub max_queued_runs: i64,
    /// `engine.max_queued_runs_per_tenant`, default 2500: one tenant's share of
    /// the queue, so one tenant's flood cannot refuse every other tenant's work.
    pub max_queued_runs_per_tenant: i64,
    /// `engine.max_schedule_ahead`, default 365d: how far ahead an event's `ts`
    /// may lie (422 past it).
    #[serde(with = "duration")]
    pub max_schedule_ahead: Duration,
    /// `engine.lease_ttl`, default 60s.
    #[serde(with = "duration")]
    pub lease_ttl: Duration,
    /// `engine.heartbeat_interval`, default 10s.
    #[serde(with = "duration")]
    pub heartbeat_interval: Duration,
    /// `engine.poll_interval`, default 1s.
    #[serde(with = "duration")]
    pub poll_interval: Duration,
    /// `engine.drain_timeout`, default 15s.
    #[serde(with = "duration")]
    pub drain_timeout: Duration,
    /// `engine.park_after`, default 2s.
    #[serde(with = "duration")]
    pub park_after: Duration,
    /// `engine.default_wait`, default 30s.
    #[serde(with = "duration")]
    pub default_wait: Duration,
    /// `engine.cron_interval`, default 1s: how often each replica's ticker looks
    /// for due cron schedules.
    #[serde(with = "duration")]
    pub cron_interval: Duration,
    /// `engine.cron_grace`, default 5m: a cron tick handled later than this (or
    /// with a later tick due too) was missed, and the schedule's catch-up policy
    /// decides whether it fires.
    #[serde(with = "duration")]
    pub cron_grace: Duration,
    /// `engine.attempt_timeout`, default 30s: each step attempt's deadline unless its
    /// workflow says otherwise; every provider's `timeout` stays below it.
    #[serde(with = "duration")]
    pub attempt_timeout: Duration,
    /// `[engine.retry]`: step retries unless a workflow says otherwise.
    pub retry: RetrySettings,
}

impl Settings {
    /// The built-in defaults alone, as tests start from.
    pub fn defaults() -> Self {
        Self::from_figment(Figment::new().merge(Toml::string(DEFAULT_TOML)))
            .expect("the built-in config/default.toml must parse")
    }

    /// Loads the layered settings of a real process (files, then environment).
    pub fn load() -> Result<Self, ConfigError> {
        let vars: Vec<(String, String)> = std::env::vars_os()
            .map(|(k, v)| {
                (
                    k.to_string_lossy().into_owned(),
                    v.to_string_lossy().into_owned(),
                )
            })
            .collect();
        Self::from_vars(&vars)
    }

    /// Loads the layered settings with `vars` as the environment (as a container
    /// with that environment would).
    pub fn from_vars(vars: &[(String, String)]) -> Result<Self, ConfigError> {
        let var = |name: &str| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        let mut figment = Figment::new().merge(Toml::string(DEFAULT_TOML));
        if let Some(env) = var("CAREFLOW_ENV") {
            let dir = var("CAREFLOW_CONFIG_DIR").unwrap_or_else(|| "config".into());
            let path = PathBuf::from(dir).join(format!("{env}.toml"));
            if !path.exists() {
                return Err(ConfigError::MissingEnvFile {
                    env,
                    path: path.display().to_string(),
                });
            }
            figment = figment.merge(Toml::file(path));
        }
        for layer in env::TextEnv::layers(vars) {
            figment = figment.merge(layer);
        }
        Self::from_figment(figment)
    }

    fn from_figment(figment: Figment) -> Result<Self, ConfigError> {
        // Before the shapes are checked: a moved key is better named by its new place
        // than refused as unknown.
        let moved = moved::problems(&figment);
        if !moved.is_empty() {
            return Err(ConfigError::Invalid(moved.join("; ")));
        }
        // Lenient: environment values arrive as text, and a number or a boolean is
        // read from the text where a setting wants one (see `env`).
        let settings: Settings = figment.extract_lossy()?;
        settings.check()?;
        Ok(settings)
    }

    /// Cross-field rules that types alone cannot express.
    pub fn check(&self) -> Result<(), ConfigError> {
        let e = &self.engine;
        let bad = |key: &str, why: &str| Err(ConfigError::Invalid(format!("{key}: {why}")));
        if e.max_concurrent_runs == 0 {
            return bad("engine.max_concurrent_runs", "must be at least 1");
        }
        if e.lease_ttl <= e.attempt_timeout {
            return bad(
                "engine.lease_ttl",
                "must exceed engine.attempt_timeout, or a live holder could lose a run mid-attempt",
            );
        }
        if e.heartbeat_interval.is_zero() || e.heartbeat_interval * 2 > e.lease_ttl {
            return bad(
                "engine.heartbeat_interval",
                "must be non-zero and at most half of engine.lease_ttl",
            );
        }
        e.retry
            .check("engine.retry")
            .map_err(ConfigError::Invalid)?;
        for (key, t) in [
            (
                "server.header_read_timeout",
                self.server.header_read_timeout,
            ),
            ("server.idle_timeout", self.server.idle_timeout),
        ] {
            if t.is_zero() {
                return bad(key, "must be more than 0");
            }
        }
        cors::check(&self.server.cors_allowed_origins).map_err(ConfigError::Invalid)?;
        self.audit.check().map_err(ConfigError::Invalid)?;
        self.retention.check().map_err(ConfigError::Invalid)?;
        if self.database.max_connections == 0 {
            return bad("database.max_connections", "must be at least 1");
        }
        let url = self.database.url.expose();
        if !url.is_empty()
            && !url.starts_with("postgres://")
            && !url.starts_with("postgresql://")
            && !url.starts_with("sqlite:")
        {
            return bad(
                "database.url",
                "must start with postgres://, postgresql:// or sqlite: (or be empty for the embedded SQLite file)",
            );
        }
        let encounter_problems = self.encounters.problems();
        if !encounter_problems.is_empty() {
            return Err(ConfigError::Invalid(encounter_problems.join("; ")));
        }
        if self.auth.tenant_claim.trim().is_empty()
            || self.auth.tenant_claim.starts_with("user_metadata")
        {
            return bad(
                "auth.tenant_claim",
                "must name a server-controlled claim (not user_metadata, which users can rewrite)",
            );
        }
        self.service_calls.check().map_err(ConfigError::Invalid)?;
        if self.service_calls.attempt_timeout(&self.providers.outbound) >= e.lease_ttl {
            return bad(
                "providers.outbound.timeout",
                "plus 15s for recording a service call's outcome must stay below engine.lease_ttl",
            );
        }
        // Providers give up before the engine does, so a delivery records its outcome.
        self.providers.check(e.attempt_timeout)?;
        self.discharge.check().map_err(ConfigError::Invalid)?;
        self.schedules.check().map_err(ConfigError::Invalid)?;
        self.care.check()?;
        if self.encounters.analysis == Analysis::Llm && !self.providers.llm.is_configured() {
            return bad(
                "encounters.analysis",
                "`llm` needs [providers.llm] (its base_url is empty)",
            );
        }
        if self.care.model_classification && !self.providers.llm.is_configured() {
            return Err(ConfigError::Invalid(
                "care.model_classification: needs [providers.llm] (its base_url is empty)".into(),
            ));
        }
        // Only a model in use needs to answer within a step's attempt.
        if self.care.model_classification && self.care.model_timeout >= e.attempt_timeout {
            return bad(
                "care.model_timeout",
                "must be shorter than engine.attempt_timeout",
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_defaults_parse_and_match_the_documentation() {
        let s = Settings::defaults();
        assert_eq!(s.server.port, 8080);
        assert_eq!(s.server.host, "127.0.0.1");
        assert_eq!(s.engine.retry.max_attempts, 3);
        assert_eq!(s.auth.audience, "authenticated");
        assert!(s.database.url.expose().is_empty());
    }

    #[test]
    fn a_lease_shorter_than_an_attempt_is_refused_with_the_setting_named() {
        let mut s = Settings::defaults();
        s.engine.lease_ttl = Duration::from_secs(5);
        let err = s.check().unwrap_err().to_string();
        assert!(err.contains("engine.lease_ttl"), "{err}");
    }

    #[test]
    fn model_classification_needs_a_model_and_a_critical_reply_needs_text() {
        let s = Settings::defaults();
        assert!(!s.care.model_classification);
        assert!(s.care.critical_reply.contains("988"));
        let mut s = Settings::defaults();
        s.care.model_classification = true;
        let err = s.check().unwrap_err().to_string();
        assert!(err.contains("care.model_classification"), "{err}");
        s.providers.llm.base_url = "https://llm.example.com".into();
        assert!(s.check().is_ok());
        s.care.model_timeout = s.engine.attempt_timeout;
        let err = s.check().unwrap_err().to_string();
        assert!(err.contains("care.model_timeout"), "{err}");
        // Without the model, its timeout constrains nothing.
        s.care.model_classification = false;
        assert!(s.check().is_ok());
        s.care.model_timeout = Duration::from_secs(10);
        s.care.critical_reply = " ".into();
        let err = s.check().unwrap_err().to_string();
        assert!(err.contains("care.critical_reply"), "{err}");
    }

    #[test]
    fn connection_timeouts_default_sensibly_and_must_not_be_zero() {
        let s = Settings::defaults();
        assert_eq!(s.server.header_read_timeout, Duration::from_secs(10));
        // Longer than a proxy's usual 60s keep-alive, so the proxy closes first.
        assert_eq!(s.server.idle_timeout, Duration::from_secs(75));
        for key in ["server.header_read_timeout", "server.idle_timeout"] {
            let mut s = Settings::defaults();
            match key {
                "server.header_read_timeout" => s.server.header_read_timeout = Duration::ZERO,
                _ => s.server.idle_timeout = Duration::ZERO,
            }
            let err = s.check().unwrap_err().to_string();
            assert!(err.contains(key), "{key}: {err}");
        }
    }

    #[test]
    fn an_unknown_key_is_refused_with_its_name() {
        let f = Figment::new()
            .merge(Toml::string(DEFAULT_TOML))
            .merge(Toml::string("[server]\nprot = 1\n"));
        let err = Settings::from_figment(f).unwrap_err().to_string();
        assert!(err.contains("prot"), "{err}");
    }
}
