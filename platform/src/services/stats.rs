//! Counters every service updates, read by the progress line and the API.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

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

    /// Read a counter.
    #[must_use]
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}
