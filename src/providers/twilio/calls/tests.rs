use super::*;
use crate::providers::twilio::test_support::{SID, client, expected_basic_auth, spawn};
use axum::http::{Method, StatusCode};

const TWIML: &str = "<Response><Say>Hello, this is a follow-up call.</Say></Response>";

#[tokio::test]
async fn placing_a_call_posts_inline_twiml_and_the_callback_events() {
    let (base, seen) = spawn(|_| {
        let body = r#"{"sid": "CA0123456789abcdef0123456789abcdef", "status": "queued", "to": "+15005550006",
            "from": "+15005550001", "direction": "outbound-api", "duration": null, "start_time": null,
            "date_created": "Mon, 03 Mar 2025 14:00:00 +0000"}"#;
        (StatusCode::CREATED, vec![], body.to_owned())
    })
    .await;
    let call = client(&base, Some("MG-ignored-for-calls"))
        .place_call(
            "+15005550006",
            TWIML,
            Some("https://care.example/call-status"),
        )
        .await
        .unwrap();
    assert_eq!(call.sid, "CA0123456789abcdef0123456789abcdef");
    assert_eq!(call.status, CallStatus::Queued);
    assert!(call.date_created.is_some());

    let seen = seen.lock().unwrap();
    let request = &seen[0];
    assert_eq!(request.method, Method::POST);
    assert_eq!(
        request.path,
        format!("/2010-04-01/Accounts/{SID}/Calls.json")
    );
    assert_eq!(
        request.authorization.as_deref(),
        Some(expected_basic_auth().as_str())
    );
    assert_eq!(request.form_one("To"), Some("+15005550006"));
    assert_eq!(request.form_one("From"), Some("+15005550001"));
    assert_eq!(request.form_one("Twiml"), Some(TWIML));
    assert_eq!(
        request.form_one("StatusCallback"),
        Some("https://care.example/call-status")
    );
    assert_eq!(request.form_one("StatusCallbackMethod"), Some("POST"));
    assert_eq!(
        request.form_all("StatusCallbackEvent"),
        ["initiated", "ringing", "answered", "completed"]
    );
}

#[tokio::test]
async fn a_call_without_a_callback_sends_no_callback_fields() {
    let (base, seen) = spawn(|_| {
        (
            StatusCode::CREATED,
            vec![],
            r#"{"sid": "CA1", "status": "queued"}"#.to_owned(),
        )
    })
    .await;
    client(&base, None)
        .place_call("+15005550006", TWIML, None)
        .await
        .unwrap();
    let seen = seen.lock().unwrap();
    assert!(seen[0].form_all("StatusCallbackEvent").is_empty());
    assert_eq!(seen[0].form_one("StatusCallback"), None);
}

#[tokio::test]
async fn a_rejected_call_reports_twilios_error() {
    let (base, _) = spawn(|_| {
        let body = r#"{"code": 21215, "message": "Geographic permission denied", "status": 400}"#;
        (StatusCode::BAD_REQUEST, vec![], body.to_owned())
    })
    .await;
    let err = client(&base, None)
        .place_call("+15005550006", TWIML, None)
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(21215));
    assert!(!err.is_retryable());
}

#[test]
fn call_statuses_move_forward_only_and_use_twilios_names() {
    use CallStatus::*;
    assert!(Queued.can_advance_to(Ringing));
    assert!(Initiated.can_advance_to(Ringing));
    assert!(Ringing.can_advance_to(InProgress));
    assert!(InProgress.can_advance_to(Completed));
    assert!(Ringing.can_advance_to(NoAnswer));
    assert!(!Completed.can_advance_to(InProgress));
    assert!(!InProgress.can_advance_to(Ringing));
    assert!(!Busy.can_advance_to(Completed));
    assert!(!Ringing.can_advance_to(Unknown));
    for status in CallStatus::ALL {
        assert_eq!(CallStatus::parse(status.as_str()), status);
        let json = serde_json::to_string(&status).unwrap();
        assert_eq!(serde_json::from_str::<CallStatus>(&json).unwrap(), status);
    }
    assert_eq!(CallStatus::parse("no-answer"), NoAnswer);
    assert_eq!(
        serde_json::from_str::<CallStatus>("\"in-progress\"").unwrap(),
        InProgress
    );
    assert_eq!(
        serde_json::from_str::<CallStatus>("\"dialing\"").unwrap(),
        Unknown
    );
}
