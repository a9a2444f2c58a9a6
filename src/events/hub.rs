//! Fan-out of events to subscribers. Each subscriber has a bounded buffer, in events
//! and in bytes: when either bound is passed the oldest undelivered events are
//! dropped and counted, and the subscriber is told once, on its next read, how many
//! it lost and where to resume. Publishing never waits for a subscriber, so a slow
//! reader delays nobody, and a stalled one holds at most its byte bound of events
//! however large they are.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use crate::store::{EventFilter, EventRow, TenantId};
use crate::telemetry::metrics::Metrics;

/// What a subscriber reads next.
#[derive(Debug, Clone)]
pub enum Delivery {
    /// An event.
    Event(Arc<EventRow>),
    /// Events were dropped because the subscriber read too slowly.
    Lagged {
        /// How many.
        missed: u64,
        /// Replay after this position (as `Last-Event-ID`) to get them back.
        resume_from: i64,
    },
}

struct Buffer {
    /// Each event with its size in bytes (see [`event_bytes`]).
    queue: VecDeque<(Arc<EventRow>, usize)>,
    /// Sum of the sizes in `queue`.
    bytes: usize,
    missed: u64,
    resume_from: i64,
    last_taken: i64,
    /// Events at or below this position are not buffered: the subscriber has them
    /// from its replay, or opened after they were readable (see
    /// [`Subscription::skip_through`]).
    floor: i64,
    /// The highest position dropped for room since the subscriber was last told.
    dropped_through: i64,
}

struct Subscriber {
    tenant: TenantId,
    filter: EventFilter,
    capacity: usize,
    byte_capacity: usize,
    // A std mutex: pushes and pops are a few pointer moves, never across an await.
    buffer: Mutex<Buffer>,
    ready: Notify,
}

/// The subscribers of this replica.
pub struct Hub {
    subscribers: Mutex<HashMap<u64, Arc<Subscriber>>>,
    next_id: AtomicU64,
    capacity: usize,
    byte_capacity: usize,
    metrics: Arc<Metrics>,
}

/// The size an event takes in a subscriber's buffer: its payload's JSON length plus
/// its text fields. Counted without building the JSON, so large payloads cost no copy.
pub fn event_bytes(e: &EventRow) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut payload = Counter(0);
    // Writing to a counter cannot fail; a value that cannot be written counts as empty.
    let _ = serde_json::to_writer(&mut payload, &e.data.0);
    payload.0
        + e.event_type.len()
        + e.source.len()
        + e.correlation_id.as_ref().map_or(0, String::len)
        + e.workflow.as_ref().map_or(0, String::len)
        + std::mem::size_of::<EventRow>()
}

impl Hub {
    /// A hub whose subscribers each buffer up to `capacity` events and up to
    /// `byte_capacity` bytes of them (as [`event_bytes`] counts). A single event
    /// larger than `byte_capacity` is still buffered, alone, so it can be delivered.
    pub fn new(capacity: usize, byte_capacity: usize, metrics: Arc<Metrics>) -> Arc<Self> {
        Arc::new(Self {
            subscribers: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            capacity: capacity.max(1),
            byte_capacity: byte_capacity.max(1),
            metrics,
        })
    }

    /// Registers a subscriber to a tenant's events that pass `filter`. Events
    /// published from now on are buffered for it.
    pub fn subscribe(self: &Arc<Self>, tenant: TenantId, filter: EventFilter) -> Subscription {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let sub = Arc::new(Subscriber {
            tenant,
            filter,
            capacity: self.capacity,
            byte_capacity: self.byte_capacity,
            buffer: Mutex::new(Buffer {
                queue: VecDeque::new(),
                bytes: 0,
                missed: 0,
                resume_from: 0,
                last_taken: 0,
                floor: 0,
                dropped_through: 0,
            }),
            ready: Notify::new(),
        });
        let count = {
            let mut subs = self.subscribers.lock().unwrap_or_else(|p| p.into_inner());
            subs.insert(id, sub.clone());
            subs.len()
        };
        self.gauge(count);
        Subscription {
            hub: self.clone(),
            id,
            sub,
        }
    }

    fn gauge(&self, count: usize) {
        self.metrics.gauge(
            "careflow_sse_subscribers",
            "Event stream subscribers connected to this replica.",
            &[],
            count as f64,
        );
    }

    /// Events each subscriber may buffer.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Bytes of events each subscriber may buffer.
    pub fn byte_capacity(&self) -> usize {
        self.byte_capacity
    }

    /// Number of subscribers.
    pub fn subscriber_count(&self) -> usize {
        self.subscribers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    /// Runs `skip` if nobody subscribes, holding the subscribers' lock meanwhile so
    /// that nobody subscribes halfway; answers whether it ran.
    ///
    /// The event pump moves past events nobody here would read this way: whoever
    /// subscribes afterwards finds it past them and reads them in its own replay,
    /// which starts after it subscribed.
    pub fn if_unwatched(&self, skip: impl FnOnce()) -> bool {
        let subs = self.subscribers.lock().unwrap_or_else(|p| p.into_inner());
        if subs.is_empty() {
            skip();
            true
        } else {
            false
        }
    }

    /// Hands events (in position order) to every subscriber they concern.
    pub fn publish(&self, events: &[Arc<EventRow>]) {
        let subs: Vec<Arc<Subscriber>> = self
            .subscribers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect();
        if subs.is_empty() {
            return;
        }
        // Sized once per event, whichever subscribers take it.
        let mut sizes: Vec<Option<usize>> = vec![None; events.len()];
        let mut dropped = 0u64;
        for sub in subs {
            let mut pushed = false;
            {
                let mut b = sub.buffer.lock().unwrap_or_else(|p| p.into_inner());
                for (e, size) in events.iter().zip(sizes.iter_mut()) {
                    if e.position <= b.floor || e.tenant_id != sub.tenant || !sub.filter.matches(e)
                    {
                        continue;
                    }
                    let bytes = *size.get_or_insert_with(|| event_bytes(e));
                    // Make room in events and in bytes; the newest event always stays.
                    while b.queue.len() >= sub.capacity
                        || (b.bytes + bytes > sub.byte_capacity && !b.queue.is_empty())
                    {
                        let Some((oldest, oldest_bytes)) = b.queue.pop_front() else {
                            break;
                        };
                        b.bytes -= oldest_bytes;
                        if b.missed == 0 {
                            b.resume_from = if b.last_taken > 0 {
                                b.last_taken
                            } else {
                                oldest.position - 1
                            };
                        }
                        b.missed += 1;
                        b.dropped_through = b.dropped_through.max(oldest.position);
                        dropped += 1;
                    }
                    b.queue.push_back((e.clone(), bytes));
                    b.bytes += bytes;
                    pushed = true;
                }
            }
            if pushed {
                sub.ready.notify_one();
            }
        }
        if dropped > 0 {
            self.metrics.count(
                "careflow_sse_dropped_events_total",
                "Events dropped from slow subscribers' buffers.",
                &[],
                dropped as f64,
            );
        }
    }
}

/// A subscriber's handle; dropping it unsubscribes.
pub struct Subscription {
    hub: Arc<Hub>,
    id: u64,
    sub: Arc<Subscriber>,
}

impl Subscription {
    /// The next delivery, waiting until there is one.
    pub async fn next(&self) -> Delivery {
        loop {
            if let Some(d) = self.try_next() {
                return d;
            }
            self.sub.ready.notified().await;
        }
    }

    /// Drops the buffered events at or below `position` and buffers none of them
    /// from now on: the subscriber has them from its replay, or does not want them.
    /// A pump catching up after nobody subscribed publishes events this old, and
    /// they must not take a buffer's room (and report a lag) for nothing.
    pub fn skip_through(&self, position: i64) {
        let mut b = self.sub.buffer.lock().unwrap_or_else(|p| p.into_inner());
        b.floor = b.floor.max(position);
        // Events dropped for room that the subscriber has anyway are no loss.
        if b.missed > 0 && b.dropped_through <= position {
            b.missed = 0;
        }
        while let Some((e, bytes)) = b.queue.front() {
            if e.position > position {
                break;
            }
            let bytes = *bytes;
            b.queue.pop_front();
            b.bytes -= bytes;
        }
    }

    /// The next delivery if one is buffered.
    pub fn try_next(&self) -> Option<Delivery> {
        let mut b = self.sub.buffer.lock().unwrap_or_else(|p| p.into_inner());
        if b.missed > 0 {
            let d = Delivery::Lagged {
                missed: b.missed,
                resume_from: b.resume_from,
            };
            b.missed = 0;
            b.dropped_through = 0;
            return Some(d);
        }
        let (e, bytes) = b.queue.pop_front()?;
        b.bytes -= bytes;
        b.last_taken = e.position;
        Some(Delivery::Event(e))
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let count = {
            let mut subs = self
                .hub
                .subscribers
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            subs.remove(&self.id);
            subs.len()
        };
        self.hub.gauge(count);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use sqlx::types::Json;

    fn event(tenant: &str, position: i64) -> Arc<EventRow> {
        padded(tenant, position, 0)
    }

    fn padded(tenant: &str, position: i64, pad: usize) -> Arc<EventRow> {
        Arc::new(EventRow {
            position,
            tenant_id: TenantId::parse(tenant).unwrap(),
            event_id: uuid::Uuid::now_v7(),
            event_type: "t".into(),
            correlation_id: None,
            run_id: None,
            workflow: None,
            source: "test".into(),
            data: Json(json!({"pad": "x".repeat(pad)})),
            created_at: chrono::Utc::now(),
        })
    }

    fn positions(sub: &Subscription) -> Vec<String> {
        std::iter::from_fn(|| sub.try_next())
            .map(|d| match d {
                Delivery::Event(e) => e.position.to_string(),
                Delivery::Lagged {
                    missed,
                    resume_from,
                } => format!("lagged:{missed}:{resume_from}"),
            })
            .collect()
    }

    #[test]
    fn a_full_buffer_drops_the_oldest_and_reports_once_where_to_resume() {
        let hub = Hub::new(3, usize::MAX, Arc::new(Metrics::new()));
        let slow = hub.subscribe(TenantId::parse("a").unwrap(), EventFilter::default());
        hub.publish(&[event("a", 1)]);
        assert_eq!(positions(&slow), ["1"]);
        hub.publish(&(2..=7).map(|p| event("a", p)).collect::<Vec<_>>());
        assert_eq!(positions(&slow), ["lagged:3:1", "5", "6", "7"]);
    }

    #[test]
    fn a_buffer_full_in_bytes_drops_the_oldest_like_a_buffer_full_in_events() {
        let size = event_bytes(&padded("a", 1, 50_000));
        let hub = Hub::new(1024, 3 * size, Arc::new(Metrics::new()));
        let slow = hub.subscribe(TenantId::parse("a").unwrap(), EventFilter::default());
        hub.publish(&[padded("a", 1, 50_000)]);
        assert_eq!(positions(&slow), ["1"]);
        hub.publish(&(2..=7).map(|p| padded("a", p, 50_000)).collect::<Vec<_>>());
        assert_eq!(positions(&slow), ["lagged:3:1", "5", "6", "7"]);
    }

    #[test]
    fn an_event_larger_than_the_byte_bound_is_still_delivered_alone() {
        let hub = Hub::new(1024, 1000, Arc::new(Metrics::new()));
        let sub = hub.subscribe(TenantId::parse("a").unwrap(), EventFilter::default());
        hub.publish(&[event("a", 1), padded("a", 2, 5000), event("a", 3)]);
        assert_eq!(positions(&sub), ["lagged:2:0", "3"]);
        hub.publish(&[padded("a", 4, 5000)]);
        assert_eq!(positions(&sub), ["4"]);
    }

    #[test]
    fn subscribers_only_see_their_tenants_events_and_leave_on_drop() {
        let hub = Hub::new(8, usize::MAX, Arc::new(Metrics::new()));
        let a = hub.subscribe(TenantId::parse("a").unwrap(), EventFilter::default());
        let b = hub.subscribe(TenantId::parse("b").unwrap(), EventFilter::default());
        hub.publish(&[event("a", 1), event("b", 2), event("a", 3)]);
        assert_eq!(positions(&a), ["1", "3"]);
        assert_eq!(positions(&b), ["2"]);
        drop(a);
        assert_eq!(hub.subscriber_count(), 1);
    }

    #[test]
    fn a_subscriber_skipping_through_a_position_is_handed_nothing_at_or_below_it() {
        let hub = Hub::new(4, usize::MAX, Arc::new(Metrics::new()));
        let sub = hub.subscribe(TenantId::parse("a").unwrap(), EventFilter::default());
        hub.publish(&[event("a", 1), event("a", 2), event("a", 3)]);
        sub.skip_through(2);
        // Events it skips take no room: four more fit in a buffer of four.
        hub.publish(&[1, 2, 4, 5, 6].map(|p| event("a", p)));
        assert_eq!(positions(&sub), ["3", "4", "5", "6"]);
    }

    #[test]
    fn events_dropped_for_room_that_a_replay_covers_are_no_lag() {
        let hub = Hub::new(2, usize::MAX, Arc::new(Metrics::new()));
        let covered = hub.subscribe(TenantId::parse("a").unwrap(), EventFilter::default());
        let short = hub.subscribe(TenantId::parse("a").unwrap(), EventFilter::default());
        hub.publish(&[event("a", 1), event("a", 2), event("a", 3), event("a", 4)]);
        // Its replay reached 3: the dropped 1 and 2 were in it.
        covered.skip_through(3);
        assert_eq!(positions(&covered), ["4"]);
        // Its replay reached only 1: 2 is lost, and it is told so.
        short.skip_through(1);
        assert_eq!(positions(&short), ["lagged:2:0", "3", "4"]);
    }

    #[test]
    fn the_pump_moves_past_events_only_while_nobody_subscribes() {
        let hub = Hub::new(8, usize::MAX, Arc::new(Metrics::new()));
        let mut cursor = 0;
        assert!(hub.if_unwatched(|| cursor = 5));
        assert_eq!(cursor, 5);
        let sub = hub.subscribe(TenantId::parse("a").unwrap(), EventFilter::default());
        assert!(
            !hub.if_unwatched(|| cursor = 9),
            "a subscriber holds it back"
        );
        assert_eq!(cursor, 5);
        drop(sub);
        assert!(hub.if_unwatched(|| cursor = 9));
        assert_eq!(cursor, 9);
    }
}
