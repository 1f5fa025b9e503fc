//! Where and when an entity fights, and which hulls each of its pilots flew.
//!
//! Guarantees: activity counts the entity's kills and losses (as in
//! [`super::Summary`]) by the killmail's system, region and UTC hour, so the
//! hour buckets add up to the summary's kills and losses; `heatmap[d][h]` is
//! kills plus losses on weekday `d` (0 = Monday) at hour `h`; a pilot's
//! history lists each hull once, in the order first seen, with the
//! killmail times it was seen in that hull (as an attacker or a victim).

use std::cmp::Reverse;
use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Timelike, Utc};
use rustc_hash::FxHashSet;
use serde::Serialize;

use super::context::{Context, Who};
use super::ships::class_of;
use super::Entity;
use crate::killmail::{EntityId, Killmail, TypeId};
use crate::universe::{self, ShipClass};

/// Where and when.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Activity {
    /// By solar system, most kills and losses first.
    pub systems: Vec<PlaceActivity>,
    /// By region, most kills and losses first.
    pub regions: Vec<PlaceActivity>,
    /// By UTC hour of day: 24 entries, hour 0 first.
    pub hours: Vec<HourActivity>,
    /// Kills plus losses by weekday (7 rows, Monday first) and UTC hour (24
    /// columns).
    pub heatmap: Vec<Vec<u32>>,
}

/// Activity in one system or region.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PlaceActivity {
    /// System or region id.
    pub id: u32,
    /// From the universe table; `None` for ids it does not know.
    pub name: Option<String>,
    /// The entity's battles there.
    pub battles: u32,
    /// Killmails there with the entity among the attackers.
    pub kills: u32,
    /// Value of those kills (the kills that have one).
    pub isk_killed: f64,
    /// Killmails there with the entity as the victim.
    pub losses: u32,
    /// Value of those losses (the losses that have one).
    pub isk_lost: f64,
}

/// Activity in one hour of the day (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct HourActivity {
    /// Hour of the day, 0 to 23 (UTC).
    pub hour: u32,
    /// Killmails in that hour with the entity among the attackers.
    pub kills: u32,
    /// Killmails in that hour with the entity as the victim.
    pub losses: u32,
}

/// One pilot of the entity.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PilotHistory {
    /// The pilot.
    pub character_id: EntityId,
    /// Battles the pilot was seen in.
    pub battles: u32,
    /// Killmails the pilot attacked on.
    pub kills: u32,
    /// Killmails the pilot was the victim of.
    pub losses: u32,
    /// Time of the first killmail the pilot was seen on.
    pub first_seen: DateTime<Utc>,
    /// Time of the last killmail the pilot was seen on.
    pub last_seen: DateTime<Utc>,
    /// Hulls flown, in the order first seen.
    pub hulls: Vec<PilotHull>,
}

/// One hull of a pilot.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PilotHull {
    /// The hull's ship type.
    pub type_id: TypeId,
    /// The type's name; `None` for types the universe table does not know.
    pub name: Option<String>,
    /// The hull's class.
    pub class: ShipClass,
    /// Battles the pilot flew it in.
    pub battles: u32,
    /// Time of the first killmail the pilot flew it on.
    pub first_seen: DateTime<Utc>,
    /// Time of the last killmail the pilot flew it on.
    pub last_seen: DateTime<Utc>,
}

#[derive(Default)]
struct PlaceAcc {
    battles: u32,
    kills: u32,
    isk_killed: f64,
    losses: u32,
    isk_lost: f64,
}

pub(super) fn activity(ctx: &Context<'_>) -> Activity {
    let entity = ctx.entity;
    let mut systems: BTreeMap<u32, PlaceAcc> = BTreeMap::new();
    let mut regions: BTreeMap<u32, PlaceAcc> = BTreeMap::new();
    let mut hours: Vec<HourActivity> = (0..24)
        .map(|hour| HourActivity {
            hour,
            kills: 0,
            losses: 0,
        })
        .collect();
    let mut heatmap = vec![vec![0_u32; 24]; 7];
    for view in &ctx.battles {
        let b = view.battle;
        systems.entry(b.system_id).or_default().battles += 1;
        if let Some(r) = b.region_id {
            regions.entry(r).or_default().battles += 1;
        }
        for km in &view.own_kills {
            let lost = entity.is_victim(km);
            let killed = entity.is_attacker(km);
            if !lost && !killed {
                continue;
            }
            let value = km.total_value().unwrap_or(0.0);
            let region = universe::system(km.solar_system_id).map(|s| s.region_id);
            let places = std::iter::once(systems.entry(km.solar_system_id).or_default());
            for place in places.chain(region.map(|r| regions.entry(r).or_default())) {
                if killed {
                    place.kills += 1;
                    place.isk_killed += value;
                }
                if lost {
                    place.losses += 1;
                    place.isk_lost += value;
                }
            }
            let t = km.killmail_time;
            let hour = t.hour() as usize;
            let day = t.weekday().num_days_from_monday() as usize;
            if killed {
                hours[hour].kills += 1;
                heatmap[day][hour] += 1;
            }
            if lost {
                hours[hour].losses += 1;
                heatmap[day][hour] += 1;
            }
        }
    }
    Activity {
        systems: places(systems, |id| {
            universe::system(id).map(|s| s.name.to_owned())
        }),
        regions: places(regions, |id| {
            universe::systems()
                .iter()
                .find(|s| s.region_id == id)
                .map(|s| s.region_name.to_owned())
        }),
        hours,
        heatmap,
    }
}

fn places(
    map: BTreeMap<u32, PlaceAcc>,
    name: impl Fn(u32) -> Option<String>,
) -> Vec<PlaceActivity> {
    let mut out: Vec<PlaceActivity> = map
        .into_iter()
        .map(|(id, a)| PlaceActivity {
            id,
            name: name(id),
            battles: a.battles,
            kills: a.kills,
            isk_killed: a.isk_killed,
            losses: a.losses,
            isk_lost: a.isk_lost,
        })
        .collect();
    out.sort_by_key(|p| (Reverse(p.kills + p.losses), Reverse(p.battles), p.id));
    out
}

struct PilotAcc {
    battles: u32,
    kills: u32,
    losses: u32,
    first_seen: DateTime<Utc>,
    last_seen: DateTime<Utc>,
    hulls: BTreeMap<TypeId, HullAcc>,
}

struct HullAcc {
    battles: u32,
    first_seen: DateTime<Utc>,
    last_seen: DateTime<Utc>,
}

fn seen(first: &mut DateTime<Utc>, last: &mut DateTime<Utc>, t: DateTime<Utc>) {
    *first = (*first).min(t);
    *last = (*last).max(t);
}

pub(super) fn pilots(ctx: &Context<'_>) -> Vec<PilotHistory> {
    let entity = ctx.entity;
    let mut acc: BTreeMap<EntityId, PilotAcc> = BTreeMap::new();
    let mut in_battle: FxHashSet<EntityId> = FxHashSet::default();
    let mut hull_in_battle: FxHashSet<(EntityId, TypeId)> = FxHashSet::default();
    for view in &ctx.battles {
        in_battle.clear();
        hull_in_battle.clear();
        for km in &view.kills {
            let t = km.killmail_time;
            for who in participants(km).filter(|w| entity.matches(w)) {
                let Some(c) = who.character else { continue };
                let pilot = acc.entry(c).or_insert_with(|| PilotAcc {
                    battles: 0,
                    kills: 0,
                    losses: 0,
                    first_seen: t,
                    last_seen: t,
                    hulls: BTreeMap::new(),
                });
                seen(&mut pilot.first_seen, &mut pilot.last_seen, t);
                if in_battle.insert(c) {
                    pilot.battles += 1;
                }
                if let Some(ship) = who.ship {
                    let hull = pilot.hulls.entry(ship).or_insert(HullAcc {
                        battles: 0,
                        first_seen: t,
                        last_seen: t,
                    });
                    seen(&mut hull.first_seen, &mut hull.last_seen, t);
                    if hull_in_battle.insert((c, ship)) {
                        hull.battles += 1;
                    }
                }
            }
        }
        for km in &view.own_kills {
            count_kill_and_loss(entity, km, &mut acc);
        }
    }
    let mut out: Vec<PilotHistory> = acc
        .into_iter()
        .map(|(character_id, p)| {
            let mut hulls: Vec<PilotHull> = p
                .hulls
                .into_iter()
                .map(|(type_id, h)| PilotHull {
                    type_id,
                    name: universe::ship_type(type_id).map(|s| s.name.to_owned()),
                    class: class_of(type_id),
                    battles: h.battles,
                    first_seen: h.first_seen,
                    last_seen: h.last_seen,
                })
                .collect();
            hulls.sort_by_key(|h| (h.first_seen, h.type_id));
            PilotHistory {
                character_id,
                battles: p.battles,
                kills: p.kills,
                losses: p.losses,
                first_seen: p.first_seen,
                last_seen: p.last_seen,
                hulls,
            }
        })
        .collect();
    out.sort_by_key(|p| {
        (
            Reverse(p.battles),
            Reverse(p.kills + p.losses),
            p.character_id,
        )
    });
    out
}

fn participants(km: &Killmail) -> impl Iterator<Item = Who> + '_ {
    std::iter::once(Who::victim(&km.victim)).chain(km.attackers.iter().map(Who::attacker))
}

fn count_kill_and_loss(entity: Entity, km: &Killmail, acc: &mut BTreeMap<EntityId, PilotAcc>) {
    if let Some(c) = km.victim.character_id {
        if entity.is_victim(km) {
            if let Some(p) = acc.get_mut(&c) {
                p.losses += 1;
            }
        }
    }
    let mut attackers: Vec<EntityId> = km
        .attackers
        .iter()
        .map(Who::attacker)
        .filter(|w| entity.matches(w))
        .filter_map(|w| w.character)
        .collect();
    attackers.sort_unstable();
    attackers.dedup();
    for c in attackers {
        if let Some(p) = acc.get_mut(&c) {
            p.kills += 1;
        }
    }
}
