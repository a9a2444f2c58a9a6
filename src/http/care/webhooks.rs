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
//! inbound SMS to the tenant of the receiving number, then to the patient (see
//! `inbound`).
//! Callbacks arrive late, repeated and out of order: a status only moves forward.
//! An urgent call that ends unanswered (`no-answer`, `busy`, `failed`, `canceled`)
//! asks for one SMS with the same text (`notification/send` with `fallbackFor`).

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use uuid::Uuid;

use crate::domain::care::notify::{
    Channel, needs_sms_fallback, provider_status_advances, status_for_provider,
};
use crate::http::AppState;
use crate::http::error::{ApiError, Problem, ProblemExtension};
use crate::providers::twilio::signature::verify_signature;
use crate::store::{NewEvent, NotificationRow, ProviderUpdate};
use crate::workflows::care::STATUS_WEBHOOK;

/// Attempts at applying a callback while other callbacks of the same message race it.
const MAX_RACES: usize = 8;

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

pub(super) fn twilio_event(
    name: &str,
    data: serde_json::Value,
    at: chrono::DateTime<chrono::Utc>,
) -> NewEvent {
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: name.to_string(),
        correlation_id: None,
        run_id: None,
        workflow: None,
        source: "twilio".into(),
        data,
        created_at: at,
    }
}

/// `POST /v1/webhooks/twilio/status`: applies a message or call status callback to
/// the notification it belongs to; answers `204` (also for an unknown id, a
/// duplicate or a stale status, which change nothing).
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
    match apply_status(&state, &params).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => e.into_response(),
    }
}

async fn apply_status(state: &AppState, params: &[(String, String)]) -> Result<(), ApiError> {
    let (sid, reported) = match (param(params, "MessageSid"), param(params, "CallSid")) {
        (Some(sid), _) => (
            sid,
            param(params, "MessageStatus").or_else(|| param(params, "SmsStatus")),
        ),
        (None, Some(sid)) => (sid, param(params, "CallStatus")),
        (None, None) => return Ok(()),
    };
    let Some(reported) = reported else {
        return Ok(());
    };
    let error_code = param(params, "ErrorCode").map(String::from);
    for _ in 0..MAX_RACES {
        let Some(row) = state.store.notification_by_provider_id(sid).await? else {
            tracing::info!("status callback for a message careflow does not know; ignored");
            return Ok(());
        };
        let channel = Channel::parse(&row.channel).unwrap_or(Channel::Sms);
        if !provider_status_advances(channel, row.provider_status.as_deref(), reported) {
            // A repeat, or older news than what is stored.
            return Ok(());
        }
        let Some(next) = status_for_provider(channel, reported) else {
            return Ok(());
        };
        let now = state.engine.clock().now();
        let changed = next.as_str() != row.status;
        let mut events: Vec<NewEvent> = next
            .event()
            .filter(|_| changed)
            .map(|name| {
                twilio_event(
                    name,
                    event_data(&row, next.as_str(), reported, error_code.as_deref()),
                    now,
                )
            })
            .into_iter()
            .collect();
        if changed && needs_sms_fallback(channel, &row.priority, reported) {
            // Committed with the status, so the fallback is asked for exactly when
            // the unanswered call is recorded; its origin key keeps it to one SMS.
            events.push(twilio_event("notification/send", fallback_data(&row), now));
        }
        let update = ProviderUpdate {
            expected: row.provider_status.clone(),
            provider_status: reported.to_string(),
            status: next.as_str().to_string(),
            error_code: error_code.clone(),
            at: now,
        };
        if state
            .store
            .apply_provider_status(&row.tenant_id, row.notification_id, &update, &events)
            .await?
        {
            tracing::info!(
                notification.id = %row.notification_id,
                status = next.as_str(),
                "notification status updated by callback"
            );
            return Ok(());
        }
        // Another callback for the same message won the race: read again.
    }
    Ok(())
}

/// What asks `send-notification` for the SMS standing in for an unanswered urgent
/// call: the call's id (the text is copied from its log entry, never carried here) and
/// the nurse, whose notifications go one at a time.
fn fallback_data(row: &NotificationRow) -> serde_json::Value {
    json!({
        "fallbackFor": row.notification_id,
        "nurseId": (row.recipient_kind == "nurse").then_some(&row.recipient_id),
        "priority": "urgent",
    })
}

fn event_data(
    row: &NotificationRow,
    status: &str,
    provider_status: &str,
    error_code: Option<&str>,
) -> serde_json::Value {
    json!({
        "notificationId": row.notification_id,
        "kind": row.kind,
        "channel": row.channel,
        "status": status,
        "providerStatus": provider_status,
        "errorCode": error_code,
        "taskId": row.task_id,
        "patientId": row.patient_id,
        "nurseId": (row.recipient_kind == "nurse").then_some(&row.recipient_id),
    })
}
