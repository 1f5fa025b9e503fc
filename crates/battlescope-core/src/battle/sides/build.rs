//! The side documents: pilots, ships, kills, losses and ISK per side.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

use rustc_hash::{FxHashMap, FxHashSet};

use super::groups::{attacker_group, victim_group, GroupKey};
use super::Side;
use crate::battle::stats::class_of;
use crate::killmail::{EntityId, Killmail};
use crate::universe::ShipClass;

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

/// The documents of the sides: every group goes to its cluster's side.
pub(super) fn build_sides(
    kills: &[&Killmail],
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
    for km in kills {
        let v = &km.victim;
        let victim_side = side_of(victim_group(v));
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
        // Pilots and structures of player groups; NPCs have no side.
        for a in &km.attackers {
            let Some(s) = side_of(attacker_group(a)) else {
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
            if a.character_id.is_none() {
                // A structure: its corporation's presence, and maybe the
                // final blow, but no pilot and no fielded ship.
                if a.final_blow {
                    final_blow_side = Some(s);
                }
                continue;
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
