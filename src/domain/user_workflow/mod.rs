//! Workflows a tenant defines over the API: the JSON definition, its checks
//! (every problem at once, with JSON pointers) and the checked model that
//! `workflows::user` compiles into an engine workflow.

mod graph;
mod jinja;
mod model;
mod parse;
#[cfg(test)]
mod parse_tests;
mod template;
mod triggers;

pub use model::{HttpSpec, PolicySpec, StepKind, StepSpec, UserWorkflow};
pub use parse::{MAX_RETRIES, MAX_STEPS, parse, valid_name};
pub use template::{Scope, Template};
pub use triggers::{
    Limit, MAX_LIMIT, MAX_RATE_LIMIT_PERIOD, MAX_THROTTLE_PERIOD, MAX_TRIGGERS, MIN_LIMIT_PERIOD,
    Triggers,
};
