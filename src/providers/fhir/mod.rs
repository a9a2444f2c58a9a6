//! FHIR R4 client for the encounter workflow: finished-encounter polling and the
//! reads and searches that hydrate an encounter's clinical data.

mod auth;
mod bundle;
mod client;
mod error;
mod model;
#[cfg(test)]
mod tests;

pub use auth::{FhirAuth, Secret};
pub use bundle::{Bundle, BundleEntry, BundleLink, EntrySearch};
pub use client::FhirClient;
pub use error::FhirError;
pub use model::{
    CodeableConcept, Coding, Condition, Encounter, HumanName, Identifier, Meta, Observation,
    ObservationComponent, Patient, Period, Quantity, Reference,
};
