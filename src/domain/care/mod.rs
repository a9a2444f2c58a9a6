//! Care transitions after discharge: routing an inbound SMS to its patient, classifying
//! patients' check-in replies (a rule table, optionally seconded by a model), choosing
//! the nurse for a follow-up task, the SLA timetable of a task, task references, and
//! the notification log's statuses and texts. Pure functions, no I/O.

pub mod assignment;
pub mod consent;
pub mod model_triage;
pub mod notify;
pub mod reference;
pub mod routing;
pub mod severity;
pub mod sla;
