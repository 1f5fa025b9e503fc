//! `GET /metrics`: the process's pipeline counters in Prometheus' text
//! format, read from [`PipelineStats`] at each scrape (nothing is counted
//! twice). Every process serves it beside its probes: counts per stage and
//! topic, processing and store latency histograms, consumer lag per
//! partition, the DLQ depth (from the store, at the scrape), ESI calls,
//! errors and breaker state, and the kill → battle latency. The API adds
//! its HTTP requests ([`HttpMetrics`]: counts and latencies by route
//! template and status, counted by the [`track`] middleware).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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

use crate::services::stats::Latencies;
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

        histograms(
            &mut encoder,
            "processing",
            "From a poll's return to its commit, per batch",
            "service",
            &self.0.processing,
        )?;
        histograms(
            &mut encoder,
            "store_operation",
            "Store operations as the services wait for them (retries included)",
            "operation",
            &self.0.store,
        )?;

        let consumed = self.0.consumed.snapshot();
        if !consumed.is_empty() {
            let mut family = encoder.encode_descriptor(
                "consumed",
                "Messages read from the bus",
                None,
                MetricType::Counter,
            )?;
            for (topic, n) in consumed {
                let labels = [("topic", topic)];
                ConstCounter::new(n).encode(family.encode_family(&labels)?)?;
            }
        }

        let lag = self.0.lag.lock().map(|m| m.clone()).unwrap_or_default();
        if !lag.is_empty() {
            let mut family = encoder.encode_descriptor(
                "consumer_lag",
                "Messages after the last one a consumer read, per partition",
                None,
                MetricType::Gauge,
            )?;
            for ((topic, group), partitions) in lag {
                for (partition, behind) in partitions {
                    let labels = [
                        ("topic", topic.clone()),
                        ("group", group.clone()),
                        ("partition", partition.to_string()),
                    ];
                    ConstGauge::new(i64::try_from(behind).unwrap_or(i64::MAX))
                        .encode(family.encode_family(&labels)?)?;
                }
            }
        }

        let depth = ConstGauge::new(
            i64::try_from(PipelineStats::get(&self.0.dead_letters_stored)).unwrap_or(i64::MAX),
        );
        let metric = encoder.encode_descriptor(
            "dead_letters_stored",
            "Dead letters the store holds (the DLQ depth), read at the scrape",
            None,
            depth.metric_type(),
        )?;
        depth.encode(metric)?;

        if let Some(esi) = self.0.esi.get().and_then(|e| e.telemetry()) {
            for (name, help, value) in [
                (
                    "esi_requests",
                    "HTTP requests sent to ESI (attempts)",
                    esi.requests,
                ),
                ("esi_retries", "ESI attempts retried", esi.retries),
                ("esi_errors", "ESI calls that ended in an error", esi.errors),
                (
                    "esi_cache_hits",
                    "Killmails and names served from the cache",
                    esi.cache_hits,
                ),
                (
                    "esi_breaker_opened",
                    "Times the ESI circuit breaker opened",
                    esi.breaker_opened,
                ),
            ] {
                let counter = ConstCounter::new(value);
                let metric = encoder.encode_descriptor(name, help, None, counter.metric_type())?;
                counter.encode(metric)?;
            }
            let state = ConstGauge::new(i64::from(esi.breaker_state));
            let metric = encoder.encode_descriptor(
                "esi_breaker_state",
                "The ESI circuit breaker: 0 closed, 1 open, 2 half-open",
                None,
                state.metric_type(),
            )?;
            state.encode(metric)?;
        }
        Ok(())
    }
}

/// One histogram family, a series per label value.
fn histograms(
    encoder: &mut DescriptorEncoder<'_>,
    name: &str,
    help: &str,
    label: &'static str,
    latencies: &Latencies,
) -> Result<(), std::fmt::Error> {
    let series = latencies.snapshot();
    if series.is_empty() {
        return Ok(());
    }
    let mut family =
        encoder.encode_descriptor(name, help, Some(&Unit::Seconds), MetricType::Histogram)?;
    for (value, latency) in series {
        let (sum, count, buckets) = latency.buckets(&LATENCY_BOUNDS);
        let labels = [(label, value)];
        family
            .encode_family(&labels)?
            .encode_histogram::<NoLabelSet>(sum, count, &buckets, None)?;
    }
    Ok(())
}

/// The registry of one process, prefixed `battlescope_`.
#[must_use]
pub fn registry(stats: Arc<PipelineStats>) -> Registry {
    let mut registry = Registry::with_prefix("battlescope");
    registry.register_collector(Box::new(StatsCollector(stats)));
    registry
}

/// `GET /metrics`. The DLQ depth is read from the store, if the process
/// has one, at each scrape (a store that does not answer keeps the last
/// depth; readiness reports the store).
pub async fn metrics(
    State(registry): State<Arc<Registry>>,
    State(probe): State<super::health::Probe>,
) -> impl IntoResponse {
    if let Some(store) = probe.store() {
        if let Ok(Ok(depth)) =
            tokio::time::timeout(Duration::from_secs(2), store.dead_letter_count()).await
        {
            probe
                .stats
                .dead_letters_stored
                .store(depth, Ordering::Relaxed);
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::esi::{Esi, EsiError, EsiTelemetry};
    use battlescope_core::events::EntityName;
    use battlescope_core::Killmail;

    #[derive(Debug)]
    struct CountingEsi;

    #[async_trait::async_trait]
    impl Esi for CountingEsi {
        async fn killmail(&self, _: u64, _: &str) -> Result<Killmail, EsiError> {
            Err(EsiError::NotConfigured)
        }
        async fn names(&self, _: &[u64]) -> Result<Vec<EntityName>, EsiError> {
            Ok(Vec::new())
        }
        fn telemetry(&self) -> Option<EsiTelemetry> {
            Some(EsiTelemetry {
                requests: 7,
                retries: 3,
                errors: 2,
                cache_hits: 5,
                breaker_opened: 1,
                breaker_state: 1,
            })
        }
    }

    fn scrape(stats: Arc<PipelineStats>) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry(stats)).unwrap();
        text
    }

    #[test]
    fn esi_calls_errors_and_the_breaker_are_exported_once_enrich_has_a_client() {
        let stats = Arc::new(PipelineStats::default());
        assert!(
            !scrape(stats.clone()).contains("esi_"),
            "no client, no ESI series"
        );
        let _ = stats.esi.set(Arc::new(CountingEsi));
        let text = scrape(stats);
        for line in [
            "battlescope_esi_requests_total 7",
            "battlescope_esi_retries_total 3",
            "battlescope_esi_errors_total 2",
            "battlescope_esi_cache_hits_total 5",
            "battlescope_esi_breaker_opened_total 1",
            "battlescope_esi_breaker_state 1",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
    }

    #[test]
    fn latencies_and_lag_are_labelled_series() {
        let stats = Arc::new(PipelineStats::default());
        stats.processing.record("writer", Duration::from_millis(30));
        stats
            .processing
            .record("writer", Duration::from_millis(300));
        stats.store.record("write", Duration::from_millis(20));
        stats.record_lag(crate::ports::bus::ConsumerLag {
            topic: "battle.events".into(),
            group: "writer".into(),
            partitions: vec![(0, 4), (1, 0)],
        });
        let text = scrape(stats);
        for line in [
            "battlescope_processing_seconds_count{service=\"writer\"} 2",
            "battlescope_processing_seconds_bucket{le=\"0.05\",service=\"writer\"} 1",
            "battlescope_store_operation_seconds_count{operation=\"write\"} 1",
            "battlescope_consumer_lag{topic=\"battle.events\",group=\"writer\",partition=\"0\"} 4",
            "battlescope_consumer_lag{topic=\"battle.events\",group=\"writer\",partition=\"1\"} 0",
        ] {
            assert!(text.lines().any(|l| l == line), "{line} in\n{text}");
        }
    }
}
