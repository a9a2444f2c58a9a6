//! FHIR R4 data types shared by resources: codings, references, periods, names,
//! identifiers, quantities. Every element optional; unknown elements ignored.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A `Coding`: one code from one code system.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Coding {
    /// Code system URI, e.g. `http://hl7.org/fhir/sid/icd-10-cm`.
    pub system: Option<String>,
    /// The code, e.g. `J18.9`.
    pub code: Option<String>,
    /// Human-readable meaning of the code.
    pub display: Option<String>,
}

/// A `CodeableConcept`: several codings of one idea plus free text.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CodeableConcept {
    /// The codings, possibly from several systems.
    #[serde(default)]
    pub coding: Vec<Coding>,
    /// Plain-text representation.
    pub text: Option<String>,
}

impl CodeableConcept {
    /// True when some coding carries `code` (any system).
    pub fn has_code(&self, code: &str) -> bool {
        self.coding.iter().any(|c| c.code.as_deref() == Some(code))
    }

    /// The first coding's code, e.g. a status such as `confirmed`.
    pub fn first_code(&self) -> Option<&str> {
        self.coding.iter().find_map(|c| c.code.as_deref())
    }
}

/// A `Reference` to another resource.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Reference {
    /// Literal reference: `Patient/pat-42`, or an absolute URL ending that way.
    pub reference: Option<String>,
    /// Text alternative for the referenced resource.
    pub display: Option<String>,
}

impl Reference {
    /// The id of the referenced `resource_type`, from `Type/id`, an absolute URL or a
    /// versioned `Type/id/_history/n` reference.
    pub fn id_of(&self, resource_type: &str) -> Option<&str> {
        let segments: Vec<&str> = self.reference.as_deref()?.split('/').collect();
        segments
            .windows(2)
            .rev()
            .find(|w| w[0] == resource_type && !w[1].is_empty())
            .map(|w| w[1])
    }
}

/// A `Period`; bounds stay text because FHIR `dateTime` may be partial (`2025-03`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Period {
    /// Start, inclusive.
    pub start: Option<String>,
    /// End, inclusive; absent while ongoing.
    pub end: Option<String>,
}

/// Resource `meta`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    /// The server's version of the resource, changed by every update.
    #[serde(default)]
    pub version_id: Option<String>,
    /// When the server last changed the resource (a full instant in FHIR); `None`
    /// when absent or unreadable, so one odd timestamp does not fail a whole search.
    #[serde(default, deserialize_with = "lenient_instant")]
    pub last_updated: Option<DateTime<Utc>>,
}

fn lenient_instant<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<DateTime<Utc>>, D::Error> {
    let text: Option<String> = Option::deserialize(deserializer)?;
    Ok(text
        .and_then(|t| DateTime::parse_from_rfc3339(t.trim()).ok())
        .map(|t| t.with_timezone(&Utc)))
}

/// A `HumanName`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HumanName {
    /// `usual`, `official`, `nickname`, ...
    #[serde(rename = "use")]
    pub name_use: Option<String>,
    /// The full name as text.
    pub text: Option<String>,
    /// Family name.
    pub family: Option<String>,
    /// Given names, in order.
    #[serde(default)]
    pub given: Vec<String>,
}

impl HumanName {
    /// Of several names, the official one if there is one, else the first that has
    /// content.
    pub fn preferred(names: &[HumanName]) -> Option<String> {
        let official = names
            .iter()
            .filter(|n| n.name_use.as_deref() == Some("official"))
            .find_map(HumanName::full);
        official.or_else(|| names.iter().find_map(HumanName::full))
    }

    /// `text`, or the given names followed by the family name.
    pub fn full(&self) -> Option<String> {
        if let Some(text) = self.text.as_deref().filter(|t| !t.trim().is_empty()) {
            return Some(text.trim().to_owned());
        }
        let parts: Vec<&str> = self
            .given
            .iter()
            .map(String::as_str)
            .chain(self.family.as_deref())
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

/// An `Identifier` (MRN, member number...).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Identifier {
    /// Namespace URI of the value.
    pub system: Option<String>,
    /// The identifier.
    pub value: Option<String>,
    /// Kind of identifier, e.g. `MR`.
    #[serde(rename = "type")]
    pub kind: Option<CodeableConcept>,
}

/// A `Quantity`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Quantity {
    /// Numeric value.
    pub value: Option<f64>,
    /// `<`, `<=`, `>=`, `>` when the value is a bound rather than exact.
    pub comparator: Option<String>,
    /// Unit as shown.
    pub unit: Option<String>,
    /// Unit system, usually UCUM.
    pub system: Option<String>,
    /// Coded unit, e.g. `%`, `/min`.
    pub code: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_last_updated_is_treated_as_absent() {
        let meta: Meta = serde_json::from_str(r#"{"lastUpdated":"yesterday"}"#).unwrap();
        assert_eq!(meta.last_updated, None);
        let meta: Meta =
            serde_json::from_str(r#"{"lastUpdated":"2025-03-03T09:05:00-05:00"}"#).unwrap();
        assert_eq!(
            meta.last_updated.map(|t| t.to_rfc3339()),
            Some("2025-03-03T14:05:00+00:00".into())
        );
        let meta: Meta = serde_json::from_str("{}").unwrap();
        assert_eq!(meta.last_updated, None);
    }

    #[test]
    fn reference_ids_are_found_in_relative_absolute_and_versioned_references() {
        let r = |s: &str| Reference {
            reference: Some(s.into()),
            display: None,
        };
        assert_eq!(r("Patient/pat-42").id_of("Patient"), Some("pat-42"));
        assert_eq!(
            r("http://127.0.0.1:8089/fhir/Patient/pat-42").id_of("Patient"),
            Some("pat-42")
        );
        assert_eq!(
            r("Patient/pat-42/_history/3").id_of("Patient"),
            Some("pat-42")
        );
        assert_eq!(r("Group/g-1").id_of("Patient"), None);
    }
}
