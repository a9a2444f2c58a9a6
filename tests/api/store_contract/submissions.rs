//! Submissions of runs that start at once, written together on PostgreSQL: runs
//! submitted while the submission committers are busy are inserted by one
//! statement, each whole or not at all.

use careflow::store::{InsertRun, NewRun, RunId, RunStatus, StepStatus, StepWrite, StoreError};
use serde_json::json;
use uuid::Uuid;

use super::{at, event, events_of, run, tenant};

/// Run `n` of north, submitted to start at once on replica-a with its step
/// `fetch` started and its `run.started` and `step.started` events.
fn started(n: u128, workflow: &str, input: serde_json::Value) -> NewRun {
    let mut r = run(&tenant("north"), workflow, input, 1);
    r.run_id = RunId(Uuid::from_u128(n));
    r.status = RunStatus::Running;
    r.lease = Some(("replica-a".into(), at(45)));
    r.ready_at = Some(at(40));
    r.correlation_id = Some("order-118".into());
    r.trace_parent = Some("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01".into());
    r.priority = 7;
    r.steps = vec![StepWrite {
        status: StepStatus::Running,
        attempts: 1,
        started_at: Some(at(1)),
        ..StepWrite::pending("fetch", 0)
    }];
    r.events = vec![
        event("run.started", Some(r.run_id), 1),
        event("step.started", Some(r.run_id), 1),
    ];
    r
}

/// Submits `runs`. A session of the test's own first inserts, uncommitted, rows
/// with the ids of the first two, so their submissions, sent one after the other,
/// take the store's two committers (a pool of 4) and wait; the others are queued
/// behind them. Then the session rolls back and everything goes. Answers in the
/// order of `runs`.
async fn submit_behind_busy_committers(
    opened: &super::Opened,
    runs: &[NewRun],
) -> Vec<Result<InsertRun, StoreError>> {
    let mut submissions: Vec<_> = runs
        .iter()
        .map(|r| {
            let (store, r) = (opened.store.clone(), r.clone());
            async move { store.insert_run(&r).await }
        })
        .collect();
    let queued = submissions.split_off(2);
    let session = sqlx::PgPool::connect(opened.url()).await.unwrap();
    let mut blocker = session.begin().await.unwrap();
    for r in &runs[..2] {
        sqlx::query(
            "insert into runs (tenant_id, run_id, workflow, workflow_version, status, input,
                               options, created_at)
             values ($1, $2, 'blocker', 1, 'queued', '{}', '{}', now())",
        )
        .bind(r.tenant_id.as_str())
        .bind(r.run_id.0)
        .execute(&mut *blocker)
        .await
        .unwrap();
    }
    let answers =
        super::claims::behind_busy_committers(&session, blocker, submissions, queued).await;
    session.close().await;
    answers
}

/// Run `run`'s row and step rows as JSON, without the run's id.
async fn stored_rows(opened: &super::Opened, run: RunId) -> serde_json::Value {
    let session = sqlx::PgPool::connect(opened.url()).await.unwrap();
    let rows: serde_json::Value = sqlx::query_scalar(
        "select jsonb_build_object(
             'run', (select to_jsonb(r) - 'run_id' from runs r where r.run_id = $1),
             'steps', (select jsonb_agg(to_jsonb(s) - 'run_id') from step_runs s
                       where s.run_id = $1))",
    )
    .bind(run.0)
    .fetch_one(&session)
    .await
    .unwrap();
    session.close().await;
    rows
}

/// Runs submitted together are inserted by one transaction, each with its steps,
/// events and lease; a run whose workflow is paused is left out of it and
/// answered so, as a lone submission is.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submissions_arriving_together_are_written_at_once_postgres() {
    let opened = super::open(crate::helpers::Backend::Postgres).await;
    let store = opened.store.clone();
    let north = tenant("north");
    store
        .set_workflow_paused(&north, "held", true, at(0))
        .await
        .unwrap();
    let runs: Vec<NewRun> = (1..=8)
        .map(|n| started(n, if n == 5 { "held" } else { "intake" }, json!({"n": n})))
        .collect();

    let answers = submit_behind_busy_committers(&opened, &runs).await;

    for (n, answer) in answers.iter().enumerate() {
        if n == 4 {
            assert!(matches!(answer, Ok(InsertRun::Paused)), "run 5: {answer:?}");
        } else {
            assert!(
                matches!(answer, Ok(InsertRun::Created)),
                "run {}: {answer:?}",
                n + 1
            );
        }
    }
    let ids: Vec<RunId> = runs.iter().map(|r| r.run_id).collect();
    let xmins = super::claims::writers(&opened, &ids).await;
    assert_eq!(xmins[4], None, "the paused workflow's run is not written");
    let grouped: Vec<_> = [2, 3, 5, 6, 7].iter().map(|&i| &xmins[i]).collect();
    assert!(
        grouped.iter().all(|x| x.is_some() && *x == grouped[0]),
        "the queued submissions share one transaction: {xmins:?}"
    );
    assert_ne!(&xmins[0], grouped[0]);
    assert_ne!(&xmins[1], grouped[0]);
    for (n, r) in runs.iter().enumerate() {
        let row = store.get_run(&north, r.run_id).await.unwrap();
        let steps = store.get_steps(&north, r.run_id).await.unwrap();
        if n == 4 {
            assert!(row.is_none() && steps.is_empty(), "run 5 wrote nothing");
            continue;
        }
        let row = row.expect("the run is stored");
        assert_eq!(row.status, RunStatus::Running, "run {}", n + 1);
        assert_eq!(row.lease_owner.as_deref(), Some("replica-a"));
        assert_eq!(row.lease_epoch, 1, "its first lease");
        assert_eq!(row.input.0, json!({"n": n + 1}));
        let started: Vec<_> = steps
            .iter()
            .map(|s| (s.step_name.as_str(), s.status))
            .collect();
        assert_eq!(started, [("fetch", StepStatus::Running)], "run {}", n + 1);
    }
    // Written alone, the same submission makes the same rows.
    let alone = started(9, "intake", json!({"n": 3}));
    assert!(matches!(
        store.insert_run(&alone).await,
        Ok(InsertRun::Created)
    ));
    let (grouped, alone) = (
        stored_rows(&opened, runs[2].run_id).await,
        stored_rows(&opened, alone.run_id).await,
    );
    assert_eq!(
        grouped, alone,
        "a grouped run's rows are those written alone"
    );
    let events = events_of(store.as_ref(), &north).await;
    let events: Vec<_> = events
        .into_iter()
        .filter(|e| e.run_id != Some(RunId(Uuid::from_u128(9))))
        .collect();
    let mut per_run: Vec<(u128, String)> = events
        .iter()
        .map(|e| {
            (
                e.run_id.expect("a run's event").0.as_u128(),
                e.event_type.clone(),
            )
        })
        .collect();
    per_run.sort();
    let expected: Vec<(u128, String)> = [1, 2, 3, 4, 6, 7, 8]
        .into_iter()
        .flat_map(|n| [(n, "run.started".into()), (n, "step.started".into())])
        .collect();
    assert_eq!(per_run, expected, "each written run's two events");
    let mut positions: Vec<i64> = events.iter().map(|e| e.position).collect();
    positions.dedup();
    assert_eq!(positions.len(), 14, "every event has a position of its own");
    opened.close().await;
}

/// A value PostgreSQL refuses fails the submission carrying it, not those written
/// with it: they are written again one at a time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_submission_fails_alone_when_written_with_others_postgres() {
    let opened = super::open(crate::helpers::Backend::Postgres).await;
    let store = opened.store.clone();
    let north = tenant("north");
    let runs: Vec<NewRun> = (1..=8)
        .map(|n| {
            // PostgreSQL's JSON cannot hold the NUL character.
            let input = if n == 4 {
                json!({"text": "a\u{0}b"})
            } else {
                json!({"n": n})
            };
            started(n, "intake", input)
        })
        .collect();

    let answers = submit_behind_busy_committers(&opened, &runs).await;

    for (n, answer) in answers.iter().enumerate() {
        if n == 3 {
            let refused = answer.as_ref().expect_err("run 4's input is refused");
            assert!(!refused.is_transient(), "{refused:?}");
        } else {
            assert!(
                matches!(answer, Ok(InsertRun::Created)),
                "run {}: {answer:?}",
                n + 1
            );
        }
    }
    for (n, r) in runs.iter().enumerate() {
        let stored = store.get_run(&north, r.run_id).await.unwrap().is_some();
        let steps = store.get_steps(&north, r.run_id).await.unwrap();
        assert_eq!(stored, n != 3, "run {} stored", n + 1);
        assert_eq!(
            steps.len(),
            usize::from(n != 3),
            "run {}'s step rows",
            n + 1
        );
    }
    opened.close().await;
}
