//! The load: concurrent clients, each one task with its own keep-alive HTTP
//! connection, submitting synchronous runs back to back for a fixed time.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::BoxError;

/// Where and what to submit.
#[derive(Clone)]
pub struct Target {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// Bearer token.
    pub token: String,
    /// Workflow name.
    pub workflow: String,
}

/// What one level of load measured.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Runs answered `200` with status `completed`.
    pub completed: u64,
    /// Anything else (other statuses, transport errors), with the first seen.
    pub failed: u64,
    /// The first failure, for the report.
    pub first_failure: Option<String>,
    /// Latency of every completed run, in microseconds.
    pub latencies_us: Vec<u64>,
    /// From the first request to the last answer.
    pub elapsed: Duration,
}

impl Outcome {
    /// Completed runs per second.
    pub fn runs_per_sec(&self) -> f64 {
        self.completed as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// The `q` quantile (0..=1) of the latencies, in milliseconds (nearest rank).
    pub fn quantile_ms(&self, q: f64) -> f64 {
        let mut v = self.latencies_us.clone();
        v.sort_unstable();
        if v.is_empty() {
            return f64::NAN;
        }
        let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
        v[rank - 1] as f64 / 1000.0
    }

    /// The mean latency in milliseconds.
    pub fn mean_ms(&self) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        self.latencies_us.iter().sum::<u64>() as f64 / self.latencies_us.len() as f64 / 1000.0
    }
}

/// One synchronous submission; `Ok(())` when the run completed.
async fn submit(http: &reqwest::Client, url: &str, token: &str) -> Result<(), String> {
    let response = http
        .post(url)
        .bearer_auth(token)
        .json(&json!({"input": {}}))
        .send()
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .map_err(|e| format!("unreadable answer ({status}): {e}"))?;
    if status.as_u16() == 200 && body["status"] == "completed" {
        Ok(())
    } else {
        Err(format!("answer {status}: {body}"))
    }
}

/// Runs `clients` clients for `duration`; every client finishes the request it has
/// in flight when the time is up.
pub async fn drive(
    target: &Target,
    clients: usize,
    duration: Duration,
) -> Result<Outcome, BoxError> {
    let url = format!(
        "{}/v1/workflows/{}/runs?wait=10s",
        target.base, target.workflow
    );
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..clients {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1)
            .tcp_nodelay(true)
            .build()?;
        let url = url.clone();
        let token = target.token.clone();
        tasks.spawn(async move {
            let mut out = Outcome::default();
            while Instant::now() < deadline {
                let t0 = Instant::now();
                match submit(&http, &url, &token).await {
                    Ok(()) => {
                        out.completed += 1;
                        out.latencies_us.push(t0.elapsed().as_micros() as u64);
                    }
                    Err(e) => {
                        out.failed += 1;
                        out.first_failure.get_or_insert(e);
                    }
                }
            }
            out
        });
    }
    let mut total = Outcome::default();
    while let Some(joined) = tasks.join_next().await {
        let out = joined?;
        total.completed += out.completed;
        total.failed += out.failed;
        if total.first_failure.is_none() {
            total.first_failure = out.first_failure;
        }
        total.latencies_us.extend(out.latencies_us);
    }
    total.elapsed = started.elapsed();
    Ok(total)
}
