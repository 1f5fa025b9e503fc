//! Battle statistics.

use std::collections::BTreeMap;

use rustc_hash::FxHashSet;

use serde::{Deserialize, Serialize};

use crate::killmail::{EntityId, Killmail, TypeId};
use crate::universe::ShipClass;

/// Figures of one battle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BattleStats {
    /// Killmails in the battle.
    pub kill_count: u32,
    /// Sum of zKillboard `totalValue` over the kills that have one.
    pub isk_destroyed: f64,
    /// Kills without a known value: not counted as zero, reported here.
    pub kills_without_value: u32,
    /// Distinct characters, victims and attackers.
    pub unique_pilots: u32,
    /// Kills whose attackers are all NPCs.
    pub npc_kills: u32,
    /// Victim ships by class.
    #[schemars(schema_with = "crate::events::schema::ship_class_counts")]
    pub ships_lost: BTreeMap<ShipClass, u32>,
    /// Distinct (pilot, hull) pairs seen, by class; structures count once.
    #[schemars(schema_with = "crate::events::schema::ship_class_counts")]
    pub ships_fielded: BTreeMap<ShipClass, u32>,
    /// Kills in each minute from the first kill's minute to the last one's.
    pub kills_per_minute: Vec<u32>,
}

pub(crate) fn class_of(type_id: TypeId) -> ShipClass {
    ShipClass::of_type(type_id).unwrap_or(ShipClass::Other)
}

impl BattleStats {
    /// Compute the figures of `kills` (sorted by time).
    #[must_use]
    pub fn compute(kills: &[&Killmail]) -> Self {
        let mut isk_destroyed = 0.0;
        let mut kills_without_value = 0;
        let mut pilots: FxHashSet<EntityId> = FxHashSet::default();
        let mut fielded: FxHashSet<(EntityId, TypeId)> = FxHashSet::default();
        let mut ships_lost: BTreeMap<ShipClass, u32> = BTreeMap::new();
        let mut ships_fielded: BTreeMap<ShipClass, u32> = BTreeMap::new();
        let mut npc_kills = 0;
        for km in kills {
            match km.total_value() {
                Some(v) => isk_destroyed += v,
                None => kills_without_value += 1,
            }
            if km.is_npc_kill() {
                npc_kills += 1;
            }
            let victim_class = class_of(km.victim.ship_type_id);
            *ships_lost.entry(victim_class).or_default() += 1;
            match km.victim.character_id {
                Some(c) => {
                    pilots.insert(c);
                    if fielded.insert((c, km.victim.ship_type_id)) {
                        *ships_fielded.entry(victim_class).or_default() += 1;
                    }
                }
                None => *ships_fielded.entry(victim_class).or_default() += 1,
            }
            for a in &km.attackers {
                let Some(c) = a.character_id else { continue };
                pilots.insert(c);
                if let Some(ship) = a.ship_type_id {
                    if fielded.insert((c, ship)) {
                        *ships_fielded.entry(class_of(ship)).or_default() += 1;
                    }
                }
            }
        }
        Self {
            kill_count: count(kills.len()),
            isk_destroyed,
            kills_without_value,
            unique_pilots: count(pilots.len()),
            npc_kills,
            ships_lost,
            ships_fielded,
            kills_per_minute: timeline(kills),
        }
    }
}

fn count(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn timeline(kills: &[&Killmail]) -> Vec<u32> {
    let minute = |k: &Killmail| k.killmail_time.timestamp().div_euclid(60);
    let (Some(first), Some(last)) = (kills.first(), kills.last()) else {
        return Vec::new();
    };
    let start = minute(first);
    let len = usize::try_from(minute(last) - start + 1).unwrap_or(0);
    let mut out = vec![0; len];
    for k in kills {
        if let Some(slot) = usize::try_from(minute(k) - start)
            .ok()
            .and_then(|i| out.get_mut(i))
        {
            *slot += 1;
        }
    }
    out
}
