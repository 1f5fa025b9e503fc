//! Evidence between groups, read from each killmail and weighed by what it
//! proves (see the module docs of [`super`] for the model).

use rustc_hash::FxHashMap;

use super::groups::{attacker_group, victim_group, GroupKey};
use crate::killmail::{EntityId, Killmail, TypeId};
use crate::universe::ShipClass;

fn class(ship: TypeId) -> Option<ShipClass> {
    ShipClass::of_type(ship)
}

/// Evidence is summed in fixed point (millionths) so that sums are exact
/// and the result cannot depend on the order of additions.
const UNIT: f64 = 1_000_000.0;
/// How much more one kill's worth of "who killed whom" weighs than one
/// kill's worth of shooting together.
const HOSTILITY: f64 = 4.0;
/// What a pod kill proves when its pilot lost no ship in the battle first.
const LONE_POD: f64 = 0.1;
/// Co-attack is counted between each attacker group and the groups that
/// did the most damage on the kill, never between every pair: small
/// contributors on a crowded mail prove little about each other.
const LEADERS: usize = 2;

/// How much one kill proves hostility between its victim and attackers.
///
/// Friends shoot each other's pods on purpose (the fast way home), so a pod
/// proves hostility in full only when its pilot lost a ship in this battle
/// first.
fn hostility_weight(km: &Killmail, ship_lost: &FxHashMap<EntityId, i64>) -> f64 {
    match class(km.victim.ship_type_id) {
        Some(ShipClass::Capsule) => {
            let t = km.killmail_time.timestamp();
            let after_ship = km
                .victim
                .character_id
                .and_then(|c| ship_lost.get(&c))
                .is_some_and(|&lost| lost <= t);
            if after_ship {
                1.0
            } else {
                LONE_POD
            }
        }
        _ => 1.0,
    }
}

/// The groups of a battle and the net evidence between them.
#[derive(Debug)]
pub(super) struct Evidence {
    /// Every group seen, sorted: indices into this are the group ids below.
    pub groups: Vec<GroupKey>,
    pub index: FxHashMap<GroupKey, usize>,
    /// Net evidence (co-attack minus hostility), symmetric, sparse.
    pub rows: Vec<FxHashMap<usize, i64>>,
}

/// One attacking group on one kill.
#[derive(Debug, Clone, Copy)]
struct Shooter {
    group: usize,
    /// Damage by the group's pilots.
    damage: u64,
    /// Damage by the group's structures.
    structure: u64,
}

impl Evidence {
    pub(super) fn gather(kills: &[&Killmail]) -> Self {
        let mut groups: Vec<GroupKey> = kills
            .iter()
            .flat_map(|km| {
                victim_group(&km.victim)
                    .into_iter()
                    .chain(km.attackers.iter().filter_map(attacker_group))
            })
            .collect();
        groups.sort_unstable();
        groups.dedup();
        let index: FxHashMap<GroupKey, usize> =
            groups.iter().enumerate().map(|(i, g)| (*g, i)).collect();
        let mut ev = Self {
            rows: vec![FxHashMap::default(); groups.len()],
            groups,
            index,
        };
        // Pilots who lost a ship (not a pod) in the battle, and when first.
        let mut ship_lost: FxHashMap<EntityId, i64> = FxHashMap::default();
        for km in kills {
            if let (Some(c), false) = (
                km.victim.character_id,
                class(km.victim.ship_type_id) == Some(ShipClass::Capsule),
            ) {
                let t = km.killmail_time.timestamp();
                let first = ship_lost.entry(c).or_insert(t);
                *first = (*first).min(t);
            }
        }
        let mut shooters: Vec<Shooter> = Vec::new();
        for km in kills {
            let weight = hostility_weight(km, &ship_lost);
            ev.read_kill(km, weight, &mut shooters);
        }
        ev
    }

    fn add(&mut self, a: usize, b: usize, w: f64) {
        #[allow(clippy::cast_possible_truncation)] // |w| is a few units at most
        let w = (w * UNIT).round() as i64;
        if w != 0 && a != b {
            *self.rows[a].entry(b).or_default() += w;
            *self.rows[b].entry(a).or_default() += w;
        }
    }

    /// Add one kill's evidence; `weight` is what it proves as hostility.
    fn read_kill(&mut self, km: &Killmail, weight: f64, shooters: &mut Vec<Shooter>) {
        let victim = victim_group(&km.victim).map(|g| self.index[&g]);
        shooters.clear();
        for a in &km.attackers {
            let Some(g) = attacker_group(a).map(|g| self.index[&g]) else {
                continue;
            };
            // Awox: a group shooting its own says nothing about sides.
            if Some(g) == victim {
                continue;
            }
            let s = match shooters.iter().position(|s| s.group == g) {
                Some(i) => &mut shooters[i],
                None => {
                    shooters.push(Shooter {
                        group: g,
                        damage: 0,
                        structure: 0,
                    });
                    shooters.last_mut().expect("just pushed")
                }
            };
            if a.character_id.is_some() {
                s.damage += a.damage_done;
            } else {
                s.structure += a.damage_done;
            }
        }
        if shooters.is_empty() {
            return;
        }
        // Most damage first; ties on the lower group id.
        shooters.sort_by_key(|s| (std::cmp::Reverse(s.damage + s.structure), s.group));
        // Hostility is what pilots chose to shoot: a structure's area
        // weapons hit whatever is near, friends included. When no pilot did
        // damage (tackle only), every attacking group shares alike.
        let total: u64 = shooters.iter().map(|s| s.damage).sum();
        #[allow(clippy::cast_precision_loss)]
        let share = |s: &Shooter| {
            if total == 0 {
                1.0 / shooters.len() as f64
            } else {
                s.damage as f64 / total as f64
            }
        };
        if let Some(v) = victim {
            for s in shooters.iter() {
                let w = -HOSTILITY * weight * share(s);
                self.add(s.group, v, w);
            }
        }
        let n = shooters.len();
        if n < 2 {
            return;
        }
        #[allow(clippy::cast_precision_loss)]
        let crowd = 1.0 / (n - 1) as f64;
        for (i, leader) in shooters.iter().take(LEADERS).enumerate() {
            for other in &shooters[i + 1..] {
                self.add(leader.group, other.group, crowd);
            }
        }
    }
}
