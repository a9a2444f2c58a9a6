//! Domain services the workflows call: cases, summaries, email, calls, schedules,
//! coverage, encounters, notifications. Nothing here knows about HTTP or the engine.

pub mod care;
pub mod casing;
pub mod discharge;
pub mod encounter;
pub mod schedule;
pub mod service_call;
pub mod user_workflow;
pub mod validation;
