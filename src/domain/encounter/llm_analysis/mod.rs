//! Prior-authorization analysis by a chat-completions model: the prompt built from
//! the encounter's clinical facts, and the strict reading of the model's JSON answer.
//! The HTTP call itself belongs to the LLM provider client.

mod answer;
mod prompt;

pub use answer::parse_analysis;
pub use prompt::analysis_messages;

use crate::domain::validation::Problems;

/// Why a model's answer could not be used.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisParseError {
    /// The answer has no content.
    #[error("the model's answer is empty")]
    Empty,
    /// The answer is not JSON; the position is given, the content never echoed.
    #[error("the model's answer is not JSON (line {line}, column {column})")]
    NotJson {
        /// Line of the syntax error.
        line: usize,
        /// Column of the syntax error.
        column: usize,
    },
    /// The JSON does not have the expected members and types.
    #[error("the model's answer does not have the expected shape: {0}")]
    Invalid(Problems),
}
