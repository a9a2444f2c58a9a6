//! Answers are the types the API description names: a stored value the description
//! does not list is an internal error (never an answer contradicting the
//! description, never the value itself).

use careflow::store::{NewNurse, TenantId};
use chrono::Utc;
use uuid::Uuid;

use super::spawn;
use crate::both_backends;
use crate::helpers::{Backend, TestApp};

async fn stored_nurse(app: &TestApp, channel: &str) -> Uuid {
    let nurse = NewNurse {
        tenant_id: TenantId::parse(&app.tenant).unwrap(),
        nurse_id: Uuid::now_v7(),
        name: "Sam".into(),
        phone: Some("+15551230001".into()),
        email: None,
        preferred_channel: channel.into(),
        max_open_tasks: 3,
        created_at: Utc::now(),
    };
    app.app().store.insert_nurse(&nurse).await.unwrap();
    nurse.nurse_id
}

/// `GET path` without the description check: a 500 is not a described answer.
async fn raw_get(app: &TestApp, path: &str) -> (u16, String, String) {
    let r = app
        .http
        .get(app.url(path))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let kind = r.headers()["content-type"].to_str().unwrap().to_string();
    (status, kind, r.text().await.unwrap())
}

async fn a_stored_value_outside_the_described_enum_is_an_internal_error(backend: Backend) {
    let care = spawn(backend, |_| {}).await;
    let app = &care.app;
    let fine = stored_nurse(app, "sms").await;
    let (status, _, body) = raw_get(app, &format!("/v1/nurses/{fine}")).await;
    assert_eq!(status, 200, "{body}");

    let odd = stored_nurse(app, "carrier_pigeon").await;
    for path in [format!("/v1/nurses/{odd}"), "/v1/nurses".to_string()] {
        let (status, kind, body) = raw_get(app, &path).await;
        assert_eq!(status, 500, "{path}: {body}");
        assert!(kind.starts_with("application/problem+json"), "{kind}");
        assert!(!body.contains("carrier_pigeon"), "{body}");
    }
}

both_backends!(a_stored_value_outside_the_described_enum_is_an_internal_error);
