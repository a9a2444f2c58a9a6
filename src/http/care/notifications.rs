//! `GET /v1/notifications?status=&channel=&patientId=&limit=&cursor=`: the
//! notification log, newest first.

use axum::extract::State;
use serde::Deserialize;

use super::notification_view::{Notification, NotificationChannel, NotificationPage};
use super::{one_of, page_limit, query_id};
use crate::auth::Principal;
use crate::domain::care::notify::{Channel, NotificationStatus};
use crate::domain::validation::Problems;
use crate::http::AppState;
use crate::http::error::{ApiError, ApiResult};
use crate::http::extract::{Json, Query};
use crate::store::NotificationFilter;

/// Query of `GET /v1/notifications`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationQuery {
    status: Option<String>,
    channel: Option<String>,
    patient_id: Option<String>,
    limit: Option<String>,
    cursor: Option<String>,
}

/// `GET /v1/notifications`.
#[utoipa::path(get, path = "/v1/notifications", operation_id = "getNotifications", tag = "notifications",
    params(
        ("status" = Option<super::notification_view::NotificationStatus>, Query, description = "Only entries in this status."),
        ("channel" = Option<NotificationChannel>, Query, description = "Only entries sent this way."),
        ("patientId" = Option<String>, Query, description = "Only entries about this patient."),
        ("limit" = Option<i64>, Query, minimum = 1, maximum = 100, description = "Page size, default 50."),
        ("cursor" = Option<Uuid>, Query, description = "`nextCursor` of the previous page.")),
    responses((status = 200, description = "A page of the notification log, newest first.", body = NotificationPage)))]
pub async fn list(
    State(state): State<AppState>,
    principal: Principal,
    Query(q): Query<NotificationQuery>,
) -> ApiResult<Json<NotificationPage>> {
    let mut p = Problems::new();
    let statuses: Vec<&str> = NotificationStatus::ALL.iter().map(|s| s.as_str()).collect();
    let channels: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
    let filter = NotificationFilter {
        status: one_of(q.status.as_deref(), &statuses, "/query/status", &mut p),
        channel: one_of(q.channel.as_deref(), &channels, "/query/channel", &mut p),
        patient_id: q.patient_id.clone().filter(|s| !s.is_empty()),
        before: query_id(q.cursor.as_deref(), "/query/cursor", &mut p),
        limit: page_limit(q.limit.as_deref(), &mut p),
    };
    if !p.is_empty() {
        return Err(ApiError::Validation(p));
    }
    let rows = state
        .store
        .list_notifications(&principal.tenant, &filter)
        .await?;
    let next = (rows.len() as i64 == filter.limit)
        .then(|| rows.last().map(|n| n.notification_id))
        .flatten();
    let notifications = rows
        .iter()
        .map(Notification::of)
        .collect::<Result<_, _>>()?;
    Ok(Json(NotificationPage {
        notifications,
        next_cursor: next,
    }))
}
