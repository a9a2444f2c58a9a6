//! Checks answers against the API description: the operation is found by method
//! and path template, the status must be documented for it, and a JSON body must
//! match the documented schema. A mismatch fails the test with the JSON pointers.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde_json::{Value, json};

fn description() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(careflow::http::openapi::description)
}

/// The template of `path` (no query) in the description, preferring literal
/// segments over parameters (`/v1/runs/cancel` over `/v1/runs/{id}`).
fn template_of(path: &str) -> Option<&'static str> {
    let wanted: Vec<&str> = path.split('/').collect();
    let mut best: Option<(&'static str, usize)> = None;
    for template in description()["paths"].as_object()?.keys() {
        let parts: Vec<&str> = template.split('/').collect();
        if parts.len() != wanted.len() {
            continue;
        }
        let mut literal = 0;
        let fits = parts.iter().zip(&wanted).all(|(t, w)| {
            if t.starts_with('{') && t.ends_with('}') {
                !w.is_empty()
            } else if t == w {
                literal += 1;
                true
            } else {
                // `/encounters/{id}/form.pdf`: a parameter inside a segment.
                t.split_once('{').is_some_and(|(pre, rest)| {
                    rest.split_once('}')
                        .is_some_and(|(_, post)| w.starts_with(pre) && w.ends_with(post))
                })
            }
        });
        if fits && best.is_none_or(|(_, l)| literal > l) {
            best = Some((template.as_str(), literal));
        }
    }
    best.map(|(t, _)| t)
}

/// Follows a `$ref` into the description.
fn resolve(v: &'static Value) -> &'static Value {
    match v.get("$ref").and_then(Value::as_str) {
        Some(r) => r
            .strip_prefix('#')
            .and_then(|p| description().pointer(p))
            .map_or(v, resolve),
        None => v,
    }
}

fn validator(schema: &Value) -> &'static jsonschema::Validator {
    static CACHE: OnceLock<Mutex<HashMap<String, &'static jsonschema::Validator>>> =
        OnceLock::new();
    let key = schema.to_string();
    let mut cache = CACHE.get_or_init(Default::default).lock().expect("cache");
    cache.entry(key).or_insert_with(|| {
        // The schema's `$ref`s point into the description's components: they
        // resolve against this document's root, which carries them.
        let mut root = json!({ "components": description()["components"].clone() });
        if let (Some(r), Some(s)) = (root.as_object_mut(), schema.as_object()) {
            r.extend(s.clone());
        }
        let v = jsonschema::draft202012::options()
            .should_validate_formats(true)
            .build(&root)
            .unwrap_or_else(|e| panic!("the description's schema does not compile: {e}"));
        Box::leak(Box::new(v))
    })
}

/// Checks one answer; panics with what is wrong: a path or method the description
/// does not list, a status it does not document for the operation, a media type it
/// does not list for that status, or a JSON body its schema refuses. A request whose
/// answer is deliberately outside the description (the dashboard's assets, a method
/// no route has) skips this at its call site (`checked::RequestBuilder::unchecked`).
pub fn check(method: &str, path: &str, status: u16, content_type: &str, body: &[u8]) {
    let path = path.split('?').next().unwrap_or(path);
    let Some(template) = template_of(path) else {
        panic!(
            "{method} {path} answered {status}, and the API description has no such path \
             (a deliberate request outside it says so with `.unchecked(why)`)"
        );
    };
    let method = method.to_ascii_lowercase();
    let op = &description()["paths"][template][method.as_str()];
    if op.is_null() {
        panic!("{method} {template} is not in the API description (answered {status})");
    }
    let Some(answer) = op["responses"]
        .get(status.to_string())
        .or_else(|| op["responses"].get("default"))
    else {
        panic!(
            "{method} {template} answered {status}, a status its description does not \
             document: {}",
            String::from_utf8_lossy(body)
        );
    };
    let answer = resolve(answer);
    let media = content_type.split(';').next().unwrap_or("").trim();
    if media.is_empty() && body.is_empty() {
        return;
    }
    let documented = answer["content"].as_object();
    if !documented.is_some_and(|c| c.contains_key(media)) {
        let listed: Vec<&String> = documented.map(|c| c.keys().collect()).unwrap_or_default();
        panic!(
            "{method} {template} answered {status} with `{media}`, which its description does \
             not document (it lists {listed:?})"
        );
    }
    if !(media == "application/json" || media.ends_with("+json")) {
        return;
    }
    let Some(schema) = answer["content"][media]["schema"].as_object() else {
        panic!("{method} {template} answered {status} with {media} and no documented schema");
    };
    let Ok(instance) = serde_json::from_slice::<Value>(body) else {
        panic!("{method} {template} answered {status} with {media} that is not JSON");
    };
    let schema = Value::Object(schema.clone());
    let problems: Vec<String> = validator(&schema)
        .iter_errors(&instance)
        .map(|e| format!("at `{}`: {e}", e.instance_path()))
        .collect();
    assert!(
        problems.is_empty(),
        "{method} {template} answered {status} with a body its description does not allow:\n{}\nbody: {instance}",
        problems.join("\n")
    );
}
