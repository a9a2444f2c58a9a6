//! API tests: each starts the real service on a random port and talks HTTP to it,
//! on PostgreSQL and on SQLite.

mod cli;
mod encounter;
mod engine;
mod events;
mod foundation;
// Not every test uses every helper.
#[path = "../common/db.rs"]
mod db;
#[path = "../common/fakes/fhir.rs"]
mod fake_fhir;
#[path = "../common/fakes/pa_llm.rs"]
mod fake_pa_llm;
#[allow(dead_code)]
mod helpers;
#[path = "../common/lab.rs"]
mod lab;
mod replicas;
mod resilience;
#[path = "../common/sse.rs"]
mod sse;
