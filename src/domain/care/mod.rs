//! Care transitions after discharge: routing an inbound SMS to its patient, classifying
//! patients' check-in replies, choosing the nurse for a follow-up task, the SLA timetable of a
//! task, and the notification log's statuses and texts. Pure functions, no I/O.

pub mod assignment;
pub mod consent;
pub mod notify;
pub mod routing;
pub mod severity;
pub mod sla;
