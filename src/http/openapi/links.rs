//! Response links in the description, spelled as OpenAPI spells them.
//!
//! utoipa 5.5 writes a link's `operation_id` and `operation_ref` in snake case,
//! which OpenAPI tools (schemathesis' stateful phase among them) do not read:
//! they are renamed to `operationId` and `operationRef` here.

use serde_json::Value;

/// Renames the snake-case members of every response link in `doc`.
pub fn fix_spelling(doc: &mut Value) {
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    let links = paths
        .values_mut()
        .filter_map(Value::as_object_mut)
        .flat_map(|item| item.values_mut())
        .filter_map(|op| op.get_mut("responses").and_then(Value::as_object_mut))
        .flat_map(|responses| responses.values_mut())
        .filter_map(|answer| answer.get_mut("links").and_then(Value::as_object_mut))
        .flat_map(|links| links.values_mut())
        .filter_map(Value::as_object_mut);
    for link in links {
        for (from, to) in [
            ("operation_id", "operationId"),
            ("operation_ref", "operationRef"),
        ] {
            if let Some(v) = link.remove(from) {
                link.insert(to.to_string(), v);
            }
        }
    }
}
