//! The problem answers many operations share, added from what each operation
//! takes: every route can time out (408); every `/v1` route but the webhooks
//! needs a credential (401) that may not be checkable now (503); a route with
//! parameters or a body validates them (422); a route with a body refuses other
//! media types (415) and bodies over the limit (413); a route on `{id}` answers
//! 404 for an unknown or another tenant's id; any route can meet a fault of its own
//! (500). An annotation that documents one of these statuses itself keeps its own.

use serde_json::{Value, json};

use crate::http::error::PROBLEM_JSON;

/// The shared answers: component name, status, description.
const SHARED: [(&str, &str, &str); 9] = [
    (
        "Unauthorized",
        "401",
        "Problem details (RFC 9457) of type `unauthorized`: the bearer token is missing, \
         malformed, expired or revoked; with `WWW-Authenticate: Bearer`.",
    ),
    (
        "NotFound",
        "404",
        "Problem details (RFC 9457) of type `not-found`: no such resource, or another \
         tenant's (indistinguishable on purpose).",
    ),
    (
        "RequestTimeout",
        "408",
        "Problem details (RFC 9457) of type `timeout`: the request took longer than the \
         configured request timeout.",
    ),
    (
        "PayloadTooLarge",
        "413",
        "Problem details (RFC 9457) of type `payload-too-large`: the body is larger than \
         the configured limit.",
    ),
    (
        "UnsupportedMediaType",
        "415",
        "Problem details (RFC 9457) of type `unsupported-media-type`: the body is not of \
         the content type the route reads (`application/json`, or `multipart/form-data` \
         for uploads).",
    ),
    (
        "RequestProblem",
        "422",
        "Problem details (RFC 9457) of type `validation`: every problem with the \
         request's shape or values, each in `errors` as `{pointer, message}`. Pointers \
         locate body members (`/input/name`, `\"\"` for the whole body, such as malformed \
         JSON), query values (`/query/limit`), path parameters (`/path/id`) and headers \
         (`/headers/idempotency-key`). Messages never quote the offending value.",
    ),
    (
        "TooManyRequests",
        "429",
        "Problem details (RFC 9457) of type `too-many-requests`, with `Retry-After`: the \
         backlog is past its bound.",
    ),
    (
        "InternalError",
        "500",
        "Problem details (RFC 9457) of type `internal`: a fault of the service (a stored \
         value it cannot read, a bug). The detail never says more; the log holds the cause \
         under the answer's `requestId`.",
    ),
    (
        "Unavailable",
        "503",
        "Problem details (RFC 9457) of type `unavailable`, with `Retry-After`: the \
         database or a dependency is down, the replica is stopping, or a JWT's signing \
         keys cannot be fetched (then with `WWW-Authenticate: Bearer`).",
    ),
];

fn reference(name: &str) -> Value {
    json!({ "$ref": format!("#/components/responses/{name}") })
}

/// Adds the shared answer components and each operation's shared statuses.
pub fn add_shared(doc: &mut Value) {
    let responses = &mut doc["components"]["responses"];
    if !responses.is_object() {
        *responses = json!({});
    }
    for (name, _, description) in SHARED {
        responses[name] = json!({
            "description": description,
            "content": { PROBLEM_JSON: { "schema": { "$ref": "#/components/schemas/Problem" } } }
        });
    }
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for op in item.values_mut() {
            let Some(op) = op.as_object_mut() else {
                continue;
            };
            let mut wanted = vec!["RequestTimeout", "InternalError"];
            if path.starts_with("/v1/") && !path.starts_with("/v1/webhooks/") {
                wanted.extend(["Unauthorized", "Unavailable"]);
            }
            let has_params = op
                .get("parameters")
                .and_then(Value::as_array)
                .is_some_and(|p| !p.is_empty());
            let has_body = op.contains_key("requestBody");
            if has_params || has_body {
                wanted.push("RequestProblem");
            }
            if has_body {
                wanted.extend(["UnsupportedMediaType", "PayloadTooLarge"]);
            }
            if path.contains('{') && !path.starts_with("/v1/webhooks/") {
                wanted.push("NotFound");
            }
            let answers = op.entry("responses").or_insert_with(|| json!({}));
            for name in wanted {
                let status = SHARED
                    .iter()
                    .find(|(n, _, _)| *n == name)
                    .map_or("500", |(_, s, _)| *s);
                if answers.get(status).is_none() {
                    answers[status] = reference(name);
                }
            }
        }
    }
}
