//! The API description at `/openapi.json` and the interactive docs at `/docs`,
//! served by the binary without reaching any other host.

use std::collections::HashSet;

use serde_json::Value;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, json};

async fn the_description_is_generated_and_served(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let r = app.get("/openapi.json").await;
    assert_eq!(r.status(), 200);
    let served: Value = json(r).await;
    assert_eq!(served, careflow::http::openapi::description());
    assert_eq!(served["openapi"], "3.1.0");
    // The run a client reads is described with its required members.
    let run = &served["components"]["schemas"]["Run"];
    assert!(
        run["required"].as_array().is_some_and(|r| r.len() > 5),
        "{run}"
    );
}

async fn docs_load_offline_and_point_at_the_description(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // No credential: the page and its assets are public, like the description.
    let no_redirects = crate::checked::Client::from(
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    );
    let r = no_redirects
        .get(app.url("/docs"))
        .unchecked("the docs page is not an API operation")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    let r = app
        .http
        .get(app.url("/docs/"))
        .unchecked("the docs page is not an API operation")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("default-src 'none'"), "{csp}");
    let page = r.text().await.unwrap();
    assert!(page.contains("swagger-ui"), "{page}");
    // Every script and style the page loads comes from this origin.
    let foreign: Vec<&str> = page
        .split(['"', '\''])
        .filter(|s| s.starts_with("http"))
        .collect();
    assert!(
        foreign.is_empty(),
        "the docs page loads {foreign:?} from another origin"
    );
    let init = app
        .http
        .get(app.url("/docs/swagger-initializer.js"))
        .unchecked("the docs page's assets are not API operations")
        .send()
        .await
        .unwrap();
    assert_eq!(init.status(), 200);
    let init = init.text().await.unwrap();
    assert!(init.contains("\"/openapi.json\""), "{init}");
    for asset in ["swagger-ui-bundle.js", "swagger-ui.css"] {
        let r = app
            .http
            .get(app.url(&format!("/docs/{asset}")))
            .unchecked("the docs page's assets are not API operations")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{asset}");
        assert!(
            r.bytes().await.unwrap().len() > 10_000,
            "{asset} is not the bundled asset"
        );
    }
}

const COMMITTED: &str = include_str!("../../openapi.json");

/// The first JSON pointer at which `a` and `b` differ.
fn first_difference(a: &Value, b: &Value, at: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter().find_map(|k| {
                let here = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                match (x.get(k), y.get(k)) {
                    (Some(v), Some(w)) => first_difference(v, w, &here),
                    _ => Some(here),
                }
            })
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (v, w))| first_difference(v, w, &format!("{at}/{i}"))),
        _ if a == b => None,
        _ => Some(at.to_string()),
    }
}

#[test]
fn the_committed_description_is_the_generated_one() {
    let committed: Value = serde_json::from_str(COMMITTED).expect("openapi.json is JSON");
    let generated = careflow::http::openapi::description();
    if let Some(at) = first_difference(&committed, &generated, "") {
        panic!(
            "openapi.json differs from the generated description first at `{at}`; \
             refresh it with `cargo run -- openapi > openapi.json`"
        );
    }
    // Formatting too, so a refresh is the only way to change the file.
    assert_eq!(
        COMMITTED,
        careflow::http::openapi::to_pretty_json(),
        "openapi.json is not formatted as generated; refresh it with \
         `cargo run -- openapi > openapi.json`"
    );
}

#[test]
fn every_operation_has_an_id_a_tag_and_documented_answers() {
    let doc = careflow::http::openapi::description();
    let mut ids = std::collections::HashSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            let at = format!("{method} {path}");
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{at}: no operationId"));
            assert!(
                ids.insert(id.to_string()),
                "{at}: operationId {id} used twice"
            );
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{at}: no tag"
            );
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{at}: no answers"
            );
        }
    }
}

#[test]
fn generated_schemas_list_required_members_enums_and_bounds() {
    let doc = careflow::http::openapi::description();
    let schemas = &doc["components"]["schemas"];
    let run_required = schemas["Run"]["required"]
        .as_array()
        .expect("Run lists required members");
    for member in ["runId", "workflow", "status", "steps", "createdAt"] {
        assert!(
            run_required.iter().any(|r| r == member),
            "Run does not require {member}"
        );
    }
    assert_eq!(schemas["RunStatus"]["enum"][0], "queued");
    let limit = doc["paths"]["/v1/runs"]["get"]["parameters"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["name"] == "limit"))
        .expect("GET /v1/runs has a limit");
    assert_eq!(limit["schema"]["maximum"], 100);
    let stream = &doc["paths"]["/v1/events/stream"]["get"]["responses"]["200"]["content"];
    assert_eq!(
        stream["text/event-stream"]["schema"]["$ref"],
        "#/components/schemas/StreamMessage"
    );
    let me = &doc["paths"]["/v1/me"]["get"]["responses"];
    assert_eq!(me["401"]["$ref"], "#/components/responses/Unauthorized");
}

both_backends!(
    the_description_is_generated_and_served,
    docs_load_offline_and_point_at_the_description,
);

#[test]
#[should_panic(expected = "a body its description does not allow")]
fn an_answer_that_breaks_its_schema_fails_the_test() {
    // `tenant` must be a string and `credential` one of the documented kinds.
    crate::contract::check(
        "GET",
        "/v1/me",
        200,
        "application/json",
        br#"{"tenant": 5, "subject": "s", "credential": "password"}"#,
    );
}

#[test]
#[should_panic(expected = "a status its description does not document")]
fn an_undocumented_status_fails_the_test() {
    crate::contract::check("GET", "/v1/me", 418, "application/json", b"{}");
}

#[test]
fn a_literal_route_wins_over_a_template() {
    // `/v1/runs/cancel` is its own operation, not a run id: its outcome checks.
    crate::contract::check(
        "POST",
        "/v1/runs/cancel",
        200,
        "application/json",
        br#"{"matched": 0, "touched": 0, "skipped": 0, "more": false, "touchedRuns": [], "skippedRuns": []}"#,
    );
}

/// Every link names, in OpenAPI's spelling, an operation the description has,
/// and passes it parameters it takes.
#[test]
fn every_link_points_at_an_operation_of_the_description() {
    let doc = careflow::http::openapi::description();
    let ops: Vec<&Value> = doc["paths"]
        .as_object()
        .into_iter()
        .flat_map(|p| p.values())
        .filter_map(Value::as_object)
        .flat_map(|item| item.values())
        .collect();
    let ids: HashSet<&str> = ops
        .iter()
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    let mut seen = 0;
    for op in &ops {
        let Some(responses) = op["responses"].as_object() else {
            continue;
        };
        for link in responses
            .values()
            .filter_map(|a| a["links"].as_object())
            .flat_map(|l| l.values())
        {
            seen += 1;
            assert!(link.get("operation_id").is_none(), "{link}");
            let target = link["operationId"].as_str().unwrap_or_default();
            assert!(ids.contains(target), "a link to `{target}`: {link}");
            let takes: HashSet<&str> = ops
                .iter()
                .find(|o| o["operationId"] == target)
                .and_then(|o| o["parameters"].as_array())
                .into_iter()
                .flatten()
                .filter_map(|p| p["name"].as_str())
                .collect();
            for name in link["parameters"]
                .as_object()
                .into_iter()
                .flat_map(|p| p.keys())
            {
                assert!(
                    takes.contains(name.as_str()),
                    "`{target}` takes no `{name}`"
                );
            }
        }
    }
    assert!(
        seen >= 6,
        "the create-to-read links are described ({seen} found)"
    );
}
