//! Incremental clustering: one killmail at a time, emitting battle events.
//!
//! State per solar system: the live killmails, an index from participant to
//! its occurrences (sorted by time), and *components* — the connected
//! components of the link graph — each holding its *runs* (maximal groups
//! without a silence longer than `max_gap`). A run with at least `min_kills`
//! kills is a battle and carries an id.
//!
//! Adding a killmail only adds links and fills gaps, so components only
//! merge and runs only merge: a push takes the runs of the components the
//! killmail links to, adds the killmail as a run of its own, and coalesces
//! runs that are now within `max_gap` of each other. Comparing old and new
//! runs gives the events: a run that reaches `min_kills` is *created*; a run
//! holding old battles keeps the one with the earliest first kill, which is
//! *updated*, and the others are *deleted* into it.
//!
//! # Rules
//! - **Names**: a battle is always named by its earliest kill
//!   ([`battle_id`]), exactly as batch [`cluster`](super::cluster) names it.
//!   When an earlier kill joins, the update carries `previous_id` (stores
//!   redirect the old id, as for merges).
//! - **Copies**: a killmail id already live is a [`PushOutcome::Duplicate`],
//!   unless the new copy is preferred by
//!   [`Killmail::compare_copies`]; then it replaces the kept one
//!   ([`PushOutcome::Replaced`]) and the battles around it are rebuilt, so
//!   the result is a function of the set of records whatever their order.
//! - **Trusted time**: the caller may say what time it trusts
//!   ([`Clusterer::set_trusted_time`]; core reads no clock). A kill dated
//!   more than `max_future_skew` after it is refused
//!   ([`PushOutcome::FutureDated`]) and never moves the watermark.
//! - **Sealing**: memory is bounded by the watermark (newest kill −
//!   `allowed_lateness`). A component whose last kill is older than the
//!   *horizon* (watermark − `max(correlation_window, max_gap)`) can no
//!   longer be touched by a kill newer than the watermark: it is sealed and
//!   evicted, each of its battles with a [`BattleChange::Sealed`]. The ids
//!   (and content digests) of its kills are remembered while the horizon
//!   moves one more `allowed_lateness`, so a redelivered copy is still a
//!   [`PushOutcome::Duplicate`]; its time span is remembered until the
//!   horizon is one `allowed_lateness` past the span's end, so a late kill
//!   names the sealed battles around it. Then both are pruned: state stays
//!   bounded however long the feed runs.
//! - **Late kills**: a kill older than the horizon, or within reach of a
//!   sealed span, is [`PushOutcome::LateBeyondHorizon`]: the caller re-clusters
//!   its range from where the kills are stored with
//!   [`recluster`](super::recluster). A clusterer built with
//!   [`Clusterer::keep_sealed`] keeps sealed kills itself and re-clusters
//!   such a kill on the spot ([`PushOutcome::Reclustered`]).
//!
//! # When incremental equals batch
//! After any sequence of pushes, [`Clusterer::battles`] equals
//! [`cluster`](super::cluster) of the distinct kills pushed (same ids, same
//! members) when either no push was [`PushOutcome::LateBeyondHorizon`] or
//! [`PushOutcome::FutureDated`] — always the case with
//! [`Clusterer::keep_sealed`] and no trusted time — or the caller applied
//! [`recluster`](super::recluster) for every late kill. Every outcome is
//! counted ([`Clusterer::counts`]); none is silent.

mod algorithm;
mod outcome;
mod snapshot;
mod state;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use chrono::{DateTime, Utc};
use rustc_hash::{FxHashMap, FxHashSet};
use uuid::Uuid;

pub use outcome::{PushCounts, PushOutcome, Pushed};
pub use snapshot::{ClustererSnapshot, KeptSnapshot, SNAPSHOT_VERSION};
use state::{Kept, SystemState};

use super::event::time_of;
use super::{key_of, ClusterConfig, Key};
use crate::battle::Battle;
use crate::error::Error;
use crate::killmail::{EntityId, Killmail, SystemId};

/// Incremental clusterer (see the module docs).
#[derive(Debug, Clone)]
pub struct Clusterer {
    config: ClusterConfig,
    systems: FxHashMap<SystemId, SystemState>,
    /// Live killmail id → (system, node).
    live: FxHashMap<u64, (SystemId, u32)>,
    max_time: Option<i64>,
    trusted_time: Option<i64>,
    /// Components by last kill time, for eviction (lazy: stale entries skipped).
    expiry: BinaryHeap<Reverse<(i64, SystemId, u32, u64)>>,
    generation: u64,
    scratch: Vec<EntityId>,
    /// Open battle id → where it lives (system, component).
    battles: FxHashMap<Uuid, (SystemId, u32)>,
    /// Recently sealed killmail id → (horizon when sealed, content digest).
    sealed_ids: FxHashMap<u64, (i64, u64)>,
    /// (horizon when sealed, id) in sealing order, for pruning.
    sealed_queue: VecDeque<(i64, u64)>,
    /// Sealed history, kept only by a [`Clusterer::keep_sealed`] clusterer.
    kept: Option<FxHashMap<SystemId, Kept>>,
    /// Kept battles a re-cluster left as they were: sealed again silently.
    quiet_reseal: FxHashSet<Uuid>,
    /// Horizon at the last sweep of sealed spans.
    last_prune: Option<i64>,
    counts: PushCounts,
}

/// The part of [`Killmail::content_digest`] remembered for sealed kills.
fn digest64(km: &Killmail) -> u64 {
    (km.content_digest() >> 64) as u64
}

impl Clusterer {
    /// A clusterer with an empty state.
    ///
    /// # Errors
    /// [`Error::Config`] when `config` is invalid.
    pub fn new(config: ClusterConfig) -> Result<Self, Error> {
        config.validate()?;
        Ok(Self {
            config,
            systems: FxHashMap::default(),
            live: FxHashMap::default(),
            max_time: None,
            trusted_time: None,
            expiry: BinaryHeap::new(),
            generation: 0,
            scratch: Vec::new(),
            battles: FxHashMap::default(),
            sealed_ids: FxHashMap::default(),
            sealed_queue: VecDeque::new(),
            kept: None,
            quiet_reseal: FxHashSet::default(),
            last_prune: None,
            counts: PushCounts::default(),
        })
    }

    /// Keep sealed kills and battles in memory (`yes`), so late kills are
    /// re-clustered on the spot and [`Clusterer::battles`] lists every
    /// battle of the run. For notebooks and tools that hold a whole history
    /// anyway; a service keeps that history in its store instead. Call it
    /// before the first push.
    #[must_use]
    pub fn keep_sealed(mut self, yes: bool) -> Self {
        self.kept = yes.then(FxHashMap::default);
        self
    }

    /// The configuration in force.
    #[must_use]
    pub fn config(&self) -> &ClusterConfig {
        &self.config
    }

    /// Say what time the caller trusts (a clock, the time of the feed's
    /// last poll): kills dated more than `max_future_skew` after it are
    /// refused. Never goes backwards.
    pub fn set_trusted_time(&mut self, now: DateTime<Utc>) {
        let now = now.timestamp();
        self.trusted_time = Some(self.trusted_time.map_or(now, |t| t.max(now)));
    }

    /// Newest kill time seen minus the allowed lateness.
    #[must_use]
    pub fn watermark(&self) -> Option<DateTime<Utc>> {
        self.max_time
            .map(|t| time_of(t.saturating_sub(self.config.lateness_secs())))
    }

    /// Kills older than this are beyond the horizon (see the module docs).
    #[must_use]
    pub fn horizon(&self) -> Option<DateTime<Utc>> {
        self.horizon_secs().map(time_of)
    }

    fn horizon_secs(&self) -> Option<i64> {
        self.max_time.map(|t| {
            t.saturating_sub(self.config.lateness_secs())
                .saturating_sub(self.config.reach_secs())
        })
    }

    /// Number of live (not yet sealed) killmails.
    #[must_use]
    pub fn live_killmails(&self) -> usize {
        self.live.len()
    }

    /// Number of open (not yet sealed) battles.
    #[must_use]
    pub fn open_battle_count(&self) -> usize {
        self.battles.len()
    }

    /// How many pushes ended in each outcome so far.
    #[must_use]
    pub fn counts(&self) -> PushCounts {
        self.counts
    }

    /// Size of the remembered sealed state: (spans, killmail ids). Bounded
    /// by the horizon (see the module docs).
    #[must_use]
    pub fn sealed_state_size(&self) -> (usize, usize) {
        let spans = self.systems.values().map(|s| s.sealed.len()).sum();
        (spans, self.sealed_ids.len())
    }

    /// Cluster one more killmail.
    pub fn push(&mut self, km: Killmail) -> Pushed {
        let pushed = self.push_one(km);
        let c = &mut self.counts;
        match pushed.outcome {
            PushOutcome::Added => c.added += 1,
            PushOutcome::Duplicate => c.duplicates += 1,
            PushOutcome::Replaced => c.replaced += 1,
            PushOutcome::LateBeyondHorizon { .. } => c.late_beyond_horizon += 1,
            PushOutcome::Reclustered => c.reclustered += 1,
            PushOutcome::FutureDated { .. } => c.future_dated += 1,
        }
        pushed
    }

    /// Push many killmails, one [`Pushed`] each.
    pub fn push_many(&mut self, kms: impl IntoIterator<Item = Killmail>) -> Vec<Pushed> {
        kms.into_iter().map(|km| self.push(km)).collect()
    }

    /// Every battle of the run, sorted by first kill: the open ones, and
    /// the sealed ones a [`Clusterer::keep_sealed`] clusterer kept. (Without
    /// `keep_sealed`, sealed battles left with [`Pushed::sealed`].)
    #[must_use]
    pub fn battles(&self) -> Vec<Battle> {
        let mut out: Vec<(Key, Battle)> = self.open_battles_keyed();
        for kept in self.kept.iter().flat_map(FxHashMap::values) {
            for (first, (id, keys)) in &kept.battles {
                let kills: Vec<&Killmail> = keys.iter().map(|k| &kept.kills[&k.1]).collect();
                out.push((*first, Battle::from_sorted_kills(*id, &kills)));
            }
        }
        out.sort_by_key(|(k, _)| *k);
        out.into_iter().map(|(_, b)| b).collect()
    }

    /// The open (not yet sealed) battles, sorted by first kill.
    #[must_use]
    pub fn open_battles(&self) -> Vec<Battle> {
        let mut out = self.open_battles_keyed();
        out.sort_by_key(|(k, _)| *k);
        out.into_iter().map(|(_, b)| b).collect()
    }

    fn open_battles_keyed(&self) -> Vec<(Key, Battle)> {
        let mut out: Vec<(Key, Battle)> = Vec::new();
        for state in self.systems.values() {
            for comp in state.comps.iter().flatten() {
                for run in &comp.runs {
                    if let Some(id) = run.battle {
                        let kills: Vec<&Killmail> =
                            run.nodes.iter().map(|n| &state.node(n.1).km).collect();
                        out.push((run.first(), Battle::from_sorted_kills(id, &kills)));
                    }
                }
            }
        }
        out
    }

    /// The current document of one open (or kept sealed) battle.
    #[must_use]
    pub fn battle(&self, id: Uuid) -> Option<Battle> {
        if let Some(&(system_id, comp)) = self.battles.get(&id) {
            let state = self.systems.get(&system_id)?;
            let run = state
                .comps
                .get(comp as usize)?
                .as_ref()?
                .runs
                .iter()
                .find(|r| r.battle == Some(id))?;
            let kills: Vec<&Killmail> = run.nodes.iter().map(|n| &state.node(n.1).km).collect();
            return Some(Battle::from_sorted_kills(id, &kills));
        }
        self.kept.iter().flatten().find_map(|(_, kept)| {
            let (_, keys) = kept.battles.values().find(|(b, _)| *b == id)?;
            let kills: Vec<&Killmail> = keys.iter().map(|k| &kept.kills[&k.1]).collect();
            Some(Battle::from_sorted_kills(id, &kills))
        })
    }

    /// A live killmail by id (sealed ones are gone unless kept).
    #[must_use]
    pub fn killmail(&self, id: u64) -> Option<&Killmail> {
        if let Some(&(system_id, node)) = self.live.get(&id) {
            return Some(&self.systems.get(&system_id)?.node(node).km);
        }
        self.kept
            .iter()
            .flatten()
            .find_map(|(_, kept)| kept.kills.get(&id))
    }

    /// The battle a killmail belongs to, if it is in an open (or kept
    /// sealed) battle.
    #[must_use]
    pub fn battle_of(&self, killmail_id: u64) -> Option<Uuid> {
        if let Some(&(system_id, node)) = self.live.get(&killmail_id) {
            let state = self.systems.get(&system_id)?;
            let n = state.node(node);
            return state
                .comp(n.comp)
                .runs
                .iter()
                .find(|r| r.nodes.binary_search(&(n.key, node)).is_ok())
                .and_then(|r| r.battle);
        }
        let kept = self.kept.as_ref()?;
        let km = kept.values().find_map(|k| k.kills.get(&killmail_id))?;
        let k = &kept[&km.solar_system_id];
        let key = key_of(km);
        let (_, (id, keys)) = k.battles.range(..=key).next_back()?;
        keys.binary_search(&key).is_ok().then_some(*id)
    }
}
