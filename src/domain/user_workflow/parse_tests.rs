//! The checks of a definition: a good one passes whole, a bad one lists every
//! problem.

use serde_json::json;

use super::{StepKind, parse};

fn pointers(body: serde_json::Value) -> Vec<String> {
    parse("mine", &body)
        .unwrap_err()
        .into_vec()
        .into_iter()
        .map(|p| format!("{} {}", p.pointer, p.message))
        .collect()
}

#[test]
fn a_definition_with_every_kind_is_accepted() {
    let def = parse(
        "mine",
        &json!({"description": "d", "steps": [
            {"name": "fetch", "kind": "http", "request": {"url": "https://lab.example/orders/{{ input.id }}"},
             "policy": {"retries": 2, "backoff": "1s", "timeout": "10s", "critical": false}},
            {"name": "nap", "kind": "sleep", "duration": "5m", "dependsOn": ["fetch"]},
            {"name": "until", "kind": "sleepUntil", "until": {"$ref": "/input/at"}},
            {"name": "result", "kind": "wait_for_event", "event": "lab/result",
             "match": {"path": "data.orderId", "value": {"$ref": "/steps/fetch/body/id"}},
             "timeout": "1h", "dependsOn": ["fetch"]},
            {"name": "tell", "kind": "emit", "event": "lab/done", "data": {"r": {"$ref": "/steps/result"}},
             "dependsOn": ["result"]},
            {"name": "child", "kind": "invoke", "workflow": "other", "input": {"x": 1}},
        ]}),
    )
    .unwrap();
    let kinds: Vec<&str> = def.steps.iter().map(|s| s.kind.name()).collect();
    assert_eq!(
        kinds,
        [
            "http",
            "sleep",
            "sleep_until",
            "wait_for_event",
            "emit",
            "invoke"
        ]
    );
    assert_eq!(def.steps[0].policy.retries, Some(2));
    assert!(!def.steps[0].policy.critical);
    assert!(def.steps[1].policy.critical);
    assert!(matches!(def.steps[3].kind, StepKind::WaitForEvent { .. }));
}

#[test]
fn every_problem_is_listed_with_its_pointer() {
    let found = pointers(json!({"steps": [
        {"name": "a", "kind": "http", "request": {"url": "ftp://x", "method": "BREW"}, "dependsOn": ["c"]},
        {"name": "b", "kind": "teleport", "dependsOn": ["a", "ghost"]},
        {"name": "c", "kind": "sleep", "duration": "soon", "dependsOn": ["a"], "policy": {"retries": 99}},
        {"name": "d", "kind": "emit", "event": "", "data": {"$expr": "steps.a.x +"}, "colour": 1},
        {"name": "d", "kind": "invoke", "workflow": "mine"},
    ], "extra": true}));
    let expected = [
        "/extra unknown field",
        "/steps/0/request/method must be one of",
        "/steps/0/request/url must be an absolute http or https URL",
        "/steps/1/kind must be one of",
        "/steps/2/policy/retries must be a whole number",
        "/steps/2/duration must be a duration",
        "/steps/3/colour unknown field",
        "/steps/3/event must be an event name",
        "/steps/3/data/$expr expression does not compile",
        "/steps/4/workflow a workflow cannot invoke itself",
        "/steps/4/name step `d` is defined twice",
        "/steps/1/dependsOn/1 unknown step `ghost`",
        "/steps steps `a`, `b`, `c` depend on each other in a cycle",
    ];
    for e in expected {
        assert!(
            found.iter().any(|f| f.starts_with(e)),
            "missing {e:?} in {found:#?}"
        );
    }
    assert_eq!(found.len(), expected.len(), "{found:#?}");
}

#[test]
fn a_step_reads_only_what_it_depends_on() {
    let found = pointers(json!({"steps": [
        {"name": "a", "kind": "sleep", "duration": "1s"},
        {"name": "b", "kind": "emit", "event": "e", "data": {"x": {"$ref": "/steps/a/out"}}},
    ]}));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("/steps/1/data/x/$ref refers to step `a`"),
        "{found:?}"
    );
}

#[test]
fn a_body_without_steps_is_refused() {
    assert_eq!(
        pointers(json!({})),
        ["/steps is required: an array of steps"]
    );
    assert_eq!(pointers(json!([])), [" must be a JSON object with `steps`"]);
}

#[test]
fn triggers_are_read_and_their_problems_listed() {
    let steps = json!([{"name": "a", "kind": "sleep", "duration": "1s"}]);
    let def = parse(
        "mine",
        &json!({"steps": steps, "triggers": [{"event": "lab/ordered", "match": {"path": "data.site", "value": "north"}}],
                "cancelOn": [{"event": "lab/cancelled", "field": "orderId"}],
                "concurrency": {"limit": 2, "key": "data.nurseId"}, "idempotency": "data.orderId",
                "debounce": {"period": "30s"}}),
    )
    .unwrap();
    let t = &def.triggers;
    assert_eq!(t.on[0].0, "lab/ordered");
    assert_eq!(
        t.cancel_on,
        [("lab/cancelled".to_string(), "orderId".to_string())]
    );
    assert_eq!(t.concurrency, Some((2, "data.nurseId".to_string())));
    assert_eq!(t.idempotency.as_deref(), Some("data.orderId"));
    let found = pointers(json!({"steps": steps, "triggers": [{"event": ""}, 3],
        "concurrency": {"limit": 0}, "debounce": {"period": "never"}, "rateLimit": {}}));
    for e in [
        "/triggers/0/event must be an event name",
        "/triggers/1 must be an object",
        "/concurrency/limit must be a whole number",
        "/concurrency/key must be a dotted path",
        "/debounce/period must be a duration",
        "/rateLimit/limit must be a whole number",
        "/rateLimit/period must be a duration",
    ] {
        assert!(
            found.iter().any(|f| f.starts_with(e)),
            "missing {e:?} in {found:#?}"
        );
    }
    assert_eq!(found.len(), 7, "{found:#?}");
}
