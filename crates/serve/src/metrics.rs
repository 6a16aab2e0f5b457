//! Counters and histograms for `/metrics`, in the Prometheus text exposition format (0.0.4).
//! Routes are known at start, so every series is an atomic in a fixed place: recording a
//! request takes no lock.

use crate::function::Outcome;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// A histogram of durations with fixed bucket bounds (in seconds).
pub struct Histogram {
    bounds: &'static [f64],
    /// Observations at most each bound (not cumulative; summed when rendered).
    buckets: Vec<AtomicU64>,
    sum_ns: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Self {
        Histogram {
            bounds,
            buckets: bounds.iter().map(|_| AtomicU64::new(0)).collect(),
            sum_ns: AtomicU64::new(0),
            count: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, d: Duration) {
        let s = d.as_secs_f64();
        if let Some(i) = self.bounds.iter().position(|&b| s <= b) {
            self.buckets[i].fetch_add(1, Relaxed);
        }
        self.sum_ns.fetch_add(d.as_nanos() as u64, Relaxed);
        self.count.fetch_add(1, Relaxed);
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        for (bound, n) in self.bounds.iter().zip(&self.buckets) {
            cumulative += n.load(Relaxed);
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{bound}\"}} {cumulative}");
        }
        let count = self.count.load(Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {count}");
        let sum = self.sum_ns.load(Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum{{{labels}}} {sum}");
        let _ = writeln!(out, "{name}_count{{{labels}}} {count}");
    }
}

const LATENCY_BOUNDS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];
const INSTANTIATE_BOUNDS: &[f64] = &[
    0.000005, 0.00001, 0.00002, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.005, 0.01,
];

/// Why a request to a route was answered without running its guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    NotFound,
    BadRequest,
    BodyTooLarge,
    /// No instance slot came free before the request's deadline.
    Busy,
    /// The ledger cannot be written, or the server is shutting down.
    Unavailable,
}

impl Rejection {
    const ALL: [Rejection; 5] = [
        Rejection::NotFound,
        Rejection::BadRequest,
        Rejection::BodyTooLarge,
        Rejection::Busy,
        Rejection::Unavailable,
    ];

    fn name(self) -> &'static str {
        match self {
            Rejection::NotFound => "not_found",
            Rejection::BadRequest => "bad_request",
            Rejection::BodyTooLarge => "body_too_large",
            Rejection::Busy => "busy",
            Rejection::Unavailable => "unavailable",
        }
    }
}

struct RouteMetrics {
    label: String,
    by_outcome: [AtomicU64; Outcome::ALL.len()],
    gas: AtomicU64,
    latency: Histogram,
    instantiate: Histogram,
    reloads: AtomicU64,
    reload_failures: AtomicU64,
}

/// Everything `/metrics` shows.
pub struct Metrics {
    routes: Vec<RouteMetrics>,
    rejected: [AtomicU64; Rejection::ALL.len()],
    running: AtomicI64,
}

/// A label value with `\`, `"` and newlines escaped.
fn label_value(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    /// Metrics for routes with these prefixes.
    pub fn new<'a>(prefixes: impl IntoIterator<Item = &'a str>) -> Metrics {
        Metrics {
            routes: prefixes
                .into_iter()
                .map(|p| RouteMetrics {
                    label: format!("route=\"{}\"", label_value(p)),
                    by_outcome: Default::default(),
                    gas: AtomicU64::new(0),
                    latency: Histogram::new(LATENCY_BOUNDS),
                    instantiate: Histogram::new(INSTANTIATE_BOUNDS),
                    reloads: AtomicU64::new(0),
                    reload_failures: AtomicU64::new(0),
                })
                .collect(),
            rejected: Default::default(),
            running: AtomicI64::new(0),
        }
    }

    /// A request of `route` whose guest ended with `outcome`.
    pub fn request(
        &self,
        route: usize,
        outcome: Outcome,
        gas: u64,
        latency: Duration,
        instantiate: Duration,
    ) {
        let r = &self.routes[route];
        let i = Outcome::ALL.iter().position(|&o| o == outcome).unwrap_or(0);
        r.by_outcome[i].fetch_add(1, Relaxed);
        r.gas.fetch_add(gas, Relaxed);
        r.latency.observe(latency);
        r.instantiate.observe(instantiate);
    }

    pub fn rejected(&self, why: Rejection) {
        let i = Rejection::ALL.iter().position(|&r| r == why).unwrap_or(0);
        self.rejected[i].fetch_add(1, Relaxed);
    }

    /// A guest started (`+1`) or ended (`-1`).
    pub fn running(&self, delta: i64) {
        self.running.fetch_add(delta, Relaxed);
    }

    pub fn reload(&self, route: usize, ok: bool) {
        let r = &self.routes[route];
        if ok { &r.reloads } else { &r.reload_failures }.fetch_add(1, Relaxed);
    }

    /// Requests whose guests ended, all routes and outcomes.
    pub fn requests(&self) -> u64 {
        self.routes
            .iter()
            .flat_map(|r| r.by_outcome.iter())
            .map(|n| n.load(Relaxed))
            .sum()
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let o = &mut out;
        let name = family(
            o,
            "ssvm_requests_total",
            "counter",
            "Requests whose guest ran, by route and outcome.",
        );
        for r in &self.routes {
            for (outcome, n) in Outcome::ALL.iter().zip(&r.by_outcome) {
                let (label, outcome, n) = (&r.label, outcome.name(), n.load(Relaxed));
                let _ = writeln!(o, "{name}{{{label},outcome=\"{outcome}\"}} {n}");
            }
        }
        let name = family(
            o,
            "ssvm_gas_used_total",
            "counter",
            "Gas used by the requests of each route.",
        );
        for r in &self.routes {
            let _ = writeln!(o, "{name}{{{}}} {}", r.label, r.gas.load(Relaxed));
        }
        type Pick = fn(&RouteMetrics) -> &Histogram;
        let histograms: [(&str, &str, Pick); 2] = [
            (
                "ssvm_request_duration_seconds",
                "From a request's arrival to its guest's end.",
                |r| &r.latency,
            ),
            (
                "ssvm_instantiate_duration_seconds",
                "Making a request's WASI context, store and instance.",
                |r| &r.instantiate,
            ),
        ];
        for (name, help, pick) in histograms {
            family(o, name, "histogram", help);
            for r in &self.routes {
                pick(r).render(o, name, &r.label);
            }
        }
        let name = family(
            o,
            "ssvm_module_reloads_total",
            "counter",
            "Modules recompiled after their file changed (--watch), by result.",
        );
        for r in &self.routes {
            let _ = writeln!(
                o,
                "{name}{{{},result=\"ok\"}} {}",
                r.label,
                r.reloads.load(Relaxed)
            );
            let _ = writeln!(
                o,
                "{name}{{{},result=\"error\"}} {}",
                r.label,
                r.reload_failures.load(Relaxed)
            );
        }
        let name = family(
            o,
            "ssvm_rejected_total",
            "counter",
            "Requests answered without running a guest, by reason.",
        );
        for (why, n) in Rejection::ALL.iter().zip(&self.rejected) {
            let _ = writeln!(o, "{name}{{reason=\"{}\"}} {}", why.name(), n.load(Relaxed));
        }
        let name = family(
            o,
            "ssvm_instances_running",
            "gauge",
            "Guests running now (timed-out ones included until they end).",
        );
        let _ = writeln!(o, "{name} {}", self.running.load(Relaxed));
        out
    }
}

/// Writes the `# HELP` and `# TYPE` lines of a metric family, and gives back its name.
fn family<'n>(out: &mut String, name: &'n str, kind: &str, help: &str) -> &'n str {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let m = Metrics::new(["/a", "/b\"c"]);
        m.request(
            0,
            Outcome::Ok,
            10,
            Duration::from_micros(300),
            Duration::from_micros(7),
        );
        m.request(
            0,
            Outcome::Trap,
            5,
            Duration::from_secs(20),
            Duration::from_micros(30),
        );
        m.rejected(Rejection::Busy);
        m.running(1);
        let text = m.render();
        assert_eq!(m.requests(), 2);
        for line in [
            "# TYPE ssvm_requests_total counter",
            "ssvm_requests_total{route=\"/a\",outcome=\"ok\"} 1",
            "ssvm_requests_total{route=\"/a\",outcome=\"trap\"} 1",
            "ssvm_requests_total{route=\"/b\\\"c\",outcome=\"ok\"} 0",
            "ssvm_gas_used_total{route=\"/a\"} 15",
            "ssvm_request_duration_seconds_bucket{route=\"/a\",le=\"0.00025\"} 0",
            "ssvm_request_duration_seconds_bucket{route=\"/a\",le=\"0.0005\"} 1",
            "ssvm_request_duration_seconds_bucket{route=\"/a\",le=\"10\"} 1",
            "ssvm_request_duration_seconds_bucket{route=\"/a\",le=\"+Inf\"} 2",
            "ssvm_request_duration_seconds_count{route=\"/a\"} 2",
            "ssvm_instantiate_duration_seconds_bucket{route=\"/a\",le=\"0.00001\"} 1",
            "ssvm_rejected_total{reason=\"busy\"} 1",
            "ssvm_instances_running 1",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing `{line}` in\n{text}"
            );
        }
    }
}
