//! Notifications of the care team: channels, the notification log's statuses and how a
//! provider's delivery status maps onto them, task priorities, and the texts sent.
//! Pure functions, no I/O.

use serde::Serialize;

use crate::providers::twilio::{CallStatus, MessageStatus};

/// How a notification travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// Text message (Twilio Messages).
    Sms,
    /// Email (SMTP, or the spool directory).
    Email,
    /// Voice call speaking the text (Twilio Calls).
    Voice,
    /// Mobile push; no push provider exists in this build, so it is never configured.
    Push,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 4] = [Channel::Sms, Channel::Email, Channel::Voice, Channel::Push];

    /// The API name (`sms`).
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Sms => "sms",
            Channel::Email => "email",
            Channel::Voice => "voice",
            Channel::Push => "push",
        }
    }

    /// Reads an API name.
    pub fn parse(name: &str) -> Option<Channel> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }

    /// The channels counted against a per-tenant daily cap.
    pub fn is_capped(self) -> bool {
        matches!(self, Channel::Sms | Channel::Voice)
    }
}

/// A notification's place in its life, as the log shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum NotificationStatus {
    /// Logged, not handed to a provider yet.
    Pending,
    /// Accepted by the provider (queued or on its way).
    Sent,
    /// The provider confirmed delivery (an answered call counts).
    Delivered,
    /// The recipient read it.
    Read,
    /// It could not be sent or delivered.
    Failed,
    /// Withdrawn before it went out (or cancelled at the provider).
    Cancelled,
}

impl NotificationStatus {
    /// Every status.
    pub const ALL: [NotificationStatus; 6] = [
        Self::Pending,
        Self::Sent,
        Self::Delivered,
        Self::Read,
        Self::Failed,
        Self::Cancelled,
    ];

    /// The stored and API name (`DELIVERED`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Sent => "SENT",
            Self::Delivered => "DELIVERED",
            Self::Read => "READ",
            Self::Failed => "FAILED",
            Self::Cancelled => "CANCELLED",
        }
    }

    /// Reads a stored name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The domain event announcing that a notification reached this status, if any.
    pub fn event(self) -> Option<&'static str> {
        match self {
            Self::Delivered => Some("notification/delivered"),
            Self::Failed => Some("notification/failed"),
            Self::Read => Some("notification/read"),
            _ => None,
        }
    }
}

/// The log status a Twilio message status stands for.
pub fn from_message_status(status: MessageStatus) -> Option<NotificationStatus> {
    use MessageStatus as M;
    match status {
        M::Accepted | M::Scheduled | M::Queued | M::Sending | M::Sent => {
            Some(NotificationStatus::Sent)
        }
        M::Delivered | M::PartiallyDelivered => Some(NotificationStatus::Delivered),
        M::Read => Some(NotificationStatus::Read),
        M::Undelivered | M::Failed => Some(NotificationStatus::Failed),
        M::Canceled => Some(NotificationStatus::Cancelled),
        M::Receiving | M::Received | M::Unknown => None,
    }
}

/// The log status a Twilio call status stands for: an answered call that ended is
/// delivered; busy, no answer and failures are failed.
pub fn from_call_status(status: CallStatus) -> Option<NotificationStatus> {
    use CallStatus as C;
    match status {
        C::Queued | C::Initiated | C::Ringing | C::InProgress => Some(NotificationStatus::Sent),
        C::Completed => Some(NotificationStatus::Delivered),
        C::Busy | C::Failed | C::NoAnswer => Some(NotificationStatus::Failed),
        C::Canceled => Some(NotificationStatus::Cancelled),
        C::Unknown => None,
    }
}

/// Whether a provider status callback may replace the stored provider status: only
/// forward, never out of an outcome (a delivered message may still be read), never
/// to an unknown status. `stored` is `None` before the provider named any status.
pub fn provider_status_advances(channel: Channel, stored: Option<&str>, next: &str) -> bool {
    match channel {
        Channel::Voice => {
            let next = CallStatus::parse(next);
            match stored {
                None => next != CallStatus::Unknown,
                Some(s) => CallStatus::parse(s).can_advance_to(next),
            }
        }
        _ => {
            let next = MessageStatus::parse(next);
            match stored {
                None => next != MessageStatus::Unknown,
                Some(s) => MessageStatus::parse(s).can_advance_to(next),
            }
        }
    }
}

/// The log status a provider status name stands for on `channel`.
pub fn status_for_provider(channel: Channel, provider_status: &str) -> Option<NotificationStatus> {
    match channel {
        Channel::Voice => from_call_status(CallStatus::parse(provider_status)),
        _ => from_message_status(MessageStatus::parse(provider_status)),
    }
}

/// A task's priority from its severity: CRITICAL is `urgent`, HIGH `high`, MODERATE
/// `normal`, anything lower `low`.
pub fn priority_for(severity: &str) -> &'static str {
    match severity {
        "CRITICAL" => "urgent",
        "HIGH" => "high",
        "MODERATE" => "normal",
        _ => "low",
    }
}

/// The origin key prefix of an SMS standing in for an unanswered urgent call; the
/// call's notification id follows it.
pub const FALLBACK_ORIGIN: &str = "fallback:";

/// Whether a notification is an urgent call that was not answered (`no-answer`,
/// `busy`, `failed` or `canceled`) and so is owed one SMS with the same text.
pub fn needs_sms_fallback(channel: Channel, priority: &str, provider_status: &str) -> bool {
    channel == Channel::Voice
        && priority == "urgent"
        && matches!(
            CallStatus::parse(provider_status),
            CallStatus::NoAnswer | CallStatus::Busy | CallStatus::Failed | CallStatus::Canceled
        )
}

/// Task priorities the API accepts.
pub const PRIORITIES: [&str; 4] = ["low", "normal", "high", "urgent"];

/// The check-in text: `{name}` in the template becomes the name, or disappears
/// with the space before it when there is none.
pub fn checkin_text(template: &str, name: Option<&str>) -> String {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => template.replace("{name}", n),
        None => template.replace(" {name}", "").replace("{name}", ""),
    }
}

/// What a nurse is told about a task, by notification kind; `reference` is the
/// task's short reference (`T-0042`), which tells tasks apart.
pub fn task_text(kind: &str, title: &str, priority: &str, reference: &str) -> String {
    match kind {
        "sla_warning" => format!(
            "SLA warning: task \"{title}\" ({priority}) has used 75% of its time. Task {reference}."
        ),
        "sla_breach" => format!(
            "URGENT: task \"{title}\" ({priority}) has breached its SLA. Act now. Task {reference}."
        ),
        _ => format!("New task assigned to you: \"{title}\" ({priority}). Task {reference}."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_statuses_map_onto_the_log_and_never_move_backwards() {
        assert_eq!(
            status_for_provider(Channel::Sms, "delivered"),
            Some(NotificationStatus::Delivered)
        );
        assert_eq!(
            status_for_provider(Channel::Sms, "undelivered"),
            Some(NotificationStatus::Failed)
        );
        assert_eq!(status_for_provider(Channel::Sms, "bogus"), None);
        assert!(provider_status_advances(
            Channel::Sms,
            Some("queued"),
            "delivered"
        ));
        assert!(!provider_status_advances(
            Channel::Sms,
            Some("delivered"),
            "sent"
        ));
        assert!(!provider_status_advances(
            Channel::Sms,
            Some("delivered"),
            "delivered"
        ));
        assert!(!provider_status_advances(
            Channel::Sms,
            Some("delivered"),
            "failed"
        ));
        assert!(provider_status_advances(
            Channel::Sms,
            Some("delivered"),
            "read"
        ));
        assert!(!provider_status_advances(Channel::Sms, None, "nonsense"));
    }

    #[test]
    fn call_outcomes_count_an_answered_call_as_delivered() {
        assert_eq!(
            status_for_provider(Channel::Voice, "completed"),
            Some(NotificationStatus::Delivered)
        );
        assert_eq!(
            status_for_provider(Channel::Voice, "no-answer"),
            Some(NotificationStatus::Failed)
        );
        assert!(provider_status_advances(
            Channel::Voice,
            Some("ringing"),
            "completed"
        ));
        assert!(!provider_status_advances(
            Channel::Voice,
            Some("completed"),
            "ringing"
        ));
    }

    #[test]
    fn only_unanswered_urgent_calls_fall_back_to_sms() {
        for status in ["no-answer", "busy", "failed", "canceled"] {
            assert!(
                needs_sms_fallback(Channel::Voice, "urgent", status),
                "{status}"
            );
            assert!(
                !needs_sms_fallback(Channel::Voice, "normal", status),
                "{status}"
            );
            assert!(
                !needs_sms_fallback(Channel::Sms, "urgent", status),
                "{status}"
            );
        }
        for status in ["queued", "ringing", "in-progress", "completed", "bogus"] {
            assert!(
                !needs_sms_fallback(Channel::Voice, "urgent", status),
                "{status}"
            );
        }
    }

    #[test]
    fn the_checkin_text_names_the_patient_only_when_known() {
        let t = "Hello {name}, how are you?";
        assert_eq!(checkin_text(t, Some("Ana")), "Hello Ana, how are you?");
        assert_eq!(checkin_text(t, None), "Hello, how are you?");
        assert_eq!(checkin_text(t, Some("  ")), "Hello, how are you?");
    }

    #[test]
    fn priorities_follow_severity_and_texts_name_the_kind() {
        assert_eq!(priority_for("CRITICAL"), "urgent");
        assert_eq!(priority_for("MODERATE"), "normal");
        assert_eq!(priority_for("NONE"), "low");
        let breach = task_text("sla_breach", "Call back", "urgent", "T-0042");
        assert!(breach.starts_with("URGENT") && breach.ends_with("Task T-0042."));
        assert!(task_text("task_assigned", "Call back", "high", "x").contains("assigned"));
        assert_eq!(Channel::parse("voice"), Some(Channel::Voice));
        assert!(Channel::Sms.is_capped() && !Channel::Email.is_capped());
    }
}
