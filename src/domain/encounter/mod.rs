//! The prior-authorization `encounter` workflow's pure parts: summarising an
//! encounter's FHIR data, deciding by rules or reading an LLM's decision, and
//! rendering the prior-authorization form as a PDF.

mod convert;
pub mod llm_analysis;
pub mod model;
pub mod rules;
#[cfg(test)]
mod test_support;

pub use model::{
    Analysis, ClinicalCounts, ClinicalData, Code, ComponentSummary, ConditionSummary, Criterion,
    EncounterSummary, MeasuredValue, ObservationSummary, PatientIdentifier, PatientSummary,
};
