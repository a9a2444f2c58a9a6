//! Table tests of service-call validation.

use serde_json::json;

use super::*;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2030-01-01T00:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn valid_body() -> Value {
    json!({
        "name": "Notify lab partner",
        "request": {
            "method": "POST",
            "url": "https://partner.example/hooks/careflow?v=2",
            "headers": { "Authorization": "Bearer t", "X-Trace": "abc" },
            "body": { "caseId": "c-1" }
        },
        "dueAt": "2030-01-02T09:30:00+01:00",
        "correlationId": "corr-1",
        "tags": ["lab", "partner"]
    })
}

fn run(body: &Value) -> Result<ValidServiceCall, Problems> {
    run_with(body, &[])
}

fn run_with(body: &Value, allow: &[&str]) -> Result<ValidServiceCall, Problems> {
    let allow: Vec<String> = allow.iter().map(|a| a.to_string()).collect();
    let policy = OutboundPolicy::new(&allow).unwrap();
    let limits = ServiceCallLimits {
        max_body_bytes: 100,
        ..ServiceCallLimits::default()
    };
    validate(body, now(), &limits, &policy)
}

/// The valid body with the value at `pointer` replaced (or removed for `None`).
fn with(pointer: &str, value: Option<Value>) -> Value {
    let mut body = valid_body();
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let target = body.pointer_mut(parent).unwrap().as_object_mut().unwrap();
    match value {
        Some(value) => target.insert(key.replace("~1", "/").replace("~0", "~"), value),
        None => target.remove(key),
    };
    body
}

#[test]
fn a_complete_body_is_accepted_with_every_field() {
    let call = run(&valid_body()).unwrap();
    assert_eq!(call.name, "Notify lab partner");
    assert_eq!(call.method, Method::POST);
    assert_eq!(call.url.host_str(), Some("partner.example"));
    assert_eq!(call.headers.len(), 2);
    assert_eq!(call.body, Some(CallBody::Json(json!({ "caseId": "c-1" }))));
    assert_eq!(call.due_at.to_rfc3339(), "2030-01-02T08:30:00+00:00");
    assert_eq!(call.correlation_id.as_deref(), Some("corr-1"));
    assert_eq!(call.tags, vec!["lab", "partner"]);
}

#[test]
fn optional_fields_may_be_left_out_and_the_call_is_then_due_now() {
    let body = json!({
        "name": "ping",
        "request": { "method": "get", "url": "http://partner.example/" }
    });
    let call = run(&body).unwrap();
    assert_eq!(call.method, Method::GET);
    assert_eq!(call.due_at, now());
    assert!(call.headers.is_empty() && call.tags.is_empty() && call.body.is_none());
}

#[test]
fn a_due_time_in_the_past_means_now() {
    let call = run(&with("/dueAt", Some(json!("2020-05-05T10:00:00Z")))).unwrap();
    assert_eq!(call.due_at, now());
}

#[test]
fn a_string_body_is_sent_verbatim_as_text() {
    let call = run(&with("/request/body", Some(json!("plain words")))).unwrap();
    let request = call.outbound_request();
    assert_eq!(request.body.as_deref(), Some(&b"plain words"[..]));
    assert!(
        request
            .headers
            .contains(&("Content-Type".into(), "text/plain; charset=utf-8".into()))
    );
}

#[test]
fn a_json_body_is_serialized_and_typed_unless_a_content_type_is_given() {
    let request = run(&valid_body()).unwrap().outbound_request();
    assert_eq!(request.body.as_deref(), Some(&br#"{"caseId":"c-1"}"#[..]));
    assert!(
        request
            .headers
            .contains(&("Content-Type".into(), "application/json".into()))
    );
    let given = with(
        "/request/headers/content-type",
        Some(json!("application/fhir+json")),
    );
    let request = run(&given).unwrap().outbound_request();
    let types: Vec<_> = request
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("content-type"))
        .collect();
    assert_eq!(types.len(), 1);
}

#[test]
fn an_allowlisted_literal_address_is_accepted() {
    let body = with("/request/url", Some(json!("http://10.1.2.3:8080/hook")));
    assert!(run_with(&body, &["10.0.0.0/8"]).is_ok());
}

#[test]
fn each_bad_case_is_reported_at_its_pointer() {
    let long = |n: usize| json!("x".repeat(n));
    let many_tags = json!((0..21).map(|i| format!("t{i}")).collect::<Vec<_>>());
    let many_headers = Value::Object((0..51).map(|i| (format!("x-h{i}"), json!("v"))).collect());
    let table: Vec<(&str, Value, &str, &str)> = vec![
        ("name missing", with("/name", None), "/name", "is required"),
        (
            "name blank",
            with("/name", Some(json!("   "))),
            "/name",
            "must not be blank",
        ),
        (
            "name too long",
            with("/name", Some(long(201))),
            "/name",
            "at most 200",
        ),
        (
            "name not a string",
            with("/name", Some(json!(7))),
            "/name",
            "must be a string",
        ),
        (
            "request missing",
            with("/request", None),
            "/request",
            "is required",
        ),
        (
            "request not an object",
            with("/request", Some(json!("GET /"))),
            "/request",
            "must be an object",
        ),
        (
            "method missing",
            with("/request/method", None),
            "/request/method",
            "is required",
        ),
        (
            "method unknown",
            with("/request/method", Some(json!("TRACE"))),
            "/request/method",
            "must be one of",
        ),
        (
            "method not a string",
            with("/request/method", Some(json!(1))),
            "/request/method",
            "must be one of",
        ),
        (
            "url missing",
            with("/request/url", None),
            "/request/url",
            "is required",
        ),
        (
            "url relative",
            with("/request/url", Some(json!("/hooks"))),
            "/request/url",
            "absolute",
        ),
        (
            "url ftp scheme",
            with("/request/url", Some(json!("ftp://partner.example/f"))),
            "/request/url",
            "http or https",
        ),
        (
            "url with userinfo",
            with("/request/url", Some(json!("https://u:p@partner.example/"))),
            "/request/url",
            "user name or password",
        ),
        (
            "url without host",
            with("/request/url", Some(json!("mailto:desk@partner.example"))),
            "/request/url",
            "must have a host",
        ),
        (
            "url with empty host",
            with("/request/url", Some(json!("http://"))),
            "/request/url",
            "absolute",
        ),
        (
            "url loopback literal",
            with("/request/url", Some(json!("http://127.0.0.1/admin"))),
            "/request/url",
            "private, loopback",
        ),
        (
            "url private literal",
            with("/request/url", Some(json!("http://192.168.0.10/"))),
            "/request/url",
            "refused unless allowlisted",
        ),
        (
            "url metadata literal",
            with("/request/url", Some(json!("http://169.254.169.254/latest"))),
            "/request/url",
            "private, loopback",
        ),
        (
            "url v4-mapped loopback",
            with("/request/url", Some(json!("http://[::ffff:127.0.0.1]/"))),
            "/request/url",
            "private, loopback",
        ),
        (
            "url not a string",
            with("/request/url", Some(json!(["http://a"]))),
            "/request/url",
            "must be a string",
        ),
        (
            "headers not an object",
            with("/request/headers", Some(json!(["a: b"]))),
            "/request/headers",
            "must be an object",
        ),
        (
            "too many headers",
            with("/request/headers", Some(many_headers)),
            "/request/headers",
            "at most 50",
        ),
        (
            "header name with space",
            with("/request/headers/X Bad", Some(json!("v"))),
            "/request/headers/X Bad",
            "not a valid header name",
        ),
        (
            "header name with colon",
            with("/request/headers/X:y", Some(json!("v"))),
            "/request/headers/X:y",
            "not a valid header name",
        ),
        (
            "header name with slash",
            with("/request/headers/a~1b", Some(json!("v"))),
            "/request/headers/a~1b",
            "not a valid header name",
        ),
        (
            "header value with CRLF",
            with("/request/headers/X-Trace", Some(json!("a\r\nInjected: 1"))),
            "/request/headers/X-Trace",
            "CR, LF",
        ),
        (
            "header value with LF",
            with("/request/headers/X-Trace", Some(json!("a\nb"))),
            "/request/headers/X-Trace",
            "CR, LF",
        ),
        (
            "header value not a string",
            with("/request/headers/X-Trace", Some(json!(5))),
            "/request/headers/X-Trace",
            "must be a string",
        ),
        (
            "managed header",
            with("/request/headers/Content-Length", Some(json!("5"))),
            "/request/headers/Content-Length",
            "set by the HTTP client",
        ),
        (
            "body too large",
            with("/request/body", Some(json!({ "text": "x".repeat(100) }))),
            "/request/body",
            "at most 100 bytes",
        ),
        (
            "string body too large",
            with("/request/body", Some(long(101))),
            "/request/body",
            "at most 100 bytes",
        ),
        (
            "unknown request field",
            with("/request/query", Some(json!("a=1"))),
            "/request/query",
            "not a known field",
        ),
        (
            "dueAt not RFC 3339",
            with("/dueAt", Some(json!("tomorrow"))),
            "/dueAt",
            "RFC 3339",
        ),
        (
            "dueAt without offset",
            with("/dueAt", Some(json!("2030-01-02T09:30:00"))),
            "/dueAt",
            "RFC 3339",
        ),
        (
            "dueAt not a string",
            with("/dueAt", Some(json!(1_900_000_000))),
            "/dueAt",
            "RFC 3339",
        ),
        (
            "dueAt beyond horizon",
            with("/dueAt", Some(json!("2031-01-02T00:00:00Z"))),
            "/dueAt",
            "365 days ahead",
        ),
        (
            "correlationId blank",
            with("/correlationId", Some(json!(""))),
            "/correlationId",
            "must not be blank",
        ),
        (
            "correlationId too long",
            with("/correlationId", Some(long(201))),
            "/correlationId",
            "at most 200",
        ),
        (
            "tags not an array",
            with("/tags", Some(json!("lab"))),
            "/tags",
            "must be an array",
        ),
        (
            "too many tags",
            with("/tags", Some(many_tags)),
            "/tags",
            "at most 20 tags",
        ),
        (
            "tag empty",
            with("/tags", Some(json!(["ok", ""]))),
            "/tags/1",
            "must not be blank",
        ),
        (
            "tag too long",
            with("/tags", Some(json!([long(65)]))),
            "/tags/0",
            "at most 64",
        ),
        (
            "tag not a string",
            with("/tags", Some(json!([3]))),
            "/tags/0",
            "must be a string",
        ),
        (
            "unknown top-level field",
            with("/dueat", Some(json!("2030-01-02T00:00:00Z"))),
            "/dueat",
            "not a known field",
        ),
        (
            "body not an object",
            json!([1, 2]),
            "",
            "must be a JSON object",
        ),
    ];
    for (case, body, pointer, message) in table {
        let problems = run(&body).expect_err(case).into_vec();
        assert!(
            problems
                .iter()
                .any(|p| p.pointer == pointer && p.message.contains(message)),
            "{case}: expected {pointer} '{message}', got {problems:?}"
        );
    }
}

#[test]
fn the_key_header_is_the_configured_one_unless_the_request_names_another_or_none() {
    assert_eq!(
        run(&valid_body()).unwrap().key_header,
        KeyHeader::Configured
    );
    let named = with("/request/idempotencyHeader", Some(json!("X-Request-Key")));
    assert_eq!(
        run(&named).unwrap().key_header,
        KeyHeader::Named("X-Request-Key".into())
    );
    let off = with("/request/idempotencyHeader", Some(Value::Null));
    assert_eq!(run(&off).unwrap().key_header, KeyHeader::Off);
}

#[test]
fn a_key_header_that_cannot_carry_the_key_is_reported_at_its_pointer() {
    for (case, value, message) in [
        ("a number", json!(7), "must be a header name, or null"),
        ("blank", json!(""), "not a valid header name"),
        ("with a space", json!("Idem Key"), "not a valid header name"),
        ("managed", json!("Content-Length"), "set by the HTTP client"),
    ] {
        let body = with("/request/idempotencyHeader", Some(value));
        let problems = run(&body).expect_err(case).into_vec();
        assert!(
            problems
                .iter()
                .any(|p| p.pointer == "/request/idempotencyHeader" && p.message.contains(message)),
            "{case}: got {problems:?}"
        );
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let body = json!({
        "name": "",
        "request": { "method": "FETCH", "url": "http://10.0.0.1/", "headers": { "X-A": "a\rb" } },
        "dueAt": "soon",
        "tags": [""]
    });
    let pointers: Vec<String> = run(&body)
        .unwrap_err()
        .into_vec()
        .into_iter()
        .map(|p| p.pointer)
        .collect();
    let expected = [
        "/name",
        "/request/method",
        "/request/url",
        "/request/headers/X-A",
        "/dueAt",
        "/tags/0",
    ];
    assert_eq!(pointers.len(), expected.len(), "{pointers:?}");
    for pointer in expected {
        assert!(
            pointers.iter().any(|p| p == pointer),
            "{pointer} missing from {pointers:?}"
        );
    }
}

#[test]
fn debug_output_redacts_authorization_and_hides_body_and_query() {
    let call = run(&valid_body()).unwrap();
    let text = format!("{call:?}");
    assert!(!text.contains("Bearer t"), "{text}");
    assert!(!text.contains("c-1"), "{text}");
    assert!(!text.contains("v=2"), "{text}");
    assert!(text.contains("[redacted]"), "{text}");
}
