//! Whatever a provider answers can be stored, on both backends: NUL bytes (which
//! PostgreSQL refuses in text and JSON) and bytes that are not UTF-8 become U+FFFD,
//! and the call reaches a final state after one request per attempt.

use serde_json::Value;

use crate::both_backends;
use crate::fake_partner::Reply;
use crate::helpers::Backend;
use crate::service_calls::{call_to, settle, spawn_with, submit};

/// A body with a NUL byte, the JSON escape for NUL and a byte that is not UTF-8.
const HOSTILE: &[u8] = b"ok\0then \\u0000 and \xff end";

async fn a_partner_answer_with_nul_bytes_is_stored_and_the_call_succeeds_once(backend: Backend) {
    let (app, partner) = spawn_with(backend, |_| {}).await;
    partner.script([Reply::Raw(200, HOSTILE)]);
    let call = submit(&app, &call_to(&partner.url("/nul"))).await;
    let (done, run) = settle(&app, &call).await;
    assert_eq!(run["status"], "completed", "{backend:?}: {run}");
    assert_eq!(done["status"], "succeeded", "{backend:?}: {done}");
    assert_eq!(
        done["response"]["bodyExcerpt"], "ok\u{FFFD}then \\u0000 and \u{FFFD} end",
        "{backend:?}"
    );
    assert_eq!(done["response"]["bodySize"], HOSTILE.len(), "{backend:?}");
    assert_eq!(partner.received().len(), 1, "{backend:?}: sent again");
}

async fn a_failing_answer_with_nul_bytes_fails_the_call_after_its_attempts(backend: Backend) {
    let (app, partner) = spawn_with(backend, |s| s.providers.outbound.retry.max_attempts = 2).await;
    partner.always(Reply::Raw(500, HOSTILE));
    let call = submit(&app, &call_to(&partner.url("/nul-500"))).await;
    let (done, run) = settle(&app, &call).await;
    assert_eq!(run["status"], "failed", "{backend:?}: {run}");
    assert_eq!(done["status"], "failed", "{backend:?}: {done}");
    assert_eq!(done["error"]["kind"], "http_status", "{backend:?}: {done}");
    let excerpt: &Value = &done["response"]["bodyExcerpt"];
    assert_eq!(
        excerpt, "ok\u{FFFD}then \\u0000 and \u{FFFD} end",
        "{backend:?}"
    );
    assert_eq!(
        partner.received().len(),
        2,
        "{backend:?}: one request per attempt"
    );
}

both_backends!(
    a_partner_answer_with_nul_bytes_is_stored_and_the_call_succeeds_once,
    a_failing_answer_with_nul_bytes_fails_the_call_after_its_attempts
);
