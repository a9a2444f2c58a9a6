//! Validation of the `request` object of a service call: method, URL, headers,
//! body and the header that carries the call's idempotency key. Problems are
//! located relative to the object (`/url`, ...).

use http::Method;
use serde::Deserialize;
use serde_json::{Map, Value};
use url::{Host, Url};

use super::call_parts::{CallBody, KeyHeader, ServiceCallLimits, pointer_token};
use crate::domain::validation::Problems;
use crate::providers::outbound::OutboundPolicy;

const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
const MAX_HEADERS: usize = 50;
const MAX_URL_CHARS: usize = 8192;
/// Framing and routing headers the HTTP client sets itself; letting callers
/// set them would produce malformed or misrouted requests.
const MANAGED_HEADERS: [&str; 4] = ["host", "content-length", "transfer-encoding", "connection"];

/// The request object as received; every field is checked by hand so that
/// type mismatches become located problems instead of one parse error.
#[derive(Deserialize)]
struct RawHttp {
    method: Option<Value>,
    url: Option<Value>,
    headers: Option<Value>,
    body: Option<Value>,
    /// Present (even as `null`) or absent: `null` turns the key header off.
    #[serde(default, deserialize_with = "present", rename = "idempotencyHeader")]
    idempotency_header: Option<Value>,
    #[serde(flatten)]
    other: Map<String, Value>,
}

/// Keeps a member given as `null` apart from an absent one.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// The validated parts of the HTTP request.
pub(super) struct HttpParts {
    pub(super) method: Method,
    pub(super) url: Url,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Option<CallBody>,
    pub(super) key_header: KeyHeader,
}

pub(super) fn check(
    value: &Value,
    limits: &ServiceCallLimits,
    policy: &OutboundPolicy,
    problems: &mut Problems,
) -> Option<HttpParts> {
    let Ok(raw) = RawHttp::deserialize(value) else {
        problems.push("", "must be an object");
        return None;
    };
    for key in raw.other.keys() {
        problems.push(format!("/{}", pointer_token(key)), "is not a known field");
    }
    let method = check_method(raw.method.as_ref(), problems);
    let url = check_url(raw.url.as_ref(), policy, problems);
    let headers = check_headers(raw.headers.as_ref(), problems);
    let body = check_body(raw.body, limits, problems);
    let key_header = check_key_header(raw.idempotency_header, problems);
    Some(HttpParts {
        method: method?,
        url: url?,
        headers: headers?,
        body: body?,
        key_header: key_header?,
    })
}

/// `idempotencyHeader`: absent keeps the configured header, `null` sends none,
/// a header name sends the key in that header instead.
fn check_key_header(value: Option<Value>, problems: &mut Problems) -> Option<KeyHeader> {
    let name = match value {
        None => return Some(KeyHeader::Configured),
        Some(Value::Null) => return Some(KeyHeader::Off),
        Some(Value::String(name)) => name,
        Some(_) => {
            problems.push(
                "/idempotencyHeader",
                "must be a header name, or null to send no idempotency key",
            );
            return None;
        }
    };
    if !is_token(&name) || name.len() > 100 {
        problems.push(
            "/idempotencyHeader",
            "is not a valid header name (1-100 token characters)",
        );
        return None;
    }
    if MANAGED_HEADERS
        .iter()
        .any(|m| m.eq_ignore_ascii_case(&name))
    {
        problems.push(
            "/idempotencyHeader",
            "is set by the HTTP client and cannot carry the key",
        );
        return None;
    }
    Some(KeyHeader::Named(name))
}

fn check_method(value: Option<&Value>, problems: &mut Problems) -> Option<Method> {
    let Some(value) = value else {
        problems.push("/method", "is required");
        return None;
    };
    let upper = value.as_str().map(str::to_ascii_uppercase);
    match upper.as_deref() {
        Some(m) if METHODS.contains(&m) => Method::from_bytes(m.as_bytes()).ok(),
        _ => {
            problems.push("/method", format!("must be one of {}", METHODS.join(", ")));
            None
        }
    }
}

fn check_url(
    value: Option<&Value>,
    policy: &OutboundPolicy,
    problems: &mut Problems,
) -> Option<Url> {
    let text = match value {
        None => {
            problems.push("/url", "is required");
            return None;
        }
        Some(Value::String(text)) => text,
        Some(_) => {
            problems.push("/url", "must be a string");
            return None;
        }
    };
    if text.chars().count() > MAX_URL_CHARS {
        problems.push(
            "/url",
            format!("must be at most {MAX_URL_CHARS} characters"),
        );
        return None;
    }
    let Ok(url) = Url::parse(text) else {
        problems.push("/url", "must be an absolute http or https URL");
        return None;
    };
    let mut ok = true;
    let mut fail = |message: &str| {
        problems.push("/url", message);
        ok = false;
    };
    if !matches!(url.scheme(), "http" | "https") {
        fail("must use the http or https scheme");
    }
    if !url.username().is_empty() || url.password().is_some() {
        fail("must not contain a user name or password; send credentials in a header");
    }
    let literal = match url.host() {
        None => {
            fail("must have a host");
            None
        }
        Some(Host::Domain(name)) => {
            if policy.refuses_name(name) {
                fail(
                    "names a host that can only be local (localhost, *.localhost, *.local, *.internal); such names are refused unless allowlisted",
                );
            }
            None
        }
        Some(Host::Ipv4(v4)) => Some(v4.into()),
        Some(Host::Ipv6(v6)) => Some(v6.into()),
    };
    if literal.is_some_and(|ip| !policy.is_address_allowed(ip)) {
        fail(
            "points at a private, loopback or otherwise non-public address; such addresses are refused unless allowlisted",
        );
    }
    ok.then_some(url)
}

fn check_headers(value: Option<&Value>, problems: &mut Problems) -> Option<Vec<(String, String)>> {
    let map = match value {
        None => return Some(Vec::new()),
        Some(Value::Object(map)) => map,
        Some(_) => {
            problems.push(
                "/headers",
                "must be an object of header names to string values",
            );
            return None;
        }
    };
    let mut ok = true;
    if map.len() > MAX_HEADERS {
        problems.push(
            "/headers",
            format!("must have at most {MAX_HEADERS} headers"),
        );
        ok = false;
    }
    let mut headers = Vec::with_capacity(map.len());
    for (name, value) in map {
        let pointer = format!("/headers/{}", pointer_token(name));
        if !is_token(name) {
            problems.push(&pointer, "is not a valid header name");
            ok = false;
        } else if MANAGED_HEADERS.iter().any(|m| m.eq_ignore_ascii_case(name)) {
            problems.push(&pointer, "is set by the HTTP client and cannot be given");
            ok = false;
        }
        match value.as_str() {
            None => {
                problems.push(&pointer, "must be a string");
                ok = false;
            }
            Some(v) if v.chars().any(|c| c.is_ascii_control() && c != '\t') => {
                problems.push(
                    &pointer,
                    "must not contain CR, LF or other control characters",
                );
                ok = false;
            }
            Some(v) => headers.push((name.clone(), v.to_owned())),
        }
    }
    ok.then_some(headers)
}

/// An RFC 9110 token: one or more tchar.
pub(crate) fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn check_body(
    value: Option<Value>,
    limits: &ServiceCallLimits,
    problems: &mut Problems,
) -> Option<Option<CallBody>> {
    let body = match value {
        None | Some(Value::Null) => return Some(None),
        Some(Value::String(text)) => CallBody::Text(text),
        Some(json) => CallBody::Json(json),
    };
    if body.to_bytes().len() > limits.max_body_bytes {
        problems.push(
            "/body",
            format!("must be at most {} bytes", limits.max_body_bytes),
        );
        return None;
    }
    Some(Some(body))
}
