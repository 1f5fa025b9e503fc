//! The algorithm behind [`Clusterer::push`]: link the kill to the
//! components it touches, merge their runs, compare old and new runs to
//! emit events, then seal and prune what the watermark left behind.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use rustc_hash::{FxHashMap, FxHashSet};
use uuid::Uuid;

use super::outcome::{PushOutcome, Pushed};
use super::state::{Component, Node, Run, SystemState};
use super::{digest64, Clusterer};
use crate::battle::Battle;
use crate::cluster::event::{
    time_of, BattleChange, BattleCreated, BattleDeleted, BattleSealed, BattleUpdated, UpdateReason,
};
use crate::cluster::participants::participants;
use crate::cluster::reconcile::{reconcile, OldBattle};
use crate::cluster::{battle_id, key_of, Key};
use crate::killmail::{Killmail, SystemId};

impl Clusterer {
    pub(super) fn push_one(&mut self, km: Killmail) -> Pushed {
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
    fn advance(
        &mut self,
        time: i64,
        outcome: PushOutcome,
        mut events: Vec<BattleChange>,
    ) -> Pushed {
        self.max_time = Some(self.max_time.map_or(time, |m| m.max(time)));
        let sealed = self.evict(&mut events);
        Pushed {
            outcome,
            events,
            sealed,
        }
    }

    fn insert(&mut self, km: Killmail, key: Key, late: bool) -> Vec<BattleChange> {
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
    ) -> Vec<BattleChange> {
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
    fn replace(&mut self, km: Killmail) -> Vec<BattleChange> {
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
            events.push(BattleChange::Updated(BattleUpdated {
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
    ) -> Vec<BattleChange> {
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
    fn recluster_with_history(&mut self, km: Killmail) -> Vec<BattleChange> {
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
        let touched: FxHashSet<Uuid> = events.iter().map(BattleChange::battle_id).collect();
        self.quiet_reseal = was_sealed.difference(&touched).copied().collect();
        events
    }

    /// Seal and evict components beyond the horizon; prune remembered
    /// sealed state the horizon has passed.
    fn evict(&mut self, events: &mut Vec<BattleChange>) -> Vec<Battle> {
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
                        events.push(BattleChange::Sealed(BattleSealed {
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
    events: &mut Vec<BattleChange>,
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
            events.push(BattleChange::Updated(BattleUpdated {
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
                events.push(BattleChange::Deleted(BattleDeleted {
                    battle_id: gone,
                    system_id,
                    merged_into: Some(name),
                }));
            }
            Some(name)
        }
        None if nodes.len() >= min_kills => {
            events.push(BattleChange::Created(BattleCreated {
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
