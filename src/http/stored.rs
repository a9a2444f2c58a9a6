//! Stored values read into the answer types the API description names.
//!
//! Some columns hold an enum's value in the spelling an earlier version wrote
//! (`OPEN`, `checkin-response`, `apiKey`; see `domain::casing`), and some hold JSON
//! the answer promises a shape for. Answers are typed, so a value the description
//! does not list cannot be sent: it is an internal error naming the column, never a
//! body that contradicts the description.

use serde::de::{DeserializeOwned, IntoDeserializer, value};

use super::error::ApiError;
use crate::domain::casing::api_value;

/// A stored value that is not one the API describes.
#[derive(Debug, thiserror::Error)]
#[error("stored {column} is not a value the API describes")]
pub struct Unlisted {
    /// Table and column, e.g. `tasks.status`.
    column: &'static str,
}

impl From<Unlisted> for ApiError {
    fn from(e: Unlisted) -> Self {
        ApiError::Internal(Box::new(e))
    }
}

/// The enum value `stored` stands for, read in the API's spelling
/// ([`api_value`]); `column` names where it was read, for the log.
pub fn enum_value<T: DeserializeOwned>(column: &'static str, stored: &str) -> Result<T, Unlisted> {
    let spelled = api_value(stored);
    T::deserialize(IntoDeserializer::<value::Error>::into_deserializer(
        spelled.as_str(),
    ))
    .map_err(|_| Unlisted { column })
}

/// [`enum_value`] of an optional stored value.
pub fn optional_enum<T: DeserializeOwned>(
    column: &'static str,
    stored: Option<&str>,
) -> Result<Option<T>, Unlisted> {
    stored.map(|s| enum_value(column, s)).transpose()
}

/// Stored JSON read as `T`. The parser's message is dropped: it may quote the
/// value, which can carry patient text.
pub fn json_value<T: DeserializeOwned>(
    column: &'static str,
    stored: serde_json::Value,
) -> Result<T, Unlisted> {
    serde_json::from_value(stored).map_err(|_| Unlisted { column })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Status {
        Open,
        InProgress,
        CheckinResponse,
    }

    #[test]
    fn old_and_new_spellings_read_as_the_api_value() {
        for (stored, want) in [
            ("OPEN", Status::Open),
            ("open", Status::Open),
            ("IN_PROGRESS", Status::InProgress),
            ("checkin-response", Status::CheckinResponse),
        ] {
            assert_eq!(
                enum_value::<Status>("t.c", stored).unwrap(),
                want,
                "{stored}"
            );
        }
    }

    #[test]
    fn an_unlisted_value_is_an_error_naming_the_column_only() {
        let e = enum_value::<Status>("tasks.status", "Jane Doe").unwrap_err();
        assert_eq!(
            e.to_string(),
            "stored tasks.status is not a value the API describes"
        );
        assert!(optional_enum::<Status>("t.c", None).unwrap().is_none());
        let bad = json_value::<Vec<String>>("t.j", serde_json::json!([1]));
        assert!(bad.is_err());
    }
}
