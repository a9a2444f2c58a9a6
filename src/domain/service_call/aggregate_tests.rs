//! The aggregate against a real (SQLite) store: transitions, their events, and
//! how headers are kept.

use std::sync::Arc;

use base64::Engine as _;
use chrono::{Duration, TimeZone};
use serde_json::json;

use super::*;
use crate::config::{Secret, Settings};
use crate::providers::outbound::OutboundResponse;
use crate::store::ServiceCallStore;
use crate::store::sqlite::SqliteStore;

struct Fixture {
    calls: ServiceCalls,
    store: Arc<SqliteStore>,
    tenant: TenantId,
    _dir: tempfile::TempDir,
}

async fn fixture(key: Option<[u8; 32]>) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let settings = Settings::defaults();
    let store = Arc::new(
        SqliteStore::open(&dir.path().join("t.db"), &settings.database)
            .await
            .unwrap(),
    );
    store.migrate().await.unwrap();
    let mut sc = settings.service_calls.clone();
    sc.secret_headers = vec!["X-Api-Key".into()];
    if let Some(k) = key {
        sc.encryption_key = Secret::new(base64::engine::general_purpose::STANDARD.encode(k));
    }
    let policy = Arc::new(OutboundPolicy::new(&[]).unwrap());
    let calls = ServiceCalls::new(store.clone(), &sc, policy).unwrap();
    Fixture {
        calls,
        store,
        tenant: TenantId::parse("t1").unwrap(),
        _dir: dir,
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2030, 1, 1, 9, 0, 0).unwrap()
}

fn body(tags: &[&str], due_in_minutes: i64) -> Value {
    json!({
        "name": "partner webhook",
        "request": {
            "method": "POST",
            "url": "https://partner.example/hook?x=1",
            "headers": {"Authorization": "Bearer s3cret", "X-Api-Key": "k-123", "X-Trace": "t-1"},
            "body": {"hello": "world"}
        },
        "dueAt": (now() + Duration::minutes(due_in_minutes)).to_rfc3339(),
        "tags": tags,
    })
}

async fn submit(
    f: &Fixture,
    body: &Value,
    key: Option<&str>,
) -> Result<RecordedCall, ServiceCallError> {
    let valid = f.calls.validate(body, now()).unwrap();
    f.calls
        .submit(
            &f.tenant,
            &valid,
            key.map(String::from),
            ServiceCalls::request_hash(body),
            now(),
        )
        .await
}

async fn events(f: &Fixture) -> Vec<String> {
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", f.store.path().display()))
        .await
        .unwrap();
    sqlx::query_scalar("select event_type from events order by position")
        .fetch_all(&pool)
        .await
        .unwrap()
}

async fn raw_headers(f: &Fixture, call: &ServiceCall) -> String {
    let row = f
        .store
        .get_service_call(&f.tenant, call.id)
        .await
        .unwrap()
        .unwrap();
    row.headers.0.to_string()
}

fn applied(t: Transition) -> ServiceCall {
    match t {
        Transition::Applied(c) => c,
        Transition::Unchanged(c) => panic!("transition did not apply: {c:?}"),
    }
}

fn unchanged(t: Transition) -> ServiceCall {
    match t {
        Transition::Unchanged(Some(c)) => c,
        other => panic!("expected no change, got {other:?}"),
    }
}

#[tokio::test]
async fn secret_headers_are_sealed_in_storage_redacted_in_views_and_opened_for_sending() {
    let f = fixture(Some([9; 32])).await;
    let call = submit(&f, &body(&[], 0), None).await.unwrap().call;
    assert_eq!(call.status, ServiceCallStatus::Submitted);
    let raw = raw_headers(&f, &call).await;
    assert!(!raw.contains("s3cret") && !raw.contains("k-123"), "{raw}");
    assert!(raw.contains("t-1"));
    let view = serde_json::to_value(call.view()).unwrap();
    assert_eq!(view["request"]["headers"]["Authorization"], "[redacted]");
    assert_eq!(view["request"]["headers"]["X-Api-Key"], "[redacted]");
    assert_eq!(view["request"]["headers"]["X-Trace"], "t-1");
    assert_eq!(view["warnings"], json!([]));
    let request = f.calls.outbound_request(&call).unwrap();
    let sent: Vec<(&str, &str)> = request
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    assert!(sent.contains(&("Authorization", "Bearer s3cret")));
    assert!(sent.contains(&("X-Api-Key", "k-123")));
    assert!(sent.contains(&("Content-Type", "application/json")));
    assert_eq!(
        request.body.as_deref(),
        Some(br#"{"hello":"world"}"#.as_slice())
    );
}

#[tokio::test]
async fn without_a_key_secret_values_are_not_stored_nor_sent_and_the_view_says_so() {
    let f = fixture(None).await;
    let call = submit(&f, &body(&[], 0), None).await.unwrap().call;
    let raw = raw_headers(&f, &call).await;
    assert!(!raw.contains("s3cret") && !raw.contains("k-123"), "{raw}");
    assert_eq!(call.dropped_headers(), ["Authorization", "X-Api-Key"]);
    let view = call.view();
    assert_eq!(view.warnings.len(), 2);
    assert!(view.warnings[0].contains("Authorization"));
    let request = f.calls.outbound_request(&call).unwrap();
    assert!(
        request
            .headers
            .iter()
            .all(|(n, _)| n != "Authorization" && n != "X-Api-Key")
    );
}

fn sent_header(request: &OutboundRequest, name: &str) -> Option<String> {
    request
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.clone())
}

#[tokio::test]
async fn every_request_carries_the_call_id_in_the_configured_or_named_key_header() {
    let f = fixture(None).await;
    let call = submit(&f, &body(&[], 0), None).await.unwrap().call;
    let request = f.calls.outbound_request(&call).unwrap();
    assert_eq!(
        sent_header(&request, "Idempotency-Key"),
        Some(call.id.to_string())
    );
    let view = serde_json::to_value(call.view()).unwrap();
    assert_eq!(
        view["request"]["headers"]["Idempotency-Key"],
        call.id.to_string()
    );

    let mut named = body(&[], 0);
    named["request"]["idempotencyHeader"] = json!("X-Request-Key");
    let call = submit(&f, &named, None).await.unwrap().call;
    let request = f.calls.outbound_request(&call).unwrap();
    assert_eq!(
        sent_header(&request, "X-Request-Key"),
        Some(call.id.to_string())
    );
    assert_eq!(sent_header(&request, "Idempotency-Key"), None);

    let mut off = body(&[], 0);
    off["request"]["idempotencyHeader"] = Value::Null;
    let call = submit(&f, &off, None).await.unwrap().call;
    let request = f.calls.outbound_request(&call).unwrap();
    assert_eq!(sent_header(&request, "Idempotency-Key"), None);
}

#[tokio::test]
async fn a_key_header_value_the_caller_gives_is_sent_instead_of_the_call_id() {
    let f = fixture(None).await;
    let mut given = body(&[], 0);
    given["request"]["headers"]["idempotency-key"] = json!("order-77");
    let call = submit(&f, &given, None).await.unwrap().call;
    let request = f.calls.outbound_request(&call).unwrap();
    let keys: Vec<_> = request
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("Idempotency-Key"))
        .collect();
    assert_eq!(keys.len(), 1, "{keys:?}");
    assert_eq!(keys[0].1, "order-77");
}

#[tokio::test]
async fn an_empty_configured_key_header_sends_none_unless_the_call_names_one() {
    let mut f = fixture(None).await;
    let mut sc = Settings::defaults().service_calls;
    sc.idempotency_header = String::new();
    let policy = Arc::new(OutboundPolicy::new(&[]).unwrap());
    f.calls = ServiceCalls::new(f.store.clone(), &sc, policy).unwrap();
    let call = submit(&f, &body(&[], 0), None).await.unwrap().call;
    let request = f.calls.outbound_request(&call).unwrap();
    assert_eq!(sent_header(&request, "Idempotency-Key"), None);
    let mut named = body(&[], 0);
    named["request"]["idempotencyHeader"] = json!("Idempotency-Key");
    let call = submit(&f, &named, None).await.unwrap().call;
    let request = f.calls.outbound_request(&call).unwrap();
    assert_eq!(
        sent_header(&request, "Idempotency-Key"),
        Some(call.id.to_string())
    );
}

#[tokio::test]
async fn a_sealed_header_that_no_longer_opens_makes_the_request_unsendable() {
    let f = fixture(Some([1; 32])).await;
    let call = submit(&f, &body(&[], 0), None).await.unwrap().call;
    let other = fixture(Some([2; 32])).await;
    let err = other.calls.outbound_request(&call).unwrap_err();
    assert!(err.contains("Authorization"), "{err}");
    assert!(!err.contains("s3cret"));
}

#[tokio::test]
async fn an_idempotency_key_returns_the_first_call_and_refuses_another_request() {
    let f = fixture(None).await;
    let first = submit(&f, &body(&[], 0), Some("k1")).await.unwrap();
    assert!(first.created);
    let again = submit(&f, &body(&[], 0), Some("k1")).await.unwrap();
    assert!(!again.created);
    assert_eq!(again.call.id, first.call.id);
    let other = submit(&f, &body(&["x"], 0), Some("k1")).await;
    assert!(
        matches!(other, Err(ServiceCallError::KeyReused)),
        "{other:?}"
    );
    assert_eq!(events(&f).await, ["ServiceCallSubmitted"]);
}

#[tokio::test]
async fn the_lifecycle_moves_forward_once_and_publishes_one_event_per_transition() {
    let f = fixture(None).await;
    let run = RunId::new();
    let call = submit(&f, &body(&[], 0), None).await.unwrap().call;
    let call = applied(f.calls.schedule(&call, run, now()).await.unwrap());
    assert_eq!(
        (call.status, call.run_id),
        (ServiceCallStatus::Scheduled, Some(run))
    );
    unchanged(f.calls.schedule(&call, RunId::new(), now()).await.unwrap());

    // Another run cannot claim it; the recorded run claims attempt 1 once.
    unchanged(
        f.calls
            .start_attempt(&call, RunId::new(), 1, now())
            .await
            .unwrap(),
    );
    let running = applied(f.calls.start_attempt(&call, run, 1, now()).await.unwrap());
    assert_eq!(
        (running.status, running.attempts),
        (ServiceCallStatus::Running, 1)
    );
    assert_eq!(running.started_at, Some(now()));
    unchanged(f.calls.start_attempt(&call, run, 1, now()).await.unwrap());
    let later = now() + Duration::seconds(5);
    let retried = applied(
        f.calls
            .start_attempt(&running, run, 2, later)
            .await
            .unwrap(),
    );
    assert_eq!(retried.attempts, 2);
    assert_eq!(retried.started_at, Some(now()), "the first start is kept");

    let answer = ResponseMeta::from(&OutboundResponse {
        status: 204,
        headers: vec![],
        body_size: 0,
        body_excerpt: String::new(),
        latency_ms: 3,
    });
    let done = applied(
        f.calls
            .succeed(&retried, run, &answer, later)
            .await
            .unwrap(),
    );
    assert_eq!(done.status, ServiceCallStatus::Succeeded);
    assert_eq!(done.response.as_ref().map(|r| r.status_code), Some(204));
    assert_eq!(done.finished_at, Some(later));

    // A duplicate result or a late failure changes nothing.
    let failure = FailureMeta::new(FailureKind::Timeout, "late", 3);
    let same = unchanged(
        f.calls
            .fail(&retried, run, &failure, None, later)
            .await
            .unwrap(),
    );
    assert_eq!(same.status, ServiceCallStatus::Succeeded);
    assert!(same.error.is_none());
    unchanged(
        f.calls
            .succeed(&retried, run, &answer, later)
            .await
            .unwrap(),
    );
    unchanged(f.calls.cancel(&retried, later).await.unwrap());
    unchanged(
        f.calls
            .start_attempt(&retried, run, 3, later)
            .await
            .unwrap(),
    );

    assert_eq!(
        events(&f).await,
        [
            "ServiceCallSubmitted",
            "ServiceCallScheduled",
            "ServiceCallRunning",
            "ServiceCallSucceeded"
        ]
    );
}

#[tokio::test]
async fn a_call_is_cancelled_only_before_it_runs() {
    let f = fixture(None).await;
    let run = RunId::new();
    let call = submit(&f, &body(&[], 60), None).await.unwrap().call;
    let call = applied(f.calls.schedule(&call, run, now()).await.unwrap());
    let cancelled = applied(f.calls.cancel(&call, now()).await.unwrap());
    assert_eq!(cancelled.status, ServiceCallStatus::Cancelled);
    unchanged(f.calls.start_attempt(&call, run, 1, now()).await.unwrap());

    let other = submit(&f, &body(&[], 60), None).await.unwrap().call;
    let other = applied(f.calls.schedule(&other, run, now()).await.unwrap());
    applied(f.calls.start_attempt(&other, run, 1, now()).await.unwrap());
    let still = unchanged(f.calls.cancel(&other, now()).await.unwrap());
    assert_eq!(still.status, ServiceCallStatus::Running);
}

#[tokio::test]
async fn an_unscheduled_call_is_abandoned_as_failed_with_its_reason() {
    let f = fixture(None).await;
    let call = submit(&f, &body(&[], 0), None).await.unwrap().call;
    let failed = applied(f.calls.abandon(&call, "queue full", now()).await.unwrap());
    assert_eq!(failed.status, ServiceCallStatus::Failed);
    let error = failed.error.unwrap();
    assert_eq!(
        (error.kind, error.message.as_str()),
        (FailureKind::NotScheduled, "queue full")
    );
}

#[tokio::test]
async fn listing_filters_by_status_tag_and_due_time_newest_first_with_a_cursor() {
    let f = fixture(None).await;
    let a = submit(&f, &body(&["red"], 10), None).await.unwrap().call;
    let b = submit(&f, &body(&["blue"], 20), None).await.unwrap().call;
    let c = submit(&f, &body(&["red", "blue"], 30), None)
        .await
        .unwrap()
        .call;
    applied(f.calls.schedule(&b, RunId::new(), now()).await.unwrap());
    let ids = |calls: Vec<ServiceCall>| calls.into_iter().map(|c| c.id).collect::<Vec<_>>();
    let page = |filter: ServiceCallFilter| {
        let calls = &f.calls;
        let tenant = f.tenant.clone();
        async move {
            ids(calls
                .list(
                    &tenant,
                    &ServiceCallFilter {
                        limit: 10,
                        ..filter
                    },
                )
                .await
                .unwrap())
        }
    };
    assert_eq!(page(ServiceCallFilter::default()).await, [c.id, b.id, a.id]);
    let red = ServiceCallFilter {
        tag: Some("red".into()),
        ..Default::default()
    };
    assert_eq!(page(red).await, [c.id, a.id]);
    let scheduled = ServiceCallFilter {
        status: Some(ServiceCallStatus::Scheduled),
        ..Default::default()
    };
    assert_eq!(page(scheduled).await, [b.id]);
    let soon = ServiceCallFilter {
        due_before: Some(now() + Duration::minutes(25)),
        ..Default::default()
    };
    assert_eq!(page(soon).await, [b.id, a.id]);
    let older = ServiceCallFilter {
        before: Some(c.id),
        ..Default::default()
    };
    assert_eq!(page(older).await, [b.id, a.id]);
    let other_tenant = TenantId::parse("t2").unwrap();
    assert!(f.calls.get(&other_tenant, a.id).await.unwrap().is_none());
    assert!(
        f.calls
            .list(
                &other_tenant,
                &ServiceCallFilter {
                    limit: 10,
                    ..Default::default()
                }
            )
            .await
            .unwrap()
            .is_empty()
    );
}
