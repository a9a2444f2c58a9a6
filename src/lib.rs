//! careflow: durable, multi-step workflow orchestration for clinical operations.
//!
//! The binary in `main.rs` is glue; everything testable lives here.

pub mod domain;
pub mod providers;
