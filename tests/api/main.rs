//! API tests: each starts the real service on a random port and talks HTTP to it,
//! on PostgreSQL and on SQLite.

mod cli;
mod foundation;
// Not every test uses every helper.
#[allow(dead_code)]
mod helpers;
