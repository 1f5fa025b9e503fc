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
//! Memory is bounded by the watermark (newest kill time − `allowed_lateness`):
//! a component whose last kill is older than the watermark minus
//! `max(correlation_window, max_gap)` can no longer be touched by a kill
//! newer than the watermark, so it is sealed and evicted. Its time span is
//! remembered (coalesced per system); a later kill that falls within reach
//! of a sealed span is not clustered here but reported as
//! [`PushOutcome::LateBeyondHorizon`], for the platform's re-cluster path.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use chrono::{DateTime, Utc};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::participants::participants;
use super::{battle_id, key_of, ClusterConfig, Key};
use crate::battle::Battle;
use crate::error::Error;
use crate::killmail::{EntityId, Killmail, SystemId};

/// Why a battle was updated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum UpdateReason {
    /// New kills at or after the battle's end: the fight goes on.
    Appended,
    /// A kill older than the battle's end arrived (out of order), still
    /// within the allowed lateness.
    OutOfOrder,
    /// A kill older than the watermark (newest kill − allowed lateness)
    /// joined a battle that was still open.
    LateArrival,
    /// Other battles were absorbed (each gets a `BattleDeleted`).
    Merge,
}

/// A group of kills became a battle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BattleCreated {
    pub battle_id: Uuid,
    pub system_id: SystemId,
    /// All member killmails, sorted by time then id.
    pub killmail_ids: Vec<u64>,
    pub start_time: DateTime<Utc>,
    pub end_time: DateTime<Utc>,
}

/// Kills were added to a battle (its id never changes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BattleUpdated {
    pub battle_id: Uuid,
    pub system_id: SystemId,
    /// Killmails new to this battle, sorted by time then id: the pushed
    /// kill, and the kills of absorbed battles and pending groups.
    pub added_killmail_ids: Vec<u64>,
    pub start_time: DateTime<Utc>,
    pub end_time: DateTime<Utc>,
    pub reason: UpdateReason,
    /// Battles merged into this one by this update.
    pub absorbed: Vec<Uuid>,
}

/// A battle was absorbed by a merge.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BattleDeleted {
    pub battle_id: Uuid,
    pub system_id: SystemId,
    /// The battle that now holds its kills.
    pub merged_into: Uuid,
}

/// What clustering one killmail changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BattleEvent {
    Created(BattleCreated),
    Updated(BattleUpdated),
    Deleted(BattleDeleted),
}

impl BattleEvent {
    /// The battle the event is about (events are ordered per battle id).
    #[must_use]
    pub fn battle_id(&self) -> Uuid {
        match self {
            Self::Created(e) => e.battle_id,
            Self::Updated(e) => e.battle_id,
            Self::Deleted(e) => e.battle_id,
        }
    }
}

/// How a push went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum PushOutcome {
    /// Clustered (events may or may not follow).
    Added,
    /// Its id is already live: nothing changed.
    Duplicate,
    /// It falls within reach of sealed, evicted state: not clustered here.
    /// Re-cluster the span from the store (`battles` lists the sealed
    /// battles of that span; it may be empty when only pending kills were
    /// sealed there).
    LateBeyondHorizon { battles: Vec<Uuid> },
}

/// Result of [`Clusterer::push`].
#[derive(Debug, Clone, PartialEq)]
pub struct Pushed {
    pub outcome: PushOutcome,
    /// Events in the order to apply them.
    pub events: Vec<BattleEvent>,
    /// Battles sealed and evicted by this push (final from now on).
    pub sealed: Vec<Battle>,
}

/// Version of [`ClustererSnapshot`]; bumped on incompatible changes.
pub const SNAPSHOT_VERSION: u32 = 1;

/// The whole state of a [`Clusterer`], to persist and rebuild it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClustererSnapshot {
    pub version: u32,
    pub config: ClusterConfig,
    /// Newest kill time seen (seconds since the epoch).
    pub max_time: Option<i64>,
    /// Live killmails.
    pub killmails: Vec<Killmail>,
    /// Components: per component, its runs as (battle id if a battle, member ids).
    pub components: Vec<Vec<(Option<Uuid>, Vec<u64>)>>,
    /// Sealed spans per system: (from, to, battles), seconds since the epoch.
    pub sealed: Vec<(SystemId, i64, i64, Vec<Uuid>)>,
}

/// Incremental clusterer (see the module docs).
#[derive(Debug, Clone)]
pub struct Clusterer {
    config: ClusterConfig,
    systems: FxHashMap<SystemId, SystemState>,
    /// Live killmail id → (system, node).
    live: FxHashMap<u64, (SystemId, u32)>,
    max_time: Option<i64>,
    /// Components by last kill time, for eviction (lazy: stale entries skipped).
    expiry: BinaryHeap<Reverse<(i64, SystemId, u32, u64)>>,
    generation: u64,
    scratch: Vec<EntityId>,
    /// Open battle id → where it lives (system, component).
    battles: FxHashMap<Uuid, (SystemId, u32)>,
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
    /// Sealed spans: from → (to, battles), coalesced.
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
}

fn time_of(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(secs, 0).unwrap_or(DateTime::<Utc>::MIN_UTC)
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
            expiry: BinaryHeap::new(),
            generation: 0,
            scratch: Vec::new(),
            battles: FxHashMap::default(),
        })
    }

    /// The configuration in force.
    #[must_use]
    pub fn config(&self) -> &ClusterConfig {
        &self.config
    }

    /// Newest kill time seen minus the allowed lateness.
    #[must_use]
    pub fn watermark(&self) -> Option<DateTime<Utc>> {
        self.max_time
            .map(|t| time_of(t.saturating_sub(self.config.lateness_secs())))
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

    /// Cluster one more killmail.
    pub fn push(&mut self, km: Killmail) -> Pushed {
        if self.live.contains_key(&km.killmail_id) {
            return Pushed {
                outcome: PushOutcome::Duplicate,
                events: Vec::new(),
                sealed: Vec::new(),
            };
        }
        let key = key_of(&km);
        let system_id = km.solar_system_id;
        if let Some(battles) = self
            .systems
            .get(&system_id)
            .and_then(|s| s.sealed_span_at(key.0))
        {
            return Pushed {
                outcome: PushOutcome::LateBeyondHorizon { battles },
                events: Vec::new(),
                sealed: Vec::new(),
            };
        }
        let late = self
            .max_time
            .is_some_and(|m| key.0 < m.saturating_sub(self.config.lateness_secs()));
        let events = self.insert(km, key, late);
        self.max_time = Some(self.max_time.map_or(key.0, |m| m.max(key.0)));
        let sealed = self.evict();
        Pushed {
            outcome: PushOutcome::Added,
            events,
            sealed,
        }
    }

    /// Push many killmails; events concatenated in order.
    pub fn push_many(&mut self, kms: impl IntoIterator<Item = Killmail>) -> Vec<Pushed> {
        kms.into_iter().map(|km| self.push(km)).collect()
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
                merge_runs(group, key, late, system_id, min_kills, state, &mut events)
            };
            size += run.nodes.len();
            last_time = last_time.max(run.last().0);
            new_runs.push(run);
        }
        for e in &events {
            if let BattleEvent::Deleted(d) = e {
                self.battles.remove(&d.battle_id);
            }
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

    /// Seal and evict components beyond the watermark's reach.
    fn evict(&mut self) -> Vec<Battle> {
        let Some(max_time) = self.max_time else {
            return Vec::new();
        };
        let reach = self.config.window_secs().max(self.config.gap_secs());
        let horizon = max_time
            .saturating_sub(self.config.lateness_secs())
            .saturating_sub(reach);
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
                    let kills: Vec<&Killmail> =
                        run.nodes.iter().map(|n| &state.node(n.1).km).collect();
                    sealed.push(Battle::from_sorted_kills(id, &kills));
                    self.battles.remove(&id);
                }
                state.seal_span(run.first().0 - reach, run.last().0 + reach, run.battle);
                for (_, n) in run.nodes {
                    let node = state.nodes[n as usize].take().expect("live node");
                    state.free_nodes.push(n);
                    self.live.remove(&node.km.killmail_id);
                    for p in &node.participants {
                        if let Some(occ) = state.index.get_mut(p) {
                            occ.retain(|o| o.1 != n);
                            if occ.is_empty() {
                                state.index.remove(p);
                            }
                        }
                    }
                    state.by_time.remove(&(node.key, n));
                }
            }
        }
        sealed
    }

    /// Current battles (runs with at least `min_kills` kills), as documents,
    /// sorted by first kill.
    #[must_use]
    pub fn battles(&self) -> Vec<Battle> {
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
        out.sort_by_key(|(k, _)| *k);
        out.into_iter().map(|(_, b)| b).collect()
    }

    /// The current document of one open battle.
    #[must_use]
    pub fn battle(&self, id: Uuid) -> Option<Battle> {
        let &(system_id, comp) = self.battles.get(&id)?;
        let state = self.systems.get(&system_id)?;
        let run = state
            .comps
            .get(comp as usize)?
            .as_ref()?
            .runs
            .iter()
            .find(|r| r.battle == Some(id))?;
        let kills: Vec<&Killmail> = run.nodes.iter().map(|n| &state.node(n.1).km).collect();
        Some(Battle::from_sorted_kills(id, &kills))
    }

    /// A live killmail by id (sealed ones are gone).
    #[must_use]
    pub fn killmail(&self, id: u64) -> Option<&Killmail> {
        let &(system_id, node) = self.live.get(&id)?;
        Some(&self.systems.get(&system_id)?.node(node).km)
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
        ClustererSnapshot {
            version: SNAPSHOT_VERSION,
            config: self.config.clone(),
            max_time: self.max_time,
            killmails,
            components,
            sealed,
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
        let mut me = Self::new(snapshot.config)?;
        me.max_time = snapshot.max_time;
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
        Ok(me)
    }
}

/// Merge a group of runs (one of which may be the new kill's) into one run,
/// emitting the events the change means.
fn merge_runs(
    group: Vec<Run>,
    new_key: Key,
    late: bool,
    system_id: SystemId,
    min_kills: usize,
    state: &SystemState,
    events: &mut Vec<BattleEvent>,
) -> Run {
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
    let battle = match survivor {
        Some((id, _, old_last, _)) => {
            let added: Vec<(Key, u32)> = nodes
                .iter()
                .filter(|n| survivor_nodes.binary_search(n).is_err())
                .copied()
                .collect();
            let reason = if !absorbed.is_empty() {
                UpdateReason::Merge
            } else if late {
                UpdateReason::LateArrival
            } else if new_key < old_last {
                UpdateReason::OutOfOrder
            } else {
                UpdateReason::Appended
            };
            events.push(BattleEvent::Updated(BattleUpdated {
                battle_id: id,
                system_id,
                added_killmail_ids: ids(&added),
                start_time: time_of(start),
                end_time: time_of(end),
                reason,
                absorbed: absorbed.clone(),
            }));
            for gone in absorbed {
                events.push(BattleEvent::Deleted(BattleDeleted {
                    battle_id: gone,
                    system_id,
                    merged_into: id,
                }));
            }
            Some(id)
        }
        None if nodes.len() >= min_kills => {
            let id = battle_id(system_id, nodes[0].0 .1);
            events.push(BattleEvent::Created(BattleCreated {
                battle_id: id,
                system_id,
                killmail_ids: ids(&nodes),
                start_time: time_of(start),
                end_time: time_of(end),
            }));
            Some(id)
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
