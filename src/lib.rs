//! careflow: durable, multi-step workflow orchestration for clinical operations.
//!
//! The binary in `main.rs` is glue; everything testable lives here.

pub mod app;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod domain;
pub mod engine;
pub mod events;
pub mod http;
pub mod providers;
pub mod retention;
pub mod storable;
pub mod store;
pub mod telemetry;
pub mod ui;
pub mod workflows;
