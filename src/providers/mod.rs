//! Clients of the outside world (LLM, SMTP, SMS and voice, Amion, FHIR), each
//! speaking the real protocol against a configurable base URL.

pub mod llm;
pub mod smtp;
pub mod amion;
pub mod fhir;
pub mod breaker;
pub mod twilio;
pub mod outbound;
