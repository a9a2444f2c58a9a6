//! Group commit: the step commits of runs that reach the store at the same moment
//! are written by one statement and one transaction.
//!
//! Under concurrency the server's cost of a run's commit is mostly the set-up of its
//! statement, paid at every execution whatever the number of rows. A commit waits in
//! a queue; whoever gets one of a few committer permits takes everything queued (its
//! own commit or others') and writes it as one statement. With a single commit
//! queued, that is the statement a run would have sent alone, so a lone client waits
//! for nothing. Each commit keeps its own fence: a run whose lease was lost is left
//! out of the write (its notices unsent) and answered [`StoreError::LeaseLost`], and
//! the others commit. Only commits that give attempts back to the history are
//! written alone, outside the queue.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use sqlx::PgPool;
use tokio::sync::{Semaphore, broadcast, oneshot};

use super::commits::{CommitPart, write_alone, write_group};
use crate::store::{CommitOutcome, Notice, StoreError, StoreResult};

/// The most commits one statement writes. A transaction numbers at most 4096
/// events (see `insert_events_sql`); a run's commit carries a handful.
const MAX_GROUP: usize = 32;

/// How long a lease renewal or release waits for the groups being written.
const EXCLUSIVE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// The queue of commits waiting for a committer, and the committers' permits.
pub(super) struct GroupCommit {
    queue: Mutex<VecDeque<Queued>>,
    committers: Arc<Semaphore>,
    /// How many permits `committers` has.
    count: u32,
    pool: PgPool,
    notices: broadcast::Sender<Notice>,
}

/// A commit waiting in the queue, with where its answer goes.
struct Queued {
    part: CommitPart,
    reply: oneshot::Sender<StoreResult<CommitOutcome>>,
}

impl GroupCommit {
    /// A queue writing through `pool` with at most `committers` statements at once.
    /// Other replicas and this one's other work share the pool, so the committers
    /// are a part of it: enough that a commit seldom waits for a free one, few
    /// enough that commits arriving meanwhile gather into one statement.
    pub fn new(pool: PgPool, notices: broadcast::Sender<Notice>, committers: u32) -> Self {
        let count = committers.max(1);
        Self {
            queue: Mutex::new(VecDeque::new()),
            committers: Arc::new(Semaphore::new(count as usize)),
            count,
            pool,
            notices,
        }
    }

    /// How many committers a pool of `max_connections` gets: an eighth of it, at
    /// least two. Fewer committers make larger groups: on two cores at 16 clients,
    /// 2 committers gave 526 runs/s, 4 gave 496 and 8 gave 413; with a run's last
    /// commit grouped too, 2 gave a ratio to pgbench of 0.24-0.25, 3 gave 0.19 and
    /// 4 gave 0.23 (README, "Benchmark").
    pub fn committers_for(max_connections: u32) -> u32 {
        (max_connections / 8).max(2)
    }

    /// Waits until no group is being written and keeps new ones from starting
    /// until the guard is dropped.
    ///
    /// A group locks the rows of several of this replica's runs, and so do the
    /// lease renewal and release; two statements locking the same rows in
    /// different orders could each wait for the other. Taking every committer
    /// keeps them apart, for the few milliseconds a renewal takes.
    ///
    /// A renewal that cannot have every committer within [`EXCLUSIVE_WAIT`] (groups
    /// waiting on locks, a slow server) goes ahead without: leases must not lapse
    /// behind a slow group, and should the two then wait for each other, PostgreSQL
    /// ends one of them and its writer sends it again.
    pub async fn exclusive(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        let all = self.committers.acquire_many(self.count);
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

    /// Writes `part` with whatever else is queued when a committer is free, and
    /// answers for `part` alone.
    pub async fn commit(&self, part: CommitPart) -> StoreResult<CommitOutcome> {
        let (reply, mut answer) = oneshot::channel();
        self.lock().push_back(Queued { part, reply });
        loop {
            let permit = tokio::select! {
                // An answer that is there wins: this caller has nothing left to write.
                biased;
                // Another committer took this commit with its group.
                done = &mut answer => return done.unwrap_or(Err(unanswered())),
                permit = self.committers.clone().acquire_owned() => permit,
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

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Queued>> {
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

/// Writes a group and answers each of its commits.
async fn write(pool: &PgPool, notices: &broadcast::Sender<Notice>, group: Vec<Queued>) {
    let (parts, replies): (Vec<CommitPart>, Vec<_>) =
        group.into_iter().map(|q| (q.part, q.reply)).unzip();
    let answers = if parts.len() == 1 {
        write_each(pool, &parts).await
    } else {
        match write_group(pool, &parts).await {
            Ok(answers) => answers,
            // The database was unreachable or failed for a reason of its own (a
            // deadlock, a dropped connection): each commit is answered so, and the
            // engine sends it again while its lease holds, as it would a commit of
            // its own. Writing the group again here, one by one, would hold a
            // committer for as long as each of them takes to fail.
            Err(e) if e.is_transient() => parts.iter().map(|_| Err(unavailable(&e))).collect(),
            // One commit's refused value fails the whole statement; written alone,
            // only that commit fails, as it would have without the group.
            Err(_) => write_each(pool, &parts).await,
        }
    };
    if parts
        .iter()
        .zip(&answers)
        .any(|(p, a)| a.is_ok() && p.has_events())
    {
        let _ = notices.send(Notice::EventsAppended);
    }
    for (reply, answer) in replies.into_iter().zip(answers) {
        // The caller may have stopped waiting; its commit is written all the same.
        let _ = reply.send(answer);
    }
}

/// Writes each commit alone, in order.
async fn write_each(pool: &PgPool, parts: &[CommitPart]) -> Vec<StoreResult<CommitOutcome>> {
    let mut answers = Vec::with_capacity(parts.len());
    for part in parts {
        answers.push(write_alone(pool, part).await);
    }
    answers
}

/// Takes the commits at the head of the queue, up to [`MAX_GROUP`] and up to the
/// first one of a run already in the group. A run has two commits queued only when
/// a caller stopped waiting for its first and sent it again; the second is left to
/// the next group, which may be written at the same time by another committer, as
/// the two sends would have been without grouping.
fn take_group(queue: &mut VecDeque<Queued>) -> Vec<Queued> {
    let mut group: Vec<Queued> = Vec::new();
    while group.len() < MAX_GROUP {
        let Some(next) = queue.front() else { break };
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
    use crate::store::{LeaseRef, RunId, RunStatus, RunUpdate, TenantId};

    fn queued(run: u128) -> (Queued, oneshot::Receiver<StoreResult<CommitOutcome>>) {
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

    fn runs(group: &[Queued]) -> Vec<u128> {
        group
            .iter()
            .map(|q| q.part.run_key().1.0.as_u128())
            .collect()
    }

    #[test]
    fn a_group_takes_the_queue_in_order_up_to_its_limit() {
        let mut queue: VecDeque<Queued> = (0..40).map(|n| queued(n).0).collect();
        let first = take_group(&mut queue);
        assert_eq!(runs(&first), (0..32).collect::<Vec<_>>());
        assert_eq!(runs(&take_group(&mut queue)), (32..40).collect::<Vec<_>>());
        assert!(take_group(&mut queue).is_empty());
    }

    #[test]
    fn a_runs_second_commit_waits_for_the_next_group() {
        let mut queue: VecDeque<Queued> = [1, 2, 1, 3].into_iter().map(|n| queued(n).0).collect();
        assert_eq!(runs(&take_group(&mut queue)), [1, 2]);
        assert_eq!(runs(&take_group(&mut queue)), [1, 3]);
    }
}
