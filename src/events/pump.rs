//! The event pump of one replica: gives committed events their positions (one
//! replica at a time does it, whoever is first) and publishes every positioned event
//! to this replica's hub, in position order. Also prunes events past retention.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use super::Hub;
use super::hub::event_bytes;
use crate::engine::Clock;
use crate::store::{EventRow, Notice, Store};

/// Least time between two numbering passes of this replica.
const MIN_PASS_GAP: Duration = Duration::from_millis(5);

/// Starts the pump; it ends when `stop` fires.
pub fn spawn_pump(
    store: Arc<dyn Store>,
    hub: Arc<Hub>,
    clock: Arc<dyn Clock>,
    retention: Duration,
    stop: CancellationToken,
) {
    // A page is published to subscribers at once, so it must fit well within their
    // buffers: a subscriber that keeps up should never lose an event to a burst.
    // In bytes too: pages follow the recent events' size, so large events are read
    // (and held) a few at a time rather than hundreds at once.
    let max_page = (hub.capacity() as i64 / 2).clamp(16, 1000);
    let mut page_size = max_page;
    tokio::spawn(async move {
        let mut notices = store.subscribe();
        let mut cursor = loop {
            match store.last_event_position().await {
                Ok(p) => break p,
                Err(e) => {
                    tracing::warn!(error = %e, "event pump cannot read the event table; retrying");
                    tokio::select! {
                        _ = stop.cancelled() => return,
                        _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                    }
                }
            }
        };
        let mut last_sequenced = tokio::time::Instant::now();
        let mut last_prune = tokio::time::Instant::now() - Duration::from_secs(3600);
        loop {
            // A periodic pass catches events whose notices were lost (a replica that
            // died between its commit and its sequencing, a dropped connection).
            let mut sequence = false;
            tokio::select! {
                _ = stop.cancelled() => return,
                n = notices.recv() => match n {
                    Ok(Notice::EventsAppended) => sequence = true,
                    Ok(Notice::EventsPositioned) => {}
                    Ok(Notice::Resync) | Err(RecvError::Lagged(_)) => sequence = true,
                    Ok(_) => continue,
                    Err(RecvError::Closed) => return,
                },
                _ = tokio::time::sleep(Duration::from_secs(1)) => sequence = true,
            }
            // Drain notices that queued meanwhile: one pass serves them all.
            loop {
                match notices.try_recv() {
                    Ok(Notice::EventsAppended)
                    | Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => {
                        sequence = true
                    }
                    Ok(_) => {}
                    Err(_) => break,
                }
            }
            if sequence {
                // Under load commits arrive faster than numbering passes are worth:
                // wait a few milliseconds so one pass serves many commits.
                let since = last_sequenced.elapsed();
                if since < MIN_PASS_GAP {
                    tokio::time::sleep(MIN_PASS_GAP - since).await;
                    while notices.try_recv().is_ok() {}
                }
                last_sequenced = tokio::time::Instant::now();
                // Events may still wait (another replica held the numbering lock, or
                // more than one pass was due): retry soon rather than at the next tick.
                let mut rounds = 0;
                loop {
                    match store.sequence_events().await {
                        Ok((n, _)) if n >= 5000 => continue,
                        Ok((_, true)) if rounds < 100 => {
                            rounds += 1;
                            tokio::time::sleep(Duration::from_millis(10)).await;
                        }
                        Ok(_) => break,
                        Err(e) => {
                            tracing::warn!(error = %e, "sequencing events failed");
                            break;
                        }
                    }
                }
            }
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
