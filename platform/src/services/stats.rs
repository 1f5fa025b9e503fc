//! Counters every service updates, read by the progress line and the API.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use hdrhistogram::Histogram;

/// Pipeline counters (monotonic).
#[derive(Debug, Default)]
pub struct PipelineStats {
    /// Records the source gave.
    pub records: AtomicU64,
    /// Killmails published to `killmail.ingested`.
    pub ingested: AtomicU64,
    /// Killmails the ruleset rejected.
    pub rejected: AtomicU64,
    /// Killmails already ingested (dropped by dedupe).
    pub duplicates: AtomicU64,
    /// References published without the ruleset (it needs the body).
    pub unfiltered_references: AtomicU64,
    /// Killmails published to `killmail.enriched`.
    pub enriched: AtomicU64,
    /// Killmails the clusterer took in.
    pub clustered: AtomicU64,
    /// Killmails the clusterer had live already.
    pub cluster_duplicates: AtomicU64,
    /// Killmails beyond the clusterer's horizon (or future-dated).
    pub late: AtomicU64,
    /// Late killmails re-clustered from the store.
    pub reclustered: AtomicU64,
    /// Battles sealed (final).
    pub sealed: AtomicU64,
    /// Battle events published.
    pub battle_events: AtomicU64,
    /// Messages the writer stored.
    pub written: AtomicU64,
    /// Documents the indexer sent to search.
    pub indexed: AtomicU64,
    /// Records and messages sent to the dead-letter queue.
    pub dead_letters: AtomicU64,
    /// Operations now retrying a failing backend (bus, store, search):
    /// while above zero the process is not ready.
    pub failing: AtomicU64,
    /// Kill → battle latency, per kill.
    pub kill_to_battle: Latency,
    /// Time from a poll's return to its commit, per batch, by service.
    pub processing: Latencies,
    /// Store operations, by operation (`write`, `checkpoint`, `dedupe`).
    pub store: Latencies,
    /// Messages read, by topic.
    pub consumed: Counts,
    /// How far each consumer is behind, by (topic, group): partition → lag.
    pub lag: Mutex<LagByConsumer>,
    /// Dead letters in the store, as of the last scrape of `/metrics`.
    pub dead_letters_stored: AtomicU64,
    /// The ESI client of the process, once enrich runs with one.
    pub esi: std::sync::OnceLock<std::sync::Arc<dyn crate::ports::Esi>>,
}

/// (topic, group) → (partition, lag) sorted by partition.
pub type LagByConsumer = BTreeMap<(String, String), Vec<(u32, u64)>>;

/// Counters by label, created on first use.
#[derive(Debug, Default)]
pub struct Counts(Mutex<BTreeMap<String, u64>>);

impl Counts {
    pub fn add(&self, label: &str, n: usize) {
        if let Ok(mut m) = self.0.lock() {
            *m.entry(label.to_owned()).or_default() += n as u64;
        }
    }

    /// Every label and its count.
    #[must_use]
    pub fn snapshot(&self) -> Vec<(String, u64)> {
        self.0
            .lock()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), *v)).collect())
            .unwrap_or_default()
    }
}

/// Latency distributions by label, created on first use.
#[derive(Debug, Default)]
pub struct Latencies(Mutex<BTreeMap<&'static str, std::sync::Arc<Latency>>>);

impl Latencies {
    /// Record one value under `label`.
    pub fn record(&self, label: &'static str, took: Duration) {
        let latency = match self.0.lock() {
            Ok(mut m) => m.entry(label).or_default().clone(),
            Err(_) => return,
        };
        latency.record(i64::try_from(took.as_millis()).unwrap_or(i64::MAX), 1);
    }

    /// Every label and its distribution.
    #[must_use]
    pub fn snapshot(&self) -> Vec<(&'static str, std::sync::Arc<Latency>)> {
        self.0
            .lock()
            .map(|m| m.iter().map(|(k, v)| (*k, v.clone())).collect())
            .unwrap_or_default()
    }
}

/// A latency distribution in milliseconds (1 ms to 1 h, 3 significant
/// digits), recorded by many tasks.
#[derive(Debug)]
pub struct Latency(Mutex<Histogram<u64>>);

impl Default for Latency {
    fn default() -> Self {
        Self(Mutex::new(
            Histogram::new_with_bounds(1, 3_600_000, 3).expect("valid histogram bounds"),
        ))
    }
}

/// Percentiles of a [`Latency`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LatencySummary {
    /// Values recorded.
    pub count: u64,
    pub p50_ms: u64,
    pub p99_ms: u64,
    pub max_ms: u64,
}

impl Latency {
    /// Record `count` values of `ms` (negative as 0, above an hour as an hour).
    pub fn record(&self, ms: i64, count: u64) {
        if count == 0 {
            return;
        }
        let ms = u64::try_from(ms).unwrap_or(0).min(3_600_000);
        if let Ok(mut h) = self.0.lock() {
            let _ = h.record_n(ms, count);
        }
    }

    /// For a histogram with `bounds` (seconds, ascending): the sum of the
    /// values in seconds, their count, and per bucket its upper bound and
    /// the values in it (not cumulative), the last bucket unbounded.
    #[must_use]
    pub fn buckets(&self, bounds: &[f64]) -> (f64, u64, Vec<(f64, u64)>) {
        let Ok(h) = self.0.lock() else {
            return (0.0, 0, Vec::new());
        };
        let mut out = Vec::with_capacity(bounds.len() + 1);
        let mut below = 0;
        for &bound in bounds {
            // Milliseconds; the histogram's bounds are whole milliseconds.
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let ms = (bound * 1_000.0) as u64;
            let upto = h.count_between(0, ms);
            out.push((bound, upto.saturating_sub(below)));
            below = upto;
        }
        out.push((f64::INFINITY, h.len().saturating_sub(below)));
        #[allow(clippy::cast_precision_loss)]
        let sum = h.mean() * h.len() as f64 / 1_000.0;
        (sum, h.len(), out)
    }

    /// The percentiles so far; `None` before the first value.
    #[must_use]
    pub fn summary(&self) -> Option<LatencySummary> {
        let h = self.0.lock().ok()?;
        (!h.is_empty()).then(|| LatencySummary {
            count: h.len(),
            p50_ms: h.value_at_quantile(0.5),
            p99_ms: h.value_at_quantile(0.99),
            max_ms: h.max(),
        })
    }
}

/// Marks one operation as failing from [`Failing::set`] until dropped
/// (when it finally succeeded).
pub(crate) struct Failing<'a> {
    stats: &'a PipelineStats,
    set: bool,
}

impl<'a> Failing<'a> {
    pub(crate) fn new(stats: &'a PipelineStats) -> Self {
        Self { stats, set: false }
    }

    pub(crate) fn set(&mut self) {
        if !self.set {
            self.set = true;
            self.stats.failing.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Drop for Failing<'_> {
    fn drop(&mut self) {
        if self.set {
            self.stats.failing.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl PipelineStats {
    pub(crate) fn add(counter: &AtomicU64, n: usize) {
        counter.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// Keep a consumer's latest lag.
    pub(crate) fn record_lag(&self, lag: crate::ports::bus::ConsumerLag) {
        if let Ok(mut m) = self.lag.lock() {
            m.insert((lag.topic, lag.group), lag.partitions);
        }
    }

    /// Read a counter.
    #[must_use]
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}
