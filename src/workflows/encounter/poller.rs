//! One background poller per polled FHIR source: while it holds the source's lease
//! it searches finished encounters from the stored cursor, page by page, submits one
//! `encounter` run per new version of an encounter (idempotency key
//! `<source>:<encounter id>@<version>`), and
//! saves the cursor after each page's runs were submitted. A crash between the two
//! repeats nothing: the repeated submissions find the runs already there.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::StreamExt;
use reqwest::Url;
use serde_json::json;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{EncounterInput, Source, WORKFLOW, run_event};
use crate::engine::{Engine, EngineError, RunOptions, Submission, Submitted};
use crate::providers::fhir::Encounter;
use crate::store::{EncounterRunRow, SourceCursor};
use crate::workflows::Services;

/// Pages one poll reads at most before letting the next poll continue.
const MAX_PAGES_PER_POLL: usize = 1000;
/// Submissions of one page in flight at once.
const SUBMIT_CONCURRENCY: usize = 8;

/// The running pollers of this replica.
pub struct Pollers {
    stop: CancellationToken,
    tasks: Vec<JoinHandle<()>>,
}

impl Pollers {
    /// Starts one poller per source configured with `poll = true`, and one recovery
    /// task per source (polled or not), which retries encounters that failed on a
    /// transient error once the source answers again.
    pub fn start(engine: Engine, services: &Services) -> Self {
        let stop = CancellationToken::new();
        let sources = services.encounter_sources.all();
        let mut tasks: Vec<JoinHandle<()>> = sources
            .iter()
            .filter(|s| s.poll)
            .map(|source| {
                let poller = Poller {
                    engine: engine.clone(),
                    services: services.clone(),
                    source: source.clone(),
                    stop: stop.clone(),
                };
                tokio::spawn(poller.run())
            })
            .collect();
        tasks.extend(sources.iter().map(|source| {
            super::recovery::spawn(
                engine.clone(),
                services.clone(),
                source.clone(),
                stop.clone(),
            )
        }));
        Self { stop, tasks }
    }

    /// Stops polling, waits for the current page to be saved, and releases the
    /// leases so another replica takes over at once.
    pub async fn shutdown(self) {
        self.stop.cancel();
        for task in self.tasks {
            let _ = task.await;
        }
    }

    /// Stops at once, as a crash would: leases are left to expire.
    pub fn abort(self) {
        for task in self.tasks {
            task.abort();
        }
    }
}

/// Why a poll ended early.
enum Halt {
    /// The queue is full: wait this long.
    Backlogged(Duration),
    /// The replica is stopping, or the lease went to another replica.
    Stop,
    /// Something failed; try again at the next interval.
    Failed,
}

struct Poller {
    engine: Engine,
    services: Services,
    source: Arc<Source>,
    stop: CancellationToken,
}

impl Poller {
    async fn run(self) {
        let interval = self.source.interval;
        tracing::info!(source = %self.source.name, interval_ms = interval.as_millis() as u64,
            "encounter poller started");
        loop {
            let wait = match self.poll().await {
                Err(Halt::Backlogged(after)) => after.max(interval),
                Ok(()) | Err(Halt::Failed) | Err(Halt::Stop) => interval,
            };
            tokio::select! {
                _ = self.stop.cancelled() => break,
                _ = tokio::time::sleep(wait) => {}
            }
        }
        let store = &self.services.store;
        if let Err(e) = store
            .release_encounter_source(&self.source.tenant, &self.source.name, self.engine.owner())
            .await
        {
            tracing::warn!(source = %self.source.name, error = %e, "could not release the source lease");
        }
    }

    fn lease_until(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let ttl = self.services.settings.encounters.poll_lease_ttl;
        now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::seconds(60))
    }

    /// One poll: claim the lease, then read and submit page after page.
    async fn poll(&self) -> Result<(), Halt> {
        let store = &self.services.store;
        let (tenant, name) = (&self.source.tenant, self.source.name.as_str());
        let now = self.services.clock.now();
        let claimed = store
            .claim_encounter_source(
                tenant,
                name,
                self.engine.owner(),
                now,
                self.lease_until(now),
            )
            .await;
        let mut cursor = match claimed {
            Ok(Some(cursor)) => cursor,
            // Another replica polls this source.
            Ok(None) => return Ok(()),
            Err(e) => {
                tracing::warn!(source = %name, error = %e, "cannot claim the source lease");
                return Err(Halt::Failed);
            }
        };
        let from = cursor.last_updated;
        let mut next: Option<Url> = None;
        let mut visited = HashSet::new();
        for _ in 0..MAX_PAGES_PER_POLL {
            if self.stop.is_cancelled() {
                return Err(Halt::Stop);
            }
            let page = self
                .services
                .resilience
                .call(
                    &self.source.endpoint,
                    self.services.settings.providers.fhir.timeout,
                    self.source.client.finished_encounters_page(
                        from,
                        self.source.page_size,
                        next.as_ref(),
                    ),
                )
                .await;
            let page = match page {
                Ok(page) => page,
                Err(e) => {
                    tracing::warn!(source = %name, error = %e, "encounter search failed");
                    return Err(Halt::Failed);
                }
            };
            let submitted = self.submit_page(&page.encounters, &mut cursor).await;
            self.save(&cursor).await?;
            submitted?;
            match page.next {
                Some(url) if visited.insert(url.to_string()) => next = Some(url),
                _ => return Ok(()),
            }
        }
        Ok(())
    }

    /// Saves the cursor (renewing the lease); stops when the lease was lost.
    async fn save(&self, cursor: &SourceCursor) -> Result<(), Halt> {
        let now = self.services.clock.now();
        let saved = self
            .services
            .store
            .save_encounter_cursor(
                &self.source.tenant,
                &self.source.name,
                self.engine.owner(),
                cursor,
                now,
                self.lease_until(now),
            )
            .await;
        match saved {
            Ok(true) => Ok(()),
            Ok(false) => {
                tracing::info!(source = %self.source.name, "another replica took over polling");
                Err(Halt::Stop)
            }
            Err(e) => {
                tracing::warn!(source = %self.source.name, error = %e, "cannot save the cursor");
                Err(Halt::Failed)
            }
        }
    }

    /// Submits a run for each new encounter of a page (several at once, since each
    /// submission is a database round trip), then moves the cursor past the
    /// encounters submitted, in page order, up to the first that failed; publishes
    /// `EncounterDetected` for new runs.
    async fn submit_page(
        &self,
        encounters: &[Encounter],
        cursor: &mut SourceCursor,
    ) -> Result<(), Halt> {
        let mut todo: Vec<(&str, Option<DateTime<Utc>>, Version)> = Vec::new();
        for encounter in encounters {
            let Some(id) = encounter.id.as_deref().filter(|id| super::is_fhir_id(id)) else {
                tracing::warn!(source = %self.source.name, "skipping an encounter without a usable id");
                continue;
            };
            let updated = encounter.last_updated().map(micros);
            if !already_seen(cursor, id, updated) && !todo.iter().any(|(t, _, _)| *t == id) {
                todo.push((id, updated, encounter.version()));
            }
        }
        let submissions: Vec<_> = todo
            .iter()
            .map(|(id, _, version)| self.submit(id.to_string(), version.clone()))
            .collect();
        let results: Vec<_> = futures::stream::iter(submissions)
            .buffered(SUBMIT_CONCURRENCY)
            .collect()
            .await;
        let mut detected = Vec::new();
        let mut result = Ok(());
        for ((id, updated, version), submitted) in todo.iter().zip(results) {
            match submitted {
                Ok((run_id, created)) => {
                    if created {
                        detected.push(run_event(
                            "EncounterDetected",
                            run_id,
                            Some(format!("enc-{id}")),
                            self.services.clock.now(),
                            json!({
                                "source": self.source.name,
                                "encounterId": id,
                                "versionId": version,
                                "lastUpdated": updated,
                                "via": "poll",
                            }),
                        ));
                    }
                    if result.is_ok() {
                        advance(cursor, id, *updated);
                    }
                }
                Err(halt) => {
                    if result.is_ok() {
                        result = Err(halt);
                    }
                }
            }
        }
        if !detected.is_empty() {
            tracing::info!(source = %self.source.name, encounters = detected.len(), "encounters detected");
            if let Err(e) = self
                .services
                .store
                .append_events(&self.source.tenant, &detected)
                .await
            {
                tracing::warn!(source = %self.source.name, error = %e, "could not publish EncounterDetected");
            }
        }
        result
    }

    async fn submit(
        &self,
        encounter_id: String,
        version: Option<String>,
    ) -> Result<(crate::store::RunId, bool), Halt> {
        let input = EncounterInput {
            source: self.source.name.clone(),
            encounter_id,
            version,
        };
        let submission = Submission {
            tenant: self.source.tenant.clone(),
            workflow: WORKFLOW.to_string(),
            input: input.to_value(),
            options: RunOptions::default(),
            idempotency_key: Some(input.idempotency_key()),
            fingerprint: None,
            correlation_id: Some(input.correlation_id()),
        };
        let (run_id, created) = match self.engine.submit(submission, Duration::ZERO).await {
            Ok(Submitted::Run {
                run_id, created, ..
            }) => (run_id, created),
            Ok(Submitted::DryRun(_)) => return Err(Halt::Failed),
            Err(EngineError::Backlogged { retry_after, .. }) => {
                tracing::info!(source = %self.source.name, "work queue full; polling pauses");
                return Err(Halt::Backlogged(retry_after));
            }
            Err(EngineError::ShuttingDown) => return Err(Halt::Stop),
            Err(e) => {
                tracing::warn!(source = %self.source.name, error = %e, "submitting an encounter failed");
                return Err(Halt::Failed);
            }
        };
        let row = EncounterRunRow {
            tenant_id: self.source.tenant.clone(),
            encounter_id: input.encounter_id.clone(),
            source: self.source.name.clone(),
            run_id,
            version: input.version.clone(),
            submitted_at: self.services.clock.now(),
        };
        if let Err(e) = self.services.store.record_encounter_run(&row).await {
            tracing::warn!(source = %self.source.name, error = %e, "recording an encounter's run failed");
            return Err(Halt::Failed);
        }
        Ok((run_id, created))
    }
}

/// An encounter's version (`meta.versionId`, else `meta.lastUpdated`), if it has one.
type Version = Option<String>;

/// Timestamps as the store keeps them (microseconds), so a cursor read back compares
/// equal to the instant it was saved from.
fn micros(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// True when the cursor is already past this encounter: updated before the cursor's
/// instant, or at that instant and among the ids processed there. Encounters without
/// a readable `lastUpdated` are never skipped (their submission is idempotent).
fn already_seen(cursor: &SourceCursor, id: &str, updated: Option<DateTime<Utc>>) -> bool {
    match (cursor.last_updated, updated) {
        (Some(at), Some(updated)) => {
            updated < at || (updated == at && cursor.ids.iter().any(|i| i == id))
        }
        _ => false,
    }
}

/// Moves the cursor past an encounter whose run was submitted.
fn advance(cursor: &mut SourceCursor, id: &str, updated: Option<DateTime<Utc>>) {
    let Some(updated) = updated else { return };
    match cursor.last_updated {
        Some(at) if updated < at => {}
        Some(at) if updated == at => {
            if !cursor.ids.iter().any(|i| i == id) {
                cursor.ids.push(id.to_string());
            }
        }
        _ => {
            cursor.last_updated = Some(updated);
            cursor.ids = vec![id.to_string()];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(minute: u32) -> Option<DateTime<Utc>> {
        Some(Utc.with_ymd_and_hms(2025, 3, 1, 10, minute, 0).unwrap())
    }

    #[test]
    fn the_cursor_keeps_the_ids_seen_at_its_instant_and_skips_only_those() {
        let mut cursor = SourceCursor::default();
        assert!(!already_seen(&cursor, "enc-1", at(1)));
        advance(&mut cursor, "enc-1", at(1));
        advance(&mut cursor, "enc-2", at(2));
        advance(&mut cursor, "enc-3", at(2));
        assert_eq!(cursor.last_updated, at(2));
        assert_eq!(cursor.ids, ["enc-2", "enc-3"]);
        // The inclusive search returns the cursor's instant again: only new ids pass.
        assert!(already_seen(&cursor, "enc-2", at(2)));
        assert!(!already_seen(&cursor, "enc-4", at(2)));
        assert!(already_seen(&cursor, "enc-1", at(1)));
        assert!(
            !already_seen(&cursor, "enc-1", at(3)),
            "an updated encounter"
        );
        assert!(!already_seen(&cursor, "enc-5", None));
        advance(&mut cursor, "enc-5", None);
        advance(&mut cursor, "enc-1", at(1));
        assert_eq!(cursor.ids, ["enc-2", "enc-3"]);
    }
}
