use super::*;
use crate::clock::ManualClock;
use chrono::TimeZone;
use std::time::Duration;

fn clock() -> Arc<ManualClock> {
    let wall = Utc.with_ymd_and_hms(2025, 3, 3, 14, 0, 0).single();
    Arc::new(ManualClock::stopped_at(wall.unwrap_or_else(Utc::now)))
}

fn settings() -> BreakerSettings {
    BreakerSettings {
        failure_threshold: 3,
        failure_ratio: 0.0,
        min_calls: 1,
        window: Duration::from_secs(60),
        open_for: Duration::from_secs(30),
        half_open_max_calls: 1,
    }
}

fn breaker(settings: BreakerSettings, clock: &Arc<ManualClock>) -> Arc<CircuitBreaker> {
    let clock: Arc<dyn Clock> = clock.clone();
    Arc::new(CircuitBreaker::new("twilio", settings, clock))
}

fn fail(b: &Arc<CircuitBreaker>, n: usize) {
    for _ in 0..n {
        b.try_acquire().unwrap().failure();
    }
}

fn open_breaker(clock: &Arc<ManualClock>) -> Arc<CircuitBreaker> {
    let b = breaker(settings(), clock);
    fail(&b, 3);
    assert_eq!(b.snapshot().state, BreakerState::Open);
    b
}

#[test]
fn failures_reaching_the_threshold_within_the_window_open_the_breaker() {
    let clock = clock();
    let b = breaker(settings(), &clock);
    fail(&b, 2);
    assert_eq!(b.snapshot().state, BreakerState::Closed);
    fail(&b, 1);
    let snap = b.snapshot();
    assert_eq!(snap.state, BreakerState::Open);
    assert_eq!(snap.recent_failures, 3);
    assert_eq!(snap.transitions, 1);
}

#[test]
fn failures_older_than_the_window_are_forgotten() {
    let clock = clock();
    let b = breaker(settings(), &clock);
    fail(&b, 2);
    clock.advance(Duration::from_secs(61));
    fail(&b, 1);
    let snap = b.snapshot();
    assert_eq!(snap.state, BreakerState::Closed);
    assert_eq!(snap.recent_failures, 1);
}

#[test]
fn successes_alone_never_open_the_breaker() {
    let clock = clock();
    let b = breaker(settings(), &clock);
    for _ in 0..50 {
        b.try_acquire().unwrap().success();
    }
    assert_eq!(b.snapshot().state, BreakerState::Closed);
    assert_eq!(b.snapshot().recent_calls, 50);
}

#[test]
fn the_failure_ratio_opens_the_breaker_only_after_min_calls() {
    let clock = clock();
    let ratio = BreakerSettings {
        failure_threshold: 0,
        failure_ratio: 0.5,
        min_calls: 4,
        ..settings()
    };
    let b = breaker(ratio.clone(), &clock);
    fail(&b, 3);
    assert_eq!(
        b.snapshot().state,
        BreakerState::Closed,
        "only 3 calls seen"
    );
    fail(&b, 1);
    assert_eq!(b.snapshot().state, BreakerState::Open);

    let b = breaker(ratio, &clock);
    b.try_acquire().unwrap().success();
    b.try_acquire().unwrap().success();
    fail(&b, 1);
    b.try_acquire().unwrap().success();
    assert_eq!(b.snapshot().state, BreakerState::Closed, "1 of 4 failed");
    fail(&b, 1);
    assert_eq!(b.snapshot().state, BreakerState::Closed, "2 of 5 failed");
    fail(&b, 1);
    assert_eq!(b.snapshot().state, BreakerState::Open, "3 of 6 failed");
}

#[test]
fn an_open_breaker_refuses_calls_fast_until_the_cool_down_ends() {
    let clock = clock();
    let b = open_breaker(&clock);
    let refused = b.try_acquire().unwrap_err();
    assert_eq!(refused.retry_after(), Some(Duration::from_secs(30)));
    assert!(refused.is_retryable());
    assert_eq!(refused.name, "twilio");

    clock.advance(Duration::from_secs(20));
    let refused = b.try_acquire().unwrap_err();
    assert_eq!(refused.retry_after, Duration::from_secs(10));
    assert_eq!(refused.retry_at, clock.instant() + Duration::from_secs(10));
}

#[test]
fn after_the_cool_down_only_the_allowed_number_of_trials_go_through() {
    let clock = clock();
    let b = breaker(
        BreakerSettings {
            half_open_max_calls: 2,
            ..settings()
        },
        &clock,
    );
    fail(&b, 3);
    clock.advance(Duration::from_secs(30));
    let first = b.try_acquire().unwrap();
    let second = b.try_acquire().unwrap();
    assert!(b.try_acquire().is_err(), "a third trial must wait");
    let snap = b.snapshot();
    assert_eq!(snap.state, BreakerState::HalfOpen);
    assert_eq!(snap.trials_in_flight, 2);
    first.release();
    let third = b.try_acquire().unwrap();
    second.success();
    assert_eq!(b.snapshot().state, BreakerState::Closed);
    third.success();
    assert_eq!(b.snapshot().state, BreakerState::Closed);
}

#[test]
fn a_successful_trial_closes_the_breaker_with_a_clean_window() {
    let clock = clock();
    let b = open_breaker(&clock);
    clock.advance(Duration::from_secs(30));
    b.try_acquire().unwrap().success();
    let snap = b.snapshot();
    assert_eq!(snap.state, BreakerState::Closed);
    assert_eq!(snap.recent_failures, 0);
    assert_eq!(snap.transitions, 3, "closed->open->half-open->closed");
    fail(&b, 2);
    assert_eq!(b.snapshot().state, BreakerState::Closed);
}

#[test]
fn a_failed_trial_opens_the_breaker_for_another_cool_down() {
    let clock = clock();
    let b = open_breaker(&clock);
    clock.advance(Duration::from_secs(30));
    b.try_acquire()
        .unwrap()
        .failure_with("HTTP 503 from provider");
    let snap = b.snapshot();
    assert_eq!(snap.state, BreakerState::Open);
    assert_eq!(snap.last_error.as_deref(), Some("HTTP 503 from provider"));
    assert_eq!(
        b.try_acquire().unwrap_err().retry_after,
        Duration::from_secs(30)
    );
    clock.advance(Duration::from_secs(30));
    assert!(b.try_acquire().is_ok());
}

#[test]
fn a_permit_dropped_without_a_verdict_counts_as_a_failure() {
    let clock = clock();
    let b = breaker(
        BreakerSettings {
            failure_threshold: 1,
            ..settings()
        },
        &clock,
    );
    drop(b.try_acquire().unwrap());
    let snap = b.snapshot();
    assert_eq!(snap.state, BreakerState::Open);
    assert_eq!(
        snap.last_error.as_deref(),
        Some("call ended without reporting an outcome")
    );
}

#[test]
fn a_released_permit_counts_for_nothing() {
    let clock = clock();
    let b = breaker(
        BreakerSettings {
            failure_threshold: 1,
            ..settings()
        },
        &clock,
    );
    b.try_acquire().unwrap().release();
    let snap = b.snapshot();
    assert_eq!(snap.state, BreakerState::Closed);
    assert_eq!(snap.recent_calls, 0);
}

#[test]
fn a_slow_call_from_before_the_outage_cannot_reopen_a_recovered_breaker() {
    let clock = clock();
    let b = breaker(settings(), &clock);
    let slow = b.try_acquire().unwrap();
    fail(&b, 3);
    clock.advance(Duration::from_secs(30));
    b.try_acquire().unwrap().success();
    fail(&b, 2);
    slow.failure();
    let snap = b.snapshot();
    assert_eq!(snap.state, BreakerState::Closed);
    assert_eq!(snap.recent_failures, 2);
}

#[test]
fn the_snapshot_serializes_in_camel_case_with_wall_clock_times() {
    let clock = clock();
    let b = breaker(settings(), &clock);
    fail(&b, 2);
    b.try_acquire().unwrap().failure_with("timeout");
    clock.advance(Duration::from_secs(10));
    let json = serde_json::to_value(b.snapshot()).unwrap();
    assert_eq!(json["name"], "twilio");
    assert_eq!(json["state"], "open");
    assert_eq!(json["recentFailures"], 3);
    assert_eq!(json["recentCalls"], 3);
    assert_eq!(json["lastError"], "timeout");
    assert_eq!(json["openedAt"], "2025-03-03T14:00:00Z");
    assert_eq!(json["nextTrialAt"], "2025-03-03T14:00:30Z");
    assert_eq!(json["transitions"], 1);

    clock.advance(Duration::from_secs(20));
    let _trial = b.try_acquire().unwrap();
    assert_eq!(
        serde_json::to_value(b.snapshot()).unwrap()["state"],
        "half_open"
    );
}

#[test]
fn the_registry_hands_out_one_breaker_per_name_and_lists_them_sorted() {
    let clock = clock();
    let registry = BreakerRegistry::new(clock.clone());
    let a = registry.get_or_create("twilio", settings());
    let b = registry.get_or_create(
        "twilio",
        BreakerSettings {
            failure_threshold: 9,
            ..settings()
        },
    );
    assert!(Arc::ptr_eq(&a, &b));
    assert_eq!(b.settings(), &settings(), "the first settings are kept");
    registry.get_or_create("amion", settings());
    fail(&a, 3);
    let snaps = registry.snapshots();
    let names: Vec<&str> = snaps.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["amion", "twilio"]);
    assert_eq!(snaps[1].state, BreakerState::Open);
    assert!(registry.get("fhir").is_none());
}

#[test]
fn the_breaker_can_be_shared_between_threads() {
    let clock = clock();
    let b = breaker(
        BreakerSettings {
            failure_threshold: 1000,
            ..settings()
        },
        &clock,
    );
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let b = Arc::clone(&b);
            std::thread::spawn(move || {
                for _ in 0..100 {
                    b.try_acquire().unwrap().failure();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(b.snapshot().recent_failures, 400);
}
