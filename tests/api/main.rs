//! API tests: each starts the real service on a random port and talks HTTP to it,
//! on PostgreSQL and on SQLite.

mod admission;
mod answer_checks;
mod api_docs;
mod attempts;
mod audit;
#[path = "../common/browser.rs"]
mod browser;
mod bulk;
mod care;
mod casing;
#[path = "../common/checked.rs"]
mod checked;
mod cli;
mod connections;
#[path = "../common/contract.rs"]
mod contract;
mod cron;
mod dashboard_api;
mod deploy;
mod discharge;
mod edge_headers;
mod encounter;
mod encounter_form;
mod encounter_versions;
mod engine;
mod event_positions;
mod events;
#[path = "../common/fakes/twilio.rs"]
mod fake_twilio;
mod fencing;
mod foundation;
mod functions;
// Not every test uses every helper.
#[path = "../common/db.rs"]
mod db;
#[path = "../common/fakes/amion.rs"]
mod fake_amion;
#[path = "../common/fakes/fhir.rs"]
mod fake_fhir;
#[path = "../common/fakes/jwks.rs"]
mod fake_jwks;
#[path = "../common/fakes/llm.rs"]
mod fake_llm;
#[path = "../common/fakes/pa_llm.rs"]
mod fake_pa_llm;
#[path = "../common/fakes/partner.rs"]
mod fake_partner;
#[path = "../common/fakes/smtp.rs"]
mod fake_smtp;
#[path = "../common/fakes/voice.rs"]
mod fake_voice;
#[allow(dead_code)]
mod helpers;
mod idempotency;
mod jwks;
#[path = "../common/lab.rs"]
mod lab;
mod logs;
mod metrics;
mod null_as_absent;
#[path = "../common/ods.rs"]
mod ods;
mod outage;
mod own_workflow_controls;
mod pause;
mod priorities;
mod provider_endpoints;
mod provider_output;
#[path = "../common/proxy.rs"]
mod proxy;
mod replicas;
mod request_shape;
mod rerun;
mod resilience;
mod retention;
mod schedule;
mod service_call_keys;
mod service_calls;
mod settle;
#[path = "../common/sse.rs"]
mod sse;
mod startup;
mod store_contract;
mod stream_tokens;
mod tracing;
mod trigger_limits;
mod ui;
mod user_workflows;
#[path = "../common/wait.rs"]
mod wait;
