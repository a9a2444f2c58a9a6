//! The owner's email: `prepareEmail` renders and stores it, `scheduleEmail` puts it
//! in the outbox and starts its delivery run, and the delivery run's `deliver` step
//! sends it over SMTP (or writes it to the spool) when it is due.

use serde_json::json;
use uuid::Uuid;

use super::input::{EmailDelivery, child_input, child_value};
use super::outputs::{Delivery, PreparedEmail, ScheduledEmail, SummaryOutput};
use super::{Discharge, EMAIL_DELIVERY, invalid, options, provider_failure};
use crate::domain::discharge::case::ascii_email;
use crate::domain::discharge::email::render_email;
use crate::engine::{Cancelled, StepContext, StepError, StepOutcome, StepOutput};
use crate::providers::resilience::CallError;
use crate::providers::smtp::{EmailError, OutgoingEmail, message_id};
use crate::store::{EmailOutcome, EmailRow, EmailStatus, NewEmail};

/// `prepareEmail`: subject and bodies for the owner, stored as `prepared`.
pub(super) async fn prepare(d: Discharge, ctx: StepContext) -> Result<StepOutcome, StepError> {
    let opts =
        options::email(&ctx.options).map_err(|p| invalid("invalid prepareEmail options", &p))?;
    let summary = ctx.dep_as::<SummaryOutput>("generateSummary")?;
    let (summary_id, case_id) = (summary.summary_id, summary.case_id);
    let content = summary.content.as_str();
    let case = d.case(&ctx.tenant, case_id).await?;
    let recipient = opts
        .recipient_email
        .or_else(|| case.owner.email.clone())
        .ok_or_else(|| {
            StepError::permanent(
                "no recipient: the case has no owner email and steps.prepareEmail.options.recipientEmail is not given",
            )
        })?;
    let clinic = opts.clinic_name.as_deref().unwrap_or(&d.clinic_name);
    let rendered =
        render_email(&case, content, clinic).map_err(|e| StepError::permanent(e.to_string()))?;
    let row = d
        .store
        .insert_email(&NewEmail {
            tenant_id: ctx.tenant.clone(),
            email_id: Uuid::now_v7(),
            case_id,
            summary_id,
            origin_key: ctx.idempotency_key.clone(),
            run_id: ctx.run_id,
            recipient,
            subject: rendered.subject,
            html_body: rendered.html,
            text_body: rendered.text,
            created_at: ctx.now(),
        })
        .await
        .map_err(StepError::from)?;
    let event = json!({"emailId": row.email_id, "caseId": row.case_id});
    Ok(StepOutcome::Done(
        StepOutput::typed(&PreparedEmail {
            email_id: row.email_id,
            case_id: row.case_id,
            summary_id: row.summary_id,
            recipient: row.recipient,
            subject: row.subject,
            html: row.html_body,
            text: row.text_body,
            status: row.status.to_string(),
        })?
        .emit("EmailPrepared", event),
    ))
}

/// `scheduleEmail`: the email into the outbox for `scheduledFor`, and its delivery
/// run started. Completes as soon as both exist.
pub(super) async fn schedule(d: Discharge, ctx: StepContext) -> Result<StepOutcome, StepError> {
    let opts = options::schedule(&ctx.options)
        .map_err(|p| invalid("invalid scheduleEmail options", &p))?;
    let email_id = ctx.dep_as::<PreparedEmail>("prepareEmail")?.email_id;
    let now = ctx.now();
    let at = opts.scheduled_for.unwrap_or(now);
    let row = d
        .store
        .schedule_email(&ctx.tenant, email_id, at, now)
        .await
        .map_err(StepError::from)?
        .ok_or_else(|| StepError::permanent(format!("email {email_id} does not exist")))?;
    let child = ctx
        .start_child(
            EMAIL_DELIVERY,
            child_value(&EmailDelivery { email_id })?,
            "delivery",
        )
        .await?;
    d.store
        .set_email_delivery_run(&ctx.tenant, email_id, child, now)
        .await
        .map_err(StepError::from)?;
    let scheduled_for = row.scheduled_for.unwrap_or(at);
    tracing::info!(email.id = %email_id, delivery.run = %child, "owner email scheduled");
    let event = json!({"emailId": email_id, "scheduledFor": scheduled_for, "deliveryRunId": child});
    Ok(StepOutcome::Done(
        StepOutput::typed(&ScheduledEmail {
            email_id,
            scheduled_for,
            status: row.status.to_string(),
            delivery_run_id: child.0,
            // Said up front, so a caller sees an unconfigured relay before anything is due.
            delivery_channel: if d.providers.smtp.is_some() {
                "smtp"
            } else {
                "spool"
            }
            .into(),
        })?
        .emit("EmailScheduled", event),
    ))
}

/// A cancelled delivery run cancels its email, unless it was already sent or
/// given up on, or another run delivers it.
pub(super) async fn delivery_cancelled(d: Discharge, run: Cancelled) -> Result<(), String> {
    let Ok(EmailDelivery { email_id }) = child_input(&run.input) else {
        return Ok(());
    };
    let row = d
        .store
        .cancel_email(&run.tenant, email_id, Some(run.run_id), run.at)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(row) = row.filter(|r| r.status == EmailStatus::Cancelled) {
        tracing::info!(email.id = %row.email_id, run.id = %run.run_id, "owner email cancelled with its delivery run");
    }
    Ok(())
}

/// The output of a delivery that found its email settled.
fn settled(row: &EmailRow) -> Result<StepOutcome, StepError> {
    StepOutput::typed(&Delivery {
        email_id: row.email_id,
        status: row.status,
        attempts: row.attempts,
        delivered_via: row.delivered_via.clone(),
        message_id: row.message_id.clone(),
        sent_at: row.sent_at,
        last_error: row.last_error.clone(),
    })
    .map(StepOutcome::Done)
}

/// Sends over SMTP when configured, else writes the spool file. Returns how it went
/// out and the Message-ID.
async fn send(
    d: &Discharge,
    email: &OutgoingEmail,
) -> Result<(&'static str, String), CallError<EmailError>> {
    let p = &d.providers;
    match &p.smtp {
        Some(Ok(sender)) => sender.call(|s| s.send(email)).await.map(|id| ("smtp", id)),
        Some(Err(reason)) => Err(CallError::Provider(EmailError::Config(reason.clone()))),
        None => {
            let spooled = async {
                let id = message_id(email)?;
                p.spool.write(email).await?;
                Ok(("spool", id))
            };
            spooled.await.map_err(CallError::Provider)
        }
    }
}

/// `deliver` (of `discharge-email-delivery`): waits for the email's time on an
/// engine timer, then sends it once.
pub(super) async fn deliver(d: Discharge, ctx: StepContext) -> Result<StepOutcome, StepError> {
    let EmailDelivery { email_id } = child_input(&ctx.input)?;
    let row = d
        .store
        .get_email(&ctx.tenant, email_id)
        .await
        .map_err(StepError::from)?
        .ok_or_else(|| StepError::permanent(format!("email {email_id} does not exist")))?;
    match row.status {
        EmailStatus::Sent | EmailStatus::Failed | EmailStatus::Cancelled => {
            return settled(&row);
        }
        EmailStatus::Prepared => {
            return Err(StepError::permanent(format!(
                "email {email_id} is not in the outbox"
            )));
        }
        EmailStatus::Scheduled => {}
    }
    let now = ctx.now();
    if let Some(due) = row.scheduled_for.filter(|due| *due > now) {
        return Ok(StepOutcome::SleepUntil {
            until: due,
            state: json!({"emailId": email_id}),
        });
    }
    // Counted before sending, so an attempt cut short still shows.
    let row = d
        .store
        .start_email_attempt(&ctx.tenant, email_id, ctx.run_id, now)
        .await
        .map_err(StepError::from)?
        .ok_or_else(|| StepError::permanent(format!("email {email_id} does not exist")))?;
    if row.status != EmailStatus::Scheduled {
        return settled(&row);
    }
    if row.delivery_run_id != Some(ctx.run_id) {
        // Another run delivers this email; sending here could send it twice.
        return Err(StepError::permanent(format!(
            "email {email_id} is delivered by another run"
        )));
    }
    let email = OutgoingEmail {
        from: d.providers.from.clone(),
        // The envelope carries an internationalised domain in its ASCII form.
        to: ascii_email(&row.recipient),
        subject: row.subject.clone(),
        html: row.html_body.clone(),
        text: row.text_body.clone(),
        // The email's id: the same Message-ID (and spool file) on every attempt,
        // and another one for each resend, so no receiver takes it for a repeat.
        message_id_hint: match row.resends {
            0 => email_id.to_string(),
            n => format!("{email_id}/resend-{n}"),
        },
    };
    let result = send(&d, &email).await;
    let done = ctx.now();
    let outcome = match &result {
        Ok((via, id)) => EmailOutcome {
            status: EmailStatus::Sent,
            last_error: None,
            delivered_via: Some(via.to_string()),
            message_id: Some(id.clone()),
            sent_at: Some(done),
        },
        Err(e) => {
            // An open breaker sent nothing; the step waits for it.
            let refused = matches!(e, CallError::Open(_));
            let last = !refused && (!e.is_retryable() || ctx.attempt >= d.email_retry.max_attempts);
            EmailOutcome {
                status: if last {
                    EmailStatus::Failed
                } else {
                    EmailStatus::Scheduled
                },
                last_error: Some(e.to_string()),
                delivered_via: None,
                message_id: None,
                sent_at: None,
            }
        }
    };
    // The email went out (or failed): losing this record to a database blip would
    // send it again, so it is retried while the lease holds.
    ctx.persist("recording an email delivery", || {
        d.store
            .finish_email_attempt(&ctx.tenant, email_id, &outcome, done)
    })
    .await
    .map_err(StepError::from)?;
    tracing::info!(
        email.id = %email_id,
        attempt = row.attempts,
        status = %outcome.status,
        via = outcome.delivered_via.as_deref().unwrap_or("-"),
        "owner email delivery attempt finished"
    );
    match result {
        Ok((via, id)) => {
            let event = json!({"emailId": email_id, "deliveredVia": via, "attempts": row.attempts});
            let output = StepOutput::typed(&Delivery {
                email_id,
                status: EmailStatus::Sent,
                attempts: row.attempts,
                delivered_via: Some(via.to_owned()),
                message_id: Some(id),
                sent_at: Some(done),
                last_error: None,
            })?;
            Ok(StepOutcome::Done(output.emit("EmailSent", event)))
        }
        Err(e) => {
            let details =
                json!({"provider": if d.providers.smtp.is_some() { "smtp" } else { "spool" }});
            Err(provider_failure(&e, details))
        }
    }
}
