//! A fake FHIR R4 server on 127.0.0.1 for the encounter tests: realistic searchset
//! Bundles with absolute `next` links and an `OperationOutcome` entry, Conditions
//! paged two at a time (one of them entered in error), the patient's Coverage, the
//! attending Practitioner and the encounter's ServiceRequests (one revoked),
//! OperationOutcome errors, and switches to answer 503 for a while, to slow down, and
//! to count requests.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

#[derive(Default)]
struct Data {
    encounters: Vec<Value>,
    patients: HashMap<String, Value>,
    conditions: HashMap<String, Vec<Value>>,
    observations: HashMap<String, Vec<Value>>,
    service_requests: HashMap<String, Vec<Value>>,
    /// By patient id.
    coverages: HashMap<String, Vec<Value>>,
    practitioners: HashMap<String, Value>,
}

#[derive(Default)]
struct Inner {
    data: Mutex<Data>,
    fail_next: AtomicUsize,
    down: AtomicBool,
    delay_ms: AtomicU64,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    requests: Mutex<Vec<String>>,
    base: Mutex<String>,
}

/// The running fake.
#[derive(Clone)]
pub struct FakeFhir {
    pub base: String,
    inner: Arc<Inner>,
}

/// Conditions per search page, so hydration follows `next` links too.
const CONDITION_PAGE: usize = 2;

fn outcome(code: &str, diagnostics: &str) -> Value {
    json!({"resourceType": "OperationOutcome", "issue": [
        {"severity": "error", "code": code, "diagnostics": diagnostics}]})
}

fn fhir_json(status: StatusCode, body: &Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        "content-type",
        "application/fhir+json;charset=utf-8".parse().unwrap(),
    );
    r
}

fn searchset(self_url: &str, resources: &[Value], next: Option<String>, note: bool) -> Value {
    let mut links = vec![json!({"relation": "self", "url": self_url})];
    if let Some(next) = next {
        links.push(json!({"relation": "next", "url": next}));
    }
    let mut entries: Vec<Value> = resources
        .iter()
        .map(|r| {
            json!({"fullUrl": format!("{}/{}", r["resourceType"].as_str().unwrap(), r["id"].as_str().unwrap()),
                   "resource": r, "search": {"mode": "match"}})
        })
        .collect();
    if note {
        // Servers report search warnings as an OperationOutcome entry.
        entries.push(
            json!({"resource": {"resourceType": "OperationOutcome", "issue": [
            {"severity": "information", "code": "informational",
             "diagnostics": "_sort on _lastUpdated applied"}]},
            "search": {"mode": "outcome"}}),
        );
    }
    json!({"resourceType": "Bundle", "type": "searchset", "link": links, "entry": entries})
}

impl FakeFhir {
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}/fhir", listener.local_addr().unwrap());
        let inner = Arc::new(Inner::default());
        *inner.base.lock().unwrap() = base.clone();
        let app = Router::new().fallback(handle).with_state(inner.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { base, inner }
    }

    /// A finished inpatient pneumonia encounter of patient `pat-<id>`, updated at
    /// `updated`: two confirmed diagnoses and one entered in error, SpO2 91 % and one
    /// observation entered in error.
    pub fn add_encounter(&self, id: &str, updated: &str) {
        self.add_encounter_with_status(id, updated, "finished");
    }

    pub fn add_encounter_with_status(&self, id: &str, updated: &str, status: &str) {
        let patient = format!("pat-{id}");
        let mut data = self.inner.data.lock().unwrap();
        data.encounters.push(json!({"resourceType": "Encounter", "id": id,
            "meta": {"versionId": "2", "lastUpdated": updated}, "status": status,
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP"},
            "type": [{"coding": [{"system": "http://www.ama-assn.org/go/cpt", "code": "99223",
                                  "display": "Initial hospital care"}]}],
            "subject": {"reference": format!("Patient/{patient}")},
            "period": {"start": "2025-02-28T09:30:00Z", "end": "2025-03-03T13:50:00Z"},
            "participant": [
                {"type": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                       "code": "ADM", "display": "admitter"}]}],
                 "individual": {"reference": "Practitioner/pr-adm", "display": "Dr. Night Shift"}},
                {"type": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                       "code": "ATND", "display": "attender"}]}],
                 "individual": {"reference": "Practitioner/pr-1", "display": "Dr. M. Alvarez"}}],
            "serviceProvider": {"reference": "Organization/org-1", "display": "Riverside General"}}));
        data.practitioners.insert("pr-1".into(), json!({"resourceType": "Practitioner", "id": "pr-1",
            "name": [{"use": "official", "family": "Alvarez", "given": ["Maria"], "prefix": ["Dr."]}],
            "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "1234567893"},
                           {"system": "urn:oid:2.16.840.1.113883.4.6.99", "value": "LOCAL-77"}]}));
        data.coverages.insert(patient.clone(), vec![
            json!({"resourceType": "Coverage", "id": format!("cov-{id}"), "status": "active",
                "identifier": [{"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203",
                                                     "code": "MB"}]},
                                "system": "https://acme-health.example/members", "value": format!("AH-{id}-01")}],
                "subscriberId": format!("SUB-{id}"),
                "beneficiary": {"reference": format!("Patient/{patient}")},
                "payor": [{"reference": "Organization/payer-acme", "display": "Acme Health"}],
                "class": [{"type": {"coding": [{"code": "plan"}]}, "value": "GOLD-PPO", "name": "Gold PPO"}],
                "order": 1}),
            json!({"resourceType": "Coverage", "id": format!("cov-old-{id}"), "status": "cancelled",
                "subscriberId": "CANCELLED-1",
                "beneficiary": {"reference": format!("Patient/{patient}")},
                "payor": [{"display": "Former Insurer"}]}),
        ]);
        let request = |rid: &str,
                       status: &str,
                       system: &str,
                       code: &str,
                       display: &str,
                       when: Value,
                       quantity: Value| {
            let mut r = json!({"resourceType": "ServiceRequest", "id": format!("{rid}-{id}"),
                "status": status, "intent": "order",
                "code": {"coding": [{"system": system, "code": code, "display": display}]},
                "subject": {"reference": format!("Patient/{patient}")},
                "encounter": {"reference": format!("Encounter/{id}")},
                "quantityQuantity": quantity,
                "requester": {"reference": "Practitioner/pr-1"}});
            for (k, v) in when.as_object().unwrap() {
                r[k] = v.clone();
            }
            r
        };
        data.service_requests.insert(id.to_string(), vec![
            request("sr-a", "active", "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
                "E1390", "Oxygen concentrator",
                json!({"occurrencePeriod": {"start": "2025-03-03", "end": "2025-04-02"}}),
                json!({"value": 1, "unit": "device"})),
            request("sr-b", "active", "http://www.ama-assn.org/go/cpt", "94760",
                "Pulse oximetry, single determination",
                json!({"occurrenceDateTime": "2025-03-10"}),
                json!({"value": 4, "unit": "tests", "system": "http://unitsofmeasure.org", "code": "{tests}"})),
            request("sr-c", "revoked", "http://www.ama-assn.org/go/cpt", "94660",
                "CPAP initiation and management",
                json!({"occurrenceDateTime": "2025-03-04"}), json!({"value": 1})),
        ]);
        data.encounters.sort_by(|a, b| {
            let key = |v: &Value| {
                (
                    last_updated(v),
                    v["id"].as_str().unwrap_or_default().to_string(),
                )
            };
            key(a).cmp(&key(b))
        });
        data.patients.insert(patient.clone(), json!({"resourceType": "Patient", "id": patient,
            "name": [{"use": "official", "family": "Okafor", "given": ["Ada"]}],
            "birthDate": "1961-07-14", "gender": "female",
            "identifier": [{"system": "urn:oid:1.2.36.146.595.217.0.1", "value": format!("MRN-{id}")}]}));
        let condition = |cid: &str, code: &str, display: &str, verification: &str| {
            json!({"resourceType": "Condition", "id": format!("{cid}-{id}"),
                "clinicalStatus": {"coding": [{"code": "active"}]},
                "verificationStatus": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": verification}]},
                "category": [{"coding": [{"code": "encounter-diagnosis"}]}],
                "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": code, "display": display}]},
                "encounter": {"reference": format!("Encounter/{id}")}})
        };
        data.conditions.insert(
            id.to_string(),
            vec![
                condition(
                    "cond-a",
                    "J18.9",
                    "Pneumonia, unspecified organism",
                    "confirmed",
                ),
                condition(
                    "cond-b",
                    "I21.9",
                    "Acute myocardial infarction, unspecified",
                    "entered-in-error",
                ),
                condition(
                    "cond-c",
                    "E11.9",
                    "Type 2 diabetes mellitus without complications",
                    "confirmed",
                ),
            ],
        );
        let vital = |oid: &str, status: &str, value: f64| {
            json!({"resourceType": "Observation", "id": format!("{oid}-{id}"), "status": status,
                "category": [{"coding": [{"code": "vital-signs"}]}],
                "code": {"coding": [{"system": "http://loinc.org", "code": "59408-5",
                                     "display": "Oxygen saturation by pulse oximetry"}]},
                "effectiveDateTime": "2025-03-01T08:00:00Z",
                "valueQuantity": {"value": value, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}})
        };
        data.observations.insert(
            id.to_string(),
            vec![
                vital("obs-a", "final", 91.0),
                vital("obs-b", "entered-in-error", 55.0),
            ],
        );
    }

    /// A finished ambulatory visit of patient `pat-<id>` that needs no prior
    /// authorization: a common cold and a normal SpO2.
    pub fn add_routine_visit(&self, id: &str, updated: &str) {
        self.add_encounter(id, updated);
        let mut data = self.inner.data.lock().unwrap();
        if let Some(e) = data.encounters.iter_mut().find(|e| e["id"] == id) {
            e["class"] = json!({"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                                "code": "AMB"});
            e["type"] = json!([{"coding": [{"system": "http://www.ama-assn.org/go/cpt",
                "code": "99213", "display": "Office visit"}]}]);
        }
        data.conditions.insert(
            id.to_string(),
            vec![json!({"resourceType": "Condition",
            "id": format!("cond-a-{id}"),
            "clinicalStatus": {"coding": [{"code": "active"}]},
            "verificationStatus": {"coding": [{"code": "confirmed"}]},
            "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "J06.9",
                                 "display": "Acute upper respiratory infection, unspecified"}]},
            "encounter": {"reference": format!("Encounter/{id}")}})],
        );
        for o in data.observations.get_mut(id).into_iter().flatten() {
            o["valueQuantity"]["value"] = json!(98.0);
        }
    }

    /// Renames an encounter's patient (official name, with its text as written).
    pub fn set_patient_name(&self, id: &str, text: &str, family: &str, given: &str) {
        let mut data = self.inner.data.lock().unwrap();
        if let Some(p) = data.patients.get_mut(&format!("pat-{id}")) {
            p["name"] = json!([{"use": "official", "text": text, "family": family,
                                "given": [given]}]);
        }
    }

    /// Adds a body temperature to an encounter, its unit given as servers often do:
    /// the UCUM code in both `code` and `unit`.
    pub fn add_temperature(&self, id: &str, celsius: f64) {
        let mut data = self.inner.data.lock().unwrap();
        data.observations.entry(id.to_string()).or_default().push(
            json!({"resourceType": "Observation", "id": format!("obs-temp-{id}"), "status": "final",
                "category": [{"coding": [{"code": "vital-signs"}]}],
                "code": {"coding": [{"system": "http://loinc.org", "code": "8310-5",
                                     "display": "Body temperature"}]},
                "effectiveDateTime": "2025-03-01T06:00:00Z",
                "valueQuantity": {"value": celsius, "unit": "Cel",
                                  "system": "http://unitsofmeasure.org", "code": "Cel"}}),
        );
    }

    /// Amends an encounter as an EHR would: a new `meta.versionId` and
    /// `meta.lastUpdated`, and one more diagnosis.
    pub fn amend(&self, id: &str, version: &str, updated: &str, code: &str, display: &str) {
        let mut data = self.inner.data.lock().unwrap();
        if let Some(e) = data.encounters.iter_mut().find(|e| e["id"] == id) {
            e["meta"] = json!({"versionId": version, "lastUpdated": updated});
        }
        data.encounters.sort_by_key(|e| {
            (
                last_updated(e),
                e["id"].as_str().unwrap_or_default().to_string(),
            )
        });
        let added = json!({"resourceType": "Condition", "id": format!("cond-{code}-{id}"),
            "clinicalStatus": {"coding": [{"code": "active"}]},
            "verificationStatus": {"coding": [{"code": "confirmed"}]},
            "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": code,
                                 "display": display}]},
            "encounter": {"reference": format!("Encounter/{id}")}});
        data.conditions
            .entry(id.to_string())
            .or_default()
            .push(added);
    }

    /// Sets an encounter's status, as a new version.
    pub fn set_status(&self, id: &str, status: &str, version: &str, updated: &str) {
        let mut data = self.inner.data.lock().unwrap();
        if let Some(e) = data.encounters.iter_mut().find(|e| e["id"] == id) {
            e["status"] = json!(status);
            e["meta"] = json!({"versionId": version, "lastUpdated": updated});
        }
    }

    /// Answers the next `n` requests with 503 and an OperationOutcome.
    pub fn fail_next(&self, n: usize) {
        self.inner.fail_next.store(n, Ordering::SeqCst);
    }

    /// Answers every request with 503 while `down`.
    pub fn set_down(&self, down: bool) {
        self.inner.down.store(down, Ordering::SeqCst);
    }

    /// Delays every answer.
    pub fn set_delay(&self, delay: Duration) {
        self.inner
            .delay_ms
            .store(delay.as_millis() as u64, Ordering::SeqCst);
    }

    /// Requests whose path starts with `prefix` (after `/fhir`), query included.
    pub fn count(&self, prefix: &str) -> usize {
        self.inner
            .requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.starts_with(prefix))
            .count()
    }

    /// Every request seen, as `path?query` after `/fhir`.
    pub fn requests(&self) -> Vec<String> {
        self.inner.requests.lock().unwrap().clone()
    }

    /// The most requests that were being answered at once.
    pub fn max_in_flight(&self) -> usize {
        self.inner.max_in_flight.load(Ordering::SeqCst)
    }
}

fn last_updated(v: &Value) -> DateTime<Utc> {
    v["meta"]["lastUpdated"]
        .as_str()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

struct InFlight<'a>(&'a Inner);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn handle(State(inner): State<Arc<Inner>>, uri: Uri) -> Response {
    let path = uri
        .path()
        .strip_prefix("/fhir")
        .unwrap_or(uri.path())
        .to_string();
    let target = match uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path.clone(),
    };
    inner.requests.lock().unwrap().push(target);
    let now = inner.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    inner.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let _guard = InFlight(&inner);
    let delay = inner.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    let failing = inner.down.load(Ordering::SeqCst)
        || inner
            .fail_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
    if failing {
        return fhir_json(
            StatusCode::SERVICE_UNAVAILABLE,
            &outcome("transient", "The server is temporarily unavailable"),
        );
    }
    let query: HashMap<String, String> =
        url::form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let base = inner.base.lock().unwrap().clone();
    let data = inner.data.lock().unwrap();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let not_found = |what: &str| {
        fhir_json(
            StatusCode::NOT_FOUND,
            &outcome("not-found", &format!("Resource {what} is not known")),
        )
    };
    match segments.as_slice() {
        ["Encounter"] => {
            let bound = query.get("_lastUpdated").map(|b| {
                let (op, at) = b.split_at(2);
                let at = DateTime::parse_from_rfc3339(at)
                    .unwrap()
                    .with_timezone(&Utc);
                (op.to_string(), at)
            });
            let matching: Vec<Value> = data
                .encounters
                .iter()
                .filter(|e| {
                    query
                        .get("status")
                        .is_none_or(|s| e["status"] == s.as_str())
                })
                .filter(|e| match &bound {
                    Some((op, at)) if op == "gt" => last_updated(e) > *at,
                    Some((op, at)) if op == "ge" => last_updated(e) >= *at,
                    Some(_) => false,
                    None => true,
                })
                .cloned()
                .collect();
            let count: usize = query
                .get("_count")
                .and_then(|c| c.parse().ok())
                .unwrap_or(50);
            let offset: usize = query
                .get("_offset")
                .and_then(|c| c.parse().ok())
                .unwrap_or(0);
            let page: Vec<Value> = matching.iter().skip(offset).take(count).cloned().collect();
            let next = (offset + count < matching.len()).then(|| {
                let mut q: Vec<(String, String)> = query
                    .iter()
                    .filter(|(k, _)| k.as_str() != "_offset")
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                q.sort();
                q.push(("_offset".into(), (offset + count).to_string()));
                let qs = url::form_urlencoded::Serializer::new(String::new())
                    .extend_pairs(q)
                    .finish();
                format!("{base}/Encounter?{qs}")
            });
            fhir_json(
                StatusCode::OK,
                &searchset(&format!("{base}{}", uri), &page, next, offset == 0),
            )
        }
        ["Encounter", id] => match data.encounters.iter().find(|e| e["id"] == *id) {
            Some(e) => fhir_json(StatusCode::OK, e),
            None => not_found(&format!("Encounter/{id}")),
        },
        ["Patient", id] => match data.patients.get(*id) {
            Some(p) => fhir_json(StatusCode::OK, p),
            None => not_found(&format!("Patient/{id}")),
        },
        ["Practitioner", id] => match data.practitioners.get(*id) {
            Some(p) => fhir_json(StatusCode::OK, p),
            None => not_found(&format!("Practitioner/{id}")),
        },
        ["Coverage"] => {
            let patient = query
                .get("beneficiary")
                .map(|p| p.trim_start_matches("Patient/").to_string())
                .unwrap_or_default();
            let found = data.coverages.get(&patient).cloned().unwrap_or_default();
            fhir_json(StatusCode::OK, &searchset(&base, &found, None, false))
        }
        [kind @ ("Condition" | "Observation" | "ServiceRequest")] => {
            let encounter = query
                .get("encounter")
                .map(|e| e.trim_start_matches("Encounter/").to_string())
                .unwrap_or_default();
            let all = match *kind {
                "Condition" => data.conditions.get(&encounter),
                "Observation" => data.observations.get(&encounter),
                _ => data.service_requests.get(&encounter),
            };
            let all = all.cloned().unwrap_or_default();
            let offset: usize = query.get("page").and_then(|c| c.parse().ok()).unwrap_or(0);
            let size = if *kind == "Condition" {
                CONDITION_PAGE
            } else {
                50
            };
            let page: Vec<Value> = all.iter().skip(offset).take(size).cloned().collect();
            let next = (offset + size < all.len()).then(|| {
                format!(
                    "{base}/{kind}?encounter=Encounter/{encounter}&page={}",
                    offset + size
                )
            });
            fhir_json(StatusCode::OK, &searchset(&base, &page, next, false))
        }
        _ => not_found(&path),
    }
}
