//! Clients of the outside world (LLM, SMTP, SMS and voice, Amion, FHIR), each
//! speaking the real protocol against a configurable base URL.
pub mod outbound;
