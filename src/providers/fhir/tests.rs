//! Tests of the FHIR client against a fake FHIR server on 127.0.0.1.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{TimeZone, Utc};
use reqwest::Url;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use super::*;

struct Reply {
    status: StatusCode,
    body: String,
    retry_after: Option<&'static str>,
}

fn ok(body: Value) -> Reply {
    Reply {
        status: StatusCode::OK,
        body: body.to_string(),
        retry_after: None,
    }
}

struct Seen {
    target: String,
    accept: Option<String>,
    authorization: Option<String>,
}

struct Fake {
    routes: HashMap<String, Reply>,
    seen: Mutex<Vec<Seen>>,
}

impl Fake {
    fn seen(&self) -> Vec<Seen> {
        std::mem::take(&mut *self.seen.lock().unwrap())
    }
}

/// `path?query` with decoded query pairs in sorted order, so routes match whatever
/// order and percent-encoding the client uses.
fn normalize(target: &str) -> String {
    let url = Url::parse(&format!("http://fake{target}")).unwrap();
    let mut pairs: Vec<String> = url.query_pairs().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.sort();
    format!("{}?{}", url.path(), pairs.join("&"))
}

async fn handle(State(fake): State<Arc<Fake>>, uri: Uri, headers: HeaderMap) -> Response {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    fake.seen.lock().unwrap().push(Seen {
        target: uri.to_string(),
        accept: header("accept"),
        authorization: header("authorization"),
    });
    let Some(reply) = fake.routes.get(&normalize(&uri.to_string())) else {
        let outcome = json!({"resourceType": "OperationOutcome", "issue": [{
            "severity": "error", "code": "not-found",
            "diagnostics": format!("Resource {} is not known", uri.path().trim_start_matches("/fhir/"))}]});
        return (StatusCode::NOT_FOUND, outcome.to_string()).into_response();
    };
    let mut response = (reply.status, reply.body.clone()).into_response();
    response.headers_mut().insert(
        "content-type",
        "application/fhir+json;charset=utf-8".parse().unwrap(),
    );
    if let Some(after) = reply.retry_after {
        response
            .headers_mut()
            .insert("retry-after", after.parse().unwrap());
    }
    response
}

/// Starts the fake; `routes` receives the base URL (`http://127.0.0.1:<port>/fhir`).
async fn serve(routes: impl FnOnce(&str) -> Vec<(String, Reply)>) -> (String, Arc<Fake>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/fhir", listener.local_addr().unwrap());
    let routes = routes(&base)
        .into_iter()
        .map(|(k, v)| (normalize(&k), v))
        .collect();
    let fake = Arc::new(Fake {
        routes,
        seen: Mutex::new(Vec::new()),
    });
    let app = Router::new().fallback(handle).with_state(fake.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, fake)
}

fn client(base: &str) -> FhirClient {
    FhirClient::new(
        reqwest::Client::new(),
        base.to_owned(),
        FhirAuth::Bearer(Secret::new("tok-123")),
    )
    .unwrap()
}

fn searchset(self_url: &str, resources: Vec<Value>, next: Option<String>) -> Value {
    let mut links = vec![json!({"relation": "self", "url": self_url})];
    if let Some(next) = next {
        links.push(json!({"relation": "next", "url": next}));
    }
    let entries: Vec<Value> = resources
        .into_iter()
        .map(|r| {
            let mode = if r["resourceType"] == "Patient" {
                "include"
            } else {
                "match"
            };
            json!({"fullUrl": format!("http://127.0.0.1/fhir/x/{}", r["id"]),
                   "resource": r, "search": {"mode": mode}})
        })
        .collect();
    json!({"resourceType": "Bundle", "type": "searchset", "link": links, "entry": entries})
}

fn encounter(id: &str, updated: &str) -> Value {
    json!({"resourceType": "Encounter", "id": id, "meta": {"lastUpdated": updated},
        "status": "finished",
        "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "IMP",
                  "display": "inpatient encounter"},
        "subject": {"reference": "Patient/pat-42"},
        "period": {"start": "2025-02-28T09:30:00Z", "end": "2025-03-03T13:50:00Z"},
        "serviceProvider": {"reference": "Organization/org-1"}})
}

fn condition(id: &str, code: &str, display: &str, verification: &str) -> Value {
    json!({"resourceType": "Condition", "id": id,
        "verificationStatus": {"coding": [{"system":
            "http://terminology.hl7.org/CodeSystem/condition-ver-status", "code": verification}]},
        "category": [{"coding": [{"code": "encounter-diagnosis"}]}],
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": code,
                             "display": display}]},
        "subject": {"reference": "Patient/pat-42"},
        "encounter": {"reference": "Encounter/enc-9001"}})
}

const FIRST_PAGE: &str = "/fhir/Encounter?status=finished&_lastUpdated=gt2025-03-01T00:00:00Z&_count=2&_sort=_lastUpdated";

fn since() -> Option<chrono::DateTime<Utc>> {
    Some(Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap())
}

#[tokio::test]
async fn finished_encounters_are_read_across_pages_linked_by_next() {
    let (base, fake) = serve(|base| {
        let next = format!("{base}?_getpages=f00d&_getpagesoffset=2&_count=2");
        vec![
            (
                FIRST_PAGE.into(),
                ok(searchset(
                    base,
                    vec![
                        encounter("enc-1", "2025-03-02T10:00:00Z"),
                        encounter("enc-2", "2025-03-02T11:00:00Z"),
                    ],
                    Some(next),
                )),
            ),
            (
                "/fhir?_getpages=f00d&_getpagesoffset=2&_count=2".into(),
                ok(searchset(
                    base,
                    vec![
                        encounter("enc-3", "2025-03-03T14:05:00Z"),
                        json!({"resourceType": "Patient", "id": "pat-42"}),
                    ],
                    None,
                )),
            ),
        ]
    })
    .await;

    let found = client(&base)
        .finished_encounters_since(since(), 2)
        .await
        .unwrap();

    let ids: Vec<_> = found.iter().filter_map(|e| e.id.as_deref()).collect();
    assert_eq!(ids, ["enc-1", "enc-2", "enc-3"]);
    assert_eq!(found[2].patient_id(), Some("pat-42"));
    let seen = fake.seen();
    assert_eq!(seen.len(), 2);
    for request in &seen {
        assert_eq!(request.accept.as_deref(), Some("application/fhir+json"));
        assert_eq!(request.authorization.as_deref(), Some("Bearer tok-123"));
    }
}

#[tokio::test]
async fn a_next_link_to_another_host_is_refused_without_being_followed() {
    let (base, fake) = serve(|base| {
        let page = searchset(
            base,
            vec![encounter("enc-1", "2025-03-02T10:00:00Z")],
            Some("http://fhir.elsewhere.test/fhir/Encounter?page=2".into()),
        );
        vec![(FIRST_PAGE.into(), ok(page))]
    })
    .await;

    let err = client(&base)
        .finished_encounters_since(since(), 2)
        .await
        .unwrap_err();

    match &err {
        FhirError::ForeignNextLink { origin } => assert_eq!(origin, "http://fhir.elsewhere.test"),
        other => panic!("unexpected {other:?}"),
    }
    assert!(!err.is_retryable());
    assert_eq!(fake.seen().len(), 1);
}

#[tokio::test]
async fn a_next_link_to_another_port_of_the_same_host_is_refused() {
    let (base, _fake) = serve(|base| {
        let page = searchset(
            base,
            vec![],
            Some("http://127.0.0.1:1/fhir/Encounter?p=2".into()),
        );
        vec![(FIRST_PAGE.into(), ok(page))]
    })
    .await;

    let err = client(&base)
        .finished_encounters_since(since(), 2)
        .await
        .unwrap_err();
    assert!(matches!(err, FhirError::ForeignNextLink { .. }), "{err:?}");
}

#[tokio::test]
async fn a_next_link_back_to_a_page_already_read_stops_the_search() {
    let (base, _fake) = serve(|base| {
        let first = format!("{base}/Condition?encounter=Encounter/enc-9001");
        let page = searchset(base, vec![], Some(first.clone()));
        vec![(
            "/fhir/Condition?encounter=Encounter/enc-9001".into(),
            ok(page),
        )]
    })
    .await;

    let err = client(&base).conditions_for("enc-9001").await.unwrap_err();
    assert!(matches!(err, FhirError::PagingLoop), "{err:?}");
}

#[tokio::test]
async fn a_search_longer_than_the_page_limit_fails() {
    let (base, fake) = serve(|base| {
        let next = format!("{base}/Condition?encounter=Encounter/enc-9001&page=2");
        let page = searchset(base, vec![], Some(next));
        vec![(
            "/fhir/Condition?encounter=Encounter/enc-9001".into(),
            ok(page),
        )]
    })
    .await;

    let err = client(&base)
        .with_max_pages(1)
        .conditions_for("enc-9001")
        .await
        .unwrap_err();
    assert!(
        matches!(err, FhirError::TooManyPages { limit: 1 }),
        "{err:?}"
    );
    assert_eq!(fake.seen().len(), 1);
}

#[tokio::test]
async fn a_missing_encounter_is_a_permanent_404_with_the_server_diagnostics() {
    let (base, _fake) = serve(|_| vec![]).await;

    let err = client(&base).encounter("enc-missing").await.unwrap_err();

    match &err {
        FhirError::Status {
            status,
            diagnostics,
            ..
        } => {
            assert_eq!(*status, 404);
            assert_eq!(
                diagnostics,
                &["Resource Encounter/enc-missing is not known"]
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("is not known"));
}

#[tokio::test]
async fn conditions_entered_in_error_are_skipped_on_every_page() {
    let (base, _fake) = serve(|base| {
        let next = format!("{base}/Condition?encounter=Encounter/enc-9001&page=2");
        vec![
            (
                "/fhir/Condition?encounter=Encounter/enc-9001".into(),
                ok(searchset(
                    base,
                    vec![
                        condition(
                            "cond-77",
                            "J18.9",
                            "Pneumonia, unspecified organism",
                            "confirmed",
                        ),
                        condition(
                            "cond-78",
                            "I10",
                            "Essential hypertension",
                            "entered-in-error",
                        ),
                    ],
                    Some(next),
                )),
            ),
            (
                "/fhir/Condition?encounter=Encounter/enc-9001&page=2".into(),
                ok(searchset(
                    base,
                    vec![condition(
                        "cond-79",
                        "I50.9",
                        "Heart failure, unspecified",
                        "provisional",
                    )],
                    None,
                )),
            ),
        ]
    })
    .await;

    let conditions = client(&base).conditions_for("enc-9001").await.unwrap();

    let ids: Vec<_> = conditions.iter().filter_map(|c| c.id.as_deref()).collect();
    assert_eq!(ids, ["cond-77", "cond-79"]);
    let code = conditions[0].code.as_ref().unwrap();
    assert_eq!(code.first_code(), Some("J18.9"));
}

#[tokio::test]
async fn observations_keep_values_and_components_but_not_entries_in_error() {
    let (base, _fake) = serve(|base| {
        let spo2 = json!({"resourceType": "Observation", "id": "obs-5", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "59408-5"}]},
            "effectiveDateTime": "2025-03-01T08:00:00Z",
            "valueQuantity": {"value": 91, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"}});
        let bp = json!({"resourceType": "Observation", "id": "obs-6", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9"}]},
            "component": [
              {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]},
               "valueQuantity": {"value": 150, "unit": "mmHg"}},
              {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]},
               "valueQuantity": {"value": 95, "unit": "mmHg"}}]});
        let wrong = json!({"resourceType": "Observation", "id": "obs-7",
            "status": "entered-in-error", "code": {"text": "Heart rate"}});
        let page = searchset(base, vec![spo2, bp, wrong], None);
        vec![("/fhir/Observation?encounter=Encounter/enc-9001".into(), ok(page))]
    })
    .await;

    let observations = client(&base).observations_for("enc-9001").await.unwrap();

    assert_eq!(observations.len(), 2);
    let spo2 = observations[0].value_quantity.as_ref().unwrap();
    assert_eq!((spo2.value, spo2.unit.as_deref()), (Some(91.0), Some("%")));
    assert_eq!(observations[1].component.len(), 2);
}

#[tokio::test]
async fn an_unavailable_server_is_retryable_after_the_delay_it_asked_for() {
    let (base, _fake) = serve(|_| {
        let busy = Reply {
            status: StatusCode::SERVICE_UNAVAILABLE,
            body: r#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"transient","diagnostics":"database busy"}]}"#.into(),
            retry_after: Some("7"),
        };
        vec![("/fhir/Patient/pat-42".into(), busy)]
    })
    .await;

    let err = client(&base).patient("pat-42").await.unwrap_err();

    assert!(err.is_retryable());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    assert!(err.to_string().contains("503: database busy"));
}

#[tokio::test]
async fn a_patient_is_read_with_basic_authentication() {
    let (base, fake) = serve(|_| {
        let patient = json!({"resourceType": "Patient", "id": "pat-42",
            "name": [{"family": "Okafor", "given": ["Ada"]}], "gender": "female",
            "birthDate": "1961-07-14"});
        vec![("/fhir/Patient/pat-42".into(), ok(patient))]
    })
    .await;
    let auth = FhirAuth::Basic {
        user: "careflow".into(),
        password: Secret::new("pw"),
    };
    let fhir = FhirClient::new(reqwest::Client::new(), format!("{base}/"), auth).unwrap();

    let patient = fhir.patient("pat-42").await.unwrap();

    assert_eq!(patient.display_name().as_deref(), Some("Ada Okafor"));
    let seen = fake.seen();
    assert_eq!(seen[0].target, "/fhir/Patient/pat-42");
    // base64("careflow:pw")
    assert_eq!(
        seen[0].authorization.as_deref(),
        Some("Basic Y2FyZWZsb3c6cHc=")
    );
}

#[tokio::test]
async fn malformed_json_and_wrong_resource_types_are_permanent_errors() {
    let (base, _fake) = serve(|_| {
        vec![
            (
                "/fhir/Patient/pat-1".into(),
                Reply {
                    status: StatusCode::OK,
                    body: "{\"resourceType\":\"Patient\",".into(),
                    retry_after: None,
                },
            ),
            (
                "/fhir/Patient/pat-2".into(),
                ok(json!({"resourceType": "Encounter", "id": "x"})),
            ),
        ]
    })
    .await;
    let fhir = client(&base);

    for id in ["pat-1", "pat-2"] {
        let err = fhir.patient(id).await.unwrap_err();
        assert!(matches!(err, FhirError::Decode(_)), "{err:?}");
        assert!(!err.is_retryable());
    }
}

#[tokio::test]
async fn an_oversized_body_is_refused() {
    let (base, _fake) = serve(|_| {
        let patient = json!({"resourceType": "Patient", "id": "pat-42", "gender": "x".repeat(500)});
        vec![("/fhir/Patient/pat-42".into(), ok(patient))]
    })
    .await;

    let err = client(&base)
        .with_max_body_bytes(100)
        .patient("pat-42")
        .await
        .unwrap_err();
    assert!(
        matches!(err, FhirError::BodyTooLarge { limit: 100 }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_refused_connection_is_a_retryable_transport_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/fhir", listener.local_addr().unwrap());
    drop(listener);

    let err = client(&base).encounter("enc-1").await.unwrap_err();

    assert!(matches!(err, FhirError::Transport(_)), "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn ids_that_could_rewrite_the_path_are_refused_before_any_request() {
    let (base, fake) = serve(|_| vec![]).await;
    let fhir = client(&base);

    for id in ["../Patient", "a/b", "..", "", "enc 1"] {
        let err = fhir.conditions_for(id).await.unwrap_err();
        assert!(matches!(err, FhirError::InvalidId), "{id}: {err:?}");
    }
    assert!(fake.seen().is_empty());
}

#[test]
fn base_urls_with_credentials_or_other_schemes_are_rejected() {
    for base in [
        "ftp://h/fhir",
        "http://u:p@h/fhir",
        "http://h/fhir?x=1",
        "not a url",
    ] {
        let made = FhirClient::new(reqwest::Client::new(), base.into(), FhirAuth::None);
        assert!(matches!(made, Err(FhirError::InvalidBaseUrl(_))), "{base}");
    }
    let ok = FhirClient::new(
        reqwest::Client::new(),
        "https://h/fhir".into(),
        FhirAuth::None,
    );
    assert_eq!(ok.unwrap().base_url().as_str(), "https://h/fhir/");
}
