//! A small Prometheus registry: counters, gauges and histograms with labels,
//! rendered in the text exposition format.
//!
//! It is an instance per service (not a process-wide recorder) so that several
//! services in one test process keep separate figures.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

/// Upper bounds (seconds) of latency histogram buckets, before those added to
/// reach the longest request (see [`Metrics::reaching`]).
pub const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

type Labels = Vec<(&'static str, String)>;

#[derive(Default)]
struct Histogram {
    buckets: Vec<u64>,
    sum: f64,
    count: u64,
}

#[derive(Default)]
struct Families {
    help: BTreeMap<&'static str, (&'static str, &'static str)>,
    counters: BTreeMap<(&'static str, Labels), f64>,
    gauges: BTreeMap<(&'static str, Labels), f64>,
    histograms: BTreeMap<(&'static str, Labels), Histogram>,
    /// Upper bounds (seconds) of every histogram's buckets, ascending.
    buckets: Vec<f64>,
}

/// Longer bounds added, below the longest request, so slow answers (long polls)
/// land in a bucket of their own instead of all in `+Inf`.
const LONG_BUCKETS: &[f64] = &[60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0];

/// The service's metrics. Cheap to update from any task.
pub struct Metrics {
    // A plain mutex: updates are a map lookup and an add, never held across an await.
    families: Mutex<Families>,
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
            families: Mutex::new(Families {
                buckets,
                ..Families::default()
            }),
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

    /// Adds `by` to a counter.
    pub fn count(
        &self,
        name: &'static str,
        help: &'static str,
        pairs: &[(&'static str, &str)],
        by: f64,
    ) {
        self.with(|f| {
            f.help.entry(name).or_insert(("counter", help));
            *f.counters.entry((name, labels(pairs))).or_default() += by;
        });
    }

    /// Sets a counter to a total kept elsewhere (e.g. a breaker's transitions).
    pub fn set_counter(
        &self,
        name: &'static str,
        help: &'static str,
        pairs: &[(&'static str, &str)],
        total: f64,
    ) {
        self.with(|f| {
            f.help.entry(name).or_insert(("counter", help));
            f.counters.insert((name, labels(pairs)), total);
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
            f.help.entry(name).or_insert(("gauge", help));
            f.gauges.insert((name, labels(pairs)), value);
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
            f.help.entry(name).or_insert(("histogram", help));
            let h = f.histograms.entry((name, labels(pairs))).or_default();
            if h.buckets.is_empty() {
                h.buckets = vec![0; f.buckets.len()];
            }
            for (i, bound) in f.buckets.iter().enumerate() {
                if seconds <= *bound {
                    h.buckets[i] += 1;
                }
            }
            h.sum += seconds;
            h.count += 1;
        });
    }

    /// The current value of a counter, for tests and status pages.
    pub fn counter_value(&self, name: &'static str, pairs: &[(&'static str, &str)]) -> f64 {
        self.with(|f| {
            f.counters
                .get(&(name, labels(pairs)))
                .copied()
                .unwrap_or(0.0)
        })
    }

    /// Renders every family in the Prometheus text format.
    pub fn render(&self) -> String {
        self.with(|f| {
            let mut out = String::new();
            for (name, (kind, help)) in &f.help {
                let _ = writeln!(out, "# HELP {name} {help}");
                let _ = writeln!(out, "# TYPE {name} {kind}");
                match *kind {
                    "counter" => write_samples(&mut out, name, &f.counters),
                    "gauge" => write_samples(&mut out, name, &f.gauges),
                    _ => write_histograms(&mut out, name, &f.histograms, &f.buckets),
                }
            }
            out
        })
    }
}

fn format_labels(labels: &Labels, extra: Option<(&str, String)>) -> String {
    let mut parts: Vec<String> = labels
        .iter()
        .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
        .collect();
    if let Some((k, v)) = extra {
        parts.push(format!("{k}=\"{v}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn write_samples(out: &mut String, name: &str, map: &BTreeMap<(&'static str, Labels), f64>) {
    for ((n, l), v) in map.iter().filter(|((n, _), _)| *n == name) {
        let _ = writeln!(out, "{n}{} {v}", format_labels(l, None));
    }
}

fn write_histograms(
    out: &mut String,
    name: &str,
    map: &BTreeMap<(&'static str, Labels), Histogram>,
    buckets: &[f64],
) {
    for ((n, l), h) in map.iter().filter(|((n, _), _)| *n == name) {
        for (i, bound) in buckets.iter().enumerate() {
            let le = format_labels(l, Some(("le", bound.to_string())));
            let _ = writeln!(out, "{n}_bucket{le} {}", h.buckets[i]);
        }
        let inf = format_labels(l, Some(("le", "+Inf".into())));
        let _ = writeln!(out, "{n}_bucket{inf} {}", h.count);
        let _ = writeln!(out, "{n}_sum{} {}", format_labels(l, None), h.sum);
        let _ = writeln!(out, "{n}_count{} {}", format_labels(l, None), h.count);
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
        assert!(text.contains("reqs_total{route=\"/x\"} 2"), "{text}");
        assert!(text.contains("lat_seconds_bucket{route=\"/x\",le=\"0.0025\"} 0"));
        assert!(text.contains("lat_seconds_bucket{route=\"/x\",le=\"0.005\"} 1"));
        assert!(text.contains("lat_seconds_bucket{route=\"/x\",le=\"+Inf\"} 1"));
        assert!(text.contains("# TYPE lat_seconds histogram"));
    }
}
