//! SMS through Twilio's Messages resource: sending, the message status lifecycle, and listing
//! recent messages to a number (how a retry finds out whether an earlier attempt got through).

use super::wire::{date, int, null_as_default};
use super::{TwilioClient, TwilioError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Pages of the message list read at most, so a busy number cannot stall a retry.
const MAX_LIST_PAGES: usize = 5;

/// A message's delivery status, as Twilio names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    /// Waiting to be sent.
    Queued,
    /// Accepted by a Messaging Service, sender not chosen yet.
    Accepted,
    /// Scheduled for later sending.
    Scheduled,
    /// Being sent.
    Sending,
    /// Handed to the carrier.
    Sent,
    /// The carrier confirmed delivery.
    Delivered,
    /// The carrier could not deliver it.
    Undelivered,
    /// Twilio could not send it.
    Failed,
    /// An inbound message is arriving.
    Receiving,
    /// An inbound message arrived.
    Received,
    /// The recipient read it (channels with read receipts).
    Read,
    /// Delivered to only part of its recipients.
    PartiallyDelivered,
    /// Canceled before sending.
    Canceled,
    /// A status this client does not know (or none was given).
    #[default]
    #[serde(other)]
    Unknown,
}

impl MessageStatus {
    /// Every status Twilio documents.
    pub const ALL: [MessageStatus; 13] = [
        Self::Queued,
        Self::Accepted,
        Self::Scheduled,
        Self::Sending,
        Self::Sent,
        Self::Delivered,
        Self::Undelivered,
        Self::Failed,
        Self::Receiving,
        Self::Received,
        Self::Read,
        Self::PartiallyDelivered,
        Self::Canceled,
    ];

    /// Twilio's name for the status (`partially_delivered`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Accepted => "accepted",
            Self::Scheduled => "scheduled",
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Undelivered => "undelivered",
            Self::Failed => "failed",
            Self::Receiving => "receiving",
            Self::Received => "received",
            Self::Read => "read",
            Self::PartiallyDelivered => "partially_delivered",
            Self::Canceled => "canceled",
            Self::Unknown => "unknown",
        }
    }

    /// Reads a status callback's `MessageStatus`; unknown names give [`MessageStatus::Unknown`].
    pub fn parse(name: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == name.trim())
            .unwrap_or(Self::Unknown)
    }

    /// Position in the lifecycle: accepted/scheduled 1, queued 2, sending/receiving 3, sent 4,
    /// outcomes (delivered, undelivered, failed, canceled, received, partially delivered) 5,
    /// read 6; unknown 0.
    pub fn rank(self) -> u8 {
        match self {
            Self::Unknown => 0,
            Self::Accepted | Self::Scheduled => 1,
            Self::Queued => 2,
            Self::Sending | Self::Receiving => 3,
            Self::Sent => 4,
            Self::Delivered
            | Self::Undelivered
            | Self::Failed
            | Self::Canceled
            | Self::Received
            | Self::PartiallyDelivered => 5,
            Self::Read => 6,
        }
    }

    /// An outcome after which only `delivered → read` may still happen.
    pub fn is_terminal(self) -> bool {
        self.rank() >= 5
    }

    /// Whether a callback reporting `next` may replace `self`: callbacks arrive late, repeated
    /// and out of order, and a status must never move backwards. `delivered` may still become
    /// `read`; other outcomes are final; an unknown status never replaces a known one.
    pub fn can_advance_to(self, next: MessageStatus) -> bool {
        if next == Self::Unknown {
            return false;
        }
        if self.is_terminal() {
            return self == Self::Delivered && next == Self::Read;
        }
        next.rank() > self.rank()
    }
}

impl std::fmt::Display for MessageStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A Twilio Message resource, read leniently. The body is deliberately not kept (it is patient
/// communication and the caller already knows what it sent).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageResource {
    /// Message SID (`SM...` / `MM...`).
    pub sid: String,
    /// Owning account.
    #[serde(default)]
    pub account_sid: Option<String>,
    /// Messaging Service that sent it, if any.
    #[serde(default)]
    pub messaging_service_sid: Option<String>,
    /// Delivery status.
    #[serde(default, deserialize_with = "null_as_default")]
    pub status: MessageStatus,
    /// Recipient number.
    #[serde(default)]
    pub to: Option<String>,
    /// Sender number.
    #[serde(default)]
    pub from: Option<String>,
    /// `outbound-api`, `inbound`, ...
    #[serde(default)]
    pub direction: Option<String>,
    /// SMS segments billed.
    #[serde(default, with = "int")]
    pub num_segments: Option<i64>,
    /// Twilio error code when delivery failed.
    #[serde(default, with = "int")]
    pub error_code: Option<i64>,
    /// Twilio's error text when delivery failed.
    #[serde(default)]
    pub error_message: Option<String>,
    /// When Twilio created the message.
    #[serde(default, with = "date")]
    pub date_created: Option<DateTime<Utc>>,
    /// Last status change.
    #[serde(default, with = "date")]
    pub date_updated: Option<DateTime<Utc>>,
    /// When it was sent (absent while queued).
    #[serde(default, with = "date")]
    pub date_sent: Option<DateTime<Utc>>,
}

impl std::fmt::Debug for MessageResource {
    // Phone numbers stay out of Debug output, which tends to end up in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageResource")
            .field("sid", &self.sid)
            .field("status", &self.status)
            .field("error_code", &self.error_code)
            .field("date_created", &self.date_created)
            .field("date_sent", &self.date_sent)
            .finish_non_exhaustive()
    }
}

#[derive(Deserialize)]
struct MessagePage {
    #[serde(default)]
    messages: Vec<MessageResource>,
    #[serde(default)]
    next_page_uri: Option<String>,
}

impl TwilioClient {
    /// Sends an SMS to `to` (E.164) from the configured Messaging Service or number; Twilio
    /// posts status changes to `status_callback` when given.
    pub async fn send_sms(
        &self,
        to: &str,
        body: &str,
        status_callback: Option<&str>,
    ) -> Result<MessageResource, TwilioError> {
        let url = self.account_url("Messages.json")?;
        let mut form: Vec<(&str, &str)> = vec![("To", to), ("Body", body)];
        match self.settings.messaging_service_sid.as_deref() {
            Some(service) if !service.is_empty() => form.push(("MessagingServiceSid", service)),
            _ if !self.settings.from.is_empty() => form.push(("From", &self.settings.from)),
            _ => {
                return Err(TwilioError::Config(
                    "either a sender number or a Messaging Service SID is required".to_owned(),
                ));
            }
        }
        if let Some(callback) = status_callback {
            form.push(("StatusCallback", callback));
        }
        self.execute("Messages.create", self.http.post(url).form(&form))
            .await
    }

    /// Messages to `to` created at or after `since`, newest first as Twilio lists them.
    ///
    /// Twilio filters `DateSent` by whole UTC days, so the day of `since` is asked for and the
    /// answer narrowed here by creation time. A message without any date is kept: for the
    /// "did my earlier attempt get through?" question, an unclear match is safer than a
    /// duplicate SMS. Reads at most 5 pages.
    pub async fn recent_messages_to(
        &self,
        to: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<MessageResource>, TwilioError> {
        let first = self.account_url("Messages.json")?;
        let day = since.format("%Y-%m-%d").to_string();
        let mut request = self.http.get(first).query(&[
            ("To", to),
            ("DateSent>", day.as_str()),
            ("PageSize", "50"),
        ]);
        let mut found = Vec::new();
        for _ in 0..MAX_LIST_PAGES {
            let page: MessagePage = self.execute("Messages.list", request).await?;
            found.extend(
                page.messages
                    .into_iter()
                    .filter(|m| m.date_created.or(m.date_sent).is_none_or(|at| at >= since)),
            );
            match page.next_page_uri {
                // Only a path under the API root: the credentials must never go elsewhere.
                Some(next) if next.starts_with("/2010-04-01/") => {
                    request = self.http.get(format!("{}{next}", self.api_root()));
                }
                _ => break,
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests;
