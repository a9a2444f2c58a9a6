//! The prior-authorization `encounter` workflow's pure parts: summarising an
//! encounter's FHIR data, deciding by rules or reading an LLM's decision, and
//! rendering the prior-authorization form as a PDF.

pub mod analysis;
mod convert;
pub mod llm_analysis;
pub mod model;
pub mod pdf;
pub mod rules;
#[cfg(test)]
mod test_support;
pub mod units;

pub use analysis::{Analysis, Criterion};
pub use model::{
    ClinicalCounts, ClinicalData, Code, ComponentSummary, ConditionSummary, CoverageSummary,
    EncounterSummary, MeasuredValue, ObservationSummary, PatientIdentifier, PatientSummary,
    ProviderSummary, RequestedService,
};
