//! `GET /metrics`: the process's pipeline counters in Prometheus' text
//! format, read from [`PipelineStats`] at each scrape (nothing is counted
//! twice). Every process serves it beside its probes. The API adds its
//! HTTP requests ([`HttpMetrics`]: counts and latencies by route template
//! and status, counted by the [`track`] middleware).

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric, NoLabelSet};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::{Registry, Unit};

use crate::services::PipelineStats;

/// Upper bounds (seconds) of the kill → battle latency histogram.
const LATENCY_BOUNDS: [f64; 10] = [0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 120.0];

/// Reads the counters at scrape time.
#[derive(Debug)]
struct StatsCollector(Arc<PipelineStats>);

impl StatsCollector {
    fn counters(&self) -> [(&'static str, &'static str, &AtomicU64); 15] {
        let s = &*self.0;
        [
            ("records", "Records the source gave", &s.records),
            (
                "ingested",
                "Killmails published to killmail.ingested",
                &s.ingested,
            ),
            ("rejected", "Killmails the ruleset rejected", &s.rejected),
            (
                "duplicates",
                "Killmails dropped as already ingested",
                &s.duplicates,
            ),
            (
                "unfiltered_references",
                "References published without the ruleset",
                &s.unfiltered_references,
            ),
            (
                "enriched",
                "Killmails published to killmail.enriched",
                &s.enriched,
            ),
            ("clustered", "Killmails the clusterer took in", &s.clustered),
            (
                "cluster_duplicates",
                "Killmails the clusterer already had",
                &s.cluster_duplicates,
            ),
            (
                "late",
                "Killmails beyond the horizon or future-dated",
                &s.late,
            ),
            (
                "reclustered",
                "Late killmails re-clustered from the store",
                &s.reclustered,
            ),
            ("sealed", "Battles sealed", &s.sealed),
            ("battle_events", "Battle events published", &s.battle_events),
            ("written", "Messages the writer stored", &s.written),
            ("indexed", "Documents sent to the search index", &s.indexed),
            (
                "dead_letters",
                "Records and messages dead-lettered",
                &s.dead_letters,
            ),
        ]
    }
}

impl Collector for StatsCollector {
    fn encode(&self, mut encoder: DescriptorEncoder<'_>) -> Result<(), std::fmt::Error> {
        for (name, help, value) in self.counters() {
            let counter = ConstCounter::new(PipelineStats::get(value));
            let metric = encoder.encode_descriptor(name, help, None, counter.metric_type())?;
            counter.encode(metric)?;
        }
        #[allow(clippy::cast_possible_wrap)]
        let failing = ConstGauge::new(PipelineStats::get(&self.0.failing) as i64);
        let metric = encoder.encode_descriptor(
            "failing_operations",
            "Operations retrying a failing backend now (not ready while above 0)",
            None,
            failing.metric_type(),
        )?;
        failing.encode(metric)?;

        let (sum, count, buckets) = self.0.kill_to_battle.buckets(&LATENCY_BOUNDS);
        let mut metric = encoder.encode_descriptor(
            "kill_to_battle",
            "From a kill reaching the platform to its battle stored",
            Some(&Unit::Seconds),
            MetricType::Histogram,
        )?;
        metric.encode_histogram::<NoLabelSet>(sum, count, &buckets, None)?;
        Ok(())
    }
}

/// The registry of one process, prefixed `battlescope_`.
#[must_use]
pub fn registry(stats: Arc<PipelineStats>) -> Registry {
    let mut registry = Registry::with_prefix("battlescope");
    registry.register_collector(Box::new(StatsCollector(stats)));
    registry
}

/// `GET /metrics`.
pub async fn metrics(State(registry): State<Arc<Registry>>) -> impl IntoResponse {
    let mut text = String::new();
    match prometheus_client::encoding::text::encode(&mut text, &registry) {
        Ok(()) => (
            StatusCode::OK,
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        ),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            format!("metrics not encoded: {e}"),
        ),
    }
}

/// Upper bounds (seconds) of the HTTP request latency histogram.
const HTTP_LATENCY_BOUNDS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The labels of an HTTP request: bounded, since `route` is the route's
/// template (`/api/battles/{id}`), or `unmatched`, never the raw path.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

/// Requests the API answered, by route template and status.
#[derive(Debug, Clone)]
pub struct HttpMetrics {
    requests: Family<HttpLabels, Counter>,
    duration: Family<HttpLabels, Histogram, fn() -> Histogram>,
}

impl HttpMetrics {
    /// Counters registered in `registry` (the one `/metrics` serves).
    pub fn register(registry: &mut Registry) -> Self {
        let requests = Family::<HttpLabels, Counter>::default();
        let duration: Family<HttpLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(|| Histogram::new(HTTP_LATENCY_BOUNDS));
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, route template and status",
            requests.clone(),
        );
        registry.register_with_unit(
            "http_request_duration",
            "Time to answer an HTTP request, by method, route template and status",
            Unit::Seconds,
            duration.clone(),
        );
        Self { requests, duration }
    }

    fn observe(&self, labels: &HttpLabels, seconds: f64) {
        self.requests.get_or_create(labels).inc();
        self.duration.get_or_create(labels).observe(seconds);
    }
}

/// The middleware counting each request under its route template.
pub async fn track(State(metrics): State<HttpMetrics>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let response = next.run(req).await;
    let labels = HttpLabels {
        method,
        route,
        status: response.status().as_u16(),
    };
    metrics.observe(&labels, started.elapsed().as_secs_f64());
    response
}
