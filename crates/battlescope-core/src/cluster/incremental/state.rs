//! Per-system state of the [`Clusterer`](super::Clusterer): the live
//! kills (nodes), the participant index that finds links, the components
//! of the link graph with their runs, and the sealed spans.

use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::FxHashMap;
use uuid::Uuid;

use crate::cluster::Key;
use crate::killmail::{EntityId, Killmail};

/// Sealed kills and battles of one system.
#[derive(Debug, Clone, Default)]
pub(super) struct Kept {
    pub(super) kills: FxHashMap<u64, Killmail>,
    pub(super) battles: BTreeMap<Key, (Uuid, Vec<Key>)>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct SystemState {
    pub(super) nodes: Vec<Option<Node>>,
    pub(super) free_nodes: Vec<u32>,
    pub(super) comps: Vec<Option<Component>>,
    pub(super) free_comps: Vec<u32>,
    /// Participant → its live occurrences, sorted by key.
    pub(super) index: FxHashMap<EntityId, Vec<(Key, u32)>>,
    /// All live kills by key (kept only when `min_shared == 0`).
    pub(super) by_time: BTreeSet<(Key, u32)>,
    /// Sealed spans: from → (to, battles), coalesced, pruned past the horizon.
    pub(super) sealed: BTreeMap<i64, (i64, Vec<Uuid>)>,
}

#[derive(Debug, Clone)]
pub(super) struct Node {
    pub(super) km: Killmail,
    pub(super) key: Key,
    pub(super) comp: u32,
    pub(super) participants: Vec<EntityId>,
}

#[derive(Debug, Clone, Default)]
pub(super) struct Component {
    pub(super) runs: Vec<Run>,
    pub(super) size: usize,
    pub(super) generation: u64,
}

#[derive(Debug, Clone)]
pub(super) struct Run {
    /// Members sorted by key.
    pub(super) nodes: Vec<(Key, u32)>,
    pub(super) battle: Option<Uuid>,
}

impl Run {
    pub(super) fn first(&self) -> Key {
        self.nodes[0].0
    }
    pub(super) fn last(&self) -> Key {
        self.nodes[self.nodes.len() - 1].0
    }
    pub(super) fn keys(&self) -> Vec<Key> {
        self.nodes.iter().map(|n| n.0).collect()
    }
}

impl SystemState {
    pub(super) fn node(&self, n: u32) -> &Node {
        self.nodes[n as usize].as_ref().expect("live node")
    }

    pub(super) fn node_mut(&mut self, n: u32) -> &mut Node {
        self.nodes[n as usize].as_mut().expect("live node")
    }

    pub(super) fn is_empty(&self) -> bool {
        self.sealed.is_empty() && self.nodes.len() == self.free_nodes.len()
    }

    /// Take a node out, with its index entries.
    pub(super) fn remove_node(&mut self, n: u32) -> Node {
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

    pub(super) fn comp(&self, c: u32) -> &Component {
        self.comps[c as usize].as_ref().expect("live component")
    }

    pub(super) fn alloc_node(&mut self, node: Node) -> u32 {
        if let Some(n) = self.free_nodes.pop() {
            self.nodes[n as usize] = Some(node);
            n
        } else {
            self.nodes.push(Some(node));
            u32::try_from(self.nodes.len() - 1).expect("fewer than 2^32 live kills per system")
        }
    }

    pub(super) fn alloc_comp(&mut self) -> u32 {
        if let Some(c) = self.free_comps.pop() {
            self.comps[c as usize] = Some(Component::default());
            c
        } else {
            self.comps.push(Some(Component::default()));
            u32::try_from(self.comps.len() - 1).expect("fewer than 2^32 components per system")
        }
    }

    /// Components holding a kill linked to a kill at `key` with `parts`.
    pub(super) fn linked_components(
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
    pub(super) fn sealed_span_at(&self, t: i64) -> Option<Vec<Uuid>> {
        let (_, (to, battles)) = self.sealed.range(..=t).next_back()?;
        (t <= *to).then(|| battles.clone())
    }

    /// Remember a sealed span, merging it with those it overlaps.
    pub(super) fn seal_span(&mut self, from: i64, to: i64, battle: Option<Uuid>) {
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
