//! Voice calls through Twilio's Calls resource: placing a call that speaks inline TwiML, and the
//! call status lifecycle.

use super::wire::{date, int, null_as_default};
use super::{TwilioClient, TwilioError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Status events requested for a call's status callback.
const CALLBACK_EVENTS: [&str; 4] = ["initiated", "ringing", "answered", "completed"];

/// A call's status, as Twilio names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CallStatus {
    /// Waiting to be dialled.
    Queued,
    /// Dialling has started (status callbacks only).
    Initiated,
    /// The callee's phone is ringing.
    Ringing,
    /// Answered and connected.
    InProgress,
    /// Ended normally after being answered.
    Completed,
    /// The callee was busy.
    Busy,
    /// The call could not be placed.
    Failed,
    /// Nobody answered.
    NoAnswer,
    /// Canceled before it was answered.
    Canceled,
    /// A status this client does not know (or none was given).
    #[default]
    #[serde(other)]
    Unknown,
}

impl CallStatus {
    /// Every status Twilio documents.
    pub const ALL: [CallStatus; 9] = [
        Self::Queued,
        Self::Initiated,
        Self::Ringing,
        Self::InProgress,
        Self::Completed,
        Self::Busy,
        Self::Failed,
        Self::NoAnswer,
        Self::Canceled,
    ];

    /// Twilio's name for the status (`in-progress`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Initiated => "initiated",
            Self::Ringing => "ringing",
            Self::InProgress => "in-progress",
            Self::Completed => "completed",
            Self::Busy => "busy",
            Self::Failed => "failed",
            Self::NoAnswer => "no-answer",
            Self::Canceled => "canceled",
            Self::Unknown => "unknown",
        }
    }

    /// Reads a status callback's `CallStatus`; unknown names give [`CallStatus::Unknown`].
    pub fn parse(name: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == name.trim())
            .unwrap_or(Self::Unknown)
    }

    /// Position in the lifecycle: queued 1, initiated 2, ringing 3, in progress 4, outcomes
    /// (completed, busy, failed, no answer, canceled) 5; unknown 0.
    pub fn rank(self) -> u8 {
        match self {
            Self::Unknown => 0,
            Self::Queued => 1,
            Self::Initiated => 2,
            Self::Ringing => 3,
            Self::InProgress => 4,
            Self::Completed | Self::Busy | Self::Failed | Self::NoAnswer | Self::Canceled => 5,
        }
    }

    /// The call is over.
    pub fn is_terminal(self) -> bool {
        self.rank() == 5
    }

    /// Whether a callback reporting `next` may replace `self`: only forward, never out of an
    /// outcome, never to an unknown status.
    pub fn can_advance_to(self, next: CallStatus) -> bool {
        next != Self::Unknown && !self.is_terminal() && next.rank() > self.rank()
    }
}

impl std::fmt::Display for CallStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A Twilio Call resource, read leniently.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct CallResource {
    /// Call SID (`CA...`).
    pub sid: String,
    /// Owning account.
    #[serde(default)]
    pub account_sid: Option<String>,
    /// Call status.
    #[serde(default, deserialize_with = "null_as_default")]
    pub status: CallStatus,
    /// Callee number.
    #[serde(default)]
    pub to: Option<String>,
    /// Caller number.
    #[serde(default)]
    pub from: Option<String>,
    /// `outbound-api`, `inbound`, ...
    #[serde(default)]
    pub direction: Option<String>,
    /// Seconds connected, once completed.
    #[serde(default, with = "int")]
    pub duration: Option<i64>,
    /// `human`, `machine_start`, ... when machine detection was asked for.
    #[serde(default)]
    pub answered_by: Option<String>,
    /// When Twilio created the call.
    #[serde(default, with = "date")]
    pub date_created: Option<DateTime<Utc>>,
    /// Last status change.
    #[serde(default, with = "date")]
    pub date_updated: Option<DateTime<Utc>>,
    /// When the call was answered.
    #[serde(default, with = "date")]
    pub start_time: Option<DateTime<Utc>>,
    /// When the call ended.
    #[serde(default, with = "date")]
    pub end_time: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for CallResource {
    // Phone numbers stay out of Debug output, which tends to end up in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallResource")
            .field("sid", &self.sid)
            .field("status", &self.status)
            .field("duration", &self.duration)
            .field("date_created", &self.date_created)
            .finish_non_exhaustive()
    }
}

impl TwilioClient {
    /// Calls `to` (E.164) from the configured number; when answered, Twilio runs `twiml`
    /// (e.g. `<Response><Say>...</Say></Response>`). With `status_callback`, Twilio posts the
    /// initiated, ringing, answered and completed events there.
    pub async fn place_call(
        &self,
        to: &str,
        twiml: &str,
        status_callback: Option<&str>,
    ) -> Result<CallResource, TwilioError> {
        if self.settings.from.is_empty() {
            return Err(TwilioError::Config(
                "a caller number is required to place calls".to_owned(),
            ));
        }
        let url = self.account_url("Calls.json")?;
        let mut form: Vec<(&str, &str)> =
            vec![("To", to), ("From", &self.settings.from), ("Twiml", twiml)];
        if let Some(callback) = status_callback {
            form.push(("StatusCallback", callback));
            form.push(("StatusCallbackMethod", "POST"));
            form.extend(CALLBACK_EVENTS.iter().map(|e| ("StatusCallbackEvent", *e)));
        }
        self.execute("Calls.create", self.http.post(url).form(&form))
            .await
    }
}

#[cfg(test)]
mod tests;
