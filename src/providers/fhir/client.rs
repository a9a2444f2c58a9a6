//! The FHIR R4 REST client: reads and paged searches against one configured server.

use std::collections::HashSet;

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::Url;
use reqwest::header::ACCEPT;
use serde::de::DeserializeOwned;

use super::auth::FhirAuth;
use super::bundle::Bundle;
use super::error::{FhirError, outcome_diagnostics, parse_retry_after};
use super::resources::{
    Condition, Coverage, Encounter, Observation, Patient, Practitioner, ServiceRequest,
};

/// The media type FHIR servers answer JSON with.
const FHIR_JSON: &str = "application/fhir+json";
/// Pages one search may read before giving up (guards against `next` loops).
const DEFAULT_MAX_PAGES: usize = 100;
/// Largest response body accepted.
const DEFAULT_MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// One page of a finished-encounter search.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EncounterPage {
    /// The finished encounters of the page, in the server's order.
    pub encounters: Vec<Encounter>,
    /// The next page, when there is one (always within the configured server).
    pub next: Option<Url>,
}

/// A client of one FHIR R4 server.
///
/// `next` links and redirects are only followed within the configured server (same
/// scheme, host and port). The `reqwest::Client` should be built with redirects
/// disabled, since a redirect is only detected after it was followed.
#[derive(Debug, Clone)]
pub struct FhirClient {
    http: reqwest::Client,
    base: Url,
    auth: FhirAuth,
    max_pages: usize,
    max_body_bytes: usize,
}

impl FhirClient {
    /// A client of the server at `base_url` (e.g. `https://ehr.example/fhir`).
    ///
    /// The URL must be `http` or `https`, have a host, and carry no credentials,
    /// query or fragment.
    pub fn new(http: reqwest::Client, base_url: String, auth: FhirAuth) -> Result<Self, FhirError> {
        let mut base =
            Url::parse(base_url.trim()).map_err(|e| FhirError::InvalidBaseUrl(e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") || base.host().is_none() {
            return Err(FhirError::InvalidBaseUrl(
                "must be an http or https URL with a host".into(),
            ));
        }
        if !base.username().is_empty() || base.password().is_some() {
            return Err(FhirError::InvalidBaseUrl(
                "must not contain credentials; configure them as authentication".into(),
            ));
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(FhirError::InvalidBaseUrl(
                "must not have a query or fragment".into(),
            ));
        }
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        Ok(Self {
            http,
            base,
            auth,
            max_pages: DEFAULT_MAX_PAGES,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        })
    }

    /// Sets how many pages one search may read (default 100, at least 1).
    pub fn with_max_pages(mut self, max_pages: usize) -> Self {
        self.max_pages = max_pages.max(1);
        self
    }

    /// Sets the largest response body accepted (default 16 MiB).
    pub fn with_max_body_bytes(mut self, max_body_bytes: usize) -> Self {
        self.max_body_bytes = max_body_bytes;
        self
    }

    /// The configured base URL, normalised to end with `/`.
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    /// Finished encounters updated after `since` (all when `None`), oldest update
    /// first, reading every page. Encounters the server returns with another status
    /// are dropped, in case it ignores the `status` parameter.
    pub async fn finished_encounters_since(
        &self,
        since: Option<DateTime<Utc>>,
        page_size: u32,
    ) -> Result<Vec<Encounter>, FhirError> {
        self.finished_encounters(since.map(|t| ("gt", t)), page_size)
            .await
    }

    /// Like [`Self::finished_encounters_since`] but including encounters updated
    /// exactly at `from` (`_lastUpdated=ge...`): for polling cursors that remember the
    /// ids already processed at the cursor's instant, so a late write sharing that
    /// instant is not skipped.
    pub async fn finished_encounters_from(
        &self,
        from: DateTime<Utc>,
        page_size: u32,
    ) -> Result<Vec<Encounter>, FhirError> {
        self.finished_encounters(Some(("ge", from)), page_size)
            .await
    }

    /// One page of the finished-encounter search, for pollers that keep their cursor
    /// page by page: the first page of the search from `from` (inclusive, like
    /// [`Self::finished_encounters_from`]; every encounter when `None`) when `next` is
    /// `None`, else the page `next` names (a link an earlier page returned, which must
    /// point into the configured server).
    pub async fn finished_encounters_page(
        &self,
        from: Option<DateTime<Utc>>,
        page_size: u32,
        next: Option<&Url>,
    ) -> Result<EncounterPage, FhirError> {
        let url = match next {
            Some(next) => {
                self.check_origin(next)?;
                next.clone()
            }
            None => self.encounter_search_url(from.map(|t| ("ge", t)), page_size),
        };
        let (mut encounters, next): (Vec<Encounter>, _) = self.page("Encounter", &url).await?;
        encounters.retain(|e| e.status.as_deref() == Some("finished"));
        if next.as_ref().is_some_and(|n| n == &url) {
            return Err(FhirError::PagingLoop);
        }
        Ok(EncounterPage { encounters, next })
    }

    fn encounter_search_url(&self, bound: Option<(&str, DateTime<Utc>)>, page_size: u32) -> Url {
        let mut url = self.resource_url(&["Encounter"]);
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("status", "finished");
            if let Some((prefix, at)) = bound {
                let at = at.to_rfc3339_opts(SecondsFormat::AutoSi, true);
                query.append_pair("_lastUpdated", &format!("{prefix}{at}"));
            }
            query.append_pair("_count", &page_size.max(1).to_string());
            query.append_pair("_sort", "_lastUpdated");
        }
        url
    }

    async fn finished_encounters(
        &self,
        bound: Option<(&str, DateTime<Utc>)>,
        page_size: u32,
    ) -> Result<Vec<Encounter>, FhirError> {
        let url = self.encounter_search_url(bound, page_size);
        let mut encounters: Vec<Encounter> = self.search_all("Encounter", url).await?;
        encounters.retain(|e| e.status.as_deref() == Some("finished"));
        Ok(encounters)
    }

    /// Reads one encounter.
    pub async fn encounter(&self, id: &str) -> Result<Encounter, FhirError> {
        self.read("Encounter", id).await
    }

    /// Reads one patient.
    pub async fn patient(&self, id: &str) -> Result<Patient, FhirError> {
        self.read("Patient", id).await
    }

    /// Every condition recorded for an encounter, except those entered in error.
    pub async fn conditions_for(&self, encounter_id: &str) -> Result<Vec<Condition>, FhirError> {
        let url = self.by_encounter("Condition", encounter_id)?;
        let mut conditions: Vec<Condition> = self.search_all("Condition", url).await?;
        conditions.retain(|c| !c.is_entered_in_error());
        Ok(conditions)
    }

    /// Every observation recorded for an encounter, except those entered in error.
    pub async fn observations_for(
        &self,
        encounter_id: &str,
    ) -> Result<Vec<Observation>, FhirError> {
        let url = self.by_encounter("Observation", encounter_id)?;
        let mut observations: Vec<Observation> = self.search_all("Observation", url).await?;
        observations.retain(|o| !o.is_entered_in_error());
        Ok(observations)
    }

    /// Reads one practitioner.
    pub async fn practitioner(&self, id: &str) -> Result<Practitioner, FhirError> {
        self.read("Practitioner", id).await
    }

    /// The patient's coverages that may be billed (not cancelled, draft or in
    /// error), primary first (by `order`, then as the server listed them).
    pub async fn coverages_for(&self, patient_id: &str) -> Result<Vec<Coverage>, FhirError> {
        check_id(patient_id)?;
        let mut url = self.resource_url(&["Coverage"]);
        url.query_pairs_mut()
            .append_pair("beneficiary", &format!("Patient/{patient_id}"));
        let mut coverages: Vec<Coverage> = self.search_all("Coverage", url).await?;
        coverages.retain(Coverage::is_in_force);
        coverages.sort_by_key(|c| c.order.unwrap_or(u32::MAX));
        Ok(coverages)
    }

    /// The services requested for an encounter, except requests revoked or made
    /// in error.
    pub async fn service_requests_for(
        &self,
        encounter_id: &str,
    ) -> Result<Vec<ServiceRequest>, FhirError> {
        let url = self.by_encounter("ServiceRequest", encounter_id)?;
        let mut requests: Vec<ServiceRequest> = self.search_all("ServiceRequest", url).await?;
        requests.retain(ServiceRequest::stands);
        Ok(requests)
    }

    fn by_encounter(&self, resource_type: &str, encounter_id: &str) -> Result<Url, FhirError> {
        check_id(encounter_id)?;
        let mut url = self.resource_url(&[resource_type]);
        url.query_pairs_mut()
            .append_pair("encounter", &format!("Encounter/{encounter_id}"));
        Ok(url)
    }

    fn resource_url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        // The base was checked to be http(s), which always has path segments.
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        url
    }

    async fn read<T: DeserializeOwned>(
        &self,
        resource_type: &str,
        id: &str,
    ) -> Result<T, FhirError> {
        check_id(id)?;
        let body = self.get(self.resource_url(&[resource_type, id])).await?;
        let value: serde_json::Value =
            serde_json::from_slice(&body).map_err(|e| FhirError::decode(resource_type, &e))?;
        let found = value.get("resourceType").and_then(|t| t.as_str());
        if found != Some(resource_type) {
            return Err(FhirError::Decode(format!(
                "expected a {resource_type}, got {}",
                found.unwrap_or("no resourceType")
            )));
        }
        T::deserialize(&value).map_err(|e| FhirError::decode(resource_type, &e))
    }

    async fn search_all<T: DeserializeOwned>(
        &self,
        resource_type: &str,
        first: Url,
    ) -> Result<Vec<T>, FhirError> {
        let mut found = Vec::new();
        let mut visited = HashSet::new();
        let mut url = first;
        for _ in 1..=self.max_pages {
            visited.insert(url.to_string());
            let (matches, next) = self.page(resource_type, &url).await?;
            found.extend(matches);
            let Some(next) = next else {
                return Ok(found);
            };
            if visited.contains(next.as_str()) {
                return Err(FhirError::PagingLoop);
            }
            url = next;
        }
        Err(FhirError::TooManyPages {
            limit: self.max_pages,
        })
    }

    /// Reads one search page: its matches and its `next` link, checked to stay
    /// within the configured server.
    async fn page<T: DeserializeOwned>(
        &self,
        resource_type: &str,
        url: &Url,
    ) -> Result<(Vec<T>, Option<Url>), FhirError> {
        let body = self.get(url.clone()).await?;
        let bundle: Bundle =
            serde_json::from_slice(&body).map_err(|e| FhirError::decode("Bundle", &e))?;
        if bundle.resource_type.as_deref() != Some("Bundle") {
            return Err(FhirError::Decode(format!(
                "expected a Bundle, got {}",
                bundle.resource_type.as_deref().unwrap_or("no resourceType")
            )));
        }
        let matches: Vec<T> = bundle.matches(resource_type)?;
        tracing::debug!(resource_type, entries = matches.len(), "fhir search page");
        let next = match bundle.next_link() {
            None => None,
            Some(next) => {
                let next = url
                    .join(next)
                    .map_err(|e| FhirError::Decode(format!("next link is not a URL: {e}")))?;
                self.check_origin(&next)?;
                Some(next)
            }
        };
        Ok((matches, next))
    }

    fn check_origin(&self, url: &Url) -> Result<(), FhirError> {
        if url.origin() == self.base.origin() {
            Ok(())
        } else {
            Err(FhirError::ForeignNextLink {
                origin: url.origin().ascii_serialization(),
            })
        }
    }

    async fn get(&self, url: Url) -> Result<Vec<u8>, FhirError> {
        let request = self.http.get(url).header(ACCEPT, FHIR_JSON);
        let response = self
            .auth
            .apply(request)
            .headers(crate::telemetry::trace_context::outbound_headers())
            .send()
            .await
            .map_err(FhirError::transport)?;
        self.check_origin(response.url())?;
        let status = response.status();
        let retry_after = parse_retry_after(response.headers());
        if !status.is_success() {
            let body = read_body(response, self.max_body_bytes)
                .await
                .unwrap_or_default();
            return Err(FhirError::Status {
                status: status.as_u16(),
                diagnostics: outcome_diagnostics(&body),
                retry_after,
            });
        }
        read_body(response, self.max_body_bytes).await
    }
}

/// Reads a body, refusing to hold more than `limit` bytes.
async fn read_body(mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, FhirError> {
    if response.content_length().is_some_and(|n| n > limit as u64) {
        return Err(FhirError::BodyTooLarge { limit });
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(FhirError::transport)? {
        if body.len() + chunk.len() > limit {
            return Err(FhirError::BodyTooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    // Whatever the server sends must be storable (no NUL, only UTF-8).
    Ok(match crate::storable::json_body(&body) {
        std::borrow::Cow::Borrowed(_) => body,
        std::borrow::Cow::Owned(clean) => clean,
    })
}

/// FHIR ids are `[A-Za-z0-9-.]{1,64}`; checking keeps ids from rewriting the path.
fn check_id(id: &str) -> Result<(), FhirError> {
    let valid = (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
        && !id.bytes().all(|b| b == b'.');
    if valid {
        Ok(())
    } else {
        Err(FhirError::InvalidId)
    }
}
