//! Each area of the API as the description lists it: its operations (the handlers'
//! `#[utoipa::path]` annotations), its schemas and its tags, one module per area.
//!
//! The lists live apart from the types they name (the sibling modules of `openapi`),
//! because handlers name those types in their annotations: a list beside its types
//! would make a handler and its area import each other.

pub mod cron;
pub mod discharge;
pub mod encounters;
pub mod event_side;
pub mod schedules;
pub mod service_calls;
pub mod user_workflows;
