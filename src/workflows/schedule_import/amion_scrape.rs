//! Phase 2, `amionScrape`: fetches the assignments of the version's date range from
//! Amion's report 619 (in requests of `days_per_request` days), matches them to the
//! version's shifts, and stores the matches in one transaction.
//!
//! Any failure (unreachable, a bad answer, nothing matching) stores nothing and ends
//! the phase with a warning, so that coverage still runs; failures a retry can fix are
//! first retried by the engine. The access code is read from the upload (or the
//! configuration), sent only to Amion, and forgotten by the upload once used.

use std::sync::Arc;
use std::time::Duration;

use chrono::{Days, NaiveDate};
use serde_json::json;
use uuid::Uuid;

use super::messages::phase_message;
use super::outputs::Roster;
use super::{AMION_SCRAPE, ImportInput, Phase, version_of};
use crate::domain::schedule::matching::{
    ShiftInstanceRef, match_assignments, normalise_person_name,
};
use crate::engine::{Messages, StepContext, StepError, StepOutcome, StepOutput};
use crate::providers::amion::{AccessCode, AmionAssignment, AmionClient, AmionError};
use crate::providers::resilience::{CallError, Resilient};
use crate::store::{AssignmentBatch, AssignmentRow};

/// Why the phase stored nothing.
struct Failure {
    /// Safe to show: no access code, no staff names.
    message: String,
    retryable: bool,
    retry_after: Option<Duration>,
    /// Amion's breaker was open: nothing was sent.
    refused: bool,
    /// Assignments fetched before failing.
    fetched: usize,
    requests: u32,
}

impl Failure {
    fn permanent(message: impl Into<String>, fetched: usize, requests: u32) -> Self {
        Self {
            message: message.into(),
            retryable: false,
            retry_after: None,
            refused: false,
            fetched,
            requests,
        }
    }
}

pub(super) async fn run(phase: Arc<Phase>, ctx: StepContext) -> Result<StepOutcome, StepError> {
    let input = ImportInput::of(&ctx)?;
    let version = version_of(&ctx)?;
    let outcome = scrape(&phase, &ctx, &input, version).await;
    if let Err(f) = &outcome {
        if f.refused {
            // Amion's breaker is open: wait for its next trial without spending an
            // attempt (the access code stays until the phase ends).
            return Err(StepError::deferred(f.message.clone(), f.retry_after));
        }
        let error = StepError::retryable(f.message.clone()).with_retry_after(f.retry_after);
        if f.retryable && !phase.is_last(&error, &ctx) {
            return Err(error);
        }
    }
    // Final either way: the code given with the upload has served its purpose.
    if let Err(e) = phase
        .services
        .store
        .clear_upload_login(&ctx.tenant, input.upload_id)
        .await
    {
        tracing::warn!(run.id = %ctx.run_id, error = %e, "could not forget the upload's access code");
    }
    Ok(StepOutcome::Done(outcome.or_else(|f| {
        tracing::warn!(
            run.id = %ctx.run_id,
            requests = f.requests,
            "roster assignments not stored; coverage goes on without them"
        );
        let message = format!("{}; no assignments were stored", f.message);
        let output = Roster {
            fetched: f.fetched,
            requests: f.requests,
            reason: Some(f.message),
            ..Roster::none(version, "failed")
        };
        with_warning(&output, message)
    })?))
}

fn with_warning(output: &Roster, message: String) -> Result<StepOutput, StepError> {
    Ok(StepOutput::typed(output)?.with_messages(Messages {
        warnings: vec![phase_message(AMION_SCRAPE, message)],
        ..Messages::default()
    }))
}

async fn scrape(
    phase: &Phase,
    ctx: &StepContext,
    input: &ImportInput,
    version_id: Uuid,
) -> Result<StepOutput, Failure> {
    let services = &phase.services;
    let settings = &services.settings.providers.amion;
    let skipped = |outcome: &str, why: String| {
        with_warning(&Roster::none(version_id, outcome), why).map_err(transient)
    };
    let Some(client) = services.providers.amion.as_ref() else {
        tracing::info!(run.id = %ctx.run_id, "Amion is not configured; no assignments fetched");
        return skipped(
            "not_configured",
            "Amion is not configured (providers.amion.base_url is empty); no assignments were fetched, so coverage counts only those a roster grid named".into(),
        );
    };
    let store = services.store.as_ref();
    let given = store
        .get_upload_login(&ctx.tenant, input.upload_id)
        .await
        .map_err(|e| transient(StepError::stored("reading the upload failed", e)))?;
    let login = match given {
        Some(code) => AccessCode::new(code),
        None if !settings.login.is_empty() => AccessCode::new(settings.login.expose()),
        None => {
            return skipped(
                "no_access_code",
                "no Amion access code was given (amionLogin) or configured (providers.amion.login); no assignments were fetched".into(),
            );
        }
    };
    let version = store
        .get_version(&ctx.tenant, version_id)
        .await
        .map_err(|e| transient(StepError::stored("reading the version failed", e)))?
        .ok_or_else(|| Failure::permanent("the schedule version does not exist", 0, 0))?;
    let days = (version.period_end - version.period_start).num_days() + 1;
    if days > i64::from(settings.max_days) {
        return skipped(
            "range_too_long",
            format!(
                "the schedule spans {days} days, above providers.amion.max_days ({}); no assignments were fetched",
                settings.max_days
            ),
        );
    }
    // All requests together stay within the step's deadline: were the engine to time
    // the step out, it would record a failure and skip coverage.
    let budget = services.settings.engine.attempt_timeout.mul_f64(0.8);
    let fetch = fetch_range(
        client,
        &login,
        version.period_start,
        days,
        settings.days_per_request,
    );
    let (fetched, requests) = match tokio::time::timeout(budget, fetch).await {
        Ok(fetched) => fetched?,
        Err(_) => {
            return Err(Failure {
                message: format!(
                    "Amion's answers took longer than {} in all",
                    humantime::format_duration(budget)
                ),
                retryable: true,
                retry_after: None,
                refused: false,
                fetched: 0,
                requests: 0,
            });
        }
    };
    let shifts: Vec<ShiftInstanceRef> = store
        .list_shifts(&ctx.tenant, version_id)
        .await
        .map_err(|e| transient(StepError::stored("reading the shifts failed", e)))?
        .into_iter()
        .map(|s| ShiftInstanceRef {
            id: s.shift_id,
            date: s.shift_date,
            shift_name: s.shift_name,
            service: s.service,
            start: s.starts_at,
            end: s.ends_at,
        })
        .collect();
    let matched = match_assignments(&shifts, &fetched);
    if matched.matched.is_empty() {
        let why = if fetched.is_empty() {
            "Amion listed no assignments for the schedule's dates".to_string()
        } else {
            format!(
                "none of the {} assignments Amion listed matched a shift (same date, shift or service name, overlapping times)",
                fetched.len()
            )
        };
        return Err(Failure::permanent(why, fetched.len(), requests));
    }
    let unmatched = matched.unmatched.len();
    let batch = AssignmentBatch {
        version_id,
        fetched_at: ctx.now(),
        assignments: matched
            .matched
            .iter()
            .enumerate()
            .map(|(i, (shift_id, a))| row(i, *shift_id, a))
            .collect(),
        unmatched: i32::try_from(unmatched).unwrap_or(i32::MAX),
    };
    store
        .store_assignments(&ctx.tenant, &batch)
        .await
        .map_err(|e| transient(StepError::stored("storing the assignments failed", e)))?;
    let count = batch.assignments.len();
    tracing::info!(
        run.id = %ctx.run_id,
        version.id = %version_id,
        fetched = fetched.len(),
        matched = count,
        unmatched,
        requests,
        "roster assignments stored"
    );
    let output = Roster {
        count,
        unmatched_count: unmatched,
        fetched: fetched.len(),
        requests,
        ..Roster::none(version_id, "stored")
    };
    let mut out = StepOutput::typed(&output).map_err(transient)?.emit(
        "RosterAssignmentsStored",
        json!({"versionId": version_id, "count": count, "unmatchedCount": unmatched}),
    );
    if unmatched > 0 {
        out.messages.warnings.push(phase_message(
            AMION_SCRAPE,
            format!(
                "{unmatched} of the {} assignments Amion listed matched no shift",
                fetched.len()
            ),
        ));
    }
    Ok(out)
}

/// Fetches `days` days from `start` in requests of at most `per_request` days, each
/// through Amion's breaker within `providers.amion.timeout`.
async fn fetch_range(
    client: &Resilient<AmionClient>,
    login: &AccessCode,
    start: NaiveDate,
    days: i64,
    per_request: u32,
) -> Result<(Vec<AmionAssignment>, u32), Failure> {
    let mut all = Vec::new();
    let mut requests = 0;
    let mut offset: i64 = 0;
    while offset < days {
        let span = (days - offset).min(i64::from(per_request.max(1)));
        let from = start
            .checked_add_days(Days::new(offset as u64))
            .ok_or_else(|| Failure::permanent("the schedule's dates are out of range", 0, 0))?;
        requests += 1;
        let answer = client
            .call(|c| c.fetch_assignments(login, from, span as u32))
            .await;
        match answer {
            Ok(mut found) => all.append(&mut found),
            Err(e) => return Err(amion_failure(&e, all.len(), requests)),
        }
        offset += span;
    }
    Ok((all, requests))
}

fn amion_failure(e: &CallError<AmionError>, fetched: usize, requests: u32) -> Failure {
    let message = match e {
        CallError::Timeout(limit) => format!(
            "Amion did not answer within {}",
            humantime::format_duration(*limit)
        ),
        e => e.to_string(),
    };
    Failure {
        message,
        retryable: e.is_retryable(),
        retry_after: e.retry_after(),
        refused: matches!(e, CallError::Open(_)),
        fetched,
        requests,
    }
}

fn transient(e: StepError) -> Failure {
    Failure {
        retryable: e.is_retryable(),
        message: e.message,
        retry_after: None,
        refused: false,
        fetched: 0,
        requests: 0,
    }
}

fn row(position: usize, shift_id: Uuid, a: &AmionAssignment) -> AssignmentRow {
    AssignmentRow {
        assignment_id: Uuid::now_v7(),
        shift_id,
        position: i32::try_from(position).unwrap_or(i32::MAX),
        staff_name: a.staff_name.clone(),
        staff_key: normalise_person_name(&a.staff_name),
        staff_ref: a.staff_id.clone(),
        assignment_name: a.assignment_name.clone(),
        starts_at: a.start,
        ends_at: a.end,
    }
}
