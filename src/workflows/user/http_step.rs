//! The `http` step: builds the request from the step's template, sends it through
//! the outbound guard (SSRF rules, allowed hosts) and the destination's breaker,
//! as service calls do, and answers the status, a few headers and the body
//! (parsed as JSON when it is JSON, else the text, both capped by
//! `providers.outbound`'s excerpt size). Neither the URL nor the body is logged:
//! they may carry patient data.

use reqwest::Method;
use serde_json::{Map, Value, json};
use url::Url;

use crate::domain::user_workflow::HttpSpec;
use crate::engine::{StepContext, StepError, StepOutcome, StepOutput};
use crate::providers::outbound::{GuardedClient, OutboundError, OutboundRequest, OutboundResponse};
use crate::providers::resilience::{CallError, Endpoint, Resilient};

/// Sends the step's request.
pub(super) async fn run(
    spec: &HttpSpec,
    client: &Resilient<GuardedClient>,
    ctx: &StepContext,
    context: &Value,
) -> Result<StepOutcome, StepError> {
    let request = build(spec, ctx, context)?;
    let host = request.url.host_str().unwrap_or_default().to_owned();
    let key = match request.url.port_or_known_default() {
        Some(port) => format!("{host}:{port}"),
        None => host.clone(),
    };
    // One breaker per destination and tenant: one tenant's failing server never
    // stops another's calls.
    let endpoint = Endpoint::of_tenant("outbound", key, ctx.tenant.as_str());
    let sent = tokio::select! {
        sent = client.call_at(&endpoint, |c| c.execute(request)) => sent,
        _ = ctx.cancel.cancelled() => {
            return Err(StepError::permanent("the run was cancelled with the request in flight"));
        }
    };
    match sent {
        Ok(answer) => Ok(StepOutcome::Done(StepOutput::new(output(&answer)))),
        Err(CallError::Open(open)) => Err(StepError::deferred(
            format!("{host} is unavailable (circuit open); not sent"),
            Some(open.retry_after),
        )),
        Err(CallError::Timeout(limit)) => Err(StepError::retryable(format!(
            "no answer from {host} within {}",
            humantime::format_duration(limit)
        ))),
        Err(CallError::Provider(e)) => Err(failure(e)),
    }
}

fn build(
    spec: &HttpSpec,
    ctx: &StepContext,
    context: &Value,
) -> Result<OutboundRequest, StepError> {
    let url = spec.url.evaluate(context).map_err(StepError::permanent)?;
    let url = url
        .as_str()
        .and_then(|u| Url::parse(u).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or_else(|| StepError::permanent("the request's url is not an absolute http(s) URL"))?;
    let method = Method::from_bytes(spec.method.as_bytes())
        .map_err(|_| StepError::permanent("the request's method is not valid"))?;
    let mut headers = Vec::with_capacity(spec.headers.len() + 2);
    for (name, value) in &spec.headers {
        let value = value.evaluate(context).map_err(StepError::permanent)?;
        let value = match value {
            Value::String(s) => s,
            other => other.to_string(),
        };
        headers.push((name.clone(), value));
    }
    let has = |headers: &[(String, String)], name: &str| {
        headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    // Stable across attempts, so a server that honours it applies a repeat once.
    if !has(&headers, "idempotency-key") {
        headers.push(("Idempotency-Key".into(), ctx.idempotency_key.clone()));
    }
    let body = match &spec.body {
        None => None,
        Some(t) => {
            let body = t.evaluate(context).map_err(StepError::permanent)?;
            if !has(&headers, "content-type") {
                headers.push(("Content-Type".into(), "application/json".into()));
            }
            Some(body.to_string().into_bytes())
        }
    };
    Ok(OutboundRequest {
        method,
        url,
        headers,
        body,
    })
}

/// The step's output: status, headers, body.
fn output(answer: &OutboundResponse) -> Value {
    let headers: Map<String, Value> = answer
        .headers
        .iter()
        .map(|(n, v)| (n.clone(), Value::String(v.clone())))
        .collect();
    let is_json = answer
        .header("content-type")
        .is_some_and(|t| t.contains("json"));
    let truncated = answer.body_size > answer.body_excerpt.len() as u64;
    let body = match serde_json::from_str::<Value>(&answer.body_excerpt) {
        Ok(v) if is_json && !truncated => v,
        _ if answer.body_excerpt.is_empty() => Value::Null,
        _ => Value::String(answer.body_excerpt.clone()),
    };
    json!({
        "status": answer.status,
        "headers": headers,
        "body": body,
        "bodySize": answer.body_size,
        "truncated": truncated,
    })
}

/// A failed request as a step error: the class and the status, never the remote
/// body. 5xx, 429, timeouts and connection failures may pass on another attempt.
fn failure(e: OutboundError) -> StepError {
    let status = e.response().map(|r| r.status);
    let details = json!({"kind": e.kind(), "status": status});
    let error = if e.is_retryable() {
        StepError::retryable(e.to_string()).with_retry_after(e.retry_after())
    } else {
        StepError::permanent(e.to_string())
    };
    error.with_details(details)
}
