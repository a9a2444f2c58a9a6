//! Events sent from outside (`POST /v1/events`): admitted against the queue's
//! bounds, de-duplicated by the sender's ids, appended, and answered with the runs
//! they started once the event router has passed them.

use std::time::Duration;

use serde_json::json;
use uuid::Uuid;

use super::{Engine, EngineResult, ROUTER_LEASE, trigger_key};
use crate::store::{NewEvent, RunId, SkippedTrigger, TenantId};

/// How long the answer waits for the router to start the triggered runs.
const ROUTING_WAIT: Duration = Duration::from_secs(5);

/// One event as sent, already validated.
#[derive(Debug, Clone)]
pub struct IncomingEvent {
    /// The sender's id: a repeat within a day is a duplicate and triggers nothing.
    pub client_id: Option<String>,
    /// The event to append.
    pub event: NewEvent,
}

/// What became of one sent event.
#[derive(Debug, Clone)]
pub struct EventReceipt {
    /// The sender's id, if it gave one.
    pub client_id: Option<String>,
    /// The event's id.
    pub event_id: Uuid,
    /// The event's name.
    pub name: String,
    /// True when the sender's id was seen before: nothing was appended.
    pub duplicate: bool,
}

/// A run an accepted event started.
#[derive(Debug, Clone)]
pub struct StartedRun {
    /// The run.
    pub run_id: RunId,
    /// The function it runs.
    pub function: String,
    /// The event that started it.
    pub event_id: String,
}

/// The answer to a batch of sent events.
#[derive(Debug, Clone, Default)]
pub struct SentEvents {
    /// One receipt per event, in the order sent.
    pub receipts: Vec<EventReceipt>,
    /// The runs the accepted events started.
    pub runs: Vec<StartedRun>,
    /// Functions the accepted events triggered but that started no run: a rate
    /// limit skipped the event, or the queue refused the run.
    pub skipped: Vec<SkippedTrigger>,
}

impl Engine {
    /// Takes a batch of events from outside. A batch whose due events would start
    /// more runs than the queue holds is refused with nothing written
    /// (`EngineError::Backlogged`); repeated client ids are
    /// answered as duplicates; the rest are appended, and the answer comes once the
    /// event router has applied them (triggers, cancellations, wake-ups), or after a
    /// short wait when the router runs elsewhere and is slow.
    pub async fn send_events(
        &self,
        tenant: &TenantId,
        incoming: Vec<IncomingEvent>,
    ) -> EngineResult<SentEvents> {
        let now = self.inner.clock.now();
        // Before anything is written: a refused batch (429) leaves no trace. Events
        // dated later start parked runs, which do not count as queued.
        let due_now: Vec<serde_json::Value> = incoming
            .iter()
            .filter(|i| i.event.created_at <= now)
            .map(|i| json!({"name": i.event.event_type, "data": i.event.data}))
            .collect();
        self.admit_events(tenant, &due_now).await?;
        let with_ids: Vec<(String, Uuid)> = incoming
            .iter()
            .filter_map(|i| i.client_id.clone().map(|c| (c, i.event.event_id)))
            .collect();
        let store = &self.inner.store;
        let fresh = store.remember_event_ids(tenant, &with_ids, now).await?;
        let mut receipts = Vec::with_capacity(incoming.len());
        let mut accepted = Vec::new();
        let mut fresh_iter = fresh.into_iter();
        for i in incoming {
            let new = i.client_id.is_none() || fresh_iter.next().unwrap_or(false);
            receipts.push(EventReceipt {
                client_id: i.client_id,
                event_id: i.event.event_id,
                name: i.event.event_type.clone(),
                duplicate: !new,
            });
            if new {
                accepted.push(i.event);
            }
        }
        store.append_events(tenant, &accepted).await?;
        let runs = self.runs_started_by(tenant, &accepted).await?;
        let ids: Vec<Uuid> = accepted.iter().map(|e| e.event_id).collect();
        let skipped = if ids.is_empty() {
            Vec::new()
        } else {
            store.skipped_triggers(tenant, &ids).await?
        };
        Ok(SentEvents {
            receipts,
            runs,
            skipped,
        })
    }

    /// The runs `events` started. Waits (briefly) until the event router has passed
    /// the events, so their triggers, cancellations and wake-ups have been applied.
    async fn runs_started_by(
        &self,
        tenant: &TenantId,
        events: &[NewEvent],
    ) -> EngineResult<Vec<StartedRun>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let store = &self.inner.store;
        let ids: Vec<Uuid> = events.iter().map(|e| e.event_id).collect();
        let deadline = tokio::time::Instant::now() + ROUTING_WAIT;
        loop {
            let positions = store.event_positions(tenant, &ids).await?;
            let routed_to = store.lease_position(ROUTER_LEASE).await?;
            let done = positions.len() == ids.len() && positions.iter().all(|p| *p <= routed_to);
            if done || tokio::time::Instant::now() >= deadline {
                break;
            }
            // Woken when a routing batch ends on this replica; the timeout covers a
            // router running on another replica.
            self.routed(Duration::from_millis(50)).await;
        }
        let keys: Vec<String> = events.iter().map(|e| trigger_key(e.event_id)).collect();
        let found = store.runs_by_keys(tenant, &keys).await?;
        Ok(found
            .into_iter()
            .map(|(run_id, function, key)| StartedRun {
                run_id,
                function,
                event_id: key.trim_start_matches("evt:").to_string(),
            })
            .collect())
    }
}
