//! The FHIR `Bundle` returned by searches, and extraction of its matching resources.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::error::FhirError;

/// A `Bundle` (searches answer with `type: searchset`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    /// Always `Bundle` for a bundle; checked before use.
    pub resource_type: Option<String>,
    /// `searchset`, `collection`, ...
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Number of matches, when the server counted them (optional in FHIR).
    pub total: Option<u64>,
    /// Paging links: `self`, `next`, `previous`...
    #[serde(default)]
    pub link: Vec<BundleLink>,
    /// The entries of this page.
    #[serde(default)]
    pub entry: Vec<BundleEntry>,
}

/// One paging link of a bundle.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BundleLink {
    /// `self`, `next`, ...
    pub relation: Option<String>,
    /// Where it points.
    pub url: Option<String>,
}

/// One entry of a bundle; the resource is kept untyped until its type is known.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleEntry {
    /// Absolute URL of the resource.
    pub full_url: Option<String>,
    /// The resource itself.
    pub resource: Option<serde_json::Value>,
    /// Why the entry is in a search result.
    pub search: Option<EntrySearch>,
}

/// `Bundle.entry.search`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EntrySearch {
    /// `match`, `include` or `outcome`.
    pub mode: Option<String>,
}

impl Bundle {
    /// The URL of the next page, if any.
    pub fn next_link(&self) -> Option<&str> {
        self.link
            .iter()
            .find(|l| l.relation.as_deref() == Some("next"))
            .and_then(|l| l.url.as_deref())
            .filter(|u| !u.trim().is_empty())
    }

    /// The resources of `resource_type` that matched the search: `_include`d resources
    /// and `OperationOutcome` entries are left out; an entry without a search mode counts
    /// as a match (servers may omit it).
    pub fn matches<T: DeserializeOwned>(&self, resource_type: &str) -> Result<Vec<T>, FhirError> {
        self.entry
            .iter()
            .filter(|e| {
                e.search
                    .as_ref()
                    .and_then(|s| s.mode.as_deref())
                    .is_none_or(|m| m == "match")
            })
            .filter_map(|e| e.resource.as_ref())
            .filter(|r| r.get("resourceType").and_then(|t| t.as_str()) == Some(resource_type))
            .map(|r| {
                T::deserialize(r)
                    .map_err(|e| FhirError::decode(&format!("{resource_type} entry"), &e))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::super::resources::Encounter;
    use super::*;

    #[test]
    fn only_matching_resources_of_the_asked_type_are_returned() {
        let json = r#"{"resourceType":"Bundle","type":"searchset",
            "link":[{"relation":"self","url":"http://x/fhir/Encounter"},
                    {"relation":"next","url":"http://x/fhir/Encounter?page=2"}],
            "entry":[
              {"resource":{"resourceType":"Encounter","id":"a","status":"finished"},"search":{"mode":"match"}},
              {"resource":{"resourceType":"Patient","id":"p"},"search":{"mode":"include"}},
              {"resource":{"resourceType":"Encounter","id":"b"},"search":{"mode":"include"}},
              {"resource":{"resourceType":"OperationOutcome","issue":[]},"search":{"mode":"outcome"}},
              {"resource":{"resourceType":"Encounter","id":"c"}}]}"#;
        let bundle: Bundle = serde_json::from_str(json).unwrap();
        let found: Vec<Encounter> = bundle.matches("Encounter").unwrap();
        let ids: Vec<_> = found.iter().filter_map(|e| e.id.as_deref()).collect();
        assert_eq!(ids, ["a", "c"]);
        assert_eq!(bundle.next_link(), Some("http://x/fhir/Encounter?page=2"));
    }

    #[test]
    fn a_resource_of_the_wrong_shape_is_a_decode_error() {
        let json = r#"{"resourceType":"Bundle","entry":[
              {"resource":{"resourceType":"Encounter","id":"a","status":{"oops":1}}}]}"#;
        let bundle: Bundle = serde_json::from_str(json).unwrap();
        let err = bundle.matches::<Encounter>("Encounter").unwrap_err();
        assert!(matches!(err, FhirError::Decode(_)));
        assert!(!err.is_retryable());
    }
}
