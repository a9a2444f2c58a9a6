//! The event stream (SSE) and the event listing.

use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use crate::both_backends;
use crate::helpers::{Backend, TestApp, eventually, json, lab};
use crate::lab::Recorder;
use crate::sse::SseClient;

const T: Duration = crate::helpers::DEADLINE;

async fn spawn(backend: Backend, adjust: impl FnOnce(&mut careflow::config::Settings)) -> TestApp {
    TestApp::spawn_with(backend, adjust, lab(&Recorder::default())).await
}

async fn run(app: &TestApp) -> String {
    let r = app
        .post("/v1/workflows/lab/runs?wait=20s", &json!({"input": {}}))
        .await;
    assert_eq!(r.status(), 200);
    json(r).await["runId"].as_str().unwrap().to_string()
}

fn ids(messages: &[crate::sse::Message]) -> Vec<i64> {
    messages
        .iter()
        .filter_map(|m| m.id.as_deref()?.parse().ok())
        .collect()
}

async fn two_subscribers_receive_the_same_events_in_the_same_order(backend: Backend) {
    let app = spawn(backend, |_| {}).await;
    let url = app.url("/v1/events/stream?workflow=lab");
    let mut one = SseClient::connect(&app.http, &url, &app.token, None).await;
    let mut two = SseClient::connect(&app.http, &url, &app.token, None).await;
    // The first message is the reconnect hint.
    assert_eq!(one.next(T).await.unwrap().retry, Some(3000));
    assert_eq!(two.next(T).await.unwrap().retry, Some(3000));
    let run_id = run(&app).await;
    let a = one.collect_until("run.completed", T).await;
    let b = two.collect_until("run.completed", T).await;
    assert_eq!(ids(&a), ids(&b));
    assert!(
        ids(&a).windows(2).all(|w| w[0] < w[1]),
        "ids are not increasing"
    );
    let types: Vec<&str> = a.iter().filter_map(|m| m.event.as_deref()).collect();
    assert_eq!(types.first(), Some(&"run.queued"));
    assert_eq!(types.iter().filter(|t| **t == "step.completed").count(), 5);
    let last = a.last().unwrap().json();
    assert_eq!(last["data"]["runId"], run_id);
    assert_eq!(last["tenantId"], "tenant-a");
    assert_eq!(last["eventType"], "run.completed");
    assert!(last["timestamp"].is_string() && last["source"] == "engine");
    assert_eq!(last["correlationId"], run_id);
    // The listing has the same events.
    let listed = json(app.get("/v1/events?workflow=lab").await).await;
    let listed_ids: Vec<i64> = listed["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert_eq!(listed_ids, ids(&a));
}

async fn reconnecting_with_last_event_id_replays_exactly_what_was_missed(backend: Backend) {
    let app = spawn(backend, |_| {}).await;
    let url = app.url("/v1/events/stream");
    let mut first = SseClient::connect(&app.http, &url, &app.token, None).await;
    run(&app).await;
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(first.next_event(T).await.unwrap());
    }
    let last_seen = seen.last().unwrap().id.clone().unwrap();
    drop(first);
    let second = run(&app).await;
    // Events become readable once positioned, a moment after their commit: wait for
    // the second run's last event to be listed.
    let everything = eventually("the second run's run.completed to be listed", || async {
        let everything = json(app.get("/v1/events?limit=1000").await).await;
        let done =
            everything["events"].as_array().unwrap().iter().any(|e| {
                e["eventType"] == "run.completed" && e["data"]["runId"] == second.as_str()
            });
        if done {
            Ok(everything)
        } else {
            Err(format!(
                "{} events",
                everything["events"].as_array().unwrap().len()
            ))
        }
    })
    .await;
    let missed: Vec<i64> = everything["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .filter(|id| *id > last_seen.parse::<i64>().unwrap())
        .collect();
    assert!(missed.len() > 10);
    let mut again = SseClient::connect(&app.http, &url, &app.token, Some(&last_seen)).await;
    let mut got = Vec::new();
    while got.len() < missed.len() {
        let m = again.next_event(T).await.expect("replayed event");
        got.push(m.id.unwrap().parse::<i64>().unwrap());
    }
    assert_eq!(got, missed, "replay must be exact: no gap, no duplicate");
    // Then it continues live, with no duplicate of the replayed ones.
    let third = run(&app).await;
    let live = again.collect_until("run.completed", T).await;
    assert!(ids(&live).iter().all(|id| id > got.last().unwrap()));
    assert_eq!(live.last().unwrap().json()["data"]["runId"], third);
}

async fn a_live_stream_starts_with_what_comes_after_it_opened(backend: Backend) {
    let app = spawn(backend, |_| {}).await;
    // A run finishes while nobody subscribes, and its events become readable.
    let earlier = run(&app).await;
    eventually("the first run's run.completed to be listed", || async {
        let listed = json(app.get("/v1/events?eventType=run.completed").await).await;
        let events = listed["events"].as_array().cloned().unwrap_or_default();
        if events
            .iter()
            .any(|e| e["data"]["runId"] == earlier.as_str())
        {
            Ok(())
        } else {
            Err(format!("{} runs completed", events.len()))
        }
    })
    .await;
    let url = app.url("/v1/events/stream");
    let mut live = SseClient::connect(&app.http, &url, &app.token, None).await;
    assert_eq!(live.next(T).await.unwrap().retry, Some(3000));
    let later = run(&app).await;
    let seen = live.collect_until("run.completed", T).await;
    let runs: Vec<Value> = seen
        .iter()
        .map(|m| m.json()["correlationId"].clone())
        .collect();
    assert!(
        runs.iter().all(|r| r == later.as_str()),
        "a live stream gets nothing that was readable before it opened: {runs:?}"
    );
    assert_eq!(seen.first().unwrap().event.as_deref(), Some("run.queued"));
}

/// A subscriber to the `lab` workflow's events that reads nothing: a socket with a
/// tiny receive window, so the stream backs up into the service's buffer for it.
async fn stalled_subscriber(app: &TestApp) -> tokio::net::TcpStream {
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(2048).unwrap();
    let addr = app.base.trim_start_matches("http://").parse().unwrap();
    let mut slow = socket.connect(addr).await.unwrap();
    let request = format!(
        "GET /v1/events/stream?workflow=lab HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\nAccept: text/event-stream\r\n\r\n",
        app.token
    );
    let before = subscribers(app).await;
    slow.write_all(request.as_bytes()).await.unwrap();
    eventually("the stalled subscriber to be connected", || async {
        let now = subscribers(app).await;
        if now > before { Ok(()) } else { Err(now) }
    })
    .await;
    slow
}

/// Event stream subscribers connected to the service, from its metrics.
async fn subscribers(app: &TestApp) -> u64 {
    let metrics = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("careflow_sse_subscribers "))
        .and_then(|n| n.trim().parse::<f64>().ok())
        .map_or(0, |n| n as u64)
}

/// Reads a stalled subscriber's stream (with a normal window now) up to its `lagged`
/// event, and returns that event's data.
async fn read_until_lagged(mut slow: tokio::net::TcpStream) -> Value {
    use tokio::io::AsyncReadExt;
    socket2::SockRef::from(&slow)
        .set_recv_buffer_size(1 << 20)
        .unwrap();
    let mut text = String::new();
    let mut buf = vec![0u8; 65536];
    let deadline = tokio::time::Instant::now() + T;
    let lagged_data = |text: &str| {
        text.split("event: lagged\n")
            .nth(1)
            .and_then(|rest| rest.split_once("\n\n"))
            .and_then(|(message, _)| message.lines().find_map(|l| l.strip_prefix("data: ")))
            .map(|d| serde_json::from_str::<Value>(d).unwrap())
    };
    while lagged_data(&text).is_none() && tokio::time::Instant::now() < deadline {
        match tokio::time::timeout(Duration::from_secs(2), slow.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => text.push_str(&String::from_utf8_lossy(&buf[..n])),
            _ => break,
        }
    }
    lagged_data(&text).unwrap_or_else(|| {
        panic!(
            "the slow subscriber was not told it lagged ({} bytes read): {}",
            text.len(),
            &text[text.len().saturating_sub(700)..]
        )
    })
}

async fn a_slow_subscriber_is_told_it_lagged_and_never_slows_a_fast_one(backend: Backend) {
    let app = spawn(backend, |s| s.events.buffer_per_subscriber = 256).await;
    let url = app.url("/v1/events/stream?workflow=lab");
    let mut fast = SseClient::connect(&app.http, &url, &app.token, None).await;
    assert_eq!(fast.next(T).await.unwrap().retry, Some(3000));
    let slow = stalled_subscriber(&app).await;
    // The fast subscriber reads as events come, concurrently.
    const RUNS: usize = 80;
    let reader = tokio::spawn(async move {
        let mut seen = 0usize;
        let mut completed = 0usize;
        let mut lagged = false;
        while completed < RUNS {
            let Some(m) = fast.next_event(T).await else {
                break;
            };
            seen += 1;
            match m.event.as_deref() {
                Some("run.completed") => completed += 1,
                Some("lagged") => lagged = true,
                _ => {}
            }
        }
        (seen, completed, lagged)
    });
    // Enough events to fill the slow socket's buffers many times over.
    for _ in 0..RUNS {
        let r = app
            .post(
                "/v1/workflows/lab/runs?wait=20s",
                &json!({"input": {"padEvents": 30000}}),
            )
            .await;
        assert_eq!(r.status(), 200);
    }
    let (seen, completed, fast_lagged) = reader.await.unwrap();
    assert!(!fast_lagged, "the fast subscriber lagged");
    assert_eq!(completed, RUNS, "the fast subscriber missed runs");
    let mut total = 0;
    let mut after = "0".to_string();
    loop {
        let page = json(
            app.get(&format!("/v1/events?workflow=lab&limit=1000&after={after}"))
                .await,
        )
        .await;
        let n = page["events"].as_array().unwrap().len();
        if n == 0 {
            break;
        }
        total += n;
        after = page["nextAfter"].as_str().unwrap().to_string();
    }
    assert_eq!(seen, total, "the fast subscriber did not get every event");
    // The slow one, reading at last, finds a `lagged` event.
    let lagged = read_until_lagged(slow).await;
    assert!(lagged["missed"].as_u64().unwrap() > 0);
    assert!(lagged["resumeFrom"].is_string());
    let metrics = app
        .http
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(metrics.contains("careflow_sse_dropped_events_total"));
}

async fn a_subscriber_behind_by_more_bytes_than_its_bound_lags_and_resumes_where_told(
    backend: Backend,
) {
    // The event bound (1024) stays above what this test publishes (about 17 events a
    // run): only the byte bound can overflow.
    let app = spawn(backend, |s| {
        s.events.buffer_bytes_per_subscriber = 256 * 1024
    })
    .await;
    let url = app.url("/v1/events/stream?workflow=lab");
    let slow = stalled_subscriber(&app).await;
    // Five events of 50 KB a run: 7.5 MB in all, far past the stalled socket's window
    // and the 256 KiB bound.
    for _ in 0..30 {
        let r = app
            .post(
                "/v1/workflows/lab/runs?wait=20s",
                &json!({"input": {"padEvents": 50_000}}),
            )
            .await;
        assert_eq!(r.status(), 200);
    }
    let lagged = read_until_lagged(slow).await;
    let missed = lagged["missed"].as_u64().unwrap();
    assert!(missed > 0);
    // Resuming where told replays exactly what comes after that point.
    let resume_from = lagged["resumeFrom"].as_str().unwrap().to_string();
    let listed = json(
        app.get(&format!(
            "/v1/events?workflow=lab&limit=1000&after={resume_from}"
        ))
        .await,
    )
    .await;
    let expected: Vec<i64> = listed["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert!(expected.len() as u64 >= missed);
    let mut again = SseClient::connect(&app.http, &url, &app.token, Some(&resume_from)).await;
    let mut replayed = Vec::new();
    while replayed.len() < expected.len() {
        let m = again.next_event(T).await.expect("replayed event");
        replayed.push(m.id.unwrap().parse::<i64>().unwrap());
    }
    assert_eq!(
        replayed, expected,
        "the replay after resumeFrom is not exact"
    );
}

async fn tenants_only_see_their_own_events(backend: Backend) {
    let app = spawn(backend, |_| {}).await;
    let other = app.key_for("tenant-b").await;
    let url = app.url("/v1/events/stream");
    let mut b = SseClient::connect(&app.http, &url, &other, None).await;
    let mut a = SseClient::connect(&app.http, &url, &app.token, None).await;
    run(&app).await;
    let seen_by_a = a.collect_until("run.completed", T).await;
    assert!(!seen_by_a.is_empty());
    b.next(T).await; // the retry hint
    assert!(
        b.next_event(Duration::from_millis(500)).await.is_none(),
        "tenant B saw tenant A's events"
    );
    let listed = app
        .http
        .get(app.url("/v1/events"))
        .bearer_auth(&other)
        .send()
        .await
        .unwrap();
    assert_eq!(json(listed).await["events"].as_array().unwrap().len(), 0);
}

/// The listing of `query`, one page of `limit` after another from the start, as
/// (id, type) pairs.
async fn paged(app: &TestApp, query: &str, limit: u32) -> Vec<(i64, String)> {
    let mut after = 0;
    let mut all = Vec::new();
    loop {
        let page = json(
            app.get(&format!("/v1/events?{query}&limit={limit}&after={after}"))
                .await,
        )
        .await;
        let events = page["events"].as_array().unwrap();
        assert!(events.len() <= limit as usize, "{page}");
        all.extend(events.iter().map(|e| {
            (
                e["id"].as_i64().unwrap(),
                e["eventType"].as_str().unwrap().to_string(),
            )
        }));
        match page["nextAfter"].as_str() {
            Some(next) => after = next.parse().unwrap(),
            None => return all,
        }
    }
}

/// A run's commit may store several of its events together (a step's outcome with the
/// next step's start): each still has its own id, and every way of reading resumes
/// exactly at the event after the one given, whichever of them that is.
async fn every_event_of_a_run_is_read_once_from_any_resume_point(backend: Backend) {
    let app = spawn(backend, |_| {}).await;
    let run_id = run(&app).await;
    let by_run = format!("runId={run_id}");
    let full = eventually("the run's last event listed", || async {
        let all = paged(&app, &by_run, 1000).await;
        let done = all.last().is_some_and(|(_, t)| t == "run.completed");
        if done {
            Ok(all)
        } else {
            Err(format!("{all:?}"))
        }
    })
    .await;
    let types: Vec<&str> = full.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(types.first(), Some(&"run.queued"), "{types:?}");
    let count = |wanted: &str| types.iter().filter(|t| **t == wanted).count();
    assert_eq!(count("step.started"), 5, "{types:?}");
    assert_eq!(count("step.completed"), 5, "{types:?}");
    assert_eq!(types.len(), 12, "{types:?}");
    let ids: Vec<i64> = full.iter().map(|(id, _)| *id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");

    // One event per page, and pages of a type (each page's next one may share its
    // stored row with events of other types).
    assert_eq!(paged(&app, &by_run, 1).await, full);
    assert_eq!(paged(&app, &by_run, 2).await, full);
    for wanted in ["step.started", "step.completed", "run.queued"] {
        let of_type: Vec<(i64, String)> =
            full.iter().filter(|(_, t)| t == wanted).cloned().collect();
        let query = format!("{by_run}&eventType={wanted}");
        assert_eq!(paged(&app, &query, 1).await, of_type, "{wanted}");
    }

    // The same through the stream, resuming after each event in turn.
    let url = app.url(&format!("/v1/events/stream?{by_run}"));
    for (i, (id, _)) in full.iter().enumerate().take(full.len() - 1) {
        let mut stream =
            SseClient::connect(&app.http, &url, &app.token, Some(&id.to_string())).await;
        let next = stream.next_event(T).await.expect("the next event");
        assert_eq!(next.id.as_deref(), Some(full[i + 1].0.to_string().as_str()));
        assert_eq!(next.event.as_deref(), Some(full[i + 1].1.as_str()));
        let data = next.json();
        assert_eq!(data["runId"], run_id.as_str());
        assert_eq!(data["source"], "engine");
        assert!(data["eventId"].is_string() && data["timestamp"].is_string());
    }

    // The stored times read back as written, in order, and every id is its own.
    let listed = json(app.get(&format!("/v1/events?{by_run}")).await).await;
    let listed = listed["events"].as_array().unwrap();
    let times: Vec<chrono::DateTime<chrono::Utc>> = listed
        .iter()
        .map(|e| e["timestamp"].as_str().unwrap().parse().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    let mut event_ids: Vec<&str> = listed
        .iter()
        .map(|e| e["eventId"].as_str().unwrap())
        .collect();
    event_ids.sort_unstable();
    event_ids.dedup();
    assert_eq!(event_ids.len(), full.len());
}

async fn bad_stream_parameters_are_problems(backend: Backend) {
    let app = spawn(backend, |_| {}).await;
    assert_eq!(app.get("/v1/events/stream?runId=nope").await.status(), 422);
    assert_eq!(app.get("/v1/events?after=-3").await.status(), 422);
    assert_eq!(
        app.http
            .get(app.url("/v1/events/stream"))
            .send()
            .await
            .unwrap()
            .status(),
        401
    );
}

both_backends!(
    two_subscribers_receive_the_same_events_in_the_same_order,
    reconnecting_with_last_event_id_replays_exactly_what_was_missed,
    a_live_stream_starts_with_what_comes_after_it_opened,
    a_slow_subscriber_is_told_it_lagged_and_never_slows_a_fast_one,
    a_subscriber_behind_by_more_bytes_than_its_bound_lags_and_resumes_where_told,
    tenants_only_see_their_own_events,
    bad_stream_parameters_are_problems,
    every_event_of_a_run_is_read_once_from_any_resume_point,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_event_produced_on_one_replica_reaches_a_subscriber_on_another() {
    let app = spawn(Backend::Postgres, |_| {}).await;
    let second = app.replica(lab(&Recorder::default())()).await;
    let url = format!("http://{}/v1/events/stream", second.addr);
    let mut sub = SseClient::connect(&app.http, &url, &app.token, None).await;
    let run_id = run(&app).await;
    let events = sub.collect_until("run.completed", T).await;
    assert_eq!(events.last().unwrap().json()["data"]["runId"], run_id);
    assert!(ids(&events).windows(2).all(|w| w[0] < w[1]));
    second.shutdown().await;
}
