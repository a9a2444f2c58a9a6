//! The operations not yet annotated beside their handlers, kept from the
//! description that was written by hand before the description was generated.
//!
//! `legacy.json` is frozen: an operation moves out of it by gaining a
//! `#[utoipa::path]` on its handler (generated operations and schemas win over the
//! ones here), and the file goes once it is empty. Meanwhile every operation taken
//! from it gets a tag and an `operationId`, like the generated ones.

use serde_json::{Map, Value};

const LEGACY: &str = include_str!("legacy.json");

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// Adds to `doc` the legacy operations, schemas and responses it lacks.
pub fn merge(doc: &mut Value) {
    let Ok(legacy) = serde_json::from_str::<Value>(LEGACY) else {
        return;
    };
    if let Some(paths) = legacy.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, op) in item {
                if !METHODS.contains(&method.as_str()) {
                    continue;
                }
                let slot = &mut doc["paths"][path.as_str()];
                if !slot.is_object() {
                    *slot = Value::Object(Map::new());
                }
                if slot.get(method).is_none() {
                    let mut op = op.clone();
                    name_operation(&mut op, method, path);
                    slot[method.as_str()] = op;
                }
            }
        }
    }
    for section in ["schemas", "responses"] {
        if let Some(items) = legacy["components"][section].as_object() {
            let target = &mut doc["components"][section];
            if !target.is_object() {
                *target = Value::Object(Map::new());
            }
            for (name, schema) in items {
                if target.get(name).is_none() {
                    target[name.as_str()] = schema.clone();
                }
            }
        }
    }
}

/// Gives a legacy operation a tag (the first path segment after `/v1`) and an
/// `operationId` (the method and the path's words in camelCase).
fn name_operation(op: &mut Value, method: &str, path: &str) {
    let words: Vec<&str> = path
        .split('/')
        .filter(|s| !s.is_empty() && *s != "v1")
        .collect();
    if op.get("tags").is_none() {
        let tag = words
            .first()
            .map(|w| w.trim_start_matches('{').trim_end_matches('}'))
            .unwrap_or("service");
        op["tags"] = Value::from(vec![tag.to_string()]);
    }
    if op.get("operationId").is_none() {
        let mut id = method.to_string();
        for w in words {
            let w = w.trim_start_matches('{').trim_end_matches('}');
            for part in w.split(['-', '.', '_']) {
                let mut chars = part.chars();
                if let Some(first) = chars.next() {
                    id.extend(first.to_uppercase());
                    id.push_str(chars.as_str());
                }
            }
        }
        op["operationId"] = Value::from(id);
    }
}
