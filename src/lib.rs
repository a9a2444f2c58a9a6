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

/// The process's allocator: mimalloc, without transparent huge pages.
///
/// A run allocates and frees many small buffers (requests, statements and their
/// arguments, JSON) from several threads; under load the C library's allocator took
/// 12-14 % of the benchmark process's CPU samples, and with this one the service's
/// CPU per run fell by a seventh at 16 clients (README, "Benchmark"). Huge pages
/// stay off: with them the resident memory grew by 17 MiB rather than 3. Set here
/// rather than in `main.rs`, so that the benchmarks and tests, which link the
/// library, run the allocator the service runs.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
