//! Care transitions after discharge: classifying patients' check-in replies, choosing the nurse
//! for a follow-up task, and the SLA timetable of a task. Pure functions, no I/O.

pub mod assignment;
pub mod severity;
pub mod sla;
