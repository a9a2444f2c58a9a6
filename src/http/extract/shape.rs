//! Deserializer errors turned into validation problems: the pointer of the value
//! that did not fit and a message that says what was expected. serde's own messages
//! quote the offending value (`invalid type: string "Jane Doe", expected u32`); the
//! value may be patient data, so only the expectation is kept.

use serde_path_to_error::{Path, Segment};

use super::storable::token;
use crate::domain::validation::Problems;

/// The JSON pointer of `path` below `prefix` (`""` for a body, `/query` for a query).
fn pointer(prefix: &str, path: &Path) -> String {
    let mut out = prefix.to_string();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("/{index}")),
            Segment::Map { key } => out.push_str(&format!("/{}", token(key))),
            Segment::Enum { variant } => out.push_str(&format!("/{}", token(variant))),
            Segment::Unknown => {}
        }
    }
    out
}

/// The name quoted by serde between backticks after `lead` (`missing field `name``).
fn quoted<'a>(message: &'a str, lead: &str) -> Option<&'a str> {
    let rest = message.strip_prefix(lead)?.strip_prefix('`')?;
    rest.split('`').next()
}

/// What follows serde's `, expected ` in a message, when it says.
fn expectation(message: &str) -> Option<&str> {
    message.split_once(", expected ").map(|(_, e)| e)
}

/// One problem for a deserializer error at `path` below `prefix`.
pub fn problem(prefix: &str, path: &Path, message: &str, problems: &mut Problems) {
    let at = pointer(prefix, path);
    if let Some(field) = quoted(message, "missing field ") {
        problems.push(format!("{at}/{}", token(field)), "is required");
    } else if let Some(field) = quoted(message, "unknown field ") {
        // The path already ends at the unknown member's name.
        let named = matches!(path.iter().next_back(), Some(Segment::Map { key }) if key == field);
        let at = if named {
            at
        } else {
            format!("{at}/{}", token(field))
        };
        problems.push(at, "is not a known member");
    } else if message.starts_with("unknown variant ") {
        let allowed = expectation(message).unwrap_or("another value");
        problems.push(at, format!("must be {allowed}"));
    } else if message.starts_with("invalid type: ") || message.starts_with("invalid value: ") {
        let expected = expectation(message).unwrap_or("a value of another type");
        problems.push(at, format!("must be {expected}"));
    } else if message.starts_with("invalid length ") {
        let expected = expectation(message).unwrap_or("another length");
        problems.push(at, format!("must have {expected}"));
    } else {
        // Number parsers and the like ("invalid digit found in string") never quote
        // the value.
        problems.push(at, message.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only deserialized")]
    struct Shape {
        name: String,
        limit: Option<u32>,
        items: Option<Vec<Item>>,
    }

    #[derive(Debug, Deserialize)]
    #[expect(dead_code, reason = "only deserialized")]
    struct Item {
        kind: Kind,
    }

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "lowercase")]
    enum Kind {
        A,
        B,
    }

    fn problems_of(value: serde_json::Value) -> Vec<(String, String)> {
        let err = serde_path_to_error::deserialize::<_, Shape>(value).unwrap_err();
        let mut p = Problems::new();
        problem("", err.path(), &err.inner().to_string(), &mut p);
        p.into_vec()
            .into_iter()
            .map(|f| (f.pointer, f.message))
            .collect()
    }

    #[test]
    fn missing_fields_point_at_the_field() {
        assert_eq!(
            problems_of(json!({})),
            [("/name".to_string(), "is required".to_string())]
        );
    }

    #[test]
    fn wrong_types_point_at_the_value_and_never_quote_it() {
        let found = problems_of(json!({"name": "n", "limit": "Jane Doe"}));
        assert_eq!(found[0].0, "/limit");
        assert!(!found[0].1.contains("Jane"), "{found:?}");
        assert!(found[0].1.starts_with("must be"), "{found:?}");
    }

    #[test]
    fn nested_variants_and_unknown_members_are_located() {
        let found = problems_of(json!({"name": "n", "items": [{"kind": "a"}, {"kind": "Jane"}]}));
        assert_eq!(found[0].0, "/items/1/kind", "{found:?}");
        assert!(!found[0].1.contains("Jane"), "{found:?}");
        let found = problems_of(json!({"name": "n", "extra": 1}));
        assert_eq!(found[0].0, "/extra", "{found:?}");
    }
}
