//! Who fought on which side (DESIGN.md "Sides").
//!
//! Players are grouped by alliance, or by corporation when they have no
//! alliance; NPCs (no character) and factions never form a side. Evidence,
//! counted per killmail: attackers on the same kill are allies (+1 per
//! pair); the victim's group is hostile to each attacking group (−1), except
//! its own (awox kills say nothing about sides).
//!
//! Groups are merged greedily: the pair of sides with the highest net
//! evidence (allied minus hostile) merges first, until no pair has positive
//! evidence left. A group seen on both sides thus lands where most of its
//! evidence points, a third party that shoots everyone stays on its own, and
//! more than two sides come out when the data says so. Ties break on the
//! lowest group ids, so the result is a pure function of the kills.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};

use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};

use super::stats::class_of;
use crate::killmail::{EntityId, Killmail};
use crate::universe::ShipClass;

/// One side of a battle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Side {
    /// 0-based; sides are ordered by pilots (most first), then lowest group id.
    pub index: u32,
    pub alliances: Vec<EntityId>,
    /// Corporations seen on this side (with or without alliance).
    pub corporations: Vec<EntityId>,
    /// Characters seen on this side.
    pub pilots: Vec<EntityId>,
    /// Distinct (pilot, hull) pairs by class; structures count once per loss.
    #[schemars(schema_with = "crate::events::schema::ship_class_counts")]
    pub ships: BTreeMap<ShipClass, u32>,
    /// Kills credited to this side: the final blow's side, or else the side
    /// with most attacking pilots (never the victim's own side).
    pub kills: u32,
    pub losses: u32,
    pub isk_killed: f64,
    pub isk_lost: f64,
    /// Losses without a known value (not counted as zero ISK).
    pub losses_without_value: u32,
    /// `isk_killed / (isk_killed + isk_lost)`, `None` when both are zero.
    pub efficiency: Option<f64>,
}

/// A side-forming group: an alliance, or a corporation without alliance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum GroupKey {
    Alliance(EntityId),
    Corporation(EntityId),
}

fn is_npc_corporation(id: EntityId) -> bool {
    (1_000_000..2_000_000).contains(&id)
}

fn group_of(
    character: Option<EntityId>,
    corporation: Option<EntityId>,
    alliance: Option<EntityId>,
) -> Option<GroupKey> {
    if let Some(a) = alliance {
        return Some(GroupKey::Alliance(a));
    }
    match corporation {
        Some(c) if !is_npc_corporation(c) => Some(GroupKey::Corporation(c)),
        // NPC-corporation pilots (e.g. new players) still are players.
        Some(c) if character.is_some() => Some(GroupKey::Corporation(c)),
        _ => None,
    }
}

fn victim_group(km: &Killmail) -> Option<GroupKey> {
    let v = &km.victim;
    group_of(v.character_id, v.corporation_id, v.alliance_id)
}

/// Groups of the player attackers of `km`, sorted, distinct.
fn attacker_groups(km: &Killmail) -> Vec<GroupKey> {
    let mut out: Vec<GroupKey> = km
        .attackers
        .iter()
        .filter(|a| a.character_id.is_some())
        .filter_map(|a| group_of(a.character_id, a.corporation_id, a.alliance_id))
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// Assign the sides of a battle from its killmails (sorted by time).
#[must_use]
pub fn assign_sides(kills: &[&Killmail]) -> Vec<Side> {
    // Groups, indexed in sorted order for deterministic tie-breaks.
    let per_kill: Vec<(Option<GroupKey>, Vec<GroupKey>)> = kills
        .iter()
        .map(|km| (victim_group(km), attacker_groups(km)))
        .collect();
    let mut groups: Vec<GroupKey> = per_kill
        .iter()
        .flat_map(|(v, a)| v.iter().chain(a.iter()).copied())
        .collect();
    groups.sort_unstable();
    groups.dedup();
    if groups.is_empty() {
        return Vec::new();
    }
    let index: FxHashMap<GroupKey, usize> =
        groups.iter().enumerate().map(|(i, g)| (*g, i)).collect();

    // Net evidence between groups, sparse and symmetric.
    let mut evidence: Vec<FxHashMap<usize, i64>> = vec![FxHashMap::default(); groups.len()];
    let mut add = |a: usize, b: usize, w: i64| {
        *evidence[a].entry(b).or_default() += w;
        *evidence[b].entry(a).or_default() += w;
    };
    for (victim, attacking) in &per_kill {
        let attackers: Vec<usize> = attacking.iter().map(|g| index[g]).collect();
        for (i, &a) in attackers.iter().enumerate() {
            for &b in &attackers[i + 1..] {
                add(a, b, 1);
            }
        }
        if let Some(v) = victim.map(|g| index[&g]) {
            for &a in attackers.iter().filter(|&&a| a != v) {
                add(a, v, -1);
            }
        }
    }

    let cluster_of = merge_groups(groups.len(), evidence);
    build_sides(kills, &per_kill, &groups, &index, &cluster_of)
}

/// A pair of clusters that may merge: (evidence, pair, versions when pushed).
type Candidate = (i64, Reverse<(usize, usize)>, u32, u32);

/// Greedy agglomeration on positive evidence. Returns, per group, the
/// index of its cluster (the lowest group index in it).
fn merge_groups(n: usize, mut rows: Vec<FxHashMap<usize, i64>>) -> Vec<usize> {
    let mut parent: Vec<usize> = (0..n).collect();
    let mut version = vec![0_u32; n];
    // Max-heap on evidence; ties → lowest (i, j).
    let mut heap: BinaryHeap<Candidate> = BinaryHeap::new();
    for (i, row) in rows.iter().enumerate() {
        for (&j, &w) in row {
            if i < j && w > 0 {
                heap.push((w, Reverse((i, j)), 0, 0));
            }
        }
    }
    while let Some((_, Reverse((i, j)), vi, vj)) = heap.pop() {
        if parent[i] != i || parent[j] != j || version[i] != vi || version[j] != vj {
            continue;
        }
        // Merge j into i (i < j, so the cluster keeps its lowest index).
        parent[j] = i;
        version[i] += 1;
        let row_j = std::mem::take(&mut rows[j]);
        for (k, w) in row_j {
            if k == i {
                continue;
            }
            *rows[i].entry(k).or_default() += w;
            let row_k = &mut rows[k];
            row_k.remove(&j);
            *row_k.entry(i).or_default() += w;
        }
        rows[i].remove(&j);
        for (&k, &w) in &rows[i] {
            if w > 0 {
                let (a, b) = if i < k { (i, k) } else { (k, i) };
                let (va, vb) = (version[a], version[b]);
                heap.push((w, Reverse((a, b)), va, vb));
            }
        }
    }
    (0..n)
        .map(|mut g| {
            while parent[g] != g {
                g = parent[g];
            }
            g
        })
        .collect()
}

#[derive(Default)]
struct SideAcc {
    alliances: BTreeSet<EntityId>,
    corporations: FxHashSet<EntityId>,
    pilots: FxHashSet<EntityId>,
    hulls: FxHashSet<(EntityId, u32)>,
    ships: BTreeMap<ShipClass, u32>,
    kills: u32,
    losses: u32,
    isk_killed: f64,
    isk_lost: f64,
    losses_without_value: u32,
    first_group: usize,
}

fn build_sides(
    kills: &[&Killmail],
    per_kill: &[(Option<GroupKey>, Vec<GroupKey>)],
    groups: &[GroupKey],
    index: &FxHashMap<GroupKey, usize>,
    cluster_of: &[usize],
) -> Vec<Side> {
    let mut acc: BTreeMap<usize, SideAcc> = BTreeMap::new();
    for (g, &c) in cluster_of.iter().enumerate() {
        let side = acc.entry(c).or_default();
        side.first_group = c;
        if let GroupKey::Alliance(a) = groups[g] {
            side.alliances.insert(a);
        }
    }
    let side_of = |g: Option<GroupKey>| g.map(|g| cluster_of[index[&g]]);
    let mut attackers_per_side: Vec<(usize, u32)> = Vec::new();
    for (km, (victim, _)) in kills.iter().zip(per_kill) {
        let v = &km.victim;
        let victim_side = side_of(*victim);
        if let Some(s) = victim_side {
            let side = acc.get_mut(&s).expect("every cluster has an accumulator");
            side.corporations.extend(v.corporation_id);
            side.losses += 1;
            match km.total_value() {
                Some(isk) => side.isk_lost += isk,
                None => side.losses_without_value += 1,
            }
            let class = class_of(v.ship_type_id);
            match v.character_id {
                Some(c) => {
                    side.pilots.insert(c);
                    if side.hulls.insert((c, v.ship_type_id)) {
                        *side.ships.entry(class).or_default() += 1;
                    }
                }
                None => *side.ships.entry(class).or_default() += 1,
            }
        }
        // Attackers, and who gets the kill.
        attackers_per_side.clear();
        let mut final_blow_side = None;
        for a in km.attackers.iter().filter(|a| a.character_id.is_some()) {
            let Some(s) = side_of(group_of(a.character_id, a.corporation_id, a.alliance_id)) else {
                continue;
            };
            let side = acc.get_mut(&s).expect("every cluster has an accumulator");
            side.corporations.extend(a.corporation_id);
            if let Some(c) = a.character_id {
                side.pilots.insert(c);
                if let Some(ship) = a.ship_type_id {
                    if side.hulls.insert((c, ship)) {
                        *side.ships.entry(class_of(ship)).or_default() += 1;
                    }
                }
            }
            match attackers_per_side.iter_mut().find(|(side, _)| *side == s) {
                Some((_, n)) => *n += 1,
                None => attackers_per_side.push((s, 1)),
            }
            if a.final_blow {
                final_blow_side = Some(s);
            }
        }
        let credited = final_blow_side
            .filter(|s| Some(*s) != victim_side)
            .or_else(|| {
                attackers_per_side
                    .iter()
                    .filter(|(s, _)| Some(*s) != victim_side)
                    .max_by_key(|(s, n)| (*n, Reverse(*s)))
                    .map(|(s, _)| *s)
            });
        if let Some(s) = credited {
            let side = acc.get_mut(&s).expect("every cluster has an accumulator");
            side.kills += 1;
            if let Some(isk) = km.total_value() {
                side.isk_killed += isk;
            }
        }
    }
    let mut sides: Vec<SideAcc> = acc.into_values().collect();
    sides.sort_by_key(|s| (Reverse(s.pilots.len()), s.first_group));
    let sorted = |set: FxHashSet<EntityId>| {
        let mut v: Vec<EntityId> = set.into_iter().collect();
        v.sort_unstable();
        v
    };
    sides
        .into_iter()
        .zip(0_u32..)
        .map(|(s, index)| {
            let total = s.isk_killed + s.isk_lost;
            Side {
                index,
                alliances: s.alliances.into_iter().collect(),
                corporations: sorted(s.corporations),
                pilots: sorted(s.pilots),
                ships: s.ships,
                kills: s.kills,
                losses: s.losses,
                isk_killed: s.isk_killed,
                isk_lost: s.isk_lost,
                losses_without_value: s.losses_without_value,
                efficiency: (total > 0.0).then(|| s.isk_killed / total),
            }
        })
        .collect()
}
