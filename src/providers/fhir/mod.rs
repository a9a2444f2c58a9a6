//! FHIR R4 client for the encounter workflow: finished-encounter polling and the
//! reads and searches that hydrate an encounter's clinical data.

mod auth;
mod bundle;
mod client;
mod datatypes;
mod error;
mod resources;
#[cfg(test)]
mod tests;

pub use auth::{FhirAuth, Secret};
pub use bundle::{Bundle, BundleEntry, BundleLink, EntrySearch};
pub use client::{EncounterPage, FhirClient};
pub use datatypes::{
    CodeableConcept, Coding, HumanName, Identifier, Meta, Period, Quantity, Reference,
};
pub use error::FhirError;
pub use resources::{
    Condition, Coverage, CoverageClass, Encounter, EncounterParticipant, NPI_SYSTEM, Observation,
    ObservationComponent, Patient, Practitioner, ServiceRequest,
};
