//! `/metrics`: process figures, the build, database pools, request buckets that
//! reach the longest `?wait=`, and a queue depth that says it is database-wide.

use crate::both_backends;
use crate::helpers::{Backend, TestApp};

async fn scrape(app: &TestApp) -> String {
    let r = app.http.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

/// The value of the sample named exactly `series` (name and labels).
fn value(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("no `{series}` in {text}"))
        .parse()
        .unwrap()
}

async fn metrics_show_the_process_the_build_and_the_database_pools(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let text = scrape(&app).await;

    assert!(value(&text, "process_cpu_seconds_total") >= 0.0);
    assert!(value(&text, "process_resident_memory_bytes") > 1_000_000.0);
    let fds = value(&text, "process_open_fds");
    assert!(
        fds >= 3.0 && fds <= value(&text, "process_max_fds"),
        "{fds}"
    );
    // Started after 2020 and not in the future.
    let started = value(&text, "process_start_time_seconds");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    assert!(started > 1.58e9 && started <= now, "{started}");

    let database = match backend {
        Backend::Postgres => "postgres",
        Backend::Sqlite => "sqlite",
    };
    let build = format!(
        "careflow_build_info{{version=\"{}\",database=\"{database}\"}}",
        env!("CARGO_PKG_VERSION")
    );
    assert_eq!(value(&text, &build), 1.0);

    let pools: &[(&str, f64)] = match backend {
        Backend::Postgres => &[("main", 8.0)],
        Backend::Sqlite => &[("writer", 1.0), ("reader", 0.0)],
    };
    for (pool, max) in pools {
        let of = |name: &str| value(&text, &format!("{name}{{pool=\"{pool}\"}}"));
        let open = of("careflow_db_pool_connections");
        let (idle, in_use) = (
            of("careflow_db_pool_idle_connections"),
            of("careflow_db_pool_in_use_connections"),
        );
        let limit = of("careflow_db_pool_max_connections");
        assert!(open >= 1.0 && open <= limit, "{pool}: {open} of {limit}");
        assert_eq!(idle + in_use, open, "{pool}");
        if *max > 0.0 {
            assert_eq!(limit, *max, "{pool}");
        }
    }
}

async fn request_buckets_reach_the_longest_wait_and_the_queue_says_it_is_shared(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    assert_eq!(app.get("/healthz").await.status(), 200);
    let text = scrape(&app).await;
    // `?wait=` is capped just below the request timeout (60s in the tests): a long
    // poll lands in a bucket of its own, not only in +Inf.
    let top = app.settings.server.request_timeout.as_secs();
    let bucket = format!(
        "careflow_http_request_duration_seconds_bucket{{method=\"GET\",route=\"/healthz\",le=\"{top}\"}}"
    );
    assert_eq!(value(&text, &bucket), 1.0);
    assert_eq!(
        value(&text, "careflow_queue_depth{scope=\"database\"}"),
        0.0
    );
}

both_backends!(
    metrics_show_the_process_the_build_and_the_database_pools,
    request_buckets_reach_the_longest_wait_and_the_queue_says_it_is_shared,
);
