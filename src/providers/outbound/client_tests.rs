//! Tests of the guarded client against servers on 127.0.0.1.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap as AxumHeaders, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{any, get};

use super::*;
use crate::providers::outbound::OutboundErrorKind;

async fn serve(app: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// A server answering "hello" on every path and counting the requests it got.
async fn counting_server() -> (SocketAddr, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    let app = Router::new().fallback(any(move || {
        let counter = Arc::clone(&counter);
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            ([("x-request-id", "req-1"), ("set-cookie", "s=1")], "hello")
        }
    }));
    (serve(app).await, hits)
}

fn client_with(allow: &[&str], settings: OutboundSettings) -> GuardedClient {
    let allow: Vec<String> = allow.iter().map(|a| a.to_string()).collect();
    let policy = Arc::new(OutboundPolicy::new(&allow).unwrap());
    GuardedClient::new(policy, settings).unwrap()
}

fn client(allow: &[&str]) -> GuardedClient {
    client_with(
        allow,
        OutboundSettings {
            timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(5),
            ..OutboundSettings::default()
        },
    )
}

fn get_request(url: &str) -> OutboundRequest {
    OutboundRequest {
        method: Method::GET,
        url: Url::parse(url).unwrap(),
        headers: vec![],
        body: None,
    }
}

#[tokio::test]
async fn a_literal_loopback_url_is_refused_without_an_allowlist_and_never_sent() {
    let (addr, hits) = counting_server().await;
    let err = client(&[])
        .execute(get_request(&format!("http://{addr}/hook")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), OutboundErrorKind::RefusedByPolicy, "{err}");
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_name_resolving_to_loopback_is_refused_even_though_reqwest_wraps_the_error() {
    let (addr, hits) = counting_server().await;
    let url = format!("http://localhost:{}/hook", addr.port());
    let err = client(&[]).execute(get_request(&url)).await.unwrap_err();
    assert_eq!(err.kind(), OutboundErrorKind::RefusedByPolicy, "{err}");
    assert!(err.message().contains("localhost resolves to"), "{err}");
    assert_eq!(hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn an_allowlisted_address_is_reached_and_the_response_recorded() {
    let (addr, hits) = counting_server().await;
    let response = client(&["127.0.0.1/32"])
        .execute(get_request(&format!("http://{addr}/hook")))
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.body_excerpt, "hello");
    assert_eq!(response.body_size, 5);
    assert_eq!(response.header("x-request-id"), Some("req-1"));
    assert_eq!(response.header("set-cookie"), None);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_allowlisted_host_name_is_reached_despite_resolving_to_loopback() {
    let (addr, hits) = counting_server().await;
    let url = format!("http://localhost:{}/hook", addr.port());
    let response = client(&["localhost"])
        .execute(get_request(&url))
        .await
        .unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn method_headers_and_body_are_sent_as_given() {
    let app = Router::new().route(
        "/echo",
        any(
            |method: Method, headers: AxumHeaders, body: String| async move {
                let token = headers
                    .get("x-partner-token")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-")
                    .to_owned();
                let agent = headers
                    .get(header::USER_AGENT)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-")
                    .to_owned();
                format!("{method} {token} {agent} {body}")
            },
        ),
    );
    let addr = serve(app).await;
    let request = OutboundRequest {
        method: Method::PUT,
        url: Url::parse(&format!("http://{addr}/echo")).unwrap(),
        headers: vec![("X-Partner-Token".into(), "t0k".into())],
        body: Some(b"{\"a\":1}".to_vec()),
    };
    let response = client(&["127.0.0.1"]).execute(request).await.unwrap();
    let expected = format!("PUT t0k careflow/{} {{\"a\":1}}", env!("CARGO_PKG_VERSION"));
    assert_eq!(response.body_excerpt, expected);
}

#[tokio::test]
async fn a_redirect_from_an_allowed_host_to_a_refused_address_is_refused() {
    let (target, target_hits) = counting_server().await;
    // 127.0.0.2 is loopback too, but outside the allowlisted /32.
    let metadata = "http://169.254.169.254/latest/meta-data".to_string();
    let other_loopback = format!("http://127.0.0.2:{}/", target.port());
    for location in [metadata, other_loopback] {
        let app = Router::new().route(
            "/go",
            get(move || async move { (StatusCode::FOUND, [(header::LOCATION, location)]) }),
        );
        let addr = serve(app).await;
        let err = client(&["127.0.0.1/32"])
            .execute(get_request(&format!("http://{addr}/go")))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), OutboundErrorKind::RefusedByPolicy, "{err}");
    }
    assert_eq!(target_hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn allowed_redirects_are_followed() {
    let (target, _) = counting_server().await;
    let location = format!("http://{target}/final");
    let app = Router::new().route(
        "/go",
        get(move || async move {
            (
                StatusCode::TEMPORARY_REDIRECT,
                [(header::LOCATION, location)],
            )
        }),
    );
    let addr = serve(app).await;
    let response = client(&["127.0.0.1/32"])
        .execute(get_request(&format!("http://{addr}/go")))
        .await
        .unwrap();
    assert_eq!(response.body_excerpt, "hello");
}

#[tokio::test]
async fn redirects_past_the_limit_are_not_followed_and_the_redirect_is_the_answer() {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    let app = Router::new().route(
        "/loop",
        get(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            async { (StatusCode::FOUND, [(header::LOCATION, "/loop")]) }
        }),
    );
    let addr = serve(app).await;
    let settings = OutboundSettings {
        max_redirects: 3,
        ..OutboundSettings::default()
    };
    let err = client_with(&["127.0.0.1"], settings)
        .execute(get_request(&format!("http://{addr}/loop")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), OutboundErrorKind::HttpStatus);
    assert_eq!(err.response().map(|r| r.status), Some(302));
    assert!(!err.is_retryable());
    assert_eq!(hits.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn a_server_that_never_answers_times_out() {
    let app = Router::new().route("/slow", get(std::future::pending::<String>));
    let addr = serve(app).await;
    let settings = OutboundSettings {
        timeout: Duration::from_millis(200),
        ..OutboundSettings::default()
    };
    let err = client_with(&["127.0.0.1"], settings)
        .execute(get_request(&format!("http://{addr}/slow")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), OutboundErrorKind::Timeout, "{err}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn a_closed_port_is_a_connect_failure_and_the_message_has_no_url() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let err = client(&["127.0.0.1"])
        .execute(get_request(&format!("http://{addr}/hook?token=s3cret")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), OutboundErrorKind::Connect, "{err}");
    assert!(err.is_retryable());
    assert!(!err.message().contains("s3cret"), "{err}");
}

#[tokio::test]
async fn a_large_body_is_counted_but_only_an_excerpt_is_kept() {
    let app = Router::new().route("/big", get(|| async { "x".repeat(100_000) }));
    let addr = serve(app).await;
    let settings = OutboundSettings {
        max_response_bytes: 1024,
        ..OutboundSettings::default()
    };
    let response = client_with(&["127.0.0.1"], settings)
        .execute(get_request(&format!("http://{addr}/big")))
        .await
        .unwrap();
    assert_eq!(response.body_size, 100_000);
    assert_eq!(response.body_excerpt.len(), 1024);
}

#[tokio::test]
async fn an_error_status_keeps_the_response_and_the_servers_retry_advice() {
    let app = Router::new().route(
        "/busy",
        get(|| async {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, "7")],
                "busy",
            )
                .into_response()
        }),
    );
    let addr = serve(app).await;
    let err = client(&["127.0.0.1"])
        .execute(get_request(&format!("http://{addr}/busy")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), OutboundErrorKind::HttpStatus);
    assert!(err.is_retryable());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    assert_eq!(
        err.response().map(|r| r.body_excerpt.as_str()),
        Some("busy")
    );
}

#[tokio::test]
async fn a_header_value_with_a_line_break_is_an_invalid_request() {
    let mut request = get_request("http://127.0.0.1:9/");
    request.headers = vec![("X-Note".into(), "a\r\nInjected: yes".into())];
    let err = client(&["127.0.0.1"]).execute(request).await.unwrap_err();
    assert_eq!(err.kind(), OutboundErrorKind::InvalidRequest);
    assert!(!err.message().contains("Injected"), "{err}");
}

#[test]
fn debug_output_of_a_request_hides_header_values_query_and_body() {
    let request = OutboundRequest {
        method: Method::POST,
        url: Url::parse("https://partner.example/hook?key=s3cret").unwrap(),
        headers: vec![("Authorization".into(), "Bearer s3cret".into())],
        body: Some(b"s3cret".to_vec()),
    };
    let text = format!("{request:?}");
    assert!(!text.contains("s3cret"), "{text}");
    assert!(text.contains("Authorization"), "{text}");
}
