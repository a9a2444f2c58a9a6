//! Group commit: the step commits of runs that reach the store at the same moment
//! are written by one statement and one transaction, and so are the submissions of
//! runs that start at once (see `submissions`).
//!
//! Under concurrency the server's cost of a run's write is mostly the set-up of its
//! statement, paid at every execution whatever the number of rows. A write waits in
//! a queue; whoever gets one of a few committer permits takes everything queued (its
//! own write or others') and writes it as one statement. With a single write
//! queued, that is the statement a run would have sent alone, so a lone client waits
//! for nothing. Each commit keeps its own fence: a run whose lease was lost is left
//! out of the write (its notices unsent) and answered [`StoreError::LeaseLost`], and
//! the others commit. Only commits that give attempts back to the history are
//! written alone, outside the queue.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex};

use sqlx::PgPool;
use tokio::sync::{Semaphore, broadcast, oneshot};

use super::commits::CommitPart;
use crate::store::{Notice, RunId, StoreError, StoreResult, TenantId};

/// The most writes one statement carries. A transaction numbers at most 4096
/// events (see `insert_events_sql`); a run's write carries a handful.
const MAX_GROUP: usize = 32;

/// How long a lease renewal or release waits for the groups being written.
const EXCLUSIVE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// One run's write that a group can carry: how it is written alone and with others.
pub(super) trait GroupPart: Sized + Send + Sync + 'static {
    /// What the write answers when it holds.
    type Outcome: Send + 'static;

    /// The run the write is for; a group holds one write per run.
    fn run_key(&self) -> (&TenantId, RunId);

    /// True when the write appends events.
    fn has_events(&self) -> bool;

    /// True when a write that answered `outcome` wrote its rows (an answer may
    /// also say that nothing was written).
    fn wrote(_outcome: &Self::Outcome) -> bool {
        true
    }

    /// True when the write is still made after its caller stopped waiting for it
    /// while it was queued. False drops it from the queue instead: nothing is
    /// written that nobody will act on.
    fn written_when_abandoned(&self) -> bool {
        true
    }

    /// Writes `part` with the statement it would have had without the group.
    fn write_alone(
        pool: &PgPool,
        part: &Self,
    ) -> impl Future<Output = StoreResult<Self::Outcome>> + Send;

    /// Writes `parts` in one statement and answers each of them; an error answers
    /// for the whole group.
    fn write_group(
        pool: &PgPool,
        parts: &[Self],
    ) -> impl Future<Output = StoreResult<Vec<StoreResult<Self::Outcome>>>> + Send;
}

/// The step commits' queue.
pub(super) type GroupCommit = WriteQueue<CommitPart>;

/// The committers' permits: at most this many group statements are under way at
/// once. The step commits' and the submissions' queues share them, so their groups
/// gather while the committers are busy with either: separate permits for each
/// made smaller groups and more statements (README, "Benchmark").
pub(super) struct Committers {
    permits: Arc<Semaphore>,
    count: u32,
}

impl Committers {
    /// `count` committers (at least one).
    pub fn new(count: u32) -> Arc<Self> {
        let count = count.max(1);
        Arc::new(Self {
            permits: Arc::new(Semaphore::new(count as usize)),
            count,
        })
    }

    /// How many committers a pool of `max_connections` gets: an eighth of it, at
    /// least two. Other replicas and this one's other work share the pool, so the
    /// committers are a part of it: enough that a write seldom waits for a free
    /// one, few enough that writes arriving meanwhile gather into one statement.
    /// Fewer committers make larger groups: on two cores at 16 clients, 2
    /// committers gave 526 runs/s, 4 gave 496 and 8 gave 413; with a run's last
    /// commit grouped too, 2 gave a ratio to pgbench of 0.24-0.25, 3 gave 0.19 and
    /// 4 gave 0.23; with the submissions grouped as well, 2 gave 0.22-0.25, 3 gave
    /// 0.21-0.23 and 4 gave 0.19-0.22 (README, "Benchmark").
    pub fn for_pool(max_connections: u32) -> u32 {
        (max_connections / 8).max(2)
    }

    /// Waits until no group is being written and keeps new ones from starting
    /// until the guard is dropped.
    ///
    /// A group of step commits locks the rows of several of this replica's runs,
    /// and so do the lease renewal and release; two statements locking the same
    /// rows in different orders could each wait for the other. Taking every
    /// committer keeps them apart, for the few milliseconds a renewal takes.
    ///
    /// A renewal that cannot have every committer within [`EXCLUSIVE_WAIT`] (groups
    /// waiting on locks, a slow server) goes ahead without: leases must not lapse
    /// behind a slow group, and should the two then wait for each other, PostgreSQL
    /// ends one of them and its writer sends it again.
    pub async fn exclusive(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        let all = self.permits.acquire_many(self.count);
        match tokio::time::timeout(EXCLUSIVE_WAIT, all).await {
            Ok(permits) => permits.ok(),
            Err(_) => {
                tracing::warn!(
                    "group commits took longer than {EXCLUSIVE_WAIT:?}; renewing or releasing leases alongside them"
                );
                None
            }
        }
    }
}

/// The queue of writes of one kind waiting for a committer.
pub(super) struct WriteQueue<P: GroupPart> {
    queue: Mutex<VecDeque<Queued<P>>>,
    committers: Arc<Committers>,
    pool: PgPool,
    notices: broadcast::Sender<Notice>,
}

/// A write waiting in the queue, with where its answer goes.
struct Queued<P: GroupPart> {
    part: P,
    reply: oneshot::Sender<StoreResult<P::Outcome>>,
}

impl<P: GroupPart> WriteQueue<P> {
    /// A queue writing through `pool` when one of `committers` is free.
    pub fn new(
        pool: PgPool,
        notices: broadcast::Sender<Notice>,
        committers: Arc<Committers>,
    ) -> Self {
        Self {
            queue: Mutex::new(VecDeque::new()),
            committers,
            pool,
            notices,
        }
    }

    /// Writes `part` with whatever else is queued when a committer is free, and
    /// answers for `part` alone.
    pub async fn write(&self, part: P) -> StoreResult<P::Outcome> {
        let (reply, mut answer) = oneshot::channel();
        self.lock().push_back(Queued { part, reply });
        loop {
            let permit = tokio::select! {
                // An answer that is there wins: this caller has nothing left to write.
                biased;
                // Another committer took this commit with its group.
                done = &mut answer => return done.unwrap_or(Err(unanswered())),
                permit = self.committers.permits.clone().acquire_owned() => permit,
            };
            let Ok(permit) = permit else {
                // The semaphore is never closed; answer rather than spin if it were.
                return Err(StoreError::Corrupt("the committers were closed".into()));
            };
            let group = take_group(&mut self.lock());
            if group.is_empty() {
                // The queue is empty, so another committer took this commit: its
                // answer comes from that committer.
                drop(permit);
                return answer.await.unwrap_or(Err(unanswered()));
            }
            // The write runs in a task of its own, so a caller that stops waiting
            // cannot leave the others of its group without their answers.
            let (pool, notices) = (self.pool.clone(), self.notices.clone());
            tokio::spawn(async move {
                write(&pool, &notices, group).await;
                drop(permit);
            });
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Queued<P>>> {
        // The queue is only pushed to and drained; a panic elsewhere cannot leave
        // it half-changed, so a poisoned lock is still a sound queue.
        self.queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// What a commit answers when its group's writer ended without answering it,
/// which only a panic in the writer can do.
fn unanswered() -> StoreError {
    StoreError::Corrupt("a group commit ended without an answer".into())
}

/// A transient failure of a group's statement, as each of its commits answers it.
fn unavailable(e: &StoreError) -> StoreError {
    let cause = match e {
        StoreError::Unavailable(c) | StoreError::Database(c) => c.to_string(),
        other => other.to_string(),
    };
    StoreError::Unavailable(sqlx::Error::Io(std::io::Error::other(format!(
        "the group commit's statement failed: {cause}"
    ))))
}

/// Writes a group and answers each of its writes.
async fn write<P: GroupPart>(
    pool: &PgPool,
    notices: &broadcast::Sender<Notice>,
    group: Vec<Queued<P>>,
) {
    let (parts, replies): (Vec<P>, Vec<_>) = group.into_iter().map(|q| (q.part, q.reply)).unzip();
    let answers = if parts.len() == 1 {
        write_each(pool, &parts).await
    } else {
        match P::write_group(pool, &parts).await {
            Ok(answers) => answers,
            // The database was unreachable or failed for a reason of its own (a
            // deadlock, a dropped connection): each write is answered so, as it
            // would be alone: the engine sends a commit again while its lease
            // holds, and a submission's client is told to try again. Writing the
            // group again here, one by one, would hold a committer for as long as
            // each of them takes to fail.
            Err(e) if e.is_transient() => parts.iter().map(|_| Err(unavailable(&e))).collect(),
            // One commit's refused value fails the whole statement; written alone,
            // only that commit fails, as it would have without the group.
            Err(_) => write_each(pool, &parts).await,
        }
    };
    if parts
        .iter()
        .zip(&answers)
        .any(|(p, a)| p.has_events() && a.as_ref().is_ok_and(P::wrote))
    {
        let _ = notices.send(Notice::EventsAppended);
    }
    for (reply, answer) in replies.into_iter().zip(answers) {
        // The caller may have stopped waiting; its commit is written all the same.
        let _ = reply.send(answer);
    }
}

/// Writes each write alone, in order.
async fn write_each<P: GroupPart>(pool: &PgPool, parts: &[P]) -> Vec<StoreResult<P::Outcome>> {
    let mut answers = Vec::with_capacity(parts.len());
    for part in parts {
        answers.push(P::write_alone(pool, part).await);
    }
    answers
}

/// Takes the writes at the head of the queue, up to [`MAX_GROUP`] and up to the
/// first one of a run already in the group. A run has two commits queued only when
/// a caller stopped waiting for its first and sent it again; the second is left to
/// the next group, which may be written at the same time by another committer, as
/// the two sends would have been without grouping. Writes whose callers stopped
/// waiting are dropped on the way when they are not to be written then (see
/// [`GroupPart::written_when_abandoned`]).
fn take_group<P: GroupPart>(queue: &mut VecDeque<Queued<P>>) -> Vec<Queued<P>> {
    let mut group: Vec<Queued<P>> = Vec::new();
    while group.len() < MAX_GROUP {
        let Some(next) = queue.front() else { break };
        if next.reply.is_closed() && !next.part.written_when_abandoned() {
            queue.pop_front();
            continue;
        }
        let key = next.part.run_key();
        if group.iter().any(|q| q.part.run_key() == key) {
            break;
        }
        group.extend(queue.pop_front());
    }
    group
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::CommitOutcome;
    use crate::store::{LeaseRef, RunStatus, RunUpdate};

    fn queued(
        run: u128,
    ) -> (
        Queued<CommitPart>,
        oneshot::Receiver<StoreResult<CommitOutcome>>,
    ) {
        let lease = LeaseRef {
            tenant_id: TenantId::parse("north").unwrap(),
            run_id: RunId(uuid::Uuid::from_u128(run)),
            owner: "replica-a".into(),
            epoch: 1,
        };
        let update = RunUpdate {
            status: RunStatus::Running,
            ready_at: None,
            lease_until: None,
            finished_at: None,
            error: None,
        };
        let (reply, answer) = oneshot::channel();
        let part = CommitPart::new(&lease, &update, &[], &[], &[]);
        (Queued { part, reply }, answer)
    }

    fn runs(group: &[Queued<CommitPart>]) -> Vec<u128> {
        group
            .iter()
            .map(|q| q.part.run_key().1.0.as_u128())
            .collect()
    }

    #[test]
    fn a_group_takes_the_queue_in_order_up_to_its_limit() {
        let mut queue: VecDeque<Queued<CommitPart>> = (0..40).map(|n| queued(n).0).collect();
        let first = take_group(&mut queue);
        assert_eq!(runs(&first), (0..32).collect::<Vec<_>>());
        assert_eq!(runs(&take_group(&mut queue)), (32..40).collect::<Vec<_>>());
        assert!(take_group(&mut queue).is_empty());
    }

    /// A write of a kind that is dropped when its caller stops waiting.
    struct Dropped(RunId, TenantId);

    impl GroupPart for Dropped {
        type Outcome = ();

        fn run_key(&self) -> (&TenantId, RunId) {
            (&self.1, self.0)
        }

        fn has_events(&self) -> bool {
            false
        }

        fn written_when_abandoned(&self) -> bool {
            false
        }

        async fn write_alone(_: &PgPool, _: &Self) -> StoreResult<()> {
            Err(StoreError::Corrupt("never written in these tests".into()))
        }

        async fn write_group(_: &PgPool, _: &[Self]) -> StoreResult<Vec<StoreResult<()>>> {
            Err(StoreError::Corrupt("never written in these tests".into()))
        }
    }

    #[test]
    fn a_write_whose_caller_stopped_waiting_is_dropped_only_when_its_kind_says_so() {
        let tenant = TenantId::parse("north").unwrap();
        let mut kept_answers = Vec::new();
        let mut dropped_answers = Vec::new();
        let mut commits = VecDeque::new();
        let mut submissions = VecDeque::new();
        for n in 1..=4 {
            let (commit, answer) = queued(n);
            commits.push_back(commit);
            let (reply, dropped_answer) = oneshot::channel();
            let part = Dropped(RunId(uuid::Uuid::from_u128(n)), tenant.clone());
            submissions.push_back(Queued { part, reply });
            // The callers of 2 and 3 stop waiting.
            if n == 1 || n == 4 {
                kept_answers.push(answer);
                dropped_answers.push(dropped_answer);
            }
        }
        assert_eq!(runs(&take_group(&mut commits)), [1, 2, 3, 4]);
        let taken: Vec<u128> = take_group(&mut submissions)
            .iter()
            .map(|q| q.part.0.0.as_u128())
            .collect();
        assert_eq!(taken, [1, 4]);
        assert!(submissions.is_empty());
    }

    #[test]
    fn a_runs_second_commit_waits_for_the_next_group() {
        let mut queue: VecDeque<Queued<CommitPart>> =
            [1, 2, 1, 3].into_iter().map(|n| queued(n).0).collect();
        assert_eq!(runs(&take_group(&mut queue)), [1, 2]);
        assert_eq!(runs(&take_group(&mut queue)), [1, 3]);
    }
}
