//! The binary's log: the access line's latency is a number of milliseconds, health
//! probes stay out of an `info` log (and appear at debug), and text logs written to a
//! pipe carry no colour codes.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;

use serde_json::Value;

use crate::both_backends;
use crate::helpers::{Backend, TestDb};

/// The careflow binary serving on a random port, its standard error collected.
struct Served {
    child: Child,
    base: String,
    token: String,
    stderr: Option<JoinHandle<String>>,
}

impl Served {
    /// Starts `careflow` on `db` with the given log settings and waits until it
    /// prints where it listens (and the bootstrap key it made).
    fn start(db: &TestDb, env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_careflow"));
        cmd.current_dir(dir.path())
            .env_remove("CAREFLOW_ENV")
            .env_remove("NO_COLOR")
            .env_remove("RUST_LOG")
            .env_remove("CAREFLOW_LOG_FORMAT")
            .env("DATABASE_URL", &db.url)
            .env("PORT", "0")
            .env("CAREFLOW_AUTH__BOOTSTRAP_API_KEY", "true")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("careflow starts");
        let mut stderr = child.stderr.take().unwrap();
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let (mut base, mut token) = (None, None);
        while base.is_none() || token.is_none() {
            let Some(Ok(line)) = lines.next() else {
                let _ = child.kill();
                panic!("careflow ended before serving: {}", stderr.join().unwrap());
            };
            if let Some(rest) = line.strip_prefix("careflow listening on ") {
                base = rest.split_whitespace().next().map(String::from);
            }
            let trimmed = line.trim();
            if trimmed.starts_with("cfk_") {
                token = Some(trimmed.to_string());
            }
        }
        // Keep reading standard output so the service never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Self {
            child,
            base: base.unwrap(),
            token: token.unwrap(),
            stderr: Some(stderr),
        }
    }

    async fn get(&self, path: &str) -> u16 {
        crate::checked::Client::new()
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("request")
            .status()
            .as_u16()
    }

    /// Stops the service and returns everything it logged. A request's line is
    /// written before its answer leaves, so every answered request is in it.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stderr.take().unwrap().join().unwrap()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The JSON access lines (closing a request) for `path`.
fn access_lines(log: &str, path: &str) -> Vec<Value> {
    log.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["message"] == "finished processing request" && v["span"]["path"] == path)
        .collect()
}

async fn json_access_lines_carry_latency_in_milliseconds_and_skip_probes_at_info(backend: Backend) {
    let db = TestDb::new(backend).await;
    let served = Served::start(
        &db,
        &[("CAREFLOW_LOG_FORMAT", "json"), ("RUST_LOG", "info")],
    );
    assert_eq!(served.get("/healthz").await, 200);
    assert_eq!(served.get("/readyz").await, 200);
    assert_eq!(served.get("/v1/me").await, 200);
    let log = served.stop();

    let me = access_lines(&log, "/v1/me");
    assert_eq!(me.len(), 1, "{log}");
    assert_eq!(me[0]["level"], "INFO");
    assert_eq!(me[0]["status"], 200);
    let latency = &me[0]["latency"];
    assert!(
        latency.is_number() && latency.as_f64().unwrap() >= 0.0,
        "latency is not a number of milliseconds: {}",
        me[0]
    );
    for probe in ["/healthz", "/readyz"] {
        assert!(
            !log.contains(&format!("\"path\":\"{probe}\"")),
            "{probe} logged at info: {log}"
        );
    }
}

async fn health_probes_are_logged_at_debug(backend: Backend) {
    let db = TestDb::new(backend).await;
    let served = Served::start(
        &db,
        &[
            ("CAREFLOW_LOG_FORMAT", "json"),
            ("RUST_LOG", "info,careflow::telemetry::access_log=debug"),
        ],
    );
    assert_eq!(served.get("/healthz").await, 200);
    assert_eq!(served.get("/readyz").await, 200);
    let log = served.stop();
    for probe in ["/healthz", "/readyz"] {
        let lines = access_lines(&log, probe);
        assert_eq!(lines.len(), 1, "{probe}: {log}");
        assert_eq!(lines[0]["level"], "DEBUG", "{}", lines[0]);
        assert!(lines[0]["latency"].is_number(), "{}", lines[0]);
    }
}

async fn text_logs_to_a_pipe_have_no_colour_codes(backend: Backend) {
    let db = TestDb::new(backend).await;
    let served = Served::start(
        &db,
        &[("CAREFLOW_LOG_FORMAT", "text"), ("RUST_LOG", "info")],
    );
    assert_eq!(served.get("/v1/me").await, 200);
    let log = served.stop();
    assert!(log.contains("finished processing request"), "{log}");
    assert!(
        !log.contains('\u{1b}'),
        "colour codes in a piped log: {log:?}"
    );
}

both_backends!(
    json_access_lines_carry_latency_in_milliseconds_and_skip_probes_at_info,
    health_probes_are_logged_at_debug,
    text_logs_to_a_pipe_have_no_colour_codes,
);
