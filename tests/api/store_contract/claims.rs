//! Claims and leases: which due runs a replica takes and in what order, how a lease is
//! renewed, released or lost, and that a replica whose lease lapsed can no longer
//! commit anything.

use careflow::store::{
    AttemptMark, AttemptOutcome, LeaseRef, NewRun, Notice, RunId, RunRow, RunStatus, RunUpdate,
    StepStatus, StepWrite, Store, StoreError, TenantId,
};
use serde_json::json;
use uuid::Uuid;

use super::{at, event, events_of, run, tenant};

contract!(
    claims_take_higher_priorities_first_and_tenants_in_turn,
    claims_skip_runs_not_due_paused_or_of_a_paused_workflow,
    a_concurrency_key_lets_only_its_limit_of_runs_execute_at_once,
    a_lapsed_lease_is_reclaimed_and_the_old_holders_commit_is_refused,
    step_commits_write_steps_attempts_and_events_and_report_requests,
    renewing_and_releasing_touch_only_the_owners_running_leases,
);

/// A run queued and due at its submission, `at(seconds)`, with a known id so the
/// claim order reads as numbers.
fn due(tenant: &TenantId, n: u128, priority: i16, seconds: i64) -> NewRun {
    let mut r = run(tenant, "intake", json!({}), seconds);
    r.run_id = RunId(Uuid::from_u128(n));
    r.ready_at = Some(at(seconds));
    r.priority = priority;
    r
}

/// The ids of claimed runs, as numbers, sorted.
fn ids(rows: &[RunRow]) -> Vec<u128> {
    let mut ids: Vec<_> = rows.iter().map(|r| r.run_id.0.as_u128()).collect();
    ids.sort();
    ids
}

/// The lease a claimed row grants.
fn lease(row: &RunRow) -> LeaseRef {
    LeaseRef {
        tenant_id: row.tenant_id.clone(),
        run_id: row.run_id,
        owner: row.lease_owner.clone().expect("a claimed run has an owner"),
        epoch: row.lease_epoch,
    }
}

/// A run update that keeps the run running under its lease until `until`.
fn still_running(until: i64) -> RunUpdate {
    RunUpdate {
        status: RunStatus::Running,
        ready_at: Some(at(until)),
        lease_until: Some(at(until)),
        finished_at: None,
        error: None,
    }
}

async fn claims_take_higher_priorities_first_and_tenants_in_turn(store: &dyn Store) {
    let (north, south) = (tenant("north"), tenant("south"));
    // North floods the queue first; south's one run comes last.
    for (n, seconds) in [(1, 1), (2, 2), (3, 3)] {
        store.insert_run(&due(&north, n, 5, seconds)).await.unwrap();
    }
    store.insert_run(&due(&south, 4, 5, 4)).await.unwrap();
    store.insert_run(&due(&north, 5, 8, 5)).await.unwrap();

    let first = store
        .claim_runs("replica-a", at(10), at(40), 1)
        .await
        .unwrap();
    assert_eq!(
        ids(&first),
        [5],
        "the highest priority first, though newest"
    );
    let row = &first[0];
    assert_eq!(row.status, RunStatus::Running);
    assert_eq!(row.lease_owner.as_deref(), Some("replica-a"));
    assert_eq!(
        (row.lease_epoch, row.lease_expires_at, row.started_at),
        (1, Some(at(40)), Some(at(10)))
    );
    let stored = store.get_run(&north, row.run_id).await.unwrap().unwrap();
    assert_eq!(
        (
            stored.status,
            stored.lease_owner.as_deref(),
            stored.ready_at
        ),
        (RunStatus::Running, Some("replica-a"), Some(at(40))),
        "the claim is stored, and the run is due again when its lease ends"
    );

    let second = store
        .claim_runs("replica-b", at(10), at(40), 2)
        .await
        .unwrap();
    assert_eq!(
        ids(&second),
        [1, 4],
        "south's run waits behind one run of north, not behind its backlog"
    );
    let rest = store
        .claim_runs("replica-a", at(10), at(40), 10)
        .await
        .unwrap();
    assert_eq!(ids(&rest), [2, 3]);
    assert!(
        store
            .claim_runs("replica-a", at(10), at(40), 10)
            .await
            .unwrap()
            .is_empty(),
        "a held run is not claimed twice"
    );
}

async fn claims_skip_runs_not_due_paused_or_of_a_paused_workflow(store: &dyn Store) {
    let north = tenant("north");
    let mut later = due(&north, 1, 5, 1);
    later.ready_at = Some(at(30));
    store.insert_run(&later).await.unwrap();
    let paused = due(&north, 2, 5, 2);
    store.insert_run(&paused).await.unwrap();
    store.request_pause(&north, paused.run_id).await.unwrap();
    let mut held = due(&north, 3, 5, 3);
    held.workflow = "discharge".into();
    store.insert_run(&held).await.unwrap();
    store
        .set_workflow_paused(&north, "discharge", true, at(3))
        .await
        .unwrap();

    assert_eq!(store.due_runs(at(10)).await.unwrap(), 0);
    assert!(
        store
            .claim_runs("replica-a", at(10), at(40), 10)
            .await
            .unwrap()
            .is_empty()
    );

    store.resume_run(&north, paused.run_id).await.unwrap();
    store
        .set_workflow_paused(&north, "discharge", false, at(11))
        .await
        .unwrap();
    assert_eq!(store.due_runs(at(12)).await.unwrap(), 2);
    let claimed = store
        .claim_runs("replica-a", at(12), at(40), 10)
        .await
        .unwrap();
    assert_eq!(ids(&claimed), [2, 3], "resumed runs are claimable at once");
    assert_eq!(store.due_runs(at(30)).await.unwrap(), 1, "the deferred run");
    let deferred = store
        .claim_runs("replica-a", at(30), at(60), 10)
        .await
        .unwrap();
    assert_eq!(ids(&deferred), [1], "a deferred run is claimed once due");
}

async fn a_concurrency_key_lets_only_its_limit_of_runs_execute_at_once(store: &dyn Store) {
    let north = tenant("north");
    for n in 1..=3 {
        let mut r = due(&north, n, 5, n as i64);
        r.concurrency = Some(("patient-7".into(), 2));
        store.insert_run(&r).await.unwrap();
    }
    let first = store
        .claim_runs("replica-a", at(10), at(40), 10)
        .await
        .unwrap();
    assert_eq!(ids(&first), [1, 2], "two of the key at once, oldest first");
    assert!(
        store
            .claim_runs("replica-b", at(11), at(40), 10)
            .await
            .unwrap()
            .is_empty()
    );

    let done = RunUpdate {
        status: RunStatus::Completed,
        ready_at: None,
        lease_until: None,
        finished_at: Some(at(12)),
        error: None,
    };
    store
        .commit_progress(&lease(&first[0]), &done, &[], &[], &[])
        .await
        .unwrap();
    let next = store
        .claim_runs("replica-b", at(13), at(40), 10)
        .await
        .unwrap();
    assert_eq!(ids(&next), [3], "a finished run frees its slot");
}

async fn a_lapsed_lease_is_reclaimed_and_the_old_holders_commit_is_refused(store: &dyn Store) {
    let north = tenant("north");
    let mut r = due(&north, 1, 5, 1);
    r.steps = vec![StepWrite::pending("fetch", 0)];
    store.insert_run(&r).await.unwrap();
    let a = store
        .claim_runs("replica-a", at(10), at(20), 10)
        .await
        .unwrap();
    let old = lease(&a[0]);

    assert!(
        store
            .claim_runs("replica-b", at(19), at(50), 10)
            .await
            .unwrap()
            .is_empty(),
        "a live lease is not taken"
    );
    assert_eq!(store.due_runs(at(19)).await.unwrap(), 0);
    assert_eq!(store.due_runs(at(20)).await.unwrap(), 1, "a lapsed lease");
    let b = store
        .claim_runs("replica-b", at(21), at(50), 10)
        .await
        .unwrap();
    assert_eq!(ids(&b), [1], "a lapsed lease is claimed again");
    let new = lease(&b[0]);
    assert_eq!((new.owner.as_str(), new.epoch), ("replica-b", 2));
    assert_eq!(b[0].started_at, Some(at(10)), "the first start is kept");

    let late = StepWrite {
        status: StepStatus::Completed,
        attempts: 1,
        output: Some(json!({"from": "a"})),
        ..StepWrite::pending("fetch", 0)
    };
    let refused = store
        .commit_progress(
            &old,
            &still_running(60),
            std::slice::from_ref(&late),
            &[event("StepCompleted", Some(r.run_id), 22)],
            &[],
        )
        .await;
    assert!(matches!(refused, Err(StoreError::LeaseLost)), "{refused:?}");
    // The same epoch under another owner is no lease either.
    let forged = LeaseRef {
        owner: "replica-a".into(),
        ..new.clone()
    };
    assert!(matches!(
        store
            .commit_progress(&forged, &still_running(60), &[], &[], &[])
            .await,
        Err(StoreError::LeaseLost)
    ));
    assert_eq!(
        store.renew_leases("replica-a", at(90)).await.unwrap(),
        0,
        "the old holder renews nothing"
    );

    // The step was pending, so it had no row: the stale commit would have inserted
    // it.
    assert!(
        store.get_steps(&north, r.run_id).await.unwrap().is_empty(),
        "the stale write left no trace"
    );
    assert!(events_of(store, &north).await.is_empty());
    let row = store.get_run(&north, r.run_id).await.unwrap().unwrap();
    assert_eq!(
        (
            row.lease_owner.as_deref(),
            row.lease_epoch,
            row.lease_expires_at
        ),
        (Some("replica-b"), 2, Some(at(50)))
    );

    store
        .commit_progress(&new, &still_running(70), &[], &[], &[])
        .await
        .expect("the current holder commits");
}

async fn step_commits_write_steps_attempts_and_events_and_report_requests(store: &dyn Store) {
    let north = tenant("north");
    let mut r = due(&north, 1, 5, 1);
    r.steps = vec![
        StepWrite::pending("fetch", 0),
        StepWrite::pending("notify", 1),
    ];
    store.insert_run(&r).await.unwrap();
    let claimed = store
        .claim_runs("replica-a", at(10), at(40), 1)
        .await
        .unwrap();
    let held = lease(&claimed[0]);

    let started = StepWrite {
        status: StepStatus::Running,
        attempts: 1,
        started_at: Some(at(11)),
        attempt_marks: vec![AttemptMark::Started {
            id: Uuid::now_v7(),
            attempt: 1,
            at: at(11),
        }],
        ..StepWrite::pending("fetch", 0)
    };
    // A step is written whole: the next write carries the attempt this one started,
    // as the engine's copy of the step does once the commit holds.
    let open_attempt = started.attempt_after_marks("replica-a");
    let outcome = store
        .commit_progress(
            &held,
            &still_running(41),
            &[started],
            &[event("StepStarted", Some(r.run_id), 11)],
            &[],
        )
        .await
        .unwrap();
    assert!(!outcome.cancel_requested && !outcome.pause_requested);
    // Pending steps are not written at submission: the commit that started `fetch`
    // inserted it, and `notify` has no row until a commit writes it.
    let rows = store.get_steps(&north, r.run_id).await.unwrap();
    let seen: Vec<_> = rows
        .iter()
        .map(|s| (s.step_name.as_str(), s.status))
        .collect();
    assert_eq!(seen, [("fetch", StepStatus::Running)]);

    // A cancel and a pause asked for while the run is held reach its holder.
    assert_eq!(
        store
            .request_cancel(&north, r.run_id, at(12), &[])
            .await
            .unwrap(),
        Some(RunStatus::Running),
        "a held run is flagged, not cancelled under its holder"
    );
    assert_eq!(
        store.request_pause(&north, r.run_id).await.unwrap(),
        Some(RunStatus::Running)
    );
    let completed = StepWrite {
        status: StepStatus::Completed,
        attempts: 1,
        started_at: Some(at(11)),
        finished_at: Some(at(13)),
        duration_ms: Some(2000),
        output: Some(json!({"found": 2})),
        messages: Some(json!({"errors": [], "warnings": ["late"], "infos": []})),
        attempt: open_attempt,
        attempt_marks: vec![AttemptMark::Ended {
            attempt: 1,
            at: at(13),
            outcome: AttemptOutcome::Completed,
            error: None,
        }],
        ..StepWrite::pending("fetch", 0)
    };
    let skipped = StepWrite {
        status: StepStatus::Skipped,
        skip_reason: Some("run cancelled".into()),
        ..StepWrite::pending("notify", 1)
    };
    let finished = RunUpdate {
        status: RunStatus::Cancelled,
        ready_at: None,
        lease_until: None,
        finished_at: Some(at(13)),
        error: Some(json!({"message": "cancelled"})),
    };
    let outcome = store
        .commit_progress(
            &held,
            &finished,
            &[completed, skipped],
            &[
                event("StepCompleted", Some(r.run_id), 13),
                event("RunCancelled", Some(r.run_id), 13),
            ],
            &[],
        )
        .await
        .unwrap();
    assert!(outcome.cancel_requested && outcome.pause_requested);

    let row = store.get_run(&north, r.run_id).await.unwrap().unwrap();
    assert_eq!(row.status, RunStatus::Cancelled);
    assert_eq!(
        (row.lease_owner, row.lease_expires_at, row.ready_at),
        (None, None, None),
        "a final run holds no lease"
    );
    assert_eq!(row.finished_at, Some(at(13)));
    assert_eq!(
        row.error.map(|e| e.0),
        Some(json!({"message": "cancelled"}))
    );
    let steps = store.get_steps(&north, r.run_id).await.unwrap();
    let fetch = &steps[0];
    assert_eq!(
        (fetch.status, fetch.attempts, fetch.duration_ms),
        (StepStatus::Completed, 1, Some(2000))
    );
    assert_eq!(
        (fetch.started_at, fetch.finished_at),
        (Some(at(11)), Some(at(13)))
    );
    assert_eq!(
        fetch.output.as_ref().map(|o| &o.0),
        Some(&json!({"found": 2}))
    );
    assert_eq!(
        fetch.messages.as_ref().map(|m| m.0["warnings"].clone()),
        Some(json!(["late"]))
    );
    assert_eq!(
        (steps[1].status, steps[1].skip_reason.as_deref()),
        (StepStatus::Skipped, Some("run cancelled"))
    );
    let attempts = store.step_attempts(&north, r.run_id).await.unwrap();
    let seen: Vec<_> = attempts
        .iter()
        .map(|a| {
            (
                a.step_name.as_str(),
                a.attempt,
                a.started_at,
                a.ended_at,
                a.outcome.as_deref(),
                a.replica.as_str(),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [(
            "fetch",
            1,
            at(11),
            Some(at(13)),
            Some("completed"),
            "replica-a"
        )]
    );
    let types: Vec<_> = events_of(store, &north)
        .await
        .into_iter()
        .map(|e| (e.event_type, e.run_id))
        .collect();
    assert_eq!(
        types,
        [
            ("StepStarted".to_string(), Some(r.run_id)),
            ("StepCompleted".to_string(), Some(r.run_id)),
            ("RunCancelled".to_string(), Some(r.run_id)),
        ],
        "in commit order"
    );
    assert!(
        matches!(
            store
                .commit_progress(&held, &still_running(50), &[], &[], &[])
                .await,
            Err(StoreError::LeaseLost)
        ),
        "a released lease commits nothing more"
    );
}

async fn renewing_and_releasing_touch_only_the_owners_running_leases(store: &dyn Store) {
    let north = tenant("north");
    for n in 1..=3 {
        store
            .insert_run(&due(&north, n, 5, n as i64))
            .await
            .unwrap();
    }
    let a = store
        .claim_runs("replica-a", at(10), at(20), 2)
        .await
        .unwrap();
    let b = store
        .claim_runs("replica-b", at(10), at(20), 2)
        .await
        .unwrap();
    assert_eq!((ids(&a), ids(&b)), (vec![1, 2], vec![3]));
    // One of a's runs parks on a timer: it keeps no lease to renew.
    let parked = RunUpdate {
        status: RunStatus::Sleeping,
        ready_at: Some(at(100)),
        lease_until: None,
        finished_at: None,
        error: None,
    };
    store
        .commit_progress(&lease(&a[1]), &parked, &[], &[], &[])
        .await
        .unwrap();

    assert_eq!(store.renew_leases("replica-a", at(30)).await.unwrap(), 1);
    let renewed = store.get_run(&north, a[0].run_id).await.unwrap().unwrap();
    assert_eq!(
        (
            renewed.lease_expires_at,
            renewed.ready_at,
            renewed.lease_epoch
        ),
        (Some(at(30)), Some(at(30)), 1),
        "renewal moves the lease end, not the epoch"
    );
    let sleeping = store.get_run(&north, a[1].run_id).await.unwrap().unwrap();
    assert_eq!(
        (sleeping.status, sleeping.ready_at),
        (RunStatus::Sleeping, Some(at(100)))
    );
    let other = store.get_run(&north, b[0].run_id).await.unwrap().unwrap();
    assert_eq!(
        other.lease_expires_at,
        Some(at(20)),
        "another owner's lease"
    );
    assert_eq!(
        store
            .claim_runs("replica-b", at(25), at(60), 10)
            .await
            .unwrap()
            .len(),
        1,
        "b's own lapsed run only: a's lease was renewed"
    );

    assert_eq!(store.release_leases("replica-a", at(26)).await.unwrap(), 1);
    let released = store.get_run(&north, a[0].run_id).await.unwrap().unwrap();
    assert_eq!(
        (released.status, released.lease_owner, released.ready_at),
        (RunStatus::Running, None, Some(at(26)))
    );
    let taken = store
        .claim_runs("replica-b", at(26), at(60), 10)
        .await
        .unwrap();
    assert_eq!(ids(&taken), [1], "a released run is claimable at once");
    assert_eq!(taken[0].lease_epoch, 2);
    assert_eq!(store.release_leases("replica-a", at(27)).await.unwrap(), 0);
}

/// PostgreSQL only (SQLite has one writer): a commit sent again while the first is
/// still running, as after a lost reply, waits for the run's row with a snapshot
/// taken before the first committed, so it cannot see the step rows the first
/// inserted. It is written again whole, as before steps got their rows from their
/// first commit, rather than failing on those rows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_sent_again_while_the_first_runs_is_not_refused_postgres() {
    let opened = super::open(crate::helpers::Backend::Postgres).await;
    let store = opened.store.clone();
    let north = tenant("north");
    let mut r = due(&north, 1, 5, 1);
    r.steps = vec![StepWrite::pending("fetch", 0)];
    store.insert_run(&r).await.unwrap();
    let claimed = store
        .claim_runs("replica-a", at(10), at(40), 1)
        .await
        .unwrap();
    let held = lease(&claimed[0]);
    let started = StepWrite {
        status: StepStatus::Running,
        attempts: 1,
        started_at: Some(at(11)),
        ..StepWrite::pending("fetch", 0)
    };

    // Another session holds the run's row, so both sends take their snapshots and
    // then wait for it.
    let session = sqlx::PgPool::connect(opened.url()).await.unwrap();
    let mut blocker = session.begin().await.unwrap();
    sqlx::query("select 1 from runs where run_id = $1 for update")
        .bind(r.run_id.0)
        .execute(&mut *blocker)
        .await
        .unwrap();
    let send = || {
        let (store, held, step) = (store.clone(), held.clone(), started.clone());
        tokio::spawn(async move {
            store
                .commit_progress(&held, &still_running(41), &[step], &[], &[])
                .await
        })
    };
    let (first, second) = (send(), send());
    waiting_for_locks(&session, 2, "both sends waiting for the run's row").await;
    blocker.rollback().await.unwrap();
    first.await.unwrap().expect("the first send commits");
    second
        .await
        .unwrap()
        .expect("the second send commits as well");

    let steps: Vec<_> = store
        .get_steps(&north, r.run_id)
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.step_name, s.status, s.attempts))
        .collect();
    assert_eq!(steps, [("fetch".to_string(), StepStatus::Running, 1)]);
    session.close().await;
    opened.close().await;
}

/// Waits until `n` sessions of the test's database wait for a lock.
pub(super) async fn waiting_for_locks(session: &sqlx::PgPool, n: i64, what: &str) {
    crate::helpers::eventually(what, || async {
        let waiting: i64 = sqlx::query_scalar(
            "select count(*) from pg_stat_activity
             where datname = current_database() and wait_event_type = 'Lock'",
        )
        .fetch_one(session)
        .await
        .unwrap();
        (waiting == n).then_some(())
    })
    .await;
}

/// Eight claimed runs of north, 1 to 8, each with one pending step `fetch`.
async fn eight_claimed_runs(store: &dyn Store) -> Vec<LeaseRef> {
    let north = tenant("north");
    for n in 1..=8 {
        let mut r = due(&north, n, 5, 1);
        r.steps = vec![StepWrite::pending("fetch", 0)];
        store.insert_run(&r).await.unwrap();
    }
    let mut claimed = store
        .claim_runs("replica-a", at(10), at(40), 8)
        .await
        .unwrap();
    claimed.sort_by_key(|r| r.run_id);
    claimed.iter().map(lease).collect()
}

/// The commit starting run `held`'s step: the step, a `step.started` event, and
/// the notice a run's last commit sends (`RunFinished`), so that the commit tells
/// the other replicas about its run as a last one would.
fn start_fetch(
    store: &std::sync::Arc<dyn Store>,
    held: &LeaseRef,
    output: serde_json::Value,
) -> impl std::future::Future<Output = Result<careflow::store::CommitOutcome, StoreError>> + use<> {
    let (store, held) = (store.clone(), held.clone());
    let step = StepWrite {
        status: StepStatus::Running,
        attempts: 1,
        started_at: Some(at(11)),
        output: Some(output),
        ..StepWrite::pending("fetch", 0)
    };
    let started = event("step.started", Some(held.run_id), 11);
    let notice = Notice::RunFinished {
        tenant: held.tenant_id.to_string(),
        run: held.run_id.0,
    };
    async move {
        store
            .commit_progress(&held, &still_running(41), &[step], &[started], &[notice])
            .await
    }
}

/// Starts the step of each run of `leases` with the output given for it. The first
/// two runs' rows are held from a session of the test's own, so their commits, sent
/// one after the other, take the store's two committers (a pool of 4) and wait; the
/// others are queued behind them. Then everything goes. Answers the commits in the
/// order of `leases`.
async fn commit_behind_busy_committers(
    opened: &super::Opened,
    leases: &[LeaseRef],
    outputs: &[serde_json::Value],
) -> Vec<Result<careflow::store::CommitOutcome, StoreError>> {
    let store = &opened.store;
    let mut commits: Vec<_> = leases
        .iter()
        .zip(outputs)
        .map(|(l, output)| start_fetch(store, l, output.clone()))
        .collect();
    let queued = commits.split_off(2);
    let session = sqlx::PgPool::connect(opened.url()).await.unwrap();
    let mut blocker = session.begin().await.unwrap();
    let ids: Vec<Uuid> = leases[..2].iter().map(|l| l.run_id.0).collect();
    sqlx::query("select 1 from runs where run_id = any($1) for update")
        .bind(&ids)
        .execute(&mut *blocker)
        .await
        .unwrap();
    let answers = behind_busy_committers(&session, blocker, commits, queued).await;
    session.close().await;
    answers
}

/// Sends each of `blocked` alone, each waiting on a lock `blocker` holds, so that
/// they take the store's committers; then polls each of `queued` once, which puts
/// it in its queue while no committer is free; then rolls `blocker` back and
/// answers every write, in the order given.
pub(super) async fn behind_busy_committers<F>(
    session: &sqlx::PgPool,
    blocker: sqlx::Transaction<'_, sqlx::Postgres>,
    blocked: Vec<F>,
    queued: Vec<F>,
) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    // One at a time, so that neither takes the other into its group.
    let mut sent = Vec::new();
    for (n, write) in (1..).zip(blocked) {
        sent.push(tokio::spawn(write));
        waiting_for_locks(session, n, "a committer waiting for a lock").await;
    }
    let mut queued: Vec<_> = queued.into_iter().map(Box::pin).collect();
    for write in &mut queued {
        assert!(futures::poll!(write.as_mut()).is_pending());
    }
    blocker.rollback().await.unwrap();
    let mut answers = Vec::new();
    for write in sent {
        answers.push(write.await.unwrap());
    }
    answers.extend(futures::future::join_all(queued).await);
    answers
}

/// The transaction id that last wrote the row of each run of `runs`, or `None`
/// where no row was written.
pub(super) async fn writers(opened: &super::Opened, runs: &[RunId]) -> Vec<Option<String>> {
    let session = sqlx::PgPool::connect(opened.url()).await.unwrap();
    let mut out = Vec::new();
    for run in runs {
        let xmin: Option<String> =
            sqlx::query_scalar("select xmin::text from runs where run_id = $1")
                .bind(run.0)
                .fetch_optional(&session)
                .await
                .unwrap();
        out.push(xmin);
    }
    session.close().await;
    out
}

/// A listener to the store's notices in the test's database.
async fn listen(opened: &super::Opened) -> sqlx::postgres::PgListener {
    let mut listener = sqlx::postgres::PgListener::connect(opened.url())
        .await
        .unwrap();
    listener.listen(Notice::CHANNEL).await.unwrap();
    listener
}

/// The runs named by the `RunFinished` notices `listener` heard, each as often as
/// it was heard, once every commit has answered. An end marker is sent then:
/// notices arrive in commit order, so every commit's notices are in before it.
async fn runs_heard_finished(
    opened: &super::Opened,
    mut listener: sqlx::postgres::PgListener,
) -> Vec<u128> {
    let end = "end of the test";
    let session = sqlx::PgPool::connect(opened.url()).await.unwrap();
    sqlx::query("select pg_notify($1, $2)")
        .bind(Notice::CHANNEL)
        .bind(end)
        .execute(&session)
        .await
        .unwrap();
    session.close().await;
    let mut runs = Vec::new();
    loop {
        let heard = tokio::time::timeout(std::time::Duration::from_secs(30), listener.recv())
            .await
            .expect("the end marker is heard")
            .unwrap();
        if heard.payload() == end {
            break;
        }
        if let Some(Notice::RunFinished { run, .. }) = Notice::from_payload(heard.payload()) {
            runs.push(run.as_u128());
        }
    }
    runs.sort();
    runs
}

/// Step commits that reach PostgreSQL while its committers are busy are written
/// together, in one transaction, and each keeps its own fence: a commit whose lease
/// was lost is refused and writes nothing (its notice is not sent), the others
/// commit whole and tell the other replicas.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commits_arriving_together_are_written_at_once_each_behind_its_fence_postgres() {
    let opened = super::open(crate::helpers::Backend::Postgres).await;
    let store = opened.store.clone();
    let north = tenant("north");
    let mut leases = eight_claimed_runs(store.as_ref()).await;
    // Run 5's holder lost its lease (another claim moved the epoch on).
    leases[4].epoch += 1;
    let listener = listen(&opened).await;

    let answers = commit_behind_busy_committers(&opened, &leases, &vec![json!({"n": 1}); 8]).await;

    for (n, answer) in answers.iter().enumerate() {
        if n == 4 {
            assert!(
                matches!(answer, Err(StoreError::LeaseLost)),
                "run 5's stale holder is refused: {answer:?}"
            );
        } else {
            assert!(answer.is_ok(), "run {}'s commit: {answer:?}", n + 1);
        }
    }
    let ids: Vec<RunId> = leases.iter().map(|l| l.run_id).collect();
    let xmins = writers(&opened, &ids).await;
    let grouped: Vec<_> = [2, 3, 5, 6, 7].iter().map(|&i| &xmins[i]).collect();
    assert!(
        grouped.iter().all(|x| x.is_some() && *x == grouped[0]),
        "the queued commits share one transaction: {xmins:?}"
    );
    assert_ne!(&xmins[0], grouped[0]);
    assert_ne!(&xmins[1], grouped[0]);
    for (n, l) in leases.iter().enumerate() {
        let steps = store.get_steps(&north, l.run_id).await.unwrap();
        let started: Vec<_> = steps.iter().map(|s| (s.status, s.attempts)).collect();
        if n == 4 {
            assert!(steps.is_empty(), "the refused commit wrote no step row");
        } else {
            assert_eq!(started, [(StepStatus::Running, 1)], "run {}", n + 1);
        }
    }
    let events = events_of(store.as_ref(), &north).await;
    let mut runs: Vec<u128> = events
        .iter()
        .map(|e| e.run_id.expect("a run's event").0.as_u128())
        .collect();
    runs.sort();
    assert_eq!(
        runs,
        [1, 2, 3, 4, 6, 7, 8],
        "one event per commit that held"
    );
    let mut positions: Vec<i64> = events.iter().map(|e| e.position).collect();
    positions.dedup();
    assert_eq!(positions.len(), 7, "every event has a position of its own");
    assert_eq!(
        runs_heard_finished(&opened, listener).await,
        [1, 2, 3, 4, 6, 7, 8],
        "a notice for each commit that held, none for the refused one"
    );
    opened.close().await;
}

/// A value PostgreSQL refuses fails the commit carrying it, not the commits that
/// happened to be written with it; those are written again one at a time, each
/// notice sent once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_commit_fails_alone_when_written_with_others_postgres() {
    let opened = super::open(crate::helpers::Backend::Postgres).await;
    let store = opened.store.clone();
    let north = tenant("north");
    let leases = eight_claimed_runs(store.as_ref()).await;

    let mut outputs = vec![json!({"n": 1}); 8];
    // PostgreSQL's JSON cannot hold the NUL character.
    outputs[3] = json!({"text": "a\u{0}b"});
    let listener = listen(&opened).await;
    let answers = commit_behind_busy_committers(&opened, &leases, &outputs).await;

    for (n, answer) in answers.iter().enumerate() {
        if n == 3 {
            let refused = answer.as_ref().expect_err("run 4's value is refused");
            assert!(!refused.is_transient(), "{refused:?}");
        } else {
            assert!(answer.is_ok(), "run {}'s commit: {answer:?}", n + 1);
        }
    }
    for (n, l) in leases.iter().enumerate() {
        let steps = store.get_steps(&north, l.run_id).await.unwrap();
        assert_eq!(
            steps.len(),
            usize::from(n != 3),
            "run {}'s step rows",
            n + 1
        );
    }
    assert_eq!(
        runs_heard_finished(&opened, listener).await,
        [1, 2, 3, 5, 6, 7, 8],
        "one notice for each commit written, none for the refused one"
    );
    opened.close().await;
}
