//! `POST /v1/webhooks/twilio/inbound`: an SMS a patient sends. The handler checks
//! Twilio's signature, reads the form into an `InboundSms` and hands it to
//! `workflows::care::webhooks::record_inbound`, which routes it to the right tenant
//! and patient (or records an opt-out or opt-in keyword) before anything is stored.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};

use super::webhooks::{forbidden, param, twiml, verified};
use crate::http::AppState;
use crate::http::error::ApiError;
use crate::workflows::care::INBOUND_WEBHOOK;
use crate::workflows::care::webhooks::{InboundSms, MAX_SMS_BODY, record_inbound};

/// Answers `200` with empty TwiML, also for numbers without an outreach plan.
#[utoipa::path(post, path = "/v1/webhooks/twilio/inbound", operation_id = "postWebhooksTwilioInbound", tag = "webhooks", security(()),
    params(("X-Twilio-Signature" = String, Header, description = "Base64 HMAC-SHA1, keyed with the Twilio auth token, of `providers.twilio.public_base_url` + path followed by the sorted form fields.")),
    request_body(content = crate::http::openapi::care_requests::TwilioCallback, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "Empty TwiML. The SMS is routed by the receiving number or Messaging Service to its tenant, then to the patient whose check-in awaits a reply, and becomes `interaction/response_received`; when it could be from several patients it is held unrouted and raises `interaction/unrouted` (a review task) in each tenant concerned. Opt-out and opt-in keywords are recorded.",
            content_type = "text/xml", body = String, example = "<Response/>"),
        (status = 403, description = "The signature is missing or wrong, or the webhooks are not configured.", content_type = "application/problem+json", body = crate::http::error::Problem), (status = 503, description = "The database is unavailable; Twilio retries.", content_type = "application/problem+json", body = crate::http::error::Problem)))]
pub async fn inbound(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let params = match verified(&state, INBOUND_WEBHOOK, &uri, &headers, &body) {
        Ok(p) => p,
        Err(why) => return forbidden(why),
    };
    let Some(sms) = inbound_sms(&params) else {
        return twiml();
    };
    let clock = state.engine.clock();
    match record_inbound(state.store.as_ref(), clock.as_ref(), &sms).await {
        Ok(()) => twiml(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// Reads the SMS from the form; `None` without a sender or a message id, which
/// Twilio always sends, so there is nothing to record.
fn inbound_sms(params: &[(String, String)]) -> Option<InboundSms> {
    let (Some(from), Some(sid)) = (param(params, "From"), param(params, "MessageSid")) else {
        return None;
    };
    Some(InboundSms {
        from: from.to_string(),
        message_sid: sid.to_string(),
        to: param(params, "To").map(String::from),
        messaging_service_sid: param(params, "MessagingServiceSid").map(String::from),
        body: param(params, "Body")
            .unwrap_or("")
            .chars()
            .take(MAX_SMS_BODY)
            .collect(),
    })
}
