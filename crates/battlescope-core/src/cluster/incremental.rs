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
//!   evicted, each of its battles with a [`BattleEvent::Sealed`]. The ids
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

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, VecDeque};

use chrono::{DateTime, Utc};
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::event::{
    time_of, BattleCreated, BattleDeleted, BattleEvent, BattleSealed, BattleUpdated, UpdateReason,
};
use super::participants::participants;
use super::reconcile::{reconcile, OldBattle};
use super::{battle_id, key_of, ClusterConfig, Key};
use crate::battle::Battle;
use crate::error::Error;
use crate::killmail::{EntityId, Killmail, SystemId};

/// How a push went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum PushOutcome {
    /// Clustered (events may or may not follow).
    Added,
    /// The same killmail is live or was sealed recently, and this copy is
    /// not preferred over it: nothing changed.
    Duplicate,
    /// A better copy of a live killmail replaced the kept one; the battles
    /// around it were rebuilt (events say how).
    Replaced,
    /// Older than the horizon or within reach of sealed state: not
    /// clustered here. Re-cluster its range with
    /// [`recluster`](super::recluster) from the store (`battles` lists the
    /// sealed battles known around it; empty when none are remembered).
    LateBeyondHorizon { battles: Vec<Uuid> },
    /// Late beyond the horizon, and re-clustered on the spot with the
    /// sealed history a [`Clusterer::keep_sealed`] clusterer keeps.
    Reclustered,
    /// Dated more than `max_future_skew` after the trusted time: refused.
    FutureDated { trusted_time: DateTime<Utc> },
}

impl PushOutcome {
    /// The outcome's name, the same in every binding: `added`, `duplicate`,
    /// `replaced`, `late_beyond_horizon`, `reclustered`, `future_dated`.
    #[must_use]
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Added => "added",
            Self::Duplicate => "duplicate",
            Self::Replaced => "replaced",
            Self::LateBeyondHorizon { .. } => "late_beyond_horizon",
            Self::Reclustered => "reclustered",
            Self::FutureDated { .. } => "future_dated",
        }
    }

    /// True when the killmail was not clustered and the caller must act
    /// (re-cluster its range, or check the clock that dated it).
    #[must_use]
    pub fn needs_attention(&self) -> bool {
        matches!(
            self,
            Self::LateBeyondHorizon { .. } | Self::FutureDated { .. }
        )
    }
}

/// Result of [`Clusterer::push`].
#[derive(Debug, Clone, PartialEq)]
pub struct Pushed {
    pub outcome: PushOutcome,
    /// Events in the order to apply them (sealing events last).
    pub events: Vec<BattleEvent>,
    /// Documents of the battles sealed by this push (final from now on,
    /// short of a re-cluster).
    pub sealed: Vec<Battle>,
}

impl Pushed {
    fn outcome(outcome: PushOutcome) -> Self {
        Self {
            outcome,
            events: Vec::new(),
            sealed: Vec::new(),
        }
    }
}

/// How many pushes ended in each outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushCounts {
    pub added: u64,
    pub duplicates: u64,
    pub replaced: u64,
    pub late_beyond_horizon: u64,
    pub reclustered: u64,
    pub future_dated: u64,
}

/// Version of [`ClustererSnapshot`]; bumped on incompatible changes.
pub const SNAPSHOT_VERSION: u32 = 2;

/// The whole state of a [`Clusterer`], to persist and rebuild it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClustererSnapshot {
    pub version: u32,
    pub config: ClusterConfig,
    /// Newest kill time seen (seconds since the epoch).
    pub max_time: Option<i64>,
    /// The trusted time (seconds since the epoch), when given.
    #[serde(default)]
    pub trusted_time: Option<i64>,
    /// Live killmails.
    pub killmails: Vec<Killmail>,
    /// Components: per component, its runs as (battle id if a battle, member ids).
    pub components: Vec<Vec<(Option<Uuid>, Vec<u64>)>>,
    /// Sealed spans per system: (from, to, battles), seconds since the epoch.
    pub sealed: Vec<(SystemId, i64, i64, Vec<Uuid>)>,
    /// Recently sealed killmails: (id, horizon when sealed, content digest),
    /// in sealing order.
    #[serde(default)]
    pub sealed_ids: Vec<(u64, i64, u64)>,
    /// Sealed killmails and battles, when the clusterer keeps them.
    #[serde(default)]
    pub kept: Option<KeptSnapshot>,
    #[serde(default)]
    pub counts: PushCounts,
}

/// The sealed history of a [`Clusterer::keep_sealed`] clusterer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeptSnapshot {
    pub killmails: Vec<Killmail>,
    /// Sealed battles: (id, member ids).
    pub battles: Vec<(Uuid, Vec<u64>)>,
}

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

/// Sealed kills and battles of one system.
#[derive(Debug, Clone, Default)]
struct Kept {
    kills: FxHashMap<u64, Killmail>,
    battles: BTreeMap<Key, (Uuid, Vec<Key>)>,
}

#[derive(Debug, Clone, Default)]
struct SystemState {
    nodes: Vec<Option<Node>>,
    free_nodes: Vec<u32>,
    comps: Vec<Option<Component>>,
    free_comps: Vec<u32>,
    /// Participant → its live occurrences, sorted by key.
    index: FxHashMap<EntityId, Vec<(Key, u32)>>,
    /// All live kills by key (kept only when `min_shared == 0`).
    by_time: BTreeSet<(Key, u32)>,
    /// Sealed spans: from → (to, battles), coalesced, pruned past the horizon.
    sealed: BTreeMap<i64, (i64, Vec<Uuid>)>,
}

#[derive(Debug, Clone)]
struct Node {
    km: Killmail,
    key: Key,
    comp: u32,
    participants: Vec<EntityId>,
}

#[derive(Debug, Clone, Default)]
struct Component {
    runs: Vec<Run>,
    size: usize,
    generation: u64,
}

#[derive(Debug, Clone)]
struct Run {
    /// Members sorted by key.
    nodes: Vec<(Key, u32)>,
    battle: Option<Uuid>,
}

impl Run {
    fn first(&self) -> Key {
        self.nodes[0].0
    }
    fn last(&self) -> Key {
        self.nodes[self.nodes.len() - 1].0
    }
    fn keys(&self) -> Vec<Key> {
        self.nodes.iter().map(|n| n.0).collect()
    }
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

    fn push_one(&mut self, km: Killmail) -> Pushed {
        let key = key_of(&km);
        if let Some(trusted) = self.trusted_time {
            if key.0 > trusted.saturating_add(self.config.skew_secs()) {
                return Pushed::outcome(PushOutcome::FutureDated {
                    trusted_time: time_of(trusted),
                });
            }
        }
        if let Some(&(system_id, node)) = self.live.get(&km.killmail_id) {
            if !km.is_preferred_over(&self.systems[&system_id].node(node).km) {
                return Pushed::outcome(PushOutcome::Duplicate);
            }
            let events = self.replace(km);
            return self.advance(key.0, PushOutcome::Replaced, events);
        }
        let sealed_copy = self.sealed_ids.get(&km.killmail_id).copied();
        if sealed_copy.is_some_and(|(_, digest)| digest == digest64(&km)) {
            return Pushed::outcome(PushOutcome::Duplicate);
        }
        let spans = self
            .systems
            .get(&km.solar_system_id)
            .and_then(|s| s.sealed_span_at(key.0));
        let beyond = sealed_copy.is_some()
            || spans.is_some()
            || self.horizon_secs().is_some_and(|h| key.0 < h);
        if beyond {
            if self.kept.is_some() {
                let events = self.recluster_with_history(km);
                return self.advance(key.0, PushOutcome::Reclustered, events);
            }
            return Pushed::outcome(PushOutcome::LateBeyondHorizon {
                battles: spans.unwrap_or_default(),
            });
        }
        let late = self
            .max_time
            .is_some_and(|m| key.0 < m.saturating_sub(self.config.lateness_secs()));
        let events = self.insert(km, key, late);
        self.advance(key.0, PushOutcome::Added, events)
    }

    /// Move the watermark to `time` (if newer) and seal what falls behind.
    fn advance(&mut self, time: i64, outcome: PushOutcome, mut events: Vec<BattleEvent>) -> Pushed {
        self.max_time = Some(self.max_time.map_or(time, |m| m.max(time)));
        let sealed = self.evict(&mut events);
        Pushed {
            outcome,
            events,
            sealed,
        }
    }

    fn insert(&mut self, km: Killmail, key: Key, late: bool) -> Vec<BattleEvent> {
        let config = &self.config;
        let window = config.window_secs();
        let gap = config.gap_secs();
        let min_kills = config.min_kills as usize;
        let system_id = km.solar_system_id;
        participants(&km, config.correlate_by, &mut self.scratch);
        let parts = std::mem::take(&mut self.scratch);
        let state = self.systems.entry(system_id).or_default();

        // 1. Components the new kill links to.
        let linked = state.linked_components(key, &parts, config.min_shared, window);

        // 2. Insert the node in a fresh component, then merge.
        let node_id = state.alloc_node(Node {
            km,
            key,
            comp: u32::MAX,
            participants: parts.clone(),
        });
        for &p in &parts {
            let occ = state.index.entry(p).or_default();
            let at = occ.partition_point(|o| o.0 < key);
            occ.insert(at, (key, node_id));
        }
        if config.min_shared == 0 {
            state.by_time.insert((key, node_id));
        }
        self.scratch = parts;

        let mut runs: Vec<Run> = Vec::new();
        let mut comp_ids = linked;
        // Keep the biggest component; move the others' members into it.
        comp_ids.sort_by_key(|&c| Reverse(state.comp(c).size));
        let target = match comp_ids.first() {
            Some(&c) => c,
            None => state.alloc_comp(),
        };
        for &c in &comp_ids {
            let comp = state.comps[c as usize]
                .take()
                .expect("linked components are live");
            if c != target {
                for run in &comp.runs {
                    for &(_, n) in &run.nodes {
                        state.node_mut(n).comp = target;
                    }
                }
                state.free_comps.push(c);
            }
            runs.extend(comp.runs);
        }
        state.node_mut(node_id).comp = target;
        for id in runs.iter().filter_map(|r| r.battle) {
            self.battles.remove(&id);
        }

        // 3. Coalesce runs (old ones are disjoint; the new kill may bridge them).
        runs.push(Run {
            nodes: vec![(key, node_id)],
            battle: None,
        });
        runs.sort_by_key(Run::first);
        let mut merged: Vec<Vec<Run>> = Vec::new();
        let mut reach_end: i64 = i64::MIN;
        for run in runs {
            let start = run.first().0;
            let end = run.last().0;
            match merged.last_mut() {
                Some(group) if start - reach_end <= gap => group.push(run),
                _ => merged.push(vec![run]),
            }
            reach_end = reach_end.max(end);
        }

        // 4. Events, and the new runs.
        let mut events = Vec::new();
        let mut new_runs = Vec::with_capacity(merged.len());
        let mut size = 0;
        let mut last_time = i64::MIN;
        for group in merged {
            let has_new = group.iter().any(|r| r.nodes.iter().any(|n| n.1 == node_id));
            let run = if group.len() == 1 && !has_new {
                group.into_iter().next().expect("one run")
            } else {
                let change = Change {
                    new_key: key,
                    has_new,
                    late,
                    system_id,
                    min_kills,
                };
                merge_runs(group, &change, state, &mut events)
            };
            size += run.nodes.len();
            last_time = last_time.max(run.last().0);
            new_runs.push(run);
        }
        for id in new_runs.iter().filter_map(|r| r.battle) {
            self.battles.insert(id, (system_id, target));
        }
        self.generation += 1;
        state.comps[target as usize] = Some(Component {
            runs: new_runs,
            size,
            generation: self.generation,
        });
        self.live
            .insert(state.node(node_id).km.killmail_id, (system_id, node_id));
        self.expiry
            .push(Reverse((last_time, system_id, target, self.generation)));
        events
    }

    /// Take a component out of the state: its killmails and its battles.
    fn remove_component(
        &mut self,
        system_id: SystemId,
        comp_id: u32,
    ) -> (Vec<Killmail>, Vec<OldBattle>) {
        let state = self.systems.get_mut(&system_id).expect("known system");
        let comp = state.comps[comp_id as usize]
            .take()
            .expect("live component");
        state.free_comps.push(comp_id);
        let mut kills = Vec::with_capacity(comp.size);
        let mut old = Vec::new();
        for run in comp.runs {
            if let Some(id) = run.battle {
                self.battles.remove(&id);
                old.push(OldBattle::from_keys(id, &run.keys()));
            }
            for (_, n) in run.nodes {
                let node = state.remove_node(n);
                self.live.remove(&node.km.killmail_id);
                kills.push(node.km);
            }
        }
        (kills, old)
    }

    /// Re-insert `kills` (after their components were removed) and return
    /// the events that turn `old` into the battles they now form.
    fn rebuild(
        &mut self,
        system_id: SystemId,
        mut kills: Vec<Killmail>,
        old: Vec<OldBattle>,
        reason: UpdateReason,
    ) -> Vec<BattleEvent> {
        kills.sort_by_key(key_of);
        let ids: Vec<u64> = kills.iter().map(|k| k.killmail_id).collect();
        for km in kills {
            let key = key_of(&km);
            let _ = self.insert(km, key, false);
        }
        let state = &self.systems[&system_id];
        let mut comps: Vec<u32> = ids
            .iter()
            .filter_map(|id| self.live.get(id))
            .map(|&(_, n)| state.node(n).comp)
            .collect();
        comps.sort_unstable();
        comps.dedup();
        let mut runs: Vec<Vec<Key>> = comps
            .iter()
            .flat_map(|&c| state.comp(c).runs.iter())
            .filter(|r| r.battle.is_some())
            .map(Run::keys)
            .collect();
        runs.sort_unstable();
        reconcile(system_id, old, &runs, reason)
    }

    /// A better copy of a live killmail: rebuild its component and the
    /// components the new copy links to.
    fn replace(&mut self, km: Killmail) -> Vec<BattleEvent> {
        let (old_system, node) = self.live[&km.killmail_id];
        let old_comp = self.systems[&old_system].node(node).comp;
        let mut comps = vec![(old_system, old_comp)];
        if let Some(state) = self.systems.get(&km.solar_system_id) {
            let mut parts = Vec::new();
            participants(&km, self.config.correlate_by, &mut parts);
            let linked = state.linked_components(
                key_of(&km),
                &parts,
                self.config.min_shared,
                self.config.window_secs(),
            );
            comps.extend(linked.into_iter().map(|c| (km.solar_system_id, c)));
        }
        comps.sort_unstable();
        comps.dedup();
        let mut kills = Vec::new();
        let mut old = Vec::new();
        for (system_id, c) in comps {
            let (k, o) = self.remove_component(system_id, c);
            kills.extend(k);
            old.extend(o.into_iter().map(|o| (system_id, o)));
        }
        let id = km.killmail_id;
        kills.retain(|k| k.killmail_id != id);
        kills.push(km);
        let mut events = self.rebuild_systems(kills, old, UpdateReason::Replaced);
        // Same members, but the document changed (the better copy's
        // values, maybe its time): consumers must hear of it.
        let unannounced = self
            .battle_of(id)
            .filter(|b| !events.iter().any(|e| e.battle_id() == *b));
        if let Some(battle) = unannounced.and_then(|b| self.battle(b)) {
            events.push(BattleEvent::Updated(BattleUpdated {
                battle_id: battle.id,
                previous_id: None,
                system_id: battle.system_id,
                added_killmail_ids: Vec::new(),
                removed_killmail_ids: Vec::new(),
                start_time: time_of(battle.start_time.timestamp()),
                end_time: time_of(battle.end_time.timestamp()),
                reason: UpdateReason::Replaced,
                absorbed: Vec::new(),
            }));
        }
        events
    }

    /// [`Clusterer::rebuild`] for kills and old battles of any systems.
    fn rebuild_systems(
        &mut self,
        kills: Vec<Killmail>,
        old: Vec<(SystemId, OldBattle)>,
        reason: UpdateReason,
    ) -> Vec<BattleEvent> {
        let mut by_system: BTreeMap<SystemId, (Vec<Killmail>, Vec<OldBattle>)> = BTreeMap::new();
        for km in kills {
            by_system.entry(km.solar_system_id).or_default().0.push(km);
        }
        for (system_id, o) in old {
            by_system.entry(system_id).or_default().1.push(o);
        }
        let mut events = Vec::new();
        for (system_id, (kills, old)) in by_system {
            events.extend(self.rebuild(system_id, kills, old, reason));
        }
        events
    }

    /// A late kill with the sealed history kept: rebuild its whole system
    /// (live and sealed) with it, then seal again what falls behind.
    fn recluster_with_history(&mut self, km: Killmail) -> Vec<BattleEvent> {
        let system_id = km.solar_system_id;
        let kept = self
            .kept
            .as_mut()
            .and_then(|k| k.remove(&system_id))
            .unwrap_or_default();
        let mut old: Vec<OldBattle> = kept
            .battles
            .values()
            .map(|(id, keys)| OldBattle::from_keys(*id, keys))
            .collect();
        let was_sealed: FxHashSet<Uuid> = old.iter().map(|o| o.id).collect();
        let mut kills: FxHashMap<u64, Killmail> = kept.kills;
        for id in kills.keys() {
            self.sealed_ids.remove(id);
        }
        let comps: Vec<u32> = self
            .systems
            .get(&system_id)
            .map(|s| {
                s.comps
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.is_some())
                    .map(|(i, _)| u32::try_from(i).expect("u32 components"))
                    .collect()
            })
            .unwrap_or_default();
        for c in comps {
            let (k, o) = self.remove_component(system_id, c);
            kills.extend(k.into_iter().map(|k| (k.killmail_id, k)));
            old.extend(o);
        }
        if let Some(state) = self.systems.get_mut(&system_id) {
            state.sealed.clear();
        }
        match kills.get(&km.killmail_id) {
            Some(kept) if !km.is_preferred_over(kept) => {}
            _ => {
                kills.insert(km.killmail_id, km);
            }
        }
        let events = self.rebuild(
            system_id,
            kills.into_values().collect(),
            old,
            UpdateReason::Reclustered,
        );
        // Battles sealed before and untouched now are sealed again by the
        // next eviction: say nothing about them.
        let touched: FxHashSet<Uuid> = events.iter().map(BattleEvent::battle_id).collect();
        self.quiet_reseal = was_sealed.difference(&touched).copied().collect();
        events
    }

    /// Seal and evict components beyond the horizon; prune remembered
    /// sealed state the horizon has passed.
    fn evict(&mut self, events: &mut Vec<BattleEvent>) -> Vec<Battle> {
        let Some(horizon) = self.horizon_secs() else {
            return Vec::new();
        };
        let reach = self.config.reach_secs();
        let mut sealed = Vec::new();
        while let Some(Reverse((last, system_id, comp_id, generation))) =
            self.expiry.peek().copied()
        {
            if last >= horizon {
                break;
            }
            self.expiry.pop();
            let Some(state) = self.systems.get_mut(&system_id) else {
                continue;
            };
            let current = state
                .comps
                .get(comp_id as usize)
                .and_then(Option::as_ref)
                .is_some_and(|c| c.generation == generation);
            if !current {
                continue;
            }
            let comp = state.comps[comp_id as usize]
                .take()
                .expect("checked current");
            state.free_comps.push(comp_id);
            for run in comp.runs {
                if let Some(id) = run.battle {
                    self.battles.remove(&id);
                    if !self.quiet_reseal.remove(&id) {
                        let kills: Vec<&Killmail> =
                            run.nodes.iter().map(|n| &state.node(n.1).km).collect();
                        events.push(BattleEvent::Sealed(BattleSealed {
                            battle_id: id,
                            system_id,
                            killmail_count: kills.len(),
                            end_time: time_of(run.last().0),
                        }));
                        sealed.push(Battle::from_sorted_kills(id, &kills));
                    }
                }
                state.seal_span(run.first().0 - reach, run.last().0 + reach, run.battle);
                let keys = run.keys();
                for (_, n) in run.nodes {
                    let node = state.remove_node(n);
                    let id = node.km.killmail_id;
                    self.live.remove(&id);
                    self.sealed_ids.insert(id, (horizon, digest64(&node.km)));
                    self.sealed_queue.push_back((horizon, id));
                    if let Some(k) = self.kept.as_mut() {
                        k.entry(system_id).or_default().kills.insert(id, node.km);
                    }
                }
                if let (Some(k), Some(id)) = (self.kept.as_mut(), run.battle) {
                    k.entry(system_id)
                        .or_default()
                        .battles
                        .insert(keys[0], (id, keys));
                }
            }
        }
        // Only the eviction right after a re-cluster may be quiet.
        self.quiet_reseal.clear();
        self.prune(horizon);
        sealed
    }

    /// Forget sealed spans and sealed ids one `allowed_lateness` behind the
    /// horizon: kills older than the horizon are late whatever the spans
    /// say, and the spans only name the battles around them.
    fn prune(&mut self, horizon: i64) {
        // Spans: a sweep of every system at most once per `reach` of
        // feed time, so a push does not pay for thousands of systems.
        if self
            .last_prune
            .is_some_and(|p| horizon - p < self.config.reach_secs())
        {
            return self.prune_ids(horizon);
        }
        self.last_prune = Some(horizon);
        let line = horizon.saturating_sub(self.config.lateness_secs());
        for state in self.systems.values_mut() {
            while let Some(entry) = state.sealed.first_entry() {
                if entry.get().0 >= line {
                    break;
                }
                entry.remove();
            }
        }
        self.systems.retain(|_, s| !s.is_empty());
        self.prune_ids(horizon);
    }

    fn prune_ids(&mut self, horizon: i64) {
        let line = horizon.saturating_sub(self.config.lateness_secs());
        while let Some(&(time, id)) = self.sealed_queue.front() {
            if time >= line {
                break;
            }
            self.sealed_queue.pop_front();
            if self.sealed_ids.get(&id).is_some_and(|&(t, _)| t == time) {
                self.sealed_ids.remove(&id);
            }
        }
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

    /// The whole state, to persist.
    #[must_use]
    pub fn snapshot(&self) -> ClustererSnapshot {
        let mut systems: Vec<&SystemId> = self.systems.keys().collect();
        systems.sort_unstable();
        let mut killmails = Vec::new();
        let mut components = Vec::new();
        let mut sealed = Vec::new();
        for system_id in systems {
            let state = &self.systems[system_id];
            let mut comps: Vec<&Component> = state.comps.iter().flatten().collect();
            comps.sort_by_key(|c| c.runs[0].first());
            for comp in comps {
                let mut runs = Vec::new();
                for run in &comp.runs {
                    let ids = run.nodes.iter().map(|n| n.0 .1).collect();
                    killmails.extend(run.nodes.iter().map(|n| state.node(n.1).km.clone()));
                    runs.push((run.battle, ids));
                }
                components.push(runs);
            }
            for (&from, (to, battles)) in &state.sealed {
                sealed.push((*system_id, from, *to, battles.clone()));
            }
        }
        let sealed_ids = self
            .sealed_queue
            .iter()
            .filter_map(|&(time, id)| {
                let &(t, digest) = self.sealed_ids.get(&id)?;
                (t == time).then_some((id, time, digest))
            })
            .collect();
        let kept = self.kept.as_ref().map(|kept| {
            let mut systems: Vec<(&SystemId, &Kept)> = kept.iter().collect();
            systems.sort_unstable_by_key(|(s, _)| **s);
            let mut out = KeptSnapshot {
                killmails: Vec::new(),
                battles: Vec::new(),
            };
            for (_, k) in systems {
                let mut kills: Vec<&Killmail> = k.kills.values().collect();
                kills.sort_by_key(|km| key_of(km));
                out.killmails.extend(kills.into_iter().cloned());
                out.battles.extend(
                    k.battles
                        .values()
                        .map(|(id, keys)| (*id, keys.iter().map(|k| k.1).collect())),
                );
            }
            out
        });
        ClustererSnapshot {
            version: SNAPSHOT_VERSION,
            config: self.config.clone(),
            max_time: self.max_time,
            trusted_time: self.trusted_time,
            killmails,
            components,
            sealed,
            sealed_ids,
            kept,
            counts: self.counts,
        }
    }

    /// Rebuild a clusterer from a snapshot.
    ///
    /// # Errors
    /// [`Error::Config`] for an unsupported version, an invalid config, or a
    /// snapshot whose parts do not fit together.
    pub fn restore(snapshot: ClustererSnapshot) -> Result<Self, Error> {
        let corrupt = |reason: String| Error::Config {
            field: "snapshot".to_owned(),
            reason,
        };
        if snapshot.version != SNAPSHOT_VERSION {
            return Err(corrupt(format!(
                "version {} is not supported (this build reads version {SNAPSHOT_VERSION})",
                snapshot.version
            )));
        }
        let mut me = Self::new(snapshot.config)?.keep_sealed(snapshot.kept.is_some());
        me.max_time = snapshot.max_time;
        me.trusted_time = snapshot.trusted_time;
        me.counts = snapshot.counts;
        let mut by_id: FxHashMap<u64, Killmail> = snapshot
            .killmails
            .into_iter()
            .map(|k| (k.killmail_id, k))
            .collect();
        let mut scratch = Vec::new();
        for runs in snapshot.components {
            let mut system: Option<SystemId> = None;
            let mut new_runs = Vec::new();
            let mut pending = Vec::new();
            for (battle, ids) in runs {
                let mut nodes = Vec::new();
                for id in ids {
                    let km = by_id
                        .remove(&id)
                        .ok_or_else(|| corrupt(format!("killmail {id} is missing or repeated")))?;
                    if *system.get_or_insert(km.solar_system_id) != km.solar_system_id {
                        return Err(corrupt(format!(
                            "killmail {id} is not in its component's system"
                        )));
                    }
                    pending.push(km);
                    nodes.push(pending.len() - 1);
                }
                if nodes.is_empty() {
                    return Err(corrupt("a run has no killmails".to_owned()));
                }
                new_runs.push((battle, nodes));
            }
            let Some(system_id) = system else { continue };
            let state = me.systems.entry(system_id).or_default();
            let comp_id = state.alloc_comp();
            let mut node_ids = Vec::with_capacity(pending.len());
            for km in pending {
                let key = key_of(&km);
                participants(&km, me.config.correlate_by, &mut scratch);
                let n = state.alloc_node(Node {
                    key,
                    comp: comp_id,
                    participants: scratch.clone(),
                    km,
                });
                for &p in &scratch {
                    let occ = state.index.entry(p).or_default();
                    let at = occ.partition_point(|o| o.0 < key);
                    occ.insert(at, (key, n));
                }
                if me.config.min_shared == 0 {
                    state.by_time.insert((key, n));
                }
                me.live.insert(state.node(n).km.killmail_id, (system_id, n));
                node_ids.push((key, n));
            }
            let runs: Vec<Run> = new_runs
                .into_iter()
                .map(|(battle, idx)| {
                    let mut nodes: Vec<(Key, u32)> = idx.iter().map(|&i| node_ids[i]).collect();
                    nodes.sort_unstable();
                    Run { nodes, battle }
                })
                .collect();
            let size = runs.iter().map(|r| r.nodes.len()).sum();
            let last_time = runs.iter().map(|r| r.last().0).max().unwrap_or(i64::MIN);
            for id in runs.iter().filter_map(|r| r.battle) {
                me.battles.insert(id, (system_id, comp_id));
            }
            me.generation += 1;
            state.comps[comp_id as usize] = Some(Component {
                runs,
                size,
                generation: me.generation,
            });
            me.expiry
                .push(Reverse((last_time, system_id, comp_id, me.generation)));
        }
        if let Some(id) = by_id.keys().next() {
            return Err(corrupt(format!("killmail {id} belongs to no component")));
        }
        for (system_id, from, to, battles) in snapshot.sealed {
            me.systems
                .entry(system_id)
                .or_default()
                .sealed
                .insert(from, (to, battles));
        }
        for (id, time, digest) in snapshot.sealed_ids {
            me.sealed_ids.insert(id, (time, digest));
            me.sealed_queue.push_back((time, id));
        }
        if let (Some(kept), Some(snap)) = (me.kept.as_mut(), snapshot.kept) {
            let keys: FxHashMap<u64, (SystemId, Key)> = snap
                .killmails
                .iter()
                .map(|k| (k.killmail_id, (k.solar_system_id, key_of(k))))
                .collect();
            for (id, members) in snap.battles {
                let mut ks = Vec::with_capacity(members.len());
                let mut system = None;
                for m in members {
                    let &(s, k) = keys
                        .get(&m)
                        .ok_or_else(|| corrupt(format!("kept killmail {m} is missing")))?;
                    system = Some(s);
                    ks.push(k);
                }
                ks.sort_unstable();
                let Some(system_id) = system else {
                    return Err(corrupt(format!("kept battle {id} has no killmails")));
                };
                kept.entry(system_id)
                    .or_default()
                    .battles
                    .insert(ks[0], (id, ks));
            }
            for km in snap.killmails {
                kept.entry(km.solar_system_id)
                    .or_default()
                    .kills
                    .insert(km.killmail_id, km);
            }
        }
        Ok(me)
    }
}

/// What a push changes, for [`merge_runs`].
struct Change {
    new_key: Key,
    /// The group holds the pushed kill (else a component merge joined it).
    has_new: bool,
    late: bool,
    system_id: SystemId,
    min_kills: usize,
}

/// Merge a group of runs (one of which may be the new kill's) into one run,
/// emitting the events the change means. The run is named by its earliest
/// kill; the old battle with the earliest first kill lives on in it.
fn merge_runs(
    group: Vec<Run>,
    change: &Change,
    state: &SystemState,
    events: &mut Vec<BattleEvent>,
) -> Run {
    let Change {
        new_key,
        has_new,
        late,
        system_id,
        min_kills,
    } = *change;
    let survivor = group
        .iter()
        .filter(|r| r.battle.is_some())
        .min_by_key(|r| r.first())
        .map(|r| {
            (
                r.battle.expect("filtered"),
                r.first(),
                r.last(),
                r.nodes.len(),
            )
        });
    let absorbed: Vec<Uuid> = group
        .iter()
        .filter_map(|r| r.battle)
        .filter(|b| Some(*b) != survivor.map(|s| s.0))
        .collect();
    let survivor_nodes: Vec<(Key, u32)> = survivor
        .and_then(|s| group.iter().find(|r| r.battle == Some(s.0)))
        .map(|r| r.nodes.clone())
        .unwrap_or_default();
    let mut nodes: Vec<(Key, u32)> = group.into_iter().flat_map(|r| r.nodes).collect();
    nodes.sort_unstable();
    let ids = |ns: &[(Key, u32)]| -> Vec<u64> { ns.iter().map(|n| n.0 .1).collect() };
    let (start, end) = (nodes[0].0 .0, nodes[nodes.len() - 1].0 .0);
    let name = battle_id(system_id, nodes[0].0 .1);
    let battle = match survivor {
        Some((id, _, old_last, _)) => {
            let added: Vec<(Key, u32)> = nodes
                .iter()
                .filter(|n| survivor_nodes.binary_search(n).is_err())
                .copied()
                .collect();
            let reason = if !has_new || !absorbed.is_empty() {
                UpdateReason::Merge
            } else if late {
                UpdateReason::LateArrival
            } else if new_key < old_last {
                UpdateReason::OutOfOrder
            } else {
                UpdateReason::Appended
            };
            events.push(BattleEvent::Updated(BattleUpdated {
                battle_id: name,
                previous_id: (id != name).then_some(id),
                system_id,
                added_killmail_ids: ids(&added),
                removed_killmail_ids: Vec::new(),
                start_time: time_of(start),
                end_time: time_of(end),
                reason,
                absorbed: absorbed.clone(),
            }));
            for gone in absorbed {
                events.push(BattleEvent::Deleted(BattleDeleted {
                    battle_id: gone,
                    system_id,
                    merged_into: Some(name),
                }));
            }
            Some(name)
        }
        None if nodes.len() >= min_kills => {
            events.push(BattleEvent::Created(BattleCreated {
                battle_id: name,
                system_id,
                killmail_ids: ids(&nodes),
                start_time: time_of(start),
                end_time: time_of(end),
            }));
            Some(name)
        }
        None => None,
    };
    debug_assert!(nodes.iter().all(|n| state.nodes[n.1 as usize].is_some()));
    Run { nodes, battle }
}

impl SystemState {
    fn node(&self, n: u32) -> &Node {
        self.nodes[n as usize].as_ref().expect("live node")
    }

    fn node_mut(&mut self, n: u32) -> &mut Node {
        self.nodes[n as usize].as_mut().expect("live node")
    }

    fn is_empty(&self) -> bool {
        self.sealed.is_empty() && self.nodes.len() == self.free_nodes.len()
    }

    /// Take a node out, with its index entries.
    fn remove_node(&mut self, n: u32) -> Node {
        let node = self.nodes[n as usize].take().expect("live node");
        self.free_nodes.push(n);
        for p in &node.participants {
            if let Some(occ) = self.index.get_mut(p) {
                occ.retain(|o| o.1 != n);
                if occ.is_empty() {
                    self.index.remove(p);
                }
            }
        }
        self.by_time.remove(&(node.key, n));
        node
    }

    fn comp(&self, c: u32) -> &Component {
        self.comps[c as usize].as_ref().expect("live component")
    }

    fn alloc_node(&mut self, node: Node) -> u32 {
        if let Some(n) = self.free_nodes.pop() {
            self.nodes[n as usize] = Some(node);
            n
        } else {
            self.nodes.push(Some(node));
            u32::try_from(self.nodes.len() - 1).expect("fewer than 2^32 live kills per system")
        }
    }

    fn alloc_comp(&mut self) -> u32 {
        if let Some(c) = self.free_comps.pop() {
            self.comps[c as usize] = Some(Component::default());
            c
        } else {
            self.comps.push(Some(Component::default()));
            u32::try_from(self.comps.len() - 1).expect("fewer than 2^32 components per system")
        }
    }

    /// Components holding a kill linked to a kill at `key` with `parts`.
    fn linked_components(
        &self,
        key: Key,
        parts: &[EntityId],
        min_shared: u32,
        window: i64,
    ) -> Vec<u32> {
        let mut linked: Vec<u32> = Vec::new();
        let within = |k: Key| (k.0 - key.0).abs() <= window;
        match min_shared {
            0 => {
                let before = self.by_time.range(..(key, 0)).next_back();
                let after = self.by_time.range((key, u32::MAX)..).next();
                for &(k, n) in before.into_iter().chain(after) {
                    if within(k) {
                        linked.push(self.node(n).comp);
                    }
                }
            }
            1 => {
                // Nearest occurrence on each side is enough: the others on
                // that side are within the window of it and linked to it.
                for p in parts {
                    let Some(occ) = self.index.get(p) else {
                        continue;
                    };
                    let at = occ.partition_point(|o| o.0 < key);
                    for o in occ.get(at.wrapping_sub(1)).into_iter().chain(occ.get(at)) {
                        if within(o.0) {
                            linked.push(self.node(o.1).comp);
                        }
                    }
                }
            }
            min_shared => {
                let mut shared: FxHashMap<u32, u32> = FxHashMap::default();
                for p in parts {
                    let Some(occ) = self.index.get(p) else {
                        continue;
                    };
                    let lo = occ.partition_point(|o| o.0 .0 < key.0 - window);
                    for o in occ[lo..].iter().take_while(|o| o.0 .0 <= key.0 + window) {
                        *shared.entry(o.1).or_default() += 1;
                    }
                }
                linked.extend(
                    shared
                        .into_iter()
                        .filter(|&(_, c)| c >= min_shared)
                        .map(|(n, _)| self.node(n).comp),
                );
            }
        }
        linked.sort_unstable();
        linked.dedup();
        linked
    }

    /// Battles of the sealed span containing `t`, if one does.
    fn sealed_span_at(&self, t: i64) -> Option<Vec<Uuid>> {
        let (_, (to, battles)) = self.sealed.range(..=t).next_back()?;
        (t <= *to).then(|| battles.clone())
    }

    /// Remember a sealed span, merging it with those it overlaps.
    fn seal_span(&mut self, from: i64, to: i64, battle: Option<Uuid>) {
        let (mut from, mut to) = (from, to);
        let mut battles: Vec<Uuid> = battle.into_iter().collect();
        let overlapping: Vec<i64> = self
            .sealed
            .range(..=to)
            .rev()
            .take_while(|(_, (end, _))| *end >= from)
            .map(|(start, _)| *start)
            .collect();
        for start in overlapping {
            if let Some((end, mut ids)) = self.sealed.remove(&start) {
                from = from.min(start);
                to = to.max(end);
                battles.append(&mut ids);
            }
        }
        battles.sort_unstable();
        battles.dedup();
        self.sealed.insert(from, (to, battles));
    }
}
