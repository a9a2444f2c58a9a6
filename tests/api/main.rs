//! API tests: each starts the real service on a random port and talks HTTP to it,
//! on PostgreSQL and on SQLite.

mod care;
mod cli;
mod engine;
mod events;
#[path = "../common/fakes/twilio.rs"]
mod fake_twilio;
mod foundation;
mod functions;
// Not every test uses every helper.
#[path = "../common/db.rs"]
mod db;
#[allow(dead_code)]
mod helpers;
#[path = "../common/lab.rs"]
mod lab;
mod replicas;
mod resilience;
#[path = "../common/sse.rs"]
mod sse;
