//! A fake Amion on 127.0.0.1: answers `GET /cgi-bin/ocs?Lo=..&Rpt=619&Day=&Month=&Year=&Days=`
//! with a report 619 of the assignments starting in the requested days, or with an
//! error status; records every query; and can hold answers back until a test opens
//! its gate (so a test can look at an import while it is surely still running).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{Days, NaiveDate};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// One assignment the fake lists.
#[derive(Debug, Clone)]
pub struct Assignment {
    pub staff: &'static str,
    pub name: &'static str,
    pub date: NaiveDate,
    /// `HHMM` as Amion writes it (700, 1900, 0).
    pub start: u32,
    pub end: u32,
}

/// How the fake answers.
#[derive(Debug, Clone)]
pub enum Mode {
    /// A report of these assignments.
    Report(Vec<Assignment>),
    /// This HTTP status with an error page.
    Status(u16),
}

struct Shared {
    mode: Mutex<Mode>,
    queries: Mutex<Vec<HashMap<String, String>>>,
    gate: watch::Sender<bool>,
}

/// A running fake.
#[derive(Clone)]
pub struct FakeAmion {
    /// Its base URL (`http://127.0.0.1:port`).
    pub base: String,
    shared: Arc<Shared>,
}

impl FakeAmion {
    /// Starts a fake answering at once.
    pub async fn start(mode: Mode) -> Self {
        let (gate, _) = watch::channel(true);
        let shared = Arc::new(Shared {
            mode: Mutex::new(mode),
            queries: Mutex::default(),
            gate,
        });
        let router = Router::new()
            .route("/cgi-bin/ocs", get(answer))
            .with_state(shared.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        Self {
            base: format!("http://{addr}"),
            shared,
        }
    }

    /// Holds every answer back until [`FakeAmion::open`].
    pub fn close_gate(&self) {
        self.shared.gate.send_replace(false);
    }

    /// Lets held and later requests be answered.
    pub fn open(&self) {
        self.shared.gate.send_replace(true);
    }

    /// Answers from now on as `mode` says (the roster changed, say).
    pub fn set_mode(&self, mode: Mode) {
        *self.shared.mode.lock().unwrap() = mode;
    }

    /// Every query received, in order.
    pub fn queries(&self) -> Vec<HashMap<String, String>> {
        self.shared.queries.lock().unwrap().clone()
    }
}

async fn answer(
    State(shared): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    shared.queries.lock().unwrap().push(q.clone());
    let mut gate = shared.gate.subscribe();
    let _ = gate.wait_for(|open| *open).await;
    let mode = shared.mode.lock().unwrap().clone();
    match mode {
        Mode::Status(status) => (
            StatusCode::from_u16(status).unwrap(),
            "<html><body>Service unavailable</body></html>",
        )
            .into_response(),
        Mode::Report(all) => {
            let Some((from, days)) = requested(&q) else {
                return (StatusCode::BAD_REQUEST, "bad query").into_response();
            };
            let until = from.checked_add_days(Days::new(days)).unwrap();
            let rows: Vec<&Assignment> = all
                .iter()
                .filter(|a| a.date >= from && a.date < until)
                .collect();
            report_619(from, &rows).into_response()
        }
    }
}

fn requested(q: &HashMap<String, String>) -> Option<(NaiveDate, u64)> {
    let n = |k: &str| q.get(k)?.parse::<u32>().ok();
    let date = NaiveDate::from_ymd_opt(n("Year")? as i32, n("Month")?, n("Day")?)?;
    Some((date, u64::from(n("Days")?)))
}

/// A report 619 body as the format notes describe it.
fn report_619(from: NaiveDate, rows: &[&Assignment]) -> String {
    use chrono::Datelike;
    let mdy = |d: NaiveDate| format!("{}-{}-{}", d.month(), d.day(), d.year() % 100);
    let mut out = format!(
        "Assignments for {} (as of Mar 1 06:12 2026 eastern time)\n\
         Field 1 - 3: Staff name, unique ID, backup ID\n\
         Field 4 - 6: Assignment name, unique ID, backup ID\n\
         Field 7 - 9: Date, start time, end time\n\n",
        mdy(from)
    );
    for a in rows {
        out.push_str(&format!(
            "\"{}\",\"\",\"\",\"{}\",\"\",\"\",{},{},{}\n",
            a.staff,
            a.name,
            mdy(a.date),
            a.start,
            a.end
        ));
    }
    out
}
