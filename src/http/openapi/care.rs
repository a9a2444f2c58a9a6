//! The care-transitions operations: nurses and shifts, tasks, the notification log,
//! a patient's outreach, escalation contacts, the tenant's Twilio numbers, and
//! Twilio's webhooks. The answers' schemas are the handlers' own types (the `*_view`
//! modules of `http::care`); the request bodies' are in `care_requests`.

use utoipa::OpenApi;

use super::care_requests as r;
use crate::http::care::notification_view as n;
use crate::http::care::nurse_view as s;
use crate::http::care::outreach_view as o;
use crate::http::care::task_view as t;
use crate::http::care::{
    contact_view, contacts, inbound, notifications, numbers, nurses, outreach, tasks, webhooks,
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
        r::NewNurse, s::Nurse, s::NurseList, r::NewShift, s::Shift, s::PreferredChannel,
        r::NewTask, t::Task, t::TaskPage, t::TaskSla, r::ResolveTask, t::ResolvedTask,
        t::Severity, t::TaskPriority, t::TaskStatus, t::TaskOrigin, t::SlaStanding,
        r::TwilioCallback,
        n::Notification, n::NotificationPage, n::NotificationKind, n::NotificationChannel,
        n::NotificationStatus, n::NotificationPriority, n::NotificationProvider,
        n::Recipient, n::RecipientKind, o::Outreach, o::OutreachPlan, o::CheckinAttempt,
        o::AttemptNotification, o::AttemptStatus, o::PlanStatus, o::Interaction,
        o::DecidedBy, o::SmsConsent, r::NewEscalationContact, contact_view::EscalationContact,
        contact_view::EscalationContactList, contact_view::ContactRole, r::NewTwilioNumber,
        numbers::TwilioNumber, numbers::TwilioNumberList,
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
