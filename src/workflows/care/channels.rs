//! Handing a notification to its channel's provider: Twilio for SMS and calls (from
//! the tenant's own number when it registered one), SMTP or the spool for email.
//! Every outside call goes through the service's shared clients, so through the
//! provider's deadline and breaker; a failure comes back as a step error saying
//! whether a retry can help.

use chrono::{DateTime, Utc};

use super::deps::{Care, EmailOut};
use crate::domain::care::notify::Channel;
use crate::engine::StepError;
use crate::providers::resilience::Resilient;
use crate::providers::smtp::OutgoingEmail;
use crate::providers::twilio::TwilioClient;
use crate::store::TenantId;
use crate::workflows::support::call_failed;

/// Twilio's limit on an SMS body.
const MAX_SMS_CHARS: usize = 1600;

/// What the provider accepted.
#[derive(Debug, Clone)]
pub struct Accepted {
    /// `twilio`, `smtp` or `spool`.
    pub provider: &'static str,
    /// The provider's message or call id (or the spool file).
    pub provider_id: String,
    /// The provider's first status (`queued`), when it names one.
    pub provider_status: Option<String>,
}

/// Why a channel cannot be used at all, in the words the log keeps; `None` when it can.
pub fn unavailable(care: &Care, channel: Channel) -> Option<String> {
    let missing = match channel {
        Channel::Sms | Channel::Voice => care.twilio.is_none(),
        Channel::Email => {
            if let EmailOut::Unusable(reason) = &care.email {
                return Some(reason.clone());
            }
            false
        }
        Channel::Push => true,
    };
    missing.then(|| format!("channel {} not configured", channel.as_str()))
}

fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The shared Twilio client, and the sender `tenant` uses instead of the configured
/// one: its oldest registered number or Messaging Service (calls: its oldest number).
async fn twilio_for<'a>(
    care: &'a Care,
    tenant: &TenantId,
    channel: Channel,
) -> Result<(&'a Resilient<TwilioClient>, Option<OwnSender>), StepError> {
    let twilio = care.twilio.as_ref().ok_or_else(not_configured(channel))?;
    let numbers = care
        .store
        .list_twilio_numbers(tenant)
        .await
        .map_err(StepError::from)?;
    let own = match channel {
        Channel::Voice => numbers.iter().find(|n| n.phone_number.is_some()),
        _ => numbers.first(),
    };
    let own = own.map(|n| OwnSender {
        phone_number: n.phone_number.clone(),
        messaging_service_sid: n.messaging_service_sid.clone(),
    });
    Ok((twilio, own))
}

/// A tenant's own sender.
struct OwnSender {
    phone_number: Option<String>,
    messaging_service_sid: Option<String>,
}

impl OwnSender {
    /// `twilio` sending as this sender (no sender: as configured).
    fn apply(own: Option<&Self>, twilio: &TwilioClient) -> TwilioClient {
        match own {
            Some(n) => twilio.with_sender(
                n.phone_number.as_deref(),
                n.messaging_service_sid.as_deref(),
            ),
            None => twilio.clone(),
        }
    }
}

/// Sends `body` to `to` on `channel` for `tenant`. `key` is stable across attempts
/// (it names the email's Message-ID and spool file).
pub async fn send(
    care: &Care,
    tenant: &TenantId,
    channel: Channel,
    to: &str,
    subject: Option<&str>,
    body: &str,
    key: &str,
) -> Result<Accepted, StepError> {
    let callback = care.status_callback.as_deref();
    match channel {
        Channel::Sms => {
            let (twilio, own) = twilio_for(care, tenant, channel).await?;
            let text: String = body.chars().take(MAX_SMS_CHARS).collect();
            let m = twilio
                .call(|c| async move {
                    let sender = OwnSender::apply(own.as_ref(), c);
                    sender.send_sms(to, &text, callback).await
                })
                .await
                .map_err(|e| call_failed("sms", e))?;
            Ok(Accepted {
                provider: "twilio",
                provider_id: m.sid,
                provider_status: Some(m.status.as_str().to_string()),
            })
        }
        Channel::Voice => {
            let (twilio, own) = twilio_for(care, tenant, channel).await?;
            let twiml = format!("<Response><Say>{}</Say></Response>", escape_xml(body));
            let c = twilio
                .call(|c| async move {
                    let sender = OwnSender::apply(own.as_ref(), c);
                    sender.place_call(to, &twiml, callback).await
                })
                .await
                .map_err(|e| call_failed("voice", e))?;
            Ok(Accepted {
                provider: "twilio",
                provider_id: c.sid,
                provider_status: Some(c.status.as_str().to_string()),
            })
        }
        Channel::Email => {
            let email = OutgoingEmail {
                from: care.settings.providers.smtp.from.clone(),
                to: to.to_string(),
                subject: subject.unwrap_or("Care team notification").to_string(),
                html: format!("<p>{}</p>", escape_xml(body)),
                text: body.to_string(),
                message_id_hint: key.to_string(),
            };
            match &care.email {
                EmailOut::Smtp(sender) => {
                    let id = sender
                        .call(|s| s.send(&email))
                        .await
                        .map_err(|e| call_failed("smtp", e))?;
                    Ok(Accepted {
                        provider: "smtp",
                        provider_id: id,
                        provider_status: None,
                    })
                }
                EmailOut::Unusable(reason) => Err(StepError::permanent(reason.clone())),
                EmailOut::Spool(writer) => {
                    let path = writer.write(&email).await.map_err(|e| {
                        if e.is_retryable() {
                            StepError::retryable(format!("spool: {e}"))
                        } else {
                            StepError::permanent(format!("spool: {e}"))
                        }
                    })?;
                    let file = path
                        .file_name()
                        .map(|f| f.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    Ok(Accepted {
                        provider: "spool",
                        provider_id: format!("spool:{file}"),
                        provider_status: None,
                    })
                }
            }
        }
        Channel::Push => Err(not_configured(channel)()),
    }
}

fn not_configured(channel: Channel) -> impl Fn() -> StepError {
    move || StepError::permanent(format!("channel {} not configured", channel.as_str()))
}

/// An SMS to `to` that an earlier, interrupted attempt may have sent since `since`:
/// Twilio takes no idempotency key, so before sending again the recent messages to
/// the number are checked. Returns the message's id and status when one is found.
pub async fn earlier_sms(
    care: &Care,
    to: &str,
    since: DateTime<Utc>,
) -> Result<Option<(String, String)>, StepError> {
    let Some(twilio) = care.twilio.as_ref() else {
        return Ok(None);
    };
    let found = twilio
        .call(|c| c.recent_messages_to(to, since))
        .await
        .map_err(|e| call_failed("sms", e))?;
    Ok(found
        .into_iter()
        .find(|m| m.direction.as_deref() != Some("inbound"))
        .map(|m| (m.sid, m.status.as_str().to_string())))
}

#[cfg(test)]
mod tests {
    use super::escape_xml;

    #[test]
    fn spoken_text_cannot_break_out_of_the_twiml() {
        assert_eq!(
            escape_xml("Task <b> & \"x\""),
            "Task &lt;b&gt; &amp; &quot;x&quot;"
        );
    }
}
