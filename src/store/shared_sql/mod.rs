//! Store implementations that are the same on PostgreSQL and SQLite, word for word:
//! the statements (in each area's `sql` module) are portable, and only the pools
//! differ. Each is a macro that a backend invokes with its store type and pools, so
//! one text serves both and the two cannot drift apart. Every macro takes the same
//! shape, `name_store!(Store, writer: pool, reader: pool, ...)`, with any further
//! named argument carrying the one fragment a backend spells its own way. Implementations whose SQL or
//! transaction handling differs per backend stay in `postgres/` and `sqlite/`.

mod access_log;
pub(crate) mod attempts;
mod auth;
pub(crate) mod consent;
pub(crate) mod contacts;
pub(crate) mod cron;
mod discharge;
mod encounter;
pub(crate) mod events;
mod hospitals;
mod notification;
mod nurse;
mod outreach;
pub(crate) mod pause;
mod retention;
pub(crate) mod routing;
pub(crate) mod runs;
pub(crate) mod schedule;
mod service_calls;
mod task;
pub(crate) mod trigger_limits;
mod triggers;
pub(crate) mod user_workflows;

pub(crate) use access_log::access_log_store;
pub(crate) use attempts::attempt_store;
pub(crate) use auth::auth_store;
pub(crate) use consent::consent_store;
pub(crate) use contacts::contact_store;
pub(crate) use cron::cron_store;
pub(crate) use discharge::discharge_store;
pub(crate) use encounter::encounter_store;
pub(crate) use events::event_store;
pub(crate) use hospitals::hospital_store;
pub(crate) use notification::notification_store;
pub(crate) use nurse::nurse_store;
pub(crate) use outreach::outreach_store;
pub(crate) use pause::pause_store;
pub(crate) use retention::retention_store;
pub(crate) use routing::routing_store;
pub(crate) use runs::run_store;
pub(crate) use schedule::schedule_store;
pub(crate) use service_calls::service_call_store;
pub(crate) use task::task_store;
pub(crate) use trigger_limits::trigger_limit_store;
pub(crate) use triggers::trigger_store;
pub(crate) use user_workflows::user_workflow_store;
