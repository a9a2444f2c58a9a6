//! API tests: each starts the real service on a random port and talks HTTP to it,
//! on PostgreSQL and on SQLite.

mod cli;
mod engine;
mod events;
mod foundation;
mod functions;
// Not every test uses every helper.
#[path = "../common/db.rs"]
mod db;
#[path = "../common/fakes/partner.rs"]
mod fake_partner;
#[allow(dead_code)]
mod helpers;
#[path = "../common/lab.rs"]
mod lab;
mod replicas;
mod resilience;
mod service_calls;
#[path = "../common/sse.rs"]
mod sse;
