//! Reads and error classification: statuses, auth, bad bodies, ids, base URLs.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::json;
use tokio::net::TcpListener;

use super::*;

#[tokio::test]
async fn a_missing_encounter_is_a_permanent_404_with_the_server_diagnostics() {
    let (base, _fake) = serve(|_| vec![]).await;

    let err = client(&base).encounter("enc-missing").await.unwrap_err();

    match &err {
        FhirError::Status {
            status,
            diagnostics,
            ..
        } => {
            assert_eq!(*status, 404);
            assert_eq!(
                diagnostics,
                &["Resource Encounter/enc-missing is not known"]
            );
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("is not known"));
}

#[tokio::test]
async fn an_unavailable_server_is_retryable_after_the_delay_it_asked_for() {
    let (base, _fake) = serve(|_| {
        let busy = Reply {
            status: StatusCode::SERVICE_UNAVAILABLE,
            body: r#"{"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"transient","diagnostics":"database busy"}]}"#.into(),
            retry_after: Some("7"),
        };
        vec![("/fhir/Patient/pat-42".into(), busy)]
    })
    .await;

    let err = client(&base).patient("pat-42").await.unwrap_err();

    assert!(err.is_retryable());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
    assert!(err.to_string().contains("503: database busy"));
}

#[tokio::test]
async fn a_patient_is_read_with_basic_authentication() {
    let (base, fake) = serve(|_| {
        let patient = json!({"resourceType": "Patient", "id": "pat-42",
            "name": [{"family": "Okafor", "given": ["Ada"]}], "gender": "female",
            "birthDate": "1961-07-14"});
        vec![("/fhir/Patient/pat-42".into(), ok(patient))]
    })
    .await;
    let auth = FhirAuth::Basic {
        user: "careflow".into(),
        password: Secret::new("pw"),
    };
    let fhir = FhirClient::new(reqwest::Client::new(), format!("{base}/"), auth).unwrap();

    let patient = fhir.patient("pat-42").await.unwrap();

    assert_eq!(patient.display_name().as_deref(), Some("Ada Okafor"));
    let seen = fake.seen();
    assert_eq!(seen[0].target, "/fhir/Patient/pat-42");
    // base64("careflow:pw")
    assert_eq!(
        seen[0].authorization.as_deref(),
        Some("Basic Y2FyZWZsb3c6cHc=")
    );
}

#[tokio::test]
async fn malformed_json_and_wrong_resource_types_are_permanent_errors() {
    let (base, _fake) = serve(|_| {
        vec![
            (
                "/fhir/Patient/pat-1".into(),
                Reply {
                    status: StatusCode::OK,
                    body: "{\"resourceType\":\"Patient\",".into(),
                    retry_after: None,
                },
            ),
            (
                "/fhir/Patient/pat-2".into(),
                ok(json!({"resourceType": "Encounter", "id": "x"})),
            ),
        ]
    })
    .await;
    let fhir = client(&base);

    for id in ["pat-1", "pat-2"] {
        let err = fhir.patient(id).await.unwrap_err();
        assert!(matches!(err, FhirError::Decode(_)), "{err:?}");
        assert!(!err.is_retryable());
    }
}

#[tokio::test]
async fn an_oversized_body_is_refused() {
    let (base, _fake) = serve(|_| {
        let patient = json!({"resourceType": "Patient", "id": "pat-42", "gender": "x".repeat(500)});
        vec![("/fhir/Patient/pat-42".into(), ok(patient))]
    })
    .await;

    let err = client(&base)
        .with_max_body_bytes(100)
        .patient("pat-42")
        .await
        .unwrap_err();
    assert!(
        matches!(err, FhirError::BodyTooLarge { limit: 100 }),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_refused_connection_is_a_retryable_transport_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/fhir", listener.local_addr().unwrap());
    drop(listener);

    let err = client(&base).encounter("enc-1").await.unwrap_err();

    assert!(matches!(err, FhirError::Transport(_)), "{err:?}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn ids_that_could_rewrite_the_path_are_refused_before_any_request() {
    let (base, fake) = serve(|_| vec![]).await;
    let fhir = client(&base);

    for id in ["../Patient", "a/b", "..", "", "enc 1"] {
        let err = fhir.conditions_for(id).await.unwrap_err();
        assert!(matches!(err, FhirError::InvalidId), "{id}: {err:?}");
    }
    assert!(fake.seen().is_empty());
}

#[test]
fn base_urls_with_credentials_or_other_schemes_are_rejected() {
    for base in [
        "ftp://h/fhir",
        "http://u:p@h/fhir",
        "http://h/fhir?x=1",
        "not a url",
    ] {
        let made = FhirClient::new(reqwest::Client::new(), base.into(), FhirAuth::None);
        assert!(matches!(made, Err(FhirError::InvalidBaseUrl(_))), "{base}");
    }
    let ok = FhirClient::new(
        reqwest::Client::new(),
        "https://h/fhir".into(),
        FhirAuth::None,
    );
    assert_eq!(ok.unwrap().base_url().as_str(), "https://h/fhir/");
}
