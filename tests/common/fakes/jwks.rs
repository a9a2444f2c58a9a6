//! A fake JWKS endpoint on 127.0.0.1 serving the test keys of `tests/fixtures/jwt`:
//! counts its fetches, lets a test wait for the n-th, and can hold its answers back
//! until the test opens its gate (a slow or hung identity provider).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;

struct Shared {
    jwks: Value,
    fetches: AtomicUsize,
    in_flight: AtomicUsize,
    most_in_flight: AtomicUsize,
    fetched: watch::Sender<usize>,
    open: watch::Sender<bool>,
}

/// The running fake.
pub struct FakeJwks {
    pub url: String,
    shared: Arc<Shared>,
}

async fn serve(State(shared): State<Arc<Shared>>) -> axum::Json<Value> {
    let n = shared.fetches.fetch_add(1, Ordering::SeqCst) + 1;
    let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    shared.most_in_flight.fetch_max(now, Ordering::SeqCst);
    shared.fetched.send_replace(n);
    let mut open = shared.open.subscribe();
    // Held answers wait for the gate; a closed fake never answers.
    let _ = open.wait_for(|o| *o).await;
    shared.in_flight.fetch_sub(1, Ordering::SeqCst);
    axum::Json(shared.jwks.clone())
}

impl FakeJwks {
    /// Starts the fake; it answers at once until [`FakeJwks::hold`] is called.
    pub async fn start() -> Self {
        let jwks: Value =
            serde_json::from_str(include_str!("../../fixtures/jwt/jwks.json")).unwrap();
        let shared = Arc::new(Shared {
            jwks,
            fetches: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            most_in_flight: AtomicUsize::new(0),
            fetched: watch::channel(0).0,
            open: watch::channel(true).0,
        });
        let router = Router::new()
            .route("/jwks.json", get(serve))
            .with_state(shared.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self {
            url: format!("http://{addr}/jwks.json"),
            shared,
        }
    }

    /// From now on answers wait until [`FakeJwks::release`].
    pub fn hold(&self) {
        self.shared.open.send_replace(false);
    }

    /// Lets held and later answers through.
    pub fn release(&self) {
        self.shared.open.send_replace(true);
    }

    /// Fetches received so far.
    pub fn fetches(&self) -> usize {
        self.shared.fetches.load(Ordering::SeqCst)
    }

    /// The most fetches that were ever answered at the same time.
    pub fn most_in_flight(&self) -> usize {
        self.shared.most_in_flight.load(Ordering::SeqCst)
    }

    /// Waits until `n` fetches were received, failing after a generous bound.
    pub async fn until_fetches(&self, n: usize) {
        let mut seen = self.shared.fetched.subscribe();
        tokio::time::timeout(Duration::from_secs(20), seen.wait_for(|f| *f >= n))
            .await
            .unwrap_or_else(|_| panic!("the JWKS endpoint never received fetch {n}"))
            .unwrap();
    }
}
