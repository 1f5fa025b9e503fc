//! Batch clustering: the whole set at once.
//!
//! Per solar system, killmails are swept in time order; a participant index
//! links each killmail to earlier ones within the window through a
//! union-find, so the cost is O(n log n + total participants), never a
//! pairwise scan of a busy system.

use std::collections::VecDeque;

use rustc_hash::FxHashMap;

use super::participants::{participants, participants_unsorted};
use super::{key_of, ClusterConfig, Key};
use crate::battle::Battle;
use crate::error::Error;
use crate::killmail::{Killmail, SystemId};

/// One battle's membership: indices into the input, sorted by time then id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Solar system of every kill of the group.
    pub system_id: SystemId,
    /// Indices into the input, sorted by time then killmail id.
    pub kills: Vec<usize>,
}

/// Cluster `killmails` into battles with statistics and sides.
///
/// Duplicate killmail ids count once: the copy [`Killmail::compare_copies`]
/// keeps, whatever the order of the input. Battles come sorted
/// by their first kill (time, then id); each is named by [`super::battle_id`]
/// of its system and earliest killmail.
///
/// # Errors
/// [`Error::Config`] when `config` is invalid.
pub fn cluster(killmails: &[Killmail], config: &ClusterConfig) -> Result<Vec<Battle>, Error> {
    let groups = partition(killmails, config)?;
    Ok(groups
        .iter()
        .map(|g| {
            let kills: Vec<&Killmail> = g.kills.iter().map(|&i| &killmails[i]).collect();
            let id = super::battle_id(g.system_id, kills[0].killmail_id);
            Battle::from_sorted_kills(id, &kills)
        })
        .collect())
}

/// The partition alone: which killmails form each battle.
///
/// # Errors
/// [`Error::Config`] when `config` is invalid.
pub fn partition(killmails: &[Killmail], config: &ClusterConfig) -> Result<Vec<Group>, Error> {
    config.validate()?;
    let mut order: Vec<(SystemId, Key, usize)> = kept_copies(killmails)
        .map(|(i, km)| (km.solar_system_id, key_of(km), i))
        .collect();
    order.sort_unstable();

    let mut groups = Vec::new();
    let mut start = 0;
    while start < order.len() {
        let system = order[start].0;
        let end = start + order[start..].partition_point(|o| o.0 == system);
        let slice = &order[start..end];
        let keys: Vec<Key> = slice.iter().map(|o| o.1).collect();
        let index: Vec<usize> = slice.iter().map(|o| o.2).collect();
        for run in cluster_system(&keys, |i| &killmails[index[i]], config) {
            groups.push((
                keys[run[0]],
                Group {
                    system_id: system,
                    kills: run.iter().map(|&i| index[i]).collect(),
                },
            ));
        }
        start = end;
    }
    groups.sort_unstable_by_key(|(first, _)| *first);
    Ok(groups.into_iter().map(|(_, g)| g).collect())
}

/// The copy to keep of each killmail id, with its index (input order of
/// first appearance).
fn kept_copies(killmails: &[Killmail]) -> impl Iterator<Item = (usize, &Killmail)> {
    // id → slot in `chosen`: one hash lookup per killmail.
    let mut slot: FxHashMap<u64, usize> = FxHashMap::default();
    slot.reserve(killmails.len());
    let mut chosen: Vec<usize> = Vec::with_capacity(killmails.len());
    for (i, km) in killmails.iter().enumerate() {
        match slot.entry(km.killmail_id) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(chosen.len());
                chosen.push(i);
            }
            std::collections::hash_map::Entry::Occupied(o) => {
                let kept = &mut chosen[*o.get()];
                if km.is_preferred_over(&killmails[*kept]) {
                    *kept = i;
                }
            }
        }
    }
    chosen.into_iter().map(move |i| (i, &killmails[i]))
}

/// Battles of one system: `keys` sorted ascending, `kill(i)` the i-th
/// killmail. Returns runs of local indices, each sorted.
fn cluster_system<'a>(
    keys: &[Key],
    kill: impl Fn(usize) -> &'a Killmail,
    config: &ClusterConfig,
) -> Vec<Vec<usize>> {
    let n = keys.len();
    let window = config.window_secs();
    let mut uf = UnionFind::new(n);
    let mut buf = Vec::new();
    match config.min_shared {
        0 => {
            for i in 1..n {
                if keys[i].0 - keys[i - 1].0 <= window {
                    uf.union(i - 1, i);
                }
            }
        }
        1 => {
            // The latest earlier occurrence of a participant is enough: all
            // earlier occurrences within the window are linked to it already.
            let mut last: FxHashMap<u64, usize> = FxHashMap::default();
            last.reserve(n);
            for i in 0..n {
                participants_unsorted(kill(i), config.correlate_by, &mut buf);
                for &p in &buf {
                    if let Some(j) = last.insert(p, i) {
                        if keys[i].0 - keys[j].0 <= window {
                            uf.union(i, j);
                        }
                    }
                }
            }
        }
        min_shared => {
            let mut recent: FxHashMap<u64, VecDeque<usize>> = FxHashMap::default();
            let mut shared: FxHashMap<usize, u32> = FxHashMap::default();
            for i in 0..n {
                participants(kill(i), config.correlate_by, &mut buf);
                shared.clear();
                for &p in &buf {
                    let q = recent.entry(p).or_default();
                    while q.front().is_some_and(|&j| keys[i].0 - keys[j].0 > window) {
                        q.pop_front();
                    }
                    for &j in q.iter() {
                        *shared.entry(j).or_default() += 1;
                    }
                    q.push_back(i);
                }
                for (&j, &count) in &shared {
                    if count >= min_shared {
                        uf.union(i, j);
                    }
                }
            }
        }
    }

    // Components in time order, as linked lists through `next` (indices
    // ascend, so each list is sorted) — no allocation per component.
    const END: usize = usize::MAX;
    let mut next = vec![END; n];
    let mut tail = vec![END; n];
    let mut heads = Vec::new();
    for i in 0..n {
        let r = uf.find(i);
        if tail[r] == END {
            heads.push(i);
        } else {
            next[tail[r]] = i;
        }
        tail[r] = i;
    }
    let gap = config.gap_secs();
    let min_kills = config.min_kills as usize;
    let mut runs = Vec::new();
    let mut run: Vec<usize> = Vec::new();
    for head in heads {
        let mut i = head;
        run.clear();
        while i != END {
            if let Some(&prev) = run.last() {
                if keys[i].0 - keys[prev].0 > gap {
                    if run.len() >= min_kills {
                        runs.push(run.clone());
                    }
                    run.clear();
                }
            }
            run.push(i);
            i = next[i];
        }
        if run.len() >= min_kills {
            runs.push(run.clone());
        }
    }
    runs
}

/// Union-find with path halving and union by size.
struct UnionFind {
    parent: Vec<usize>,
    size: Vec<u32>,
}

impl UnionFind {
    fn new(n: usize) -> Self {
        Self {
            parent: (0..n).collect(),
            size: vec![1; n],
        }
    }

    fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    fn union(&mut self, a: usize, b: usize) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a] < self.size[b] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b] = a;
        self.size[a] += self.size[b];
    }
}
