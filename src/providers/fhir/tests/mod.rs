//! Tests of the FHIR client against a fake FHIR server on 127.0.0.1: the fake and
//! its fixtures live here, the tests in `search` and `read`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use chrono::{TimeZone, Utc};
use reqwest::Url;
use serde_json::{Value, json};
use tokio::net::TcpListener;

use super::*;

mod read;
mod search;

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
