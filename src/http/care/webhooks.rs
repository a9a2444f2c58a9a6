//! Twilio's webhooks: `POST /v1/webhooks/twilio/status` (message and call status
//! callbacks) here, and `POST /v1/webhooks/twilio/inbound` (SMS a patient sends) in
//! `inbound`, with what both share: the signature check and the answers.
//!
//! Twilio cannot send a careflow bearer token, so these routes sit outside the
//! authenticated router and are authenticated by `X-Twilio-Signature`, computed over
//! the public URL configured in `providers.twilio.public_base_url` (behind a load
//! balancer the request's own URL differs) and the form parameters; a bad or missing
//! signature is `403`. The tenant is never read from the request: a status callback
//! belongs to the tenant of the notification its `MessageSid`/`CallSid` names, an
//! inbound SMS to the tenant of the receiving number, then to the patient.
//! The handlers read the form into a typed callback and hand it to
//! `workflows::care::webhooks`, which owns what it means (status merging, routing).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::http::AppState;
use crate::http::error::{ApiError, Problem, ProblemExtension};
use crate::providers::twilio::signature::verify_signature;
use crate::workflows::care::STATUS_WEBHOOK;
use crate::workflows::care::webhooks::{StatusCallback, apply_status};

/// The empty TwiML answer: send nothing back.
const EMPTY_TWIML: &str = "<Response/>";

pub(super) fn forbidden(detail: &str) -> Response {
    let mut response = StatusCode::FORBIDDEN.into_response();
    response.extensions_mut().insert(ProblemExtension {
        problem: Problem::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", detail),
        internal: None,
    });
    response
}

pub(super) fn twiml() -> Response {
    let mut response = (StatusCode::OK, EMPTY_TWIML).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/xml; charset=utf-8"),
    );
    response
}

/// The form parameters, once the signature over them checks out; else why not.
pub(super) fn verified(
    state: &AppState,
    path: &str,
    uri: &Uri,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Vec<(String, String)>, &'static str> {
    let twilio = &state.settings.providers.twilio;
    let Some(mut url) = twilio.public_url(path) else {
        return Err(
            "Webhook signatures cannot be checked: providers.twilio.public_base_url is not configured.",
        );
    };
    if twilio.auth_token.is_empty() {
        return Err(
            "Webhook signatures cannot be checked: providers.twilio.auth_token is not configured.",
        );
    }
    if let Some(query) = uri.query() {
        url.push('?');
        url.push_str(query);
    }
    let params: Vec<(String, String)> = url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let signature = headers
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if signature.is_empty()
        || !verify_signature(twilio.auth_token.expose(), &url, &params, signature)
    {
        tracing::warn!(
            webhook = path,
            "Twilio webhook refused: bad or missing signature"
        );
        return Err("The X-Twilio-Signature header is missing or wrong.");
    }
    // Twilio cannot be told "422": an SMS text (or any parameter) with a NUL
    // character is kept with U+FFFD in its place, as provider answers are, so the
    // same message is stored on both backends. The signature was over the raw text.
    Ok(params
        .into_iter()
        .map(|(k, v)| (crate::storable::string(k), crate::storable::string(v)))
        .collect())
}

pub(super) fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// `POST /v1/webhooks/twilio/status`: applies a message or call status callback to
/// the notification it belongs to; answers `204` (also for an unknown id, a
/// duplicate, a stale status or a callback without one, which change nothing).
#[utoipa::path(post, path = "/v1/webhooks/twilio/status", operation_id = "postWebhooksTwilioStatus", tag = "webhooks", security(()),
    params(("X-Twilio-Signature" = String, Header, description = "Base64 HMAC-SHA1, keyed with the Twilio auth token, of `providers.twilio.public_base_url` + path followed by the sorted form fields.")),
    request_body(content = crate::http::openapi::care_requests::TwilioCallback, content_type = "application/x-www-form-urlencoded"),
    responses((status = 204, description = "Applied, or nothing to change (an unknown id, a repeat, an older status: statuses only move forward)."),
        (status = 403, description = "The signature is missing or wrong, or the webhooks are not configured.", content_type = "application/problem+json", body = crate::http::error::Problem), (status = 503, description = "The database is unavailable; Twilio retries.", content_type = "application/problem+json", body = crate::http::error::Problem)))]
pub async fn status(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = match verified(&state, STATUS_WEBHOOK, &uri, &headers, &body) {
        Ok(p) => p,
        Err(why) => return forbidden(why),
    };
    let Some(callback) = status_callback(&params) else {
        return StatusCode::NO_CONTENT.into_response();
    };
    let clock = state.engine.clock();
    match apply_status(state.store.as_ref(), clock.as_ref(), &callback).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// Reads a message status (`MessageSid` with `MessageStatus`, or the older
/// `SmsStatus`) or a call status (`CallSid` with `CallStatus`); `None` when the
/// callback names no id or no status.
fn status_callback(params: &[(String, String)]) -> Option<StatusCallback> {
    let (sid, reported) = match (param(params, "MessageSid"), param(params, "CallSid")) {
        (Some(sid), _) => (
            sid,
            param(params, "MessageStatus").or_else(|| param(params, "SmsStatus"))?,
        ),
        (None, Some(sid)) => (sid, param(params, "CallStatus")?),
        (None, None) => return None,
    };
    Some(StatusCallback {
        provider_id: sid.to_string(),
        reported: reported.to_string(),
        error_code: param(params, "ErrorCode").map(String::from),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_message_status_is_read_from_message_status_or_sms_status() {
        let new = status_callback(&params(&[
            ("MessageSid", "SM1"),
            ("MessageStatus", "delivered"),
        ]));
        let old = status_callback(&params(&[("MessageSid", "SM1"), ("SmsStatus", "sent")]));
        assert_eq!(new.map(|c| c.reported), Some("delivered".to_string()));
        assert_eq!(old.map(|c| c.reported), Some("sent".to_string()));
    }

    #[test]
    fn a_call_status_carries_its_error_code() {
        let c = status_callback(&params(&[
            ("CallSid", "CA1"),
            ("CallStatus", "failed"),
            ("ErrorCode", "13224"),
        ]));
        assert_eq!(
            c,
            Some(StatusCallback {
                provider_id: "CA1".into(),
                reported: "failed".into(),
                error_code: Some("13224".into()),
            })
        );
    }

    #[test]
    fn a_callback_without_id_or_status_is_nothing_to_apply() {
        assert_eq!(status_callback(&params(&[("CallStatus", "busy")])), None);
        assert_eq!(status_callback(&params(&[("MessageSid", "SM1")])), None);
        assert_eq!(
            status_callback(&params(&[("MessageSid", "SM1"), ("MessageStatus", "")])),
            None
        );
    }
}
