//! The client against a fake Amion on 127.0.0.1.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use tokio::net::TcpListener;

use super::report::FIXTURE;
use super::*;

const LOGIN: &str = "s3cret-viewing-pw";

type Seen = Arc<Mutex<Vec<HashMap<String, String>>>>;

async fn serve(router: Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{addr}/")
}

/// A fake that records each query and answers with `status`, `headers` and `body`.
async fn fake(
    status: StatusCode,
    headers: Vec<(&'static str, &'static str)>,
    body: &'static str,
) -> (AmionClient, Seen) {
    let seen: Seen = Arc::default();
    let handler = move |State(seen): State<Seen>, Query(q): Query<HashMap<String, String>>| {
        let headers = headers.clone();
        async move {
            seen.lock().unwrap().push(q);
            let mut response = (status, body).into_response();
            for (name, value) in headers {
                response.headers_mut().insert(name, value.parse().unwrap());
            }
            response
        }
    };
    let router = Router::new()
        .route("/cgi-bin/ocs", get(handler))
        .with_state(seen.clone());
    let base = serve(router).await;
    (AmionClient::new(reqwest::Client::new(), base), seen)
}

fn march_3() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, 3).unwrap()
}

fn assert_login_hidden(err: &AmionError) {
    let shown = format!("{err} / {err:?} / {:?}", std::error::Error::source(err));
    assert!(!shown.contains(LOGIN), "login leaked: {shown}");
}

#[tokio::test]
async fn assignments_are_fetched_with_the_report_619_query() {
    let (client, seen) = fake(StatusCode::OK, vec![], FIXTURE).await;
    let got = client
        .fetch_assignments(&AccessCode::new(LOGIN), march_3(), 7)
        .await
        .unwrap();
    assert_eq!(got.len(), 3);
    assert_eq!(got[1].assignment_name, "Night Admitter");
    let query = seen.lock().unwrap()[0].clone();
    let expected: HashMap<String, String> = [
        ("Lo", LOGIN),
        ("Rpt", "619"),
        ("Day", "3"),
        ("Month", "3"),
        ("Year", "2025"),
        ("Days", "7"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(query, expected);
}

#[tokio::test]
async fn an_unknown_login_is_an_auth_error_that_does_not_repeat_the_login() {
    let (client, _) = fake(StatusCode::OK, vec![], "NOFI=No file\n").await;
    let err = client
        .fetch_assignments(&AccessCode::new(LOGIN), march_3(), 1)
        .await
        .unwrap_err();
    assert!(matches!(err, AmionError::Auth), "{err:?}");
    assert!(!err.is_retryable());
    assert_login_hidden(&err);
}

#[tokio::test]
async fn a_server_error_is_retryable_and_keeps_the_requested_delay() {
    let (client, _) = fake(
        StatusCode::INTERNAL_SERVER_ERROR,
        vec![("retry-after", "30")],
        "oops",
    )
    .await;
    let err = client
        .fetch_assignments(&AccessCode::new(LOGIN), march_3(), 1)
        .await
        .unwrap_err();
    assert!(
        matches!(err, AmionError::Status { status: 500, .. }),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(30)));
    assert_login_hidden(&err);
}

#[tokio::test]
async fn a_client_error_status_is_not_retryable() {
    let (client, _) = fake(StatusCode::FORBIDDEN, vec![], "no").await;
    let err = client
        .fetch_assignments(&AccessCode::new(LOGIN), march_3(), 1)
        .await
        .unwrap_err();
    assert!(!err.is_retryable());
    assert_eq!(err.retry_after(), None);
}

#[tokio::test]
async fn a_garbage_body_is_refused_rather_than_read_as_an_empty_schedule() {
    let (client, _) = fake(StatusCode::OK, vec![], "<html>Maintenance tonight</html>").await;
    let err = client
        .fetch_assignments(&AccessCode::new(LOGIN), march_3(), 1)
        .await
        .unwrap_err();
    assert!(matches!(err, AmionError::UnexpectedBody(_)), "{err:?}");
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn an_unreachable_server_is_retryable_and_the_error_omits_the_login() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = AmionClient::new(reqwest::Client::new(), format!("http://{addr}"));
    let err = client
        .fetch_assignments(&AccessCode::new(LOGIN), march_3(), 1)
        .await
        .unwrap_err();
    assert!(matches!(err, AmionError::Transport(_)), "{err:?}");
    assert!(err.is_retryable());
    assert_login_hidden(&err);
}

#[tokio::test]
async fn zero_days_is_refused_before_any_request() {
    let (client, seen) = fake(StatusCode::OK, vec![], FIXTURE).await;
    let err = client
        .fetch_assignments(&AccessCode::new(LOGIN), march_3(), 0)
        .await
        .unwrap_err();
    assert!(matches!(err, AmionError::InvalidRequest(_)));
    assert!(seen.lock().unwrap().is_empty());
}

#[test]
fn the_access_code_debug_output_is_redacted() {
    let code = AccessCode::new(LOGIN);
    assert_eq!(format!("{code:?}"), "[redacted]");
    assert_eq!(code.expose(), LOGIN);
}

#[test]
fn retry_after_accepts_an_http_date() {
    let mut headers = HeaderMap::new();
    let later = (Utc::now() + chrono::Duration::seconds(120)).to_rfc2822();
    headers.insert(RETRY_AFTER, later.parse().unwrap());
    let wait = retry_after(&headers).unwrap();
    assert!(
        wait > Duration::from_secs(100) && wait <= Duration::from_secs(120),
        "{wait:?}"
    );
}
