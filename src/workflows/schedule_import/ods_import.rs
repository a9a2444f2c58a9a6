//! Phase 1, `odsImport`: reads the stored upload, validates every row, and writes the
//! draft version with its shift instances in one transaction. Rows that fail are
//! reported by sheet and row; when no version can be created the phase (critical)
//! fails and sets the hospital's import status to `FAILED`. It first takes the
//! hospital's import slot for its run, and fails at once when another import holds it.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::NaiveDate;

use serde_json::json;
use uuid::Uuid;

use super::guard::take_slot;
use super::messages::of_import;
use super::outputs::{DateRange, Imported};
use super::{ImportInput, ODS_IMPORT, Phase};
use crate::domain::schedule::import_status::busy_detail;
use crate::domain::schedule::matching::normalise_person_name;
use crate::domain::schedule::ods::{ImportLimits, ParsedSchedule, parse_schedule};
use crate::domain::schedule::period::Period;
use crate::engine::{StepContext, StepError, StepOutcome, StepOutput};
use crate::store::{
    AssignmentBatch, AssignmentRow, CreatedVersion, ImportClaim, ImportState, NewScheduleVersion,
    NewShiftInstance, ShiftInstanceRow, Store,
};

pub(super) async fn run(phase: Arc<Phase>, ctx: StepContext) -> Result<StepOutcome, StepError> {
    let input = ImportInput::of(&ctx)?;
    // Take the hospital's slot for this run (the upload route took it already; a run
    // submitted any other way takes it here), which also records the run on the
    // status row even when the submitting request died before it could.
    let claim = take_slot(
        phase.services.store.as_ref(),
        &ctx.tenant,
        &input,
        ctx.run_id,
        ctx.now(),
        phase.services.settings.server.request_timeout,
    )
    .await
    .map_err(|e| StepError::stored("claiming the hospital's import slot failed", e))?;
    if let ImportClaim::Busy(holder) = claim {
        return Err(StepError::permanent(format!(
            "another import of this hospital is in progress: {}",
            busy_detail(&holder)
        )));
    }
    match import(&phase, &ctx, &input).await {
        Ok(output) => Ok(StepOutcome::Done(output)),
        Err(error) => {
            if phase.is_last(&error, &ctx) {
                phase.finish(&ctx, &input, ImportState::Failed).await;
            }
            Err(error)
        }
    }
}

async fn import(
    phase: &Phase,
    ctx: &StepContext,
    input: &ImportInput,
) -> Result<StepOutput, StepError> {
    let store = phase.services.store.as_ref();
    let settings = &phase.services.settings;
    let upload = store
        .get_upload(&ctx.tenant, input.upload_id)
        .await
        .map_err(|e| StepError::stored("reading the upload failed", e))?
        .ok_or_else(|| StepError::permanent("the uploaded spreadsheet does not exist"))?;
    if upload.hospital_id != input.hospital_id {
        return Err(StepError::permanent(
            "the upload belongs to another hospital than the input names",
        ));
    }
    let bytes = store
        .get_upload_content(&ctx.tenant, input.upload_id)
        .await
        .map_err(|e| StepError::stored("reading the upload failed", e))?
        .ok_or_else(|| StepError::permanent("the uploaded spreadsheet does not exist"))?;
    let limits = ImportLimits {
        max_bytes: settings.server.upload_limit_bytes as u64,
        max_rows: settings.schedules.max_rows,
        max_cells: settings.schedules.max_cells,
    };
    let mut parsed = parse_schedule(&bytes, &limits).map_err(|e| {
        StepError::permanent(e.to_string()).with_messages(of_import(ODS_IMPORT, e.messages()))
    })?;
    let period = Period {
        start: input.period_start,
        end: input.period_end,
    };
    period.keep_within(&mut parsed);
    let messages = of_import(ODS_IMPORT, &parsed.messages);
    let Some((period_start, period_end)) = period.range_of(&parsed) else {
        return Err(StepError::permanent(
            "no valid shift rows were found within the import period",
        )
        .with_messages(messages));
    };
    let version = NewScheduleVersion {
        version_id: Uuid::now_v7(),
        hospital_id: input.hospital_id,
        upload_id: input.upload_id,
        run_id: Some(ctx.run_id),
        period_start,
        period_end,
        created_by: upload.uploaded_by.clone(),
        created_at: ctx.now(),
        shifts: shift_instances(&parsed),
    };
    let created = store
        .create_version_with_shifts(&ctx.tenant, &version)
        .await
        .map_err(|e| StepError::stored("storing the version failed", e))?;
    // A repeated attempt finds the version its predecessor committed.
    let (version_id, shift_count, start, end) = match &created {
        CreatedVersion::Created => (
            version.version_id,
            version.shifts.len() as i64,
            period_start,
            period_end,
        ),
        CreatedVersion::Existing(row) => (
            row.version_id,
            i64::from(row.shift_count),
            row.period_start,
            row.period_end,
        ),
    };
    let roster = store_roster(store, ctx, version_id, &parsed, &created).await?;
    let left_out = parsed.rows_seen as i64 - parsed.shifts.len() as i64;
    tracing::info!(
        run.id = %ctx.run_id,
        version.id = %version_id,
        shifts = shift_count,
        rows_left_out = left_out,
        "schedule version created"
    );
    let mut out = StepOutput::typed(&Imported {
        version_id,
        status: "draft".into(),
        shift_count,
        date_range: DateRange { start, end },
        sheets_read: parsed.sheets_read,
        rows_seen: parsed.rows_seen,
        rows_left_out: left_out.max(0),
        roster_assignments: roster,
    })?
    .with_messages(messages);
    if matches!(created, CreatedVersion::Created) {
        out = out.emit(
            "ScheduleVersionCreated",
            json!({
                "versionId": version_id,
                "hospitalId": input.hospital_id,
                "uploadId": input.upload_id,
                "shiftCount": shift_count,
            }),
        );
    }
    Ok(out)
}

/// Stores who a roster grid says works which shift, matched to the version's shifts by
/// date, shift and service, as the version's assignments (Amion's, when the roster
/// phase fetches any, replace them). A repeated attempt keeps what its predecessor
/// stored.
async fn store_roster(
    store: &dyn Store,
    ctx: &StepContext,
    version_id: Uuid,
    parsed: &ParsedSchedule,
    created: &CreatedVersion,
) -> Result<usize, StepError> {
    if parsed.roster.is_empty() {
        return Ok(0);
    }
    if let CreatedVersion::Existing(row) = created
        && row.assignments_fetched_at.is_some()
    {
        return Ok(usize::try_from(row.assignments_matched.unwrap_or(0)).unwrap_or(0));
    }
    let shifts = store
        .list_shifts(&ctx.tenant, version_id)
        .await
        .map_err(|e| StepError::stored("reading the shifts failed", e))?;
    let key = |date: NaiveDate, name: &str, service: &str| {
        (date, name.to_lowercase(), service.to_lowercase())
    };
    let by_key: HashMap<_, &ShiftInstanceRow> = shifts
        .iter()
        .map(|s| (key(s.shift_date, &s.shift_name, &s.service), s))
        .collect();
    let assignments: Vec<AssignmentRow> = parsed
        .roster
        .iter()
        .filter_map(|r| {
            by_key
                .get(&key(r.date, &r.shift_name, &r.service))
                .map(|s| (r, *s))
        })
        .enumerate()
        .map(|(i, (r, s))| AssignmentRow {
            assignment_id: Uuid::now_v7(),
            shift_id: s.shift_id,
            position: i32::try_from(i).unwrap_or(i32::MAX),
            staff_name: r.person.clone(),
            staff_key: normalise_person_name(&r.person),
            staff_ref: None,
            assignment_name: r.shift_name.clone(),
            starts_at: s.starts_at,
            ends_at: s.ends_at,
        })
        .collect();
    let count = assignments.len();
    let batch = AssignmentBatch {
        version_id,
        fetched_at: ctx.now(),
        assignments,
        unmatched: 0,
    };
    store
        .store_assignments(&ctx.tenant, &batch)
        .await
        .map_err(|e| StepError::stored("storing the roster grid's assignments failed", e))?;
    Ok(count)
}

fn shift_instances(parsed: &ParsedSchedule) -> Vec<NewShiftInstance> {
    parsed
        .shifts
        .iter()
        .enumerate()
        .map(|(i, s)| NewShiftInstance {
            shift_id: Uuid::now_v7(),
            position: i32::try_from(i).unwrap_or(i32::MAX),
            sheet: s.sheet.clone(),
            row_number: i32::try_from(s.row).unwrap_or(i32::MAX),
            shift_date: s.date,
            shift_name: s.shift_name.clone(),
            service: s.service.clone(),
            starts_at: s.start,
            ends_at: s.end,
            required_staff: i32::try_from(s.required_staff).unwrap_or(i32::MAX),
        })
        .collect()
}
