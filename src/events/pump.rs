//! The event pump of one replica: publishes every readable event to this replica's
//! hub, in position order, while anybody here subscribes (and reads nothing while
//! nobody does), and, after this replica committed events, tells the other
//! replicas once they become readable. Also prunes events past retention.
//!
//! On PostgreSQL an event is readable once every transaction older than its own has
//! ended (see `store::postgres::events`), which can be a little after its commit: a
//! pass that finds committed events still waiting looks again soon, backing off
//! while an old transaction stays open.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use super::Hub;
use super::hub::event_bytes;
use crate::engine::Clock;
use crate::store::{EventRow, Notice, Store};

/// Least time between two passes prompted by this replica's own commits: under
/// load, one pass serves many commits.
const MIN_PASS_GAP: Duration = Duration::from_millis(5);

/// Least time between two announcements to the other replicas: one serves every
/// commit of the gap. An announcement is a notifying transaction (on PostgreSQL a
/// transaction id and a commit record), which a pass per commit would pay for every
/// few milliseconds of a run. The event router (woken by announcements, on whichever
/// replica holds it) and the other replicas' subscribers see this replica's events
/// up to this much later than its own subscribers do.
const ANNOUNCE_GAP: Duration = Duration::from_millis(25);

/// Longest wait before looking again while committed events wait for an older
/// transaction to end.
const MAX_WAITING_GAP: Duration = Duration::from_millis(200);

/// Longest time the pump goes without moving its cursor while nobody here
/// subscribes, so that a first subscriber's pass reads only what came since.
const UNWATCHED_REFRESH: Duration = Duration::from_secs(1);

/// How often the pump looks without being told (notices lost, another replica that
/// died between its commit and its announcement).
const TICK: Duration = Duration::from_secs(1);

/// Starts the pump, publishing the events after position `from` (the last one when
/// the replica started, read before it could commit any); it ends when `stop` fires.
pub fn spawn_pump(
    store: Arc<dyn Store>,
    hub: Arc<Hub>,
    clock: Arc<dyn Clock>,
    retention: Duration,
    from: i64,
    stop: CancellationToken,
) {
    // A page is published to subscribers at once, so it must fit well within their
    // buffers: a subscriber that keeps up should never lose an event to a burst.
    // In bytes too: pages follow the recent events' size, so large events are read
    // (and held) a few at a time rather than hundreds at once.
    let max_page = (hub.capacity() as i64 / 2).clamp(16, 1000);
    let mut page_size = max_page;
    // Subscribed before the task runs, so no commit's notice falls between.
    let mut notices = store.subscribe();
    tokio::spawn(async move {
        let mut cursor = from;
        let mut last_pass = tokio::time::Instant::now();
        let mut last_announce = tokio::time::Instant::now() - ANNOUNCE_GAP;
        let mut last_prune = tokio::time::Instant::now() - Duration::from_secs(3600);
        let mut last_moved = tokio::time::Instant::now();
        // While committed events wait above the horizon: when to look again.
        // The first look is at once: events may have been committed after `from`
        // before this task first ran.
        let mut waiting: Option<Duration> = Some(Duration::ZERO);
        // When this replica's committed events are to be announced, if some are.
        let mut announce_at: Option<tokio::time::Instant> = None;
        loop {
            // `local`: events may have become readable that no replica announced yet
            // (this replica committed some, notices were lost, or it is time to look).
            let mut local = false;
            let next_look = waiting.unwrap_or(TICK);
            let announce = announce_at.unwrap_or_else(tokio::time::Instant::now);
            tokio::select! {
                _ = stop.cancelled() => return,
                n = notices.recv() => match n {
                    Ok(Notice::EventsAppended) => local = true,
                    Ok(Notice::EventsPositioned) => {}
                    Ok(Notice::Resync) | Err(RecvError::Lagged(_)) => local = true,
                    Ok(_) => continue,
                    Err(RecvError::Closed) => return,
                },
                _ = tokio::time::sleep(next_look) => local = true,
                _ = tokio::time::sleep_until(announce), if announce_at.is_some() => {}
            }
            // Drain notices that queued meanwhile: one pass serves them all.
            loop {
                match notices.try_recv() {
                    Ok(Notice::EventsAppended)
                    | Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => local = true,
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            if local {
                let since = last_pass.elapsed();
                if since < MIN_PASS_GAP {
                    tokio::time::sleep(MIN_PASS_GAP - since).await;
                    while notices.try_recv().is_ok() {}
                }
                // This replica reads its events below at once; the others hear of
                // them at the next announcement.
                announce_at.get_or_insert(last_announce + ANNOUNCE_GAP);
            }
            last_pass = tokio::time::Instant::now();
            // What the announcement saw readable, if this pass made one.
            let mut readable_through = None;
            if announce_at.is_some_and(|at| at <= last_pass) {
                announce_at = None;
                last_announce = last_pass;
                // Announces what became readable to every replica (this one included,
                // which reads below anyway), and says whether more waits.
                waiting = match store.sequence_events().await {
                    Ok(seen) => {
                        readable_through = seen.readable_through;
                        seen.waiting.then(|| {
                            waiting.map_or(MIN_PASS_GAP, |gap| (gap * 2).min(MAX_WAITING_GAP))
                        })
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "looking for readable events failed");
                        None
                    }
                };
            }
            let unwatched = skip_unwatched(
                store.as_ref(),
                &hub,
                &mut cursor,
                readable_through,
                &mut last_moved,
            )
            .await;
            if !unwatched {
                loop {
                    let page = match store.events_after(cursor, page_size).await {
                        Ok(p) => p,
                        Err(e) => {
                            tracing::warn!(error = %e, "reading events failed");
                            break;
                        }
                    };
                    let Some(last) = page.last() else { break };
                    cursor = last.position;
                    let full = page.len() as i64 == page_size;
                    let page: Vec<_> = page.into_iter().map(Arc::new).collect();
                    let bytes = publish_in_slices(&hub, &page).await;
                    let mean = (bytes / page.len()).max(1);
                    page_size = ((hub.byte_capacity() / 2 / mean) as i64).clamp(1, max_page);
                    if !full {
                        break;
                    }
                }
            }
            if last_prune.elapsed() >= Duration::from_secs(3600) {
                last_prune = tokio::time::Instant::now();
                let before = clock.now()
                    - chrono::Duration::from_std(retention).unwrap_or(chrono::Duration::days(7));
                match store.prune_events(before).await {
                    Ok(n) if n > 0 => tracing::info!(events = n, "pruned events past retention"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "pruning events failed"),
                }
            }
        }
    });
}

/// Moves the cursor past readable events instead of reading them when nobody here
/// subscribes, and answers whether the pass is to read nothing.
///
/// Only stream subscribers take what the pump publishes; a replica without any
/// (a worker behind the API replicas, a benchmark) would read every event for
/// nobody. The cursor moves to `readable_through` when the pass learned it, and
/// otherwise to the last readable position at most every [`UNWATCHED_REFRESH`].
/// It moves only while nobody subscribes (see [`Hub::if_unwatched`]), so a
/// subscriber's replay always reaches the cursor and nothing falls between the two.
async fn skip_unwatched(
    store: &dyn Store,
    hub: &Hub,
    cursor: &mut i64,
    readable_through: Option<i64>,
    last_moved: &mut tokio::time::Instant,
) -> bool {
    if hub.subscriber_count() > 0 {
        return false;
    }
    let through = match readable_through {
        Some(p) => Some(p),
        None if last_moved.elapsed() >= UNWATCHED_REFRESH => {
            match store.last_event_position().await {
                Ok(p) => Some(p),
                Err(e) => {
                    tracing::warn!(error = %e, "reading the last event position failed");
                    None
                }
            }
        }
        None => None,
    };
    match through {
        Some(p) => {
            let moved = hub.if_unwatched(|| *cursor = (*cursor).max(p));
            if moved {
                *last_moved = tokio::time::Instant::now();
            }
            moved
        }
        // Nothing learned: the cursor stays where it is, safe if late; a subscriber
        // that came meanwhile is served from it now.
        None => hub.subscriber_count() == 0,
    }
}

/// Publishes a page in slices of at most half a subscriber's byte bound, letting
/// other tasks run between slices: a page of large events handed over at once could
/// overflow the buffer of a subscriber that keeps up, which only needs a turn to
/// drain it. Returns the page's size in bytes.
async fn publish_in_slices(hub: &Hub, page: &[Arc<EventRow>]) -> usize {
    let budget = hub.byte_capacity() / 2;
    let mut total = 0;
    let mut start = 0;
    let mut bytes = 0usize;
    for (i, e) in page.iter().enumerate() {
        let size = event_bytes(e);
        total += size;
        if i > start && bytes + size > budget {
            hub.publish(&page[start..i]);
            tokio::task::yield_now().await;
            start = i;
            bytes = 0;
        }
        bytes += size;
    }
    hub.publish(&page[start..]);
    total
}
