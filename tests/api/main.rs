//! API tests: each starts the real service on a random port and talks HTTP to it,
//! on PostgreSQL and on SQLite.

mod cli;
mod engine;
mod foundation;
// Not every test uses every helper.
#[path = "../common/db.rs"]
mod db;
#[path = "../common/fakes/amion.rs"]
mod fake_amion;
#[allow(dead_code)]
mod helpers;
#[path = "../common/lab.rs"]
mod lab;
#[path = "../common/ods.rs"]
mod ods;
mod replicas;
mod schedule;
