//! The service's Prometheus registry, kept by the `prometheus-client` crate:
//! counters, gauges and histograms with labels, rendered in the Prometheus text
//! format (version 0.0.4).
//!
//! Callers name a family when they first touch it (`count`, `gauge`, `observe`),
//! so the families of a module live next to the code that updates them rather than
//! in a central list. It is an instance per service (not a process-wide recorder)
//! so that several services in one test process keep separate figures.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::{Family, MetricConstructor};
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Upper bounds (seconds) of latency histogram buckets, before those added to
/// reach the longest request (see [`Metrics::reaching`]).
pub const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Longer bounds added, below the longest request, so slow answers (long polls)
/// land in a bucket of their own instead of all in `+Inf`.
const LONG_BUCKETS: &[f64] = &[60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0];

/// The content type of [`Metrics::render`]'s output.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// A series' labels, in the order the caller gave them.
type Labels = Vec<(&'static str, String)>;
type FloatCounter = Counter<f64, AtomicU64>;
type FloatGauge = Gauge<f64, AtomicU64>;

/// Makes each new histogram of a family with the registry's bucket bounds.
#[derive(Debug, Clone)]
struct Buckets(std::sync::Arc<[f64]>);

impl MetricConstructor<Histogram> for Buckets {
    fn new_metric(&self) -> Histogram {
        Histogram::new(self.0.iter().copied())
    }
}

#[derive(Default)]
struct Families {
    registry: Registry,
    // Handles to the families registered above (each is a shared reference), by
    // the name callers use.
    counters: HashMap<&'static str, Family<Labels, FloatCounter>>,
    gauges: HashMap<&'static str, Family<Labels, FloatGauge>>,
    histograms: HashMap<&'static str, Family<Labels, Histogram, Buckets>>,
}

/// The service's metrics. Cheap to update from any task.
pub struct Metrics {
    // A plain mutex: updates are a map lookup and an atomic add, never held across
    // an await. It also makes `set_counter` a single step (see there).
    families: Mutex<Families>,
    buckets: Buckets,
}

/// The crate adds `_total` to a counter's name when it writes it out, and a full
/// stop to every help text: both are taken off here, so callers keep naming
/// series exactly as they are exposed.
fn counter_family_name(name: &str) -> &str {
    name.strip_suffix("_total").unwrap_or(name)
}

fn help_text(help: &str) -> &str {
    help.strip_suffix('.').unwrap_or(help)
}

fn labels(pairs: &[(&'static str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (*k, (*v).to_string())).collect()
}

impl Metrics {
    /// An empty registry with the standard latency buckets.
    pub fn new() -> Self {
        Self::with_buckets(LATENCY_BUCKETS.to_vec())
    }

    /// An empty registry whose histograms reach `longest` (the request timeout, which
    /// bounds every `?wait=`): its buckets are the standard ones, longer ones below
    /// `longest`, and `longest` itself.
    pub fn reaching(longest: Duration) -> Self {
        let top = longest.as_secs_f64();
        let mut buckets = LATENCY_BUCKETS.to_vec();
        for &b in LONG_BUCKETS.iter().chain([&top]) {
            if buckets.last().is_none_or(|last| b > *last) && b <= top {
                buckets.push(b);
            }
        }
        Self::with_buckets(buckets)
    }

    fn with_buckets(buckets: Vec<f64>) -> Self {
        Self {
            families: Mutex::new(Families::default()),
            buckets: Buckets(buckets.into()),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut Families) -> R) -> R {
        let mut guard = match self.families.lock() {
            Ok(g) => g,
            // A panic while holding the lock leaves plain numbers behind: still usable.
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }

    /// The counter family `name`, registered with `help` on first use.
    fn counter(
        f: &mut Families,
        name: &'static str,
        help: &'static str,
    ) -> Family<Labels, FloatCounter> {
        let Families {
            registry, counters, ..
        } = f;
        counters
            .entry(name)
            .or_insert_with(|| {
                let family = Family::default();
                registry.register(counter_family_name(name), help_text(help), family.clone());
                family
            })
            .clone()
    }

    /// Adds `by` to a counter.
    pub fn count(
        &self,
        name: &'static str,
        help: &'static str,
        pairs: &[(&'static str, &str)],
        by: f64,
    ) {
        self.with(|f| {
            Self::counter(f, name, help)
                .get_or_create(&labels(pairs))
                .inc_by(by);
        });
    }

    /// Sets a counter to a total kept elsewhere (e.g. a breaker's transitions).
    /// A total lower than the one shown (the source restarted) is ignored: a
    /// counter never goes down.
    pub fn set_counter(
        &self,
        name: &'static str,
        help: &'static str,
        pairs: &[(&'static str, &str)],
        total: f64,
    ) {
        // Read and add under the registry's lock, so two scrapes setting the same
        // total at once cannot both add the difference.
        self.with(|f| {
            let family = Self::counter(f, name, help);
            let counter = family.get_or_create(&labels(pairs));
            let shown = counter.get();
            if total > shown {
                counter.inc_by(total - shown);
            }
        });
    }

    /// Sets a gauge.
    pub fn gauge(
        &self,
        name: &'static str,
        help: &'static str,
        pairs: &[(&'static str, &str)],
        value: f64,
    ) {
        self.with(|f| {
            let Families {
                registry, gauges, ..
            } = f;
            gauges
                .entry(name)
                .or_insert_with(|| {
                    let family = Family::default();
                    registry.register(name, help_text(help), family.clone());
                    family
                })
                .get_or_create(&labels(pairs))
                .set(value);
        });
    }

    /// Records one observation (seconds) in a latency histogram.
    pub fn observe(
        &self,
        name: &'static str,
        help: &'static str,
        pairs: &[(&'static str, &str)],
        seconds: f64,
    ) {
        self.with(|f| {
            let Families {
                registry,
                histograms,
                ..
            } = f;
            histograms
                .entry(name)
                .or_insert_with(|| {
                    let family = Family::new_with_constructor(self.buckets.clone());
                    registry.register(name, help_text(help), family.clone());
                    family
                })
                .get_or_create(&labels(pairs))
                .observe(seconds);
        });
    }

    /// The current value of a counter, for tests and status pages.
    pub fn counter_value(&self, name: &'static str, pairs: &[(&'static str, &str)]) -> f64 {
        self.with(|f| {
            f.counters
                .get(name)
                .and_then(|family| family.get(&labels(pairs)).map(|c| c.get()))
                .unwrap_or(0.0)
        })
    }

    /// Renders every family in the Prometheus text format ([`CONTENT_TYPE`]).
    pub fn render(&self) -> String {
        self.with(|f| {
            let mut out = String::new();
            // Writing into a `String` cannot fail; were it to, a partial page is
            // still the most useful answer to a scrape.
            let _ = prometheus_text::encode(&mut out, &f.registry);
            out
        })
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_reach_the_longest_request() {
        let m = Metrics::reaching(Duration::from_secs(90));
        m.observe("lat_seconds", "Latency.", &[], 75.0);
        let text = m.render();
        assert!(text.contains("lat_seconds_bucket{le=\"60\"} 0"), "{text}");
        assert!(text.contains("lat_seconds_bucket{le=\"90\"} 1"), "{text}");
        assert!(!text.contains("le=\"120\""), "{text}");
        // A round timeout adds no duplicate bound.
        let m = Metrics::reaching(Duration::from_secs(60));
        m.observe("lat_seconds", "Latency.", &[], 1.0);
        assert_eq!(m.render().matches("le=\"60\"").count(), 1);
    }

    #[test]
    fn renders_counters_and_cumulative_histogram_buckets() {
        let m = Metrics::new();
        m.count("reqs_total", "Requests.", &[("route", "/x")], 1.0);
        m.count("reqs_total", "Requests.", &[("route", "/x")], 1.0);
        m.observe("lat_seconds", "Latency.", &[("route", "/x")], 0.003);
        let text = m.render();
        assert!(text.contains("reqs_total{route=\"/x\"} 2.0\n"), "{text}");
        assert!(text.contains("# HELP reqs_total Requests.\n"), "{text}");
        assert!(text.contains("# TYPE reqs_total counter\n"), "{text}");
        assert!(text.contains("lat_seconds_bucket{route=\"/x\",le=\"0.0025\"} 0"));
        assert!(text.contains("lat_seconds_bucket{route=\"/x\",le=\"0.005\"} 1"));
        assert!(text.contains("lat_seconds_bucket{route=\"/x\",le=\"+Inf\"} 1"));
        assert!(text.contains("# TYPE lat_seconds histogram"));
        assert_eq!(m.counter_value("reqs_total", &[("route", "/x")]), 2.0);
        assert_eq!(m.counter_value("reqs_total", &[("route", "/y")]), 0.0);
    }

    #[test]
    fn set_counters_follow_a_total_kept_elsewhere_and_never_go_down() {
        let m = Metrics::new();
        m.set_counter("moves_total", "Moves.", &[("p", "a")], 3.0);
        m.set_counter("moves_total", "Moves.", &[("p", "a")], 5.0);
        m.set_counter("moves_total", "Moves.", &[("p", "a")], 1.0);
        assert!(m.render().contains("moves_total{p=\"a\"} 5.0\n"));
    }

    #[test]
    fn gauges_are_set_and_label_values_escaped() {
        let m = Metrics::new();
        m.gauge("depth", "Depth.", &[("q", "a\"b")], 4.0);
        m.gauge("depth", "Depth.", &[("q", "a\"b")], 2.0);
        let text = m.render();
        assert!(text.contains("depth{q=\"a\\\"b\"} 2.0\n"), "{text}");
        assert!(text.contains("# TYPE depth gauge\n"), "{text}");
    }
}
