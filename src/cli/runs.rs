//! `careflow runs list|show|cancel|retry`: a tenant's runs in the configured
//! database, read and changed as the API does (`GET /v1/runs`, `GET /v1/runs/{id}`,
//! `POST /v1/runs/{id}/cancel|retry`), with the same JSON shapes under `--json`.
//!
//! The command executes no run itself: it builds the engine without its workers, so
//! cancellation hooks and retry rules of the built-in workflows apply as they do in
//! the service, and the serving replicas pick retried runs up.

use std::sync::Arc;

use serde_json::{Value, json};

use super::table::{Table, duration_ms, or_dash, time};
use super::{RunsCommand, tenant};
use crate::app::open_store;
use crate::config::Settings;
use crate::engine::{Clock, Engine, EngineError, Registry, RunView, SystemClock};
use crate::store::{RunFilter, RunId, RunStatus};
use crate::telemetry::metrics::Metrics;
use crate::workflows::{self, Services};

/// Runs one `runs` command.
pub(super) async fn run(command: RunsCommand, settings: Settings) -> Result<(), String> {
    let engine = engine(settings).await?;
    match command {
        RunsCommand::List {
            tenant: t,
            workflow,
            status,
            correlation_id,
            limit,
            before,
            output,
        } => {
            let tenant = tenant(&t.tenant)?;
            let status = status
                .map(|s| {
                    s.to_ascii_lowercase().parse::<RunStatus>().map_err(|_| {
                        format!(
                            "--status: `{s}` is not one of queued, running, sleeping, waiting, \
                             completed, failed, cancelled"
                        )
                    })
                })
                .transpose()?;
            let before = before.as_deref().map(run_id).transpose()?;
            let filter = RunFilter {
                workflow,
                status,
                before,
                correlation_id,
                limit,
                ..RunFilter::default()
            };
            let runs = engine
                .list(&tenant, &filter)
                .await
                .map_err(|e| explain(&e))?;
            let next = (runs.len() as i64 == limit)
                .then(|| runs.last().map(|r| r.run_id.to_string()))
                .flatten();
            output.print(&json!({"runs": runs, "nextCursor": next}), || {
                list_table(&runs, next.as_deref())
            });
            Ok(())
        }
        RunsCommand::Show {
            run_id: id,
            tenant: t,
            output,
        } => {
            let tenant = tenant(&t.tenant)?;
            let id = run_id(&id)?;
            let view = engine
                .get(&tenant, id)
                .await
                .map_err(|e| explain(&e))?
                .ok_or_else(|| not_found(id, &t.tenant))?;
            output.print(&view, || run_text(&view));
            Ok(())
        }
        RunsCommand::Cancel {
            run_id: id,
            tenant: t,
            output,
        } => {
            let tenant = tenant(&t.tenant)?;
            let id = run_id(&id)?;
            let view = engine.cancel(&tenant, id).await.map_err(|e| match e {
                EngineError::NotFound => not_found(id, &t.tenant),
                e => explain(&e),
            })?;
            output.print(&view, || {
                let note = if view.status == RunStatus::Cancelled {
                    format!("cancelled {id}\n")
                } else {
                    // A replica holds it: it stops the run's steps at its next check.
                    format!("cancellation of {id} requested; the replica running it stops it\n")
                };
                note + &run_text(&view)
            });
            Ok(())
        }
        RunsCommand::Retry {
            run_id: id,
            tenant: t,
            output,
        } => {
            let tenant = tenant(&t.tenant)?;
            let id = run_id(&id)?;
            let view = engine.retry(&tenant, id).await.map_err(|e| match e {
                EngineError::NotFound => not_found(id, &t.tenant),
                e => explain(&e),
            })?;
            output.print(&view, || {
                format!("queued {id} again; a serving replica runs it\n") + &run_text(&view)
            });
            Ok(())
        }
    }
}

/// The engine of the configured database and workflows, without workers.
async fn engine(settings: Settings) -> Result<Engine, String> {
    let settings = Arc::new(settings);
    let store = open_store(&settings).await.map_err(|e| e.to_string())?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let services = Services::build(store.clone(), settings.clone(), clock.clone())?;
    let mut registry = Registry::new();
    for def in workflows::builtin(&services).map_err(|e| e.to_string())? {
        registry.register(def).map_err(|e| e.to_string())?;
    }
    for (def, spec) in workflows::functions(&services).map_err(|e| e.to_string())? {
        registry
            .register_function(def, spec)
            .map_err(|e| e.to_string())?;
    }
    Ok(Engine::detached(
        store,
        registry,
        clock,
        settings.engine.clone(),
        Arc::new(Metrics::new()),
    ))
}

fn run_id(raw: &str) -> Result<RunId, String> {
    raw.parse::<RunId>()
        .map_err(|_| format!("`{raw}` is not a run id"))
}

fn not_found(id: RunId, tenant: &str) -> String {
    format!("no run {id} in tenant {tenant}")
}

/// An engine error with its cause (a store failure says what failed).
fn explain(e: &EngineError) -> String {
    match e {
        EngineError::Store(cause) => format!("{e}: {cause}"),
        e => e.to_string(),
    }
}

fn list_table(runs: &[RunView], next: Option<&str>) -> String {
    if runs.is_empty() {
        return "no runs\n".to_string();
    }
    let mut table = Table::new(&[
        "RUN ID",
        "WORKFLOW",
        "STATUS",
        "CREATED",
        "DURATION",
        "CORRELATION ID",
    ]);
    for r in runs {
        table.row(vec![
            r.run_id.to_string(),
            r.workflow.clone(),
            r.status.to_string(),
            time(r.created_at),
            or_dash(r.duration_ms.map(duration_ms)),
            or_dash(r.correlation_id.as_deref()),
        ]);
    }
    let mut out = table.render();
    if let Some(next) = next {
        out.push_str(&format!("more: --before {next}\n"));
    }
    out
}

/// A run for people: its facts, then one line per step.
fn run_text(view: &RunView) -> String {
    let mut out = String::new();
    let mut fact = |name: &str, value: String| out.push_str(&format!("{name:<12}{value}\n"));
    fact("run id", view.run_id.to_string());
    fact(
        "workflow",
        format!("{} (version {})", view.workflow, view.workflow_version),
    );
    fact("status", view.status.to_string());
    fact("correlation", or_dash(view.correlation_id.as_deref()));
    fact("created", time(view.created_at));
    fact("started", or_dash(view.started_at.map(time)));
    fact("finished", or_dash(view.finished_at.map(time)));
    fact("duration", or_dash(view.duration_ms.map(duration_ms)));
    if let Some(at) = view.wakes_at {
        fact("wakes", time(at));
    }
    if let Some(error) = &view.error {
        fact("error", error_text(error));
    }
    out.push('\n');
    let mut table = Table::new(&["STEP", "STATUS", "ATTEMPTS", "DURATION", "NOTE"]);
    for s in &view.steps {
        let note = s
            .error
            .as_ref()
            .map(error_text)
            .or_else(|| s.skip_reason.clone())
            .or_else(|| s.wakes_at.map(|at| format!("wakes {}", time(at))))
            .unwrap_or_default();
        table.row(vec![
            s.name.clone(),
            s.status.to_string(),
            s.attempts.to_string(),
            or_dash(s.duration_ms.map(duration_ms)),
            note,
        ]);
    }
    out + &table.render()
}

/// An error value in one line: its message when it has one, else compact JSON.
fn error_text(error: &Value) -> String {
    let text = error
        .get("message")
        .and_then(Value::as_str)
        .map(String::from)
        .unwrap_or_else(|| error.to_string());
    let one_line = text.replace('\n', " ");
    match one_line.char_indices().nth(100) {
        Some((cut, _)) => format!("{}…", &one_line[..cut]),
        None => one_line,
    }
}
