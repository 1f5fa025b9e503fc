//! Clustering killmails into battles (DESIGN.md "Clustering").
//!
//! Two killmails are *linked* when they are in the same solar system, at
//! most `correlation_window` apart, and share at least `min_shared`
//! participants. Linked killmails form connected components; a component,
//! sorted by time, is split wherever it falls silent for longer than
//! `max_gap`; groups of fewer than `min_kills` kills are not battles.
//!
//! The partition is a pure function of the *set* of killmails: [`cluster`]
//! computes it in one batch, [`Clusterer`] maintains it one killmail at a
//! time and emits [`BattleChange`]s; both end with the same battles (ids and
//! members) for every arrival order (property-tested; the exact conditions
//! are in the [`Clusterer`] docs). [`recluster`] turns stored battles into
//! the batch result of their kills, for kills that arrive too late.

mod batch;
mod coalesce;
mod config;
mod event;
mod ids;
mod incremental;
mod participants;
mod reach;
mod reconcile;

pub use batch::{cluster, partition, Group};
pub use coalesce::{Coalesced, Coalescer};
pub use config::{parse_duration, ClusterConfig, CorrelateBy};
pub use event::{
    BattleChange, BattleCreated, BattleDeleted, BattleSealed, BattleUpdated, UpdateReason,
};
pub use ids::{battle_id, BATTLE_NAMESPACE};
pub use incremental::{
    Clusterer, ClustererSnapshot, KeptSnapshot, PushCounts, PushOutcome, Pushed, SNAPSHOT_VERSION,
};
pub use reach::Reach;
pub use reconcile::{recluster, Reclustered, StoredBattle};

/// Total order of killmails: time (seconds), then killmail id.
pub(crate) type Key = (i64, u64);

pub(crate) fn key_of(km: &crate::Killmail) -> Key {
    (km.killmail_time.timestamp(), km.killmail_id)
}
