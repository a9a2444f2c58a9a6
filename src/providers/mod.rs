//! Clients of the outside world (LLM, SMTP, SMS and voice, Amion, FHIR), each
//! speaking the real protocol against a configurable base URL.

pub mod amion;
pub mod breaker;
pub mod fhir;
pub mod llm;
pub mod outbound;
pub mod resilience;
pub mod smtp;
pub mod twilio;
