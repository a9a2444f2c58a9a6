//! `[care]`: care transitions after discharge: when the check-in SMS goes out and how
//! long a reply is awaited, how many times it is tried, SLA minutes per severity, how
//! nurse assignment retries, how notifications retry, and the per-tenant daily caps
//! on SMS and calls. The channels themselves are `[providers.twilio]` and
//! `[providers.smtp]`.

use std::time::Duration;

use serde::Deserialize;

use super::serde_helpers::duration;
use super::{ConfigError, RetrySettings};

/// `[care]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CareSettings {
    /// `care.checkin_delay` (`CAREFLOW_CARE__CHECKIN_DELAY`), default 24h: how long
    /// after discharge the check-in SMS goes out.
    #[serde(with = "duration")]
    pub checkin_delay: Duration,
    /// `care.reply_timeout` (`CAREFLOW_CARE__REPLY_TIMEOUT`), default 4h: how long a
    /// check-in waits for the patient's reply before trying again or escalating.
    #[serde(with = "duration")]
    pub reply_timeout: Duration,
    /// `care.checkin_attempts` (`CAREFLOW_CARE__CHECKIN_ATTEMPTS`), default 2 (1-5):
    /// check-in SMS sent in all before a missing reply is escalated.
    pub checkin_attempts: u32,
    /// `care.checkin_message` (`CAREFLOW_CARE__CHECKIN_MESSAGE`): the check-in SMS;
    /// `{name}` becomes the patient's name (or nothing when the event has none).
    pub checkin_message: String,
    /// `care.no_reply_severity` (`CAREFLOW_CARE__NO_REPLY_SEVERITY`), default
    /// `MODERATE`: the severity of the task raised when a patient never replies.
    pub no_reply_severity: String,
    /// `care.critical_reply` (`CAREFLOW_CARE__CRITICAL_REPLY`): the SMS a patient is
    /// sent at once when a reply is classified CRITICAL (default: call 911 or 988 now).
    pub critical_reply: String,
    /// `care.model_classification` (`CAREFLOW_CARE__MODEL_CLASSIFICATION`), default
    /// false: also ask the `[providers.llm]` model how urgent each reply is (the reply
    /// text only) and act on the higher of its and the rule table's severity.
    pub model_classification: bool,
    /// `care.model_timeout` (`CAREFLOW_CARE__MODEL_TIMEOUT`), default 10s: how long a
    /// reply's classification waits for the model before the rule table decides alone.
    #[serde(with = "duration")]
    pub model_timeout: Duration,
    /// `[care.sla_minutes]`: minutes allowed per task severity.
    pub sla_minutes: SlaMinutes,
    /// `care.assign_retry_interval` (`CAREFLOW_CARE__ASSIGN_RETRY_INTERVAL`), default
    /// 5m: how often a task nobody could take is offered again.
    #[serde(with = "duration")]
    pub assign_retry_interval: Duration,
    /// `care.assign_retry_for` (`CAREFLOW_CARE__ASSIGN_RETRY_FOR`), default 24h: how
    /// long assignment keeps retrying before the task is left to staff.
    #[serde(with = "duration")]
    pub assign_retry_for: Duration,
    /// `care.max_open_tasks` (`CAREFLOW_CARE__MAX_OPEN_TASKS`), default 10: tasks a
    /// nurse may hold at once unless the nurse's own record says otherwise.
    pub max_open_tasks: u32,
    /// `care.daily_sms_cap` (`CAREFLOW_CARE__DAILY_SMS_CAP`), default 1000: SMS a
    /// tenant may send per UTC day; sends beyond it fail with a clear error.
    pub daily_sms_cap: u32,
    /// `care.daily_call_cap` (`CAREFLOW_CARE__DAILY_CALL_CAP`), default 200: voice
    /// calls a tenant may place per UTC day.
    pub daily_call_cap: u32,
    /// `[care.retry]`: attempts of a notification whose provider fails transiently
    /// (4 by default) before it is `FAILED`, and the backoff between them.
    pub retry: RetrySettings,
}

/// `[care.sla_minutes]`: the SLA of a task by its severity.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SlaMinutes {
    /// `care.sla_minutes.critical`, default 30.
    pub critical: u32,
    /// `care.sla_minutes.high`, default 120.
    pub high: u32,
    /// `care.sla_minutes.moderate`, default 480.
    pub moderate: u32,
    /// `care.sla_minutes.low`, default 1440 (staff tasks without a severity).
    pub low: u32,
}

impl SlaMinutes {
    /// The minutes for a severity name (`CRITICAL`, ...); unknown names get `low`.
    pub fn for_severity(&self, severity: &str) -> u32 {
        match severity {
            "CRITICAL" => self.critical,
            "HIGH" => self.high,
            "MODERATE" => self.moderate,
            _ => self.low,
        }
    }
}

/// Severity names a task may carry.
pub const SEVERITIES: [&str; 5] = ["NONE", "LOW", "MODERATE", "HIGH", "CRITICAL"];

fn bad(key: &str, why: &str) -> Result<(), ConfigError> {
    Err(ConfigError::Invalid(format!("{key}: {why}")))
}

impl CareSettings {
    /// Rules types cannot express, checked at start-up.
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        if !(1..=5).contains(&self.checkin_attempts) {
            return bad("care.checkin_attempts", "must be between 1 and 5");
        }
        if self.reply_timeout.is_zero() {
            return bad("care.reply_timeout", "must be longer than zero");
        }
        if self.checkin_message.trim().is_empty() || self.checkin_message.len() > 1200 {
            return bad("care.checkin_message", "must hold 1-1200 characters");
        }
        if self.critical_reply.trim().is_empty() || self.critical_reply.chars().count() > 1600 {
            return bad("care.critical_reply", "must hold 1-1600 characters");
        }
        if self.model_timeout.is_zero() {
            return bad("care.model_timeout", "must be longer than zero");
        }
        if !SEVERITIES[2..].contains(&self.no_reply_severity.as_str()) {
            return bad(
                "care.no_reply_severity",
                "must be MODERATE, HIGH or CRITICAL",
            );
        }
        if self.assign_retry_interval.is_zero() {
            return bad("care.assign_retry_interval", "must be longer than zero");
        }
        if self.max_open_tasks == 0 {
            return bad("care.max_open_tasks", "must be at least 1");
        }
        if !(1..=20).contains(&self.retry.max_attempts) {
            return bad("care.retry.max_attempts", "must be between 1 and 20");
        }
        self.retry
            .check("care.retry")
            .map_err(ConfigError::Invalid)?;
        let sla = &self.sla_minutes;
        for (key, minutes) in [
            ("care.sla_minutes.critical", sla.critical),
            ("care.sla_minutes.high", sla.high),
            ("care.sla_minutes.moderate", sla.moderate),
            ("care.sla_minutes.low", sla.low),
        ] {
            if !(1..=43_200).contains(&minutes) {
                return bad(key, "must be between 1 and 43200 minutes (30 days)");
            }
        }
        Ok(())
    }
}
