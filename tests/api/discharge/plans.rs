//! How a discharge orchestration runs: parallel and sequential plans, LLM
//! failures with and without stopOnError, a retry that succeeds, and step timings.

use std::time::Duration;

use serde_json::{Value, json};

use super::{ALL, Env, Setup, at, env, names, orchestrate, run, s, text_input};
use crate::both_backends;
use crate::fake_llm::{self, Behaviour};
use crate::helpers::{Backend, step};

async fn parallel_mode_places_the_call_while_the_summary_is_written(backend: Backend) {
    let Env { app, .. } = env(
        backend,
        Setup {
            llm: Some(Behaviour {
                delay: Duration::from_millis(600),
                ..Behaviour::default()
            }),
            ..Setup::default()
        },
    )
    .await;
    let body = orchestrate(
        &app,
        json!({"input": text_input(), "options": {"parallel": true}}),
    )
    .await;
    assert_eq!(body["success"], true, "{body}");
    let view = run(&app, s(&body, "/runId")).await;
    let (summary, call) = (step(&view, "generateSummary"), step(&view, "scheduleCall"));
    assert!(
        at(call, "startedAt") < at(summary, "finishedAt")
            && at(call, "finishedAt") < at(summary, "finishedAt"),
        "scheduleCall did not overlap generateSummary: {view}"
    );
    assert!(at(step(&view, "prepareEmail"), "startedAt") >= at(summary, "finishedAt"));
    let timings = &body["metadata"]["stepTimings"];
    let total = body["metadata"]["totalProcessingTime"].as_i64().unwrap();
    assert!(
        timings["generateSummary"].as_i64().unwrap() >= 600,
        "{timings}"
    );
    let chain: i64 = ["ingest", "generateSummary", "prepareEmail", "scheduleEmail"]
        .iter()
        .map(|s| timings[s].as_i64().unwrap())
        .sum();
    let everything: i64 = ALL.iter().map(|s| timings[s].as_i64().unwrap()).sum();
    assert!(
        chain <= total,
        "the chain ({chain} ms) took longer than the run ({total} ms)"
    );
    assert!(everything >= chain);
}

async fn sequential_mode_runs_the_steps_one_at_a_time_in_order(backend: Backend) {
    let Env { app, .. } = env(
        backend,
        Setup {
            llm: Some(Behaviour {
                delay: Duration::from_millis(200),
                ..Behaviour::default()
            }),
            ..Setup::default()
        },
    )
    .await;
    let body = orchestrate(
        &app,
        json!({"input": text_input(), "options": {"parallel": false}}),
    )
    .await;
    assert_eq!(body["success"], true, "{body}");
    let view = run(&app, s(&body, "/runId")).await;
    let mut steps: Vec<&Value> = ALL.iter().map(|n| step(&view, n)).collect();
    steps.sort_by_key(|s| at(s, "startedAt"));
    let order: Vec<&str> = steps.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(order, ALL);
    for pair in steps.windows(2) {
        assert!(
            at(pair[1], "startedAt") >= at(pair[0], "finishedAt"),
            "{} started before {} finished",
            pair[1]["name"],
            pair[0]["name"]
        );
    }
    // One step at a time: the steps' times add up to no more than the run's.
    let timings = &body["metadata"]["stepTimings"];
    let sum: i64 = ALL.iter().map(|s| timings[s].as_i64().unwrap()).sum();
    let total = body["metadata"]["totalProcessingTime"].as_i64().unwrap();
    assert!(sum <= total, "steps {sum} ms > total {total} ms: {timings}");
    assert!(timings["generateSummary"].as_i64().unwrap() >= 200);
}

async fn a_failing_llm_fails_the_summary_and_the_call_still_goes_ahead(backend: Backend) {
    let Env { app, llm, .. } = env(
        backend,
        Setup {
            llm: Some(Behaviour {
                fail_first: u32::MAX,
                ..Behaviour::default()
            }),
            ..Setup::default()
        },
    )
    .await;
    let body = orchestrate(
        &app,
        json!({"input": text_input(), "options": {"stopOnError": false}}),
    )
    .await;
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["metadata"]["status"], "completed");
    let data = &body["data"];
    assert_eq!(names(&data["failedSteps"]), ["generateSummary"]);
    assert_eq!(names(&data["completedSteps"]), ["ingest", "scheduleCall"]);
    assert_eq!(
        body["metadata"]["skipReasons"]["prepareEmail"],
        "dependency 'generateSummary' failed"
    );
    let error = &body["metadata"]["errors"][0];
    assert_eq!(error["step"], "generateSummary");
    assert!(s(error, "/error").contains("500"), "{error}");
    let view = run(&app, s(&body, "/runId")).await;
    assert_eq!(
        step(&view, "generateSummary")["attempts"],
        3,
        "retried with the step's policy"
    );
    assert_eq!(llm.unwrap().calls().len(), 3);
}

async fn stop_on_error_ends_the_run_at_the_failed_summary(backend: Backend) {
    let Env { app, .. } = env(
        backend,
        Setup {
            llm: Some(Behaviour {
                fail_first: u32::MAX,
                ..Behaviour::default()
            }),
            ..Setup::default()
        },
    )
    .await;
    let body = orchestrate(
        &app,
        json!({"input": text_input(), "options": {"stopOnError": true, "parallel": false}}),
    )
    .await;
    assert_eq!(body["success"], false);
    assert_eq!(body["metadata"]["status"], "failed");
    let data = &body["data"];
    assert_eq!(names(&data["completedSteps"]), ["ingest"]);
    assert_eq!(names(&data["failedSteps"]), ["generateSummary"]);
    assert_eq!(
        body["metadata"]["skipReasons"]["scheduleCall"],
        "run stopped on error: step 'generateSummary' failed"
    );
    assert!(data["call"].is_null());
}

async fn a_transient_llm_failure_succeeds_on_retry(backend: Backend) {
    let Env { app, llm, .. } = env(
        backend,
        Setup {
            llm: Some(Behaviour {
                fail_first: 1,
                ..Behaviour::default()
            }),
            ..Setup::default()
        },
    )
    .await;
    let body = orchestrate(&app, json!({"input": text_input()})).await;
    assert_eq!(body["success"], true, "{body}");
    assert_eq!(
        body["data"]["summary"]["generatedBy"],
        format!("llm:{}", fake_llm::MODEL)
    );
    assert_eq!(body["data"]["summary"]["content"], fake_llm::SUMMARY);
    let view = run(&app, s(&body, "/runId")).await;
    assert_eq!(step(&view, "generateSummary")["attempts"], 2);
    let calls = llm.unwrap().calls();
    assert_eq!(calls.len(), 2);
    assert!(calls[0].failed && !calls[1].failed);
    assert_eq!(calls[1].body["model"], "fake-model");
    let prompt = calls[1].body["messages"][1]["content"].as_str().unwrap();
    assert!(prompt.contains("Patient name: Bella"));
    assert!(
        !prompt.contains("owner@example.com"),
        "the writer needs no contact details"
    );
    assert!(s(&body, "/data/email/text").contains(fake_llm::SUMMARY));
}

async fn every_step_has_a_timing_and_the_total_covers_them(backend: Backend) {
    let Env { app, .. } = env(backend, Setup::default()).await;
    let body = orchestrate(
        &app,
        json!({"input": text_input(), "options": {"parallel": false}}),
    )
    .await;
    let meta = &body["metadata"];
    let total = meta["totalProcessingTime"].as_i64().unwrap();
    let timings = meta["stepTimings"].as_object().unwrap();
    assert_eq!(timings.len(), 5);
    let mut sum = 0;
    for name in ALL {
        let ms = timings[name]
            .as_i64()
            .unwrap_or_else(|| panic!("no timing for {name}"));
        assert!((0..=total).contains(&ms), "{name}: {ms} ms of {total}");
        sum += ms;
    }
    assert!(sum <= total, "{sum} > {total}");
    let view = run(&app, s(&body, "/runId")).await;
    for name in ALL {
        assert_eq!(timings[name], step(&view, name)["durationMs"], "{name}");
    }
}

both_backends!(
    parallel_mode_places_the_call_while_the_summary_is_written,
    sequential_mode_runs_the_steps_one_at_a_time_in_order,
    a_failing_llm_fails_the_summary_and_the_call_still_goes_ahead,
    stop_on_error_ends_the_run_at_the_failed_summary,
    a_transient_llm_failure_succeeds_on_retry,
    every_step_has_a_timing_and_the_total_covers_them,
);
