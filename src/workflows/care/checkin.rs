//! `schedule-checkin`, on `patient/discharged` (`data: {patientId, phone, name?,
//! dischargedAt?}`): creates the outreach plan at once, so every reply from the
//! moment of discharge is recorded, classified and escalated; sleeps until
//! `care.checkin_delay` after the discharge; then for each of
//! `care.checkin_attempts` attempts records the attempt, sends the check-in SMS
//! (through `notification/send`) and waits up to `care.reply_timeout` for the
//! patient's reply (`interaction/response_received` with the same
//! `data.patientId`). A reply to a check-in ends the plan (`COMPLETED`); when every
//! attempt went unanswered, a task is raised (`ESCALATED`), which starts
//! `assign-task` and `monitor-sla`.
//!
//! Steps are `plan`, `sleep`, `checkin-1`, `await-1`, ... `escalate`: one pair per
//! attempt, so each send and each wait is its own durable step.
//!
//! `checkin/scheduled` announces the plan and when the first check-in is due;
//! `checkin/completed` its end (`outcome` `replied`, `no_reply` or `opted_out`).
//! `patient/readmitted`, `patient/opted_out` or `patient/deceased` with the same
//! `data.patientId` cancels the run (`cancelOn`): pending check-ins are never sent,
//! and the plan ends `CANCELLED` (`OPTED_OUT` when the number sent STOP). A number
//! that opted out before a check-in is due gets none: the plan ends `OPTED_OUT`.

mod attempts;
mod outputs;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use super::deps::{Care, data};
use crate::domain::validation::Problems;
use crate::engine::{
    Cancelled, DefinitionError, FunctionSpec, StepContext, StepError, StepOutcome, StepOutput,
    StepPolicy, WorkflowDefinition,
};
use crate::store::NewPlan;
use attempts::{await_reply, escalate, send_checkin};
use outputs::{Due, Planned};

/// The function's name.
pub const NAME: &str = "schedule-checkin";

/// The event a reply arrives as.
pub const REPLY_EVENT: &str = "interaction/response_received";

/// Events that end a patient's outreach: their pending check-ins are cancelled.
pub const STOP_EVENTS: [&str; 3] = [
    "patient/readmitted",
    "patient/opted_out",
    "patient/deceased",
];

/// What the discharge event says.
struct Discharge {
    patient_id: String,
    phone: String,
    name: Option<String>,
    discharged_at: DateTime<Utc>,
}

/// True for an E.164 number (`+` and 8-15 digits).
pub fn is_e164(number: &str) -> bool {
    let digits = number.strip_prefix('+').unwrap_or("");
    (8..=15).contains(&digits.len())
        && digits.chars().all(|c| c.is_ascii_digit())
        && !digits.starts_with('0')
}

fn parse_time(v: &Value) -> Option<DateTime<Utc>> {
    match v {
        Value::Number(n) => n.as_i64().and_then(DateTime::from_timestamp_millis),
        Value::String(s) => DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc)),
        _ => None,
    }
}

/// Reads and checks the discharge event, naming every problem.
fn discharge(ctx: &StepContext) -> Result<Discharge, StepError> {
    let d = data(ctx);
    let mut problems = Problems::new();
    let patient_id = d["patientId"].as_str().map(str::trim).unwrap_or("");
    if patient_id.is_empty() || patient_id.len() > 200 {
        problems.push("/data/patientId", "is required: 1-200 characters");
    }
    let phone = d["phone"].as_str().map(str::trim).unwrap_or("");
    if !is_e164(phone) {
        problems.push(
            "/data/phone",
            "must be an E.164 number such as +15551234567",
        );
    }
    let name = match &d["name"] {
        Value::Null => None,
        Value::String(s) if s.len() <= 200 => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
        _ => {
            problems.push("/data/name", "must be a string of at most 200 characters");
            None
        }
    };
    let received = ctx.input["event"]["ts"]
        .as_i64()
        .and_then(DateTime::from_timestamp_millis)
        .unwrap_or_else(|| ctx.now());
    let discharged_at = match &d["dischargedAt"] {
        Value::Null => received,
        v => parse_time(v).unwrap_or_else(|| {
            problems.push(
                "/data/dischargedAt",
                "must be an RFC 3339 time or epoch milliseconds",
            );
            received
        }),
    };
    if !problems.is_empty() {
        let list: Vec<String> = problems
            .as_slice()
            .iter()
            .map(|p| format!("{} {}", p.pointer, p.message))
            .collect();
        return Err(StepError::permanent(format!(
            "patient/discharged is invalid: {}",
            list.join("; ")
        )));
    }
    Ok(Discharge {
        patient_id: patient_id.to_string(),
        phone: phone.to_string(),
        name,
        discharged_at,
    })
}

fn handler<F, Fut>(care: &Arc<Care>, f: F) -> impl Fn(StepContext) -> Fut + Send + Sync + 'static
where
    F: Fn(Arc<Care>, StepContext) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<StepOutcome, StepError>> + Send + 'static,
{
    let care = care.clone();
    move |ctx| f(care.clone(), ctx)
}

/// The definition and its trigger.
pub fn function(care: Arc<Care>) -> Result<(WorkflowDefinition, FunctionSpec), DefinitionError> {
    let attempts = care.care().checkin_attempts;
    let critical = StepPolicy::new().critical();
    // Version 2: the plan is created before the sleep (it came after it in 1).
    let mut b = WorkflowDefinition::builder(NAME, 2)
        .step(
            "plan",
            &[],
            critical.clone(),
            handler(&care, |c, ctx| async move { plan(&c, ctx).await }),
        )
        .step(
            "sleep",
            &["plan"],
            critical.clone(),
            handler(&care, |c, ctx| async move { sleep(&c, ctx).await }),
        );
    let mut previous = "sleep".to_string();
    for n in 1..=attempts {
        let checkin = format!("checkin-{n}");
        let wait = format!("await-{n}");
        let prev = previous.clone();
        b = b
            .step(
                checkin.clone(),
                &[previous.as_str()],
                critical.clone(),
                handler(&care, move |c, ctx| {
                    let prev = prev.clone();
                    async move { send_checkin(&c, ctx, n, &prev).await }
                }),
            )
            .step(
                wait.clone(),
                &[checkin.as_str()],
                critical.clone(),
                handler(&care, move |c, ctx| {
                    let checkin = format!("checkin-{n}");
                    async move { await_reply(&c, ctx, &checkin).await }
                }),
            );
        previous = wait;
    }
    let last = previous.clone();
    let hook = care.clone();
    let def = b
        .step(
            "escalate",
            &[previous.as_str()],
            critical,
            handler(&care, move |c, ctx| {
                let last = last.clone();
                async move { escalate(&c, ctx, &last).await }
            }),
        )
        .on_cancel(move |run| cancelled(hook.clone(), run))
        .build()?;
    let spec = STOP_EVENTS.iter().fold(
        FunctionSpec::on(NAME, "patient/discharged"),
        |spec, event| spec.cancel_on(event, "patientId"),
    );
    Ok((def, spec))
}

/// Ends the plan of a cancelled run (readmission, opt-out, death, or a person through
/// the API): `OPTED_OUT` when its number opted out of SMS, else `CANCELLED`. Runs
/// again harmlessly: a plan that is not active stays as it is.
async fn cancelled(care: Arc<Care>, run: Cancelled) -> Result<(), String> {
    let plan = care
        .store
        .plan_by_origin(&run.tenant, &run.run_id.to_string())
        .await
        .map_err(|e| format!("reading the outreach plan failed: {e}"))?;
    let Some(plan) = plan.filter(|p| p.status == "ACTIVE") else {
        return Ok(());
    };
    let opted_out = care
        .store
        .latest_consent(&run.tenant, &plan.phone)
        .await
        .map_err(|e| format!("reading SMS consent failed: {e}"))?
        .is_some_and(|c| c.action == "opt_out");
    let status = if opted_out { "OPTED_OUT" } else { "CANCELLED" };
    care.store
        .stop_plan(&run.tenant, plan.plan_id, status, run.at)
        .await
        .map_err(|e| format!("ending the outreach plan failed: {e}"))?;
    tracing::info!(plan.id = %plan.plan_id, status, "outreach plan ended with its run");
    Ok(())
}

/// When the first check-in is due: `care.checkin_delay` after the discharge.
fn due_at(care: &Care, d: &Discharge) -> DateTime<Utc> {
    d.discharged_at + chrono::Duration::from_std(care.care().checkin_delay).unwrap_or_default()
}

/// Step `sleep`: until the first check-in is due; hands the plan on.
async fn sleep(care: &Care, ctx: StepContext) -> Result<StepOutcome, StepError> {
    let d = discharge(&ctx)?;
    let plan_id = ctx.dep_as::<Planned>("plan")?.plan_id;
    let due = due_at(care, &d);
    if ctx.wake.is_none() && ctx.now() < due {
        return Ok(StepOutcome::SleepUntil {
            until: due,
            state: json!({"dueAt": due}),
        });
    }
    StepOutput::typed(&Due {
        due_at: due,
        plan_id,
    })
    .map(StepOutcome::Done)
}

/// Step `plan`: the outreach plan, from the moment of discharge, so replies sent
/// before the first check-in are routed to the patient too.
async fn plan(care: &Care, ctx: StepContext) -> Result<StepOutcome, StepError> {
    let d = discharge(&ctx)?;
    let timeout = care.care().reply_timeout;
    let row = care
        .store
        .insert_plan(&NewPlan {
            tenant_id: ctx.tenant.clone(),
            plan_id: Uuid::now_v7(),
            origin_key: ctx.run_id.to_string(),
            patient_id: d.patient_id,
            phone: d.phone,
            patient_name: d.name,
            discharged_at: d.discharged_at,
            max_attempts: i32::try_from(care.care().checkin_attempts).unwrap_or(1),
            reply_timeout_secs: i64::try_from(timeout.as_secs()).unwrap_or(i64::MAX),
            created_at: ctx.now(),
        })
        .await
        .map_err(StepError::from)?;
    let due = due_at(care, &discharge(&ctx)?);
    Ok(StepOutcome::Done(
        StepOutput::typed(&Planned {
            plan_id: row.plan_id,
            max_attempts: row.max_attempts,
            reply_timeout_secs: row.reply_timeout_secs,
        })?
        .emit(
            "checkin/scheduled",
            json!({
                "patientId": row.patient_id,
                "planId": row.plan_id,
                "dueAt": due,
                "attempts": row.max_attempts,
            }),
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_must_be_e164() {
        assert!(is_e164("+15551234567"));
        assert!(!is_e164("5551234567"));
        assert!(!is_e164("+0551234567"));
        assert!(!is_e164("+1555"));
        assert!(!is_e164("+1555123456x"));
    }

    #[test]
    fn discharge_times_read_rfc3339_and_epoch_milliseconds() {
        let t = parse_time(&json!("2025-03-03T14:00:00Z")).unwrap();
        assert_eq!(parse_time(&json!(t.timestamp_millis())), Some(t));
        assert_eq!(parse_time(&json!("yesterday")), None);
    }
}
