//! Counters every service updates, read by the progress line and the API.

use std::sync::atomic::{AtomicU64, Ordering};

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
