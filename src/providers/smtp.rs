//! Outgoing email: builds the RFC 5322 message (text + HTML alternatives and a
//! Message-ID derived from an idempotency key), sends it over SMTP, or writes
//! it to a spool directory as an `.eml` file. Owns the classification of SMTP
//! failures: 4xx replies are transient, 5xx permanent.

use std::time::{Duration, Instant};

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use sha2::{Digest, Sha256};

use crate::config::{Secret, TlsMode};

mod spool;

pub use spool::SpoolWriter;

/// One email to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    /// Sender, e.g. `Happy Paws <noreply@happypaws.example>`.
    pub from: String,
    /// The single recipient.
    pub to: String,
    /// Subject line; control characters are replaced by spaces.
    pub subject: String,
    /// HTML alternative.
    pub html: String,
    /// Plain-text alternative.
    pub text: String,
    /// An idempotency key; the same key always yields the same Message-ID and
    /// spool file name, so retries can be recognised downstream.
    pub message_id_hint: String,
}

/// Why an email could not be built, sent or spooled.
#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    /// An address did not parse; the address itself is not repeated.
    #[error("the {field} address is not a valid mailbox")]
    InvalidAddress {
        /// `from` or `to`.
        field: &'static str,
    },
    /// The message could not be assembled.
    #[error("could not build the email: {0}")]
    Build(String),
    /// The settings cannot work.
    #[error("invalid SMTP settings: {0}")]
    Config(String),
    /// The server answered with a negative reply.
    #[error("the SMTP server replied {code}: {message}")]
    Rejected {
        /// The SMTP reply code.
        code: u16,
        /// The server's text, with email addresses masked.
        message: String,
    },
    /// No answer in time.
    #[error("the SMTP exchange timed out")]
    Timeout,
    /// The connection could not be made or broke off.
    #[error("SMTP connection failed: {0}")]
    Connection(String),
    /// TLS could not be established (certificate, protocol).
    #[error("SMTP TLS failed: {0}")]
    Tls(String),
    /// The exchange did not follow the protocol.
    #[error("SMTP protocol error: {0}")]
    Protocol(String),
    /// Writing the spool file failed.
    #[error("could not write the spool file: {0}")]
    Io(#[from] std::io::Error),
}

impl EmailError {
    /// True for failures worth retrying: 4xx replies, timeouts, connection
    /// and spool I/O errors. 5xx replies, bad addresses and TLS or protocol
    /// failures are not.
    pub fn is_retryable(&self) -> bool {
        match self {
            EmailError::Rejected { code, .. } => (400..500).contains(code),
            EmailError::Timeout | EmailError::Connection(_) | EmailError::Io(_) => true,
            _ => false,
        }
    }
}

/// Replaces every word holding an `@` so server replies do not carry
/// recipients' addresses into logs.
fn mask_addresses(text: &str) -> String {
    text.split(' ')
        .map(|w| if w.contains('@') { "[address]" } else { w })
        .collect::<Vec<_>>()
        .join(" ")
}

impl From<lettre::transport::smtp::Error> for EmailError {
    fn from(e: lettre::transport::smtp::Error) -> Self {
        // The server's words are stored with the delivery: made storable (no NUL).
        let detail = std::error::Error::source(&e)
            .map(|s| crate::storable::string(mask_addresses(&s.to_string())))
            .unwrap_or_default();
        if let Some(code) = e.status() {
            EmailError::Rejected {
                code: code.into(),
                message: detail,
            }
        } else if e.is_timeout() {
            EmailError::Timeout
        } else if e.is_tls() {
            EmailError::Tls(detail)
        } else if e.is_response() || e.is_client() {
            EmailError::Protocol(crate::storable::string(e.to_string()))
        } else {
            EmailError::Connection(crate::storable::string(e.to_string()))
        }
    }
}

/// Hex digest of the idempotency key; names spool files and Message-IDs.
fn hint_digest(hint: &str) -> String {
    hex::encode(&Sha256::digest(hint.as_bytes())[..16])
}

fn parse_mailbox(value: &str, field: &'static str) -> Result<Mailbox, EmailError> {
    value
        .parse()
        .map_err(|_| EmailError::InvalidAddress { field })
}

/// The Message-ID for `email`: a digest of its hint at the sender's domain.
pub fn message_id(email: &OutgoingEmail) -> Result<String, EmailError> {
    let from = parse_mailbox(&email.from, "from")?;
    Ok(format!(
        "<{}@{}>",
        hint_digest(&email.message_id_hint),
        from.email.domain()
    ))
}

/// Builds the multipart/alternative (text, then HTML) message.
pub fn build_message(email: &OutgoingEmail) -> Result<Message, EmailError> {
    let subject: String = email
        .subject
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    Message::builder()
        .from(parse_mailbox(&email.from, "from")?)
        .to(parse_mailbox(&email.to, "to")?)
        .subject(subject)
        .message_id(Some(message_id(email)?))
        .multipart(MultiPart::alternative_plain_html(
            email.text.clone(),
            email.html.clone(),
        ))
        .map_err(|e| EmailError::Build(e.to_string()))
}

/// Where and how to send.
#[derive(Debug, Clone)]
pub struct SmtpSettings {
    /// Server host name (also the name its certificate must carry).
    pub host: String,
    /// Server port.
    pub port: u16,
    /// Login, when the server needs one.
    pub username: Option<String>,
    /// Password for `username`.
    pub password: Option<Secret>,
    /// Connection security.
    pub tls: TlsMode,
    /// Limit for connecting and for each command.
    pub timeout: Duration,
}

/// Sends email over SMTP, one connection per message.
#[derive(Clone)]
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl std::fmt::Debug for SmtpSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSender").finish_non_exhaustive()
    }
}

impl SmtpSender {
    /// A sender for `settings`; fails when they cannot work.
    pub fn new(settings: SmtpSettings) -> Result<Self, EmailError> {
        let builder = match settings.tls {
            TlsMode::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            }
            TlsMode::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)
                    .map_err(|e| EmailError::Config(e.to_string()))?
            }
            TlsMode::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host)
                .map_err(|e| EmailError::Config(e.to_string()))?,
        };
        let mut builder = builder.port(settings.port).timeout(Some(settings.timeout));
        match (settings.username, settings.password) {
            (Some(user), Some(password)) => {
                builder =
                    builder.credentials(Credentials::new(user, password.expose().to_string()));
            }
            (None, None) => {}
            _ => {
                return Err(EmailError::Config(
                    "username and password must be given together".into(),
                ));
            }
        }
        Ok(Self {
            transport: builder.build(),
        })
    }

    /// Sends `email`; returns its Message-ID.
    pub async fn send(&self, email: &OutgoingEmail) -> Result<String, EmailError> {
        let id = message_id(email)?;
        let message = build_message(email)?;
        let started = Instant::now();
        let result = self.transport.send(message).await;
        tracing::debug!(
            message_id = %id,
            ok = result.is_ok(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "smtp send finished"
        );
        result?;
        Ok(id)
    }
}

#[cfg(test)]
mod tests;
