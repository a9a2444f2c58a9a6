//! What Twilio's webhooks mean to the product, once the HTTP edge has checked the
//! signature and read the form into a [`StatusCallback`] or an [`InboundSms`]:
//! merging a delivery status into the notification it belongs to (`status`), and
//! routing an SMS a patient sends to the right tenant and patient, or recording it as
//! an opt-out or opt-in (`inbound`, `consent`).
//!
//! The tenant is never read from the webhook: a status callback belongs to the
//! tenant of the notification its message or call id names, an inbound SMS to the
//! tenant of the receiving number, then to the patient. Nothing here knows about
//! HTTP; everything is written through the store with the events it causes.

mod consent;
mod inbound;
mod status;

pub use inbound::record_inbound;
pub use status::apply_status;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::store::NewEvent;

/// A message or call status callback, as Twilio reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusCallback {
    /// The message's or call's id (`MessageSid` or `CallSid`).
    pub provider_id: String,
    /// The status Twilio reports (`delivered`, `no-answer`, ...).
    pub reported: String,
    /// Twilio's error code, when the delivery failed.
    pub error_code: Option<String>,
}

/// An SMS someone sent to one of the service's numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundSms {
    /// The sender's number.
    pub from: String,
    /// Twilio's id of the SMS.
    pub message_sid: String,
    /// The number that received it, when Twilio says.
    pub to: Option<String>,
    /// The Messaging Service that received it, when one did.
    pub messaging_service_sid: Option<String>,
    /// The text, at most [`MAX_SMS_BODY`] characters.
    pub body: String,
}

/// Longest SMS text kept (Twilio concatenates at most 10 segments of 160).
pub const MAX_SMS_BODY: usize = 1600;

/// An event caused by a Twilio webhook, at `at`.
fn twilio_event(name: &str, data: serde_json::Value, at: DateTime<Utc>) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: name.to_string(),
        correlation_id: None,
        run_id: None,
        workflow: None,
        source: "twilio".into(),
        data,
        created_at: at,
    }
}
