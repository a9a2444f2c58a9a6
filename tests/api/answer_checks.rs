//! Every answer the API tests receive is checked against the API description,
//! the raw client's (`app.http`) included: these tests make sure a request outside
//! the description fails the test that sent it, and that only a call site that says
//! why can skip the check.
//!
//! They run on SQLite only: what they test is the tests' client, not a backend.

use reqwest::Method;

use crate::helpers::{Backend, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "the API description has no such path")]
async fn a_raw_request_to_a_path_the_description_lacks_fails_the_test() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let _ = app
        .http
        .get(app.url("/v1/no-such-resource"))
        .bearer_auth(&app.token)
        .send()
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[should_panic(expected = "is not in the API description")]
async fn a_raw_request_with_an_undescribed_method_fails_the_test() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let _ = app
        .http
        .request(Method::PATCH, app.url("/v1/me"))
        .bearer_auth(&app.token)
        .send()
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_site_that_says_why_may_skip_the_check() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let r = app
        .http
        .request(Method::PATCH, app.url("/v1/me"))
        .bearer_auth(&app.token)
        .unchecked("this test checks the opt-out itself")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
}

#[test]
#[should_panic(expected = "which its description does not document")]
fn an_answer_in_an_undocumented_media_type_fails_the_test() {
    crate::contract::check("GET", "/healthz", 200, "text/html", b"<p>ok</p>");
}

#[test]
#[should_panic(expected = "the API description has no such path")]
fn an_answer_from_a_path_the_description_lacks_fails_the_test() {
    crate::contract::check("GET", "/v1/nowhere", 404, "application/problem+json", b"{}");
}
