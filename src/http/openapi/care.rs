//! The care-transitions operations: nurses and shifts, tasks, the notification log,
//! a patient's outreach, escalation contacts, the tenant's Twilio numbers, and
//! Twilio's webhooks.

use utoipa::OpenApi;

use super::{care_bodies as b, care_log as l};
use crate::http::care::{
    contacts, inbound, notifications, numbers, nurses, outreach, tasks, webhooks,
};

/// The care operations and their schemas.
#[derive(OpenApi)]
#[openapi(
    paths(
        nurses::list,
        nurses::create,
        nurses::get,
        nurses::add_shift,
        tasks::list,
        tasks::create,
        tasks::get,
        tasks::resolve,
        notifications::list,
        outreach::get,
        contacts::list,
        contacts::create,
        contacts::remove,
        numbers::list,
        numbers::create,
        numbers::remove,
        webhooks::status,
        inbound::inbound,
    ),
    components(schemas(
        b::NewNurse, b::Nurse, b::NurseList, b::NewShift, b::Shift, b::PreferredChannel,
        b::NewTask, b::Task, b::TaskPage, b::TaskSla, b::ResolveTask, b::ResolvedTask,
        b::Severity, b::TaskPriority, b::TaskStatus, b::TaskOrigin, b::SlaStanding,
        b::TwilioCallback,
        l::Notification, l::NotificationPage, l::NotificationKind, l::NotificationChannel,
        l::NotificationStatus, l::NotificationPriority, l::NotificationProvider,
        l::Recipient, l::RecipientKind, l::Outreach, l::OutreachPlan, l::CheckinAttempt,
        l::AttemptNotification, l::AttemptStatus, l::PlanStatus, l::Interaction,
        l::DecidedBy, l::SmsConsent, l::NewEscalationContact, l::EscalationContact,
        l::EscalationContactList, l::ContactRole, l::NewTwilioNumber, l::TwilioNumber,
        l::TwilioNumberList,
    )),
    tags(
        (name = "nurses", description = "Nurses and their shifts: who tasks are assigned to."),
        (name = "tasks", description = "Tasks for nurses, with their SLA timetables."),
        (name = "notifications", description = "The log of every SMS, email, call and push sent."),
        (name = "patients", description = "A patient's outreach after discharge."),
        (name = "escalation-contacts", description = "Charge nurses and supervisors told of tasks nobody holds."),
        (name = "twilio-numbers", description = "The tenant's Twilio numbers and Messaging Services."),
        (name = "webhooks", description = "Twilio's callbacks: no bearer token, checked by Twilio's signature."),
    )
)]
pub struct Care;
