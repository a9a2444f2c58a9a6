//! One spelling for enum values: every value careflow defines is lower-case
//! snake_case in the API description, in answers and in what requests may say;
//! the old spellings of query filters and body values are refused with 422.

use serde_json::{Value, json};

use crate::both_backends;
use crate::care::{get_json, post_json, spawn};
use crate::helpers::{Backend, TestApp, json};

/// Enums whose values an outside format defines, kept in its spelling: the end of
/// the JSON pointer of the schema holding the `enum`, and why.
const OUTSIDE_FORMAT: [(&str, &str); 3] = [
    (
        "/properties/request/properties/method",
        "HTTP methods, as HTTP spells them (`GET`)",
    ),
    (
        "HttpMethod",
        "HTTP methods of service calls and http steps, as HTTP spells them (`GET`)",
    ),
    (
        "/properties/phase",
        "workflow step names (`odsImport`), shown as the run's steps name them",
    ),
];

/// `^[a-z][a-z0-9_]*$`.
fn snake_case(value: &str) -> bool {
    let mut chars = value.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Every `enum` in `node`, with its JSON pointer.
fn enums(node: &Value, pointer: String, out: &mut Vec<(String, Vec<Value>)>) {
    match node {
        Value::Object(map) => {
            if let Some(Value::Array(values)) = map.get("enum") {
                out.push((pointer.clone(), values.clone()));
            }
            for (key, child) in map {
                let escaped = key.replace('~', "~0").replace('/', "~1");
                enums(child, format!("{pointer}/{escaped}"), out);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                enums(child, format!("{pointer}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// The names of the enum values in `description` that break the convention
/// (`null`, for nullable fields, is not a spelling).
fn offenders(description: &Value) -> (usize, Vec<String>) {
    let mut found = Vec::new();
    enums(description, String::new(), &mut found);
    let mut bad = Vec::new();
    for (pointer, values) in &found {
        if OUTSIDE_FORMAT.iter().any(|(end, _)| pointer.ends_with(end)) {
            continue;
        }
        for value in values {
            match value {
                Value::Null => {}
                Value::String(s) if snake_case(s) => {}
                other => bad.push(format!("{pointer}: {other}")),
            }
        }
    }
    (found.len(), bad)
}

#[test]
fn the_check_names_camel_case_kebab_case_and_capitals_and_skips_outside_formats() {
    let description = json!({"components": {"schemas": {
        "A": {"properties": {"s": {"enum": ["onTrack", "open", null]}}},
        "B": {"properties": {"k": {"enum": ["http-status", "IN_PROGRESS", "2xx"]}}},
        "C": {"properties": {"request": {"properties": {"method": {"enum": ["GET"]}}}}},
    }}});
    let (count, bad) = offenders(&description);
    assert_eq!(count, 3);
    assert_eq!(
        bad,
        [
            "/components/schemas/A/properties/s: \"onTrack\"",
            "/components/schemas/B/properties/k: \"http-status\"",
            "/components/schemas/B/properties/k: \"IN_PROGRESS\"",
            "/components/schemas/B/properties/k: \"2xx\"",
        ]
    );
}

async fn every_enum_value_in_the_api_description_is_snake_case(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let r = app.get("/openapi.json").await;
    assert_eq!(r.status(), 200);
    let description = json(r).await;
    let (count, bad) = offenders(&description);
    // The description lists dozens of enums; finding few means the walk is broken.
    assert!(count >= 30, "only {count} enums found");
    assert!(bad.is_empty(), "not snake_case:\n{}", bad.join("\n"));
}

async fn tasks_speak_snake_case_both_ways_and_refuse_the_old_spellings(backend: Backend) {
    let care = spawn(backend, |_| {}).await;
    let app = &care.app;

    let (status, task) = post_json(
        app,
        "/v1/tasks",
        json!({"patientId": "p-c1", "title": "Call back", "severity": "moderate"}),
    )
    .await;
    assert_eq!(status, 201, "{task}");
    assert_eq!(task["severity"], "moderate");
    assert_eq!(task["status"], "open");
    assert_eq!(task["origin"], "api");
    assert_eq!(task["sla"]["standing"], "on_track");
    let listed = get_json(app, "/v1/tasks?status=open").await;
    assert_eq!(listed["tasks"][0]["taskId"], task["taskId"], "{listed}");

    let (status, problem) = post_json(
        app,
        "/v1/tasks",
        json!({"patientId": "p-c1", "title": "Call back", "severity": "MODERATE"}),
    )
    .await;
    assert_eq!(status, 422, "{problem}");
    assert_eq!(problem["errors"][0]["pointer"], "/severity", "{problem}");
    assert_eq!(
        problem["errors"][0]["message"],
        "must be one of none, low, moderate, high, critical"
    );
    let r = app.get("/v1/tasks?status=OPEN").await;
    assert_eq!(r.status(), 422);
    let problem = json(r).await;
    assert_eq!(
        problem["errors"][0]["message"], "must be one of open, assigned, resolved",
        "{problem}"
    );
    let r = app.get("/v1/notifications?status=SENT&channel=sms").await;
    assert_eq!(r.status(), 422);
    let problem = json(r).await;
    assert_eq!(
        problem["errors"][0]["pointer"], "/query/status",
        "{problem}"
    );
    assert_eq!(
        problem["errors"][0]["message"],
        "must be one of pending, sent, delivered, read, failed, cancelled"
    );
}

both_backends!(
    every_enum_value_in_the_api_description_is_snake_case,
    tasks_speak_snake_case_both_ways_and_refuse_the_old_spellings,
);
