use chrono::{Duration, TimeZone, Utc};

use super::*;

fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

#[test]
fn an_expression_is_read_in_its_time_zone() {
    let clock = CronClock::parse("0 9 * * *", "Europe/Paris").unwrap();
    // 09:00 in Paris is 08:00 UTC in winter.
    assert_eq!(
        clock.next_after(at(2026, 1, 5, 0, 0)),
        Some(at(2026, 1, 5, 8, 0))
    );
    // and 07:00 UTC in summer.
    assert_eq!(
        clock.next_after(at(2026, 7, 5, 0, 0)),
        Some(at(2026, 7, 5, 7, 0))
    );
}

#[test]
fn a_tick_inside_the_spring_forward_gap_fires_once_that_day() {
    // 02:30 does not exist in New York on 2026-03-08; the day still gets one tick,
    // and the next day's is at 02:30 local again.
    let clock = CronClock::parse("30 2 * * *", "America/New_York").unwrap();
    let first = clock.next_after(at(2026, 3, 8, 0, 0)).unwrap();
    let second = clock.next_after(first).unwrap();
    assert!(first < at(2026, 3, 9, 4, 0), "{first}");
    assert_eq!(second, at(2026, 3, 9, 6, 30));
}

#[test]
fn the_fall_back_hour_does_not_fire_a_daily_tick_twice() {
    let clock = CronClock::parse("30 1 * * *", "America/New_York").unwrap();
    let first = clock.next_after(at(2026, 11, 1, 0, 0)).unwrap();
    let second = clock.next_after(first).unwrap();
    assert!(
        second - first >= Duration::hours(23),
        "{first} then {second}"
    );
}

#[test]
fn a_due_tick_fires_and_the_next_one_follows_it() {
    let clock = CronClock::parse("0 * * * *", "UTC").unwrap();
    let due = at(2026, 1, 5, 10, 0);
    let plan = clock.plan(
        due,
        due + Duration::seconds(2),
        CatchUp::Skip,
        Duration::seconds(60),
    );
    assert_eq!(plan.fire, Some(due));
    assert_eq!(plan.next, Some(at(2026, 1, 5, 11, 0)));
}

#[test]
fn missed_ticks_are_dropped_or_fired_once_as_the_policy_says() {
    let clock = CronClock::parse("0 * * * *", "UTC").unwrap();
    let due = at(2026, 1, 5, 10, 0);
    let now = at(2026, 1, 5, 13, 20);
    let grace = Duration::seconds(60);
    let skip = clock.plan(due, now, CatchUp::Skip, grace);
    assert_eq!(skip.fire, None);
    assert_eq!(skip.handled, at(2026, 1, 5, 13, 0));
    assert_eq!(skip.next, Some(at(2026, 1, 5, 14, 0)));
    let once = clock.plan(due, now, CatchUp::RunOnce, grace);
    assert_eq!(once.fire, Some(at(2026, 1, 5, 13, 0)));
    assert_eq!(once.next, Some(at(2026, 1, 5, 14, 0)));
}

#[test]
fn a_single_tick_later_than_the_grace_counts_as_missed() {
    let clock = CronClock::parse("0 9 * * *", "UTC").unwrap();
    let due = at(2026, 1, 5, 9, 0);
    let plan = clock.plan(
        due,
        due + Duration::minutes(10),
        CatchUp::Skip,
        Duration::seconds(60),
    );
    assert_eq!(plan.fire, None);
    assert_eq!(plan.next, Some(at(2026, 1, 6, 9, 0)));
}

#[test]
fn every_problem_of_a_schedule_is_listed() {
    let registry = Registry::default();
    let body = serde_json::json!({
        "expression": "61 * * * *",
        "timeZone": "Mars/Olympus",
        "overlap": "sometimes",
        "catchUp": "all",
        "target": {"workflow": "nope"},
        "colour": "red",
    });
    let problems = CronSpec::from_request(&body, &registry, Utc::now()).unwrap_err();
    let mut pointers: Vec<&str> = problems
        .as_slice()
        .iter()
        .map(|p| p.pointer.as_str())
        .collect();
    pointers.sort();
    assert_eq!(
        pointers,
        [
            "/catchUp",
            "/colour",
            "/expression",
            "/name",
            "/overlap",
            "/target/workflow",
            "/timeZone"
        ]
    );
}
