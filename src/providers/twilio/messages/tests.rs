use super::*;
use crate::providers::twilio::test_support::{SID, client, expected_basic_auth, spawn};
use axum::http::{Method, StatusCode};
use chrono::TimeZone;
use std::time::Duration;

const CREATED: &str = r#"{ "sid": "SM5f0c2a7d41e8493a9c5e1b6f0d2e4a11", "account_sid": "AC00000000000000000000000000000001",
  "api_version": "2010-04-01", "to": "+15005550006", "from": "+15005550001",
  "messaging_service_sid": null, "body": "Hi, this is your care team checking in...",
  "status": "queued", "direction": "outbound-api", "num_segments": "1", "num_media": "0",
  "price": null, "price_unit": "USD", "error_code": null, "error_message": null,
  "date_created": "Mon, 03 Mar 2025 14:00:00 +0000", "date_updated": "Mon, 03 Mar 2025 14:00:00 +0000",
  "date_sent": null, "uri": "/2010-04-01/Accounts/AC00000000000000000000000000000001/Messages/SM5f0c2a7d41e8493a9c5e1b6f0d2e4a11.json",
  "subresource_uris": { "media": "/x/Media.json" } }"#;

fn created() -> (StatusCode, Vec<(&'static str, String)>, String) {
    (StatusCode::CREATED, vec![], CREATED.to_owned())
}

#[tokio::test]
async fn sending_an_sms_posts_the_form_with_basic_auth_and_reads_the_message() {
    let (base, seen) = spawn(|_| created()).await;
    let message = client(&base, None)
        .send_sms(
            "+15005550006",
            "Hi, checking in",
            Some("https://care.example/cb"),
        )
        .await
        .unwrap();

    let seen = seen.lock().unwrap();
    let request = &seen[0];
    assert_eq!(request.method, Method::POST);
    assert_eq!(
        request.path,
        format!("/2010-04-01/Accounts/{SID}/Messages.json")
    );
    assert_eq!(
        request.authorization.as_deref(),
        Some(expected_basic_auth().as_str())
    );
    assert_eq!(
        request.content_type.as_deref(),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(request.form_one("To"), Some("+15005550006"));
    assert_eq!(request.form_one("Body"), Some("Hi, checking in"));
    assert_eq!(request.form_one("From"), Some("+15005550001"));
    assert_eq!(request.form_one("MessagingServiceSid"), None);
    assert_eq!(
        request.form_one("StatusCallback"),
        Some("https://care.example/cb")
    );

    assert_eq!(message.sid, "SM5f0c2a7d41e8493a9c5e1b6f0d2e4a11");
    assert_eq!(message.status, MessageStatus::Queued);
    assert_eq!(message.num_segments, Some(1));
    assert_eq!(
        message.date_created,
        Utc.with_ymd_and_hms(2025, 3, 3, 14, 0, 0).single()
    );
    assert_eq!(message.date_sent, None);
    assert!(
        !format!("{message:?}").contains("+1500"),
        "no numbers in Debug"
    );
}

#[tokio::test]
async fn a_messaging_service_replaces_the_sender_number() {
    let (base, seen) = spawn(|_| created()).await;
    client(&base, Some("MG0000000000000000000000000000000a"))
        .send_sms("+15005550006", "Hi", None)
        .await
        .unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(
        seen[0].form_one("MessagingServiceSid"),
        Some("MG0000000000000000000000000000000a")
    );
    assert_eq!(seen[0].form_one("From"), None);
    assert_eq!(seen[0].form_one("StatusCallback"), None);
}

#[tokio::test]
async fn an_invalid_number_is_a_permanent_error_with_twilios_code() {
    let (base, _) = spawn(|_| {
        let body = r#"{"code": 21211, "message": "The 'To' number +1555 is not a valid phone number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}"#;
        (StatusCode::BAD_REQUEST, vec![], body.to_owned())
    })
    .await;
    let err = client(&base, None)
        .send_sms("+1555", "Hi", None)
        .await
        .unwrap_err();
    assert!(!err.is_retryable());
    assert_eq!(err.code(), Some(21211));
    match err {
        TwilioError::Api {
            status,
            more_info,
            message,
            ..
        } => {
            assert_eq!(status, 400);
            assert_eq!(
                more_info.as_deref(),
                Some("https://www.twilio.com/docs/errors/21211")
            );
            assert!(message.starts_with("The 'To' number"));
        }
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn throttling_is_retryable_after_the_wait_twilio_asks_for() {
    let (base, _) = spawn(|_| {
        let body = r#"{"code": 20429, "message": "Too Many Requests", "status": 429}"#;
        (
            StatusCode::TOO_MANY_REQUESTS,
            vec![("retry-after", "7".to_owned())],
            body.to_owned(),
        )
    })
    .await;
    let err = client(&base, None)
        .send_sms("+15005550006", "Hi", None)
        .await
        .unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
}

#[tokio::test]
async fn a_server_error_without_a_body_is_retryable() {
    let (base, _) = spawn(|_| (StatusCode::BAD_GATEWAY, vec![], String::new())).await;
    let err = client(&base, None)
        .send_sms("+15005550006", "Hi", None)
        .await
        .unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(err.retry_after(), None);
}

#[tokio::test]
async fn an_unreachable_twilio_is_a_retryable_connection_error() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = client(&base, None)
        .send_sms("+15005550006", "Hi", None)
        .await
        .unwrap_err();
    assert!(matches!(err, TwilioError::Connect(_)), "{err:?}");
    assert!(err.is_retryable());
    assert!(!err.to_string().contains("+1500"));
}

#[tokio::test]
async fn without_a_sender_nothing_is_sent() {
    let (base, seen) = spawn(|_| created()).await;
    let mut twilio = client(&base, None);
    twilio.settings.from.clear();
    let err = twilio
        .send_sms("+15005550006", "Hi", None)
        .await
        .unwrap_err();
    assert!(matches!(err, TwilioError::Config(_)));
    assert!(seen.lock().unwrap().is_empty());
}

#[tokio::test]
async fn recent_messages_are_listed_by_recipient_and_day_across_pages() {
    let page_one = format!(
        r#"{{"messages": [
            {{"sid": "SMnew", "status": "sending", "date_created": "Mon, 03 Mar 2025 14:00:05 +0000", "date_sent": null}},
            {{"sid": "SMold", "status": "delivered", "date_created": "Mon, 03 Mar 2025 08:00:00 +0000", "date_sent": "Mon, 03 Mar 2025 08:00:01 +0000"}}
         ], "next_page_uri": "/2010-04-01/Accounts/{SID}/Messages.json?To=%2B15005550006&PageToken=PA2"}}"#
    );
    let (base, seen) = spawn(move |req| {
        let body = if req.query_one("PageToken").is_some() {
            r#"{"messages": [{"sid": "SMundated", "status": "weird_new_status"}], "next_page_uri": null}"#.to_owned()
        } else {
            page_one.clone()
        };
        (StatusCode::OK, vec![], body)
    })
    .await;
    let since = Utc.with_ymd_and_hms(2025, 3, 3, 13, 59, 0).unwrap();
    let found = client(&base, None)
        .recent_messages_to("+15005550006", since)
        .await
        .unwrap();
    let sids: Vec<&str> = found.iter().map(|m| m.sid.as_str()).collect();
    assert_eq!(sids, ["SMnew", "SMundated"]);
    assert_eq!(found[1].status, MessageStatus::Unknown);

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].method, Method::GET);
    assert_eq!(
        seen[0].path,
        format!("/2010-04-01/Accounts/{SID}/Messages.json")
    );
    assert_eq!(seen[0].query_one("To"), Some("+15005550006"));
    assert_eq!(seen[0].query_one("DateSent>"), Some("2025-03-03"));
    assert_eq!(seen[1].query_one("PageToken"), Some("PA2"));
    assert_eq!(
        seen[1].authorization.as_deref(),
        Some(expected_basic_auth().as_str())
    );
}

#[tokio::test]
async fn a_next_page_outside_the_api_is_not_followed() {
    let (base, seen) = spawn(|_| {
        let body = r#"{"messages": [], "next_page_uri": "@elsewhere.invalid/steal"}"#;
        (StatusCode::OK, vec![], body.to_owned())
    })
    .await;
    let found = client(&base, None)
        .recent_messages_to("+15005550006", Utc::now())
        .await
        .unwrap();
    assert!(found.is_empty());
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[test]
fn a_status_never_moves_backwards() {
    use MessageStatus::*;
    assert!(Queued.can_advance_to(Sending));
    assert!(Sending.can_advance_to(Sent));
    assert!(Sent.can_advance_to(Delivered));
    assert!(Delivered.can_advance_to(Read));
    assert!(
        Sent.can_advance_to(Read),
        "a read receipt may overtake delivery"
    );
    assert!(Queued.can_advance_to(Failed));
    assert!(Accepted.can_advance_to(Queued));
    assert!(Scheduled.can_advance_to(Canceled));
    assert!(Receiving.can_advance_to(Received));
    assert!(Unknown.can_advance_to(Sent));

    assert!(
        !Delivered.can_advance_to(Sent),
        "late 'sent' callback after delivery"
    );
    assert!(!Sent.can_advance_to(Queued));
    assert!(!Sent.can_advance_to(Sent), "repeated callback");
    assert!(!Read.can_advance_to(Delivered));
    assert!(!Failed.can_advance_to(Delivered));
    assert!(!Undelivered.can_advance_to(Read));
    assert!(!Delivered.can_advance_to(Failed));
    assert!(!Sent.can_advance_to(Unknown));
    assert!(Delivered.rank() > Sent.rank() && Read.rank() > Delivered.rank());
    for terminal in [Delivered, Undelivered, Failed, Read, Canceled] {
        assert!(terminal.is_terminal(), "{terminal}");
    }
    assert!(!Sent.is_terminal());
}

#[test]
fn every_documented_status_name_is_understood() {
    for status in MessageStatus::ALL {
        assert_eq!(MessageStatus::parse(status.as_str()), status);
        let json = serde_json::to_string(&status).unwrap();
        assert_eq!(json, format!("\"{}\"", status.as_str()));
        assert_eq!(
            serde_json::from_str::<MessageStatus>(&json).unwrap(),
            status
        );
    }
    assert_eq!(
        MessageStatus::parse("partially_delivered"),
        MessageStatus::PartiallyDelivered
    );
    assert_eq!(MessageStatus::parse("exploded"), MessageStatus::Unknown);
}
