//! Validation problems collected while checking input: every problem found is
//! reported at once, each located by an RFC 6901 JSON pointer into the input.

use serde::Serialize;

/// One thing wrong with a piece of input.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    /// RFC 6901 JSON pointer to the offending value, e.g. `/input/rawData/text`.
    pub pointer: String,
    /// What is wrong, for a human; never echoes patient data.
    pub message: String,
}

/// An accumulator of [`FieldProblem`]s, so validation can report every problem.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems(Vec<FieldProblem>);

impl Problems {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a problem at `pointer`.
    pub fn push(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        self.0.push(FieldProblem {
            pointer: pointer.into(),
            message: message.into(),
        });
    }

    /// Appends every problem of `other`, prefixing their pointers with `prefix`.
    pub fn extend_under(&mut self, prefix: &str, other: Problems) {
        for p in other.0 {
            self.push(format!("{prefix}{}", p.pointer), p.message);
        }
    }

    /// True when nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The problems found so far.
    pub fn as_slice(&self) -> &[FieldProblem] {
        &self.0
    }

    /// `Ok(value)` when no problem was found, else every problem.
    pub fn into_result<T>(self, value: T) -> Result<T, Problems> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// Consumes the list.
    pub fn into_vec(self) -> Vec<FieldProblem> {
        self.0
    }
}

impl std::fmt::Display for Problems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|p| format!("{}: {}", p.pointer, p.message))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

/// Escapes a key for use in an RFC 6901 pointer.
pub fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_every_problem_and_prefixes_nested_ones() {
        let mut inner = Problems::new();
        inner.push("/email", "must be an email address");
        let mut outer = Problems::new();
        outer.push("/input", "is required");
        outer.extend_under("/steps/prepareEmail/options", inner);
        let all = outer.into_result(()).unwrap_err().into_vec();
        assert_eq!(all.len(), 2);
        assert_eq!(all[1].pointer, "/steps/prepareEmail/options/email");
    }
}
