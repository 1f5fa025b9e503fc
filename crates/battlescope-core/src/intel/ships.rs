//! Ships: the hulls and hull classes an entity flies and loses.
//!
//! Guarantees: `flown` counts pilot-battles (a pilot seen in a hull in a
//! battle counts once for that battle, however many killmails show it);
//! `kills` counts killmails once per hull (or class) however many of the
//! entity's pilots in it are on the killmail; `lost` counts the entity's
//! losses by the victim's hull. A type the universe table does not know is
//! reported with no name and class `other`.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use rustc_hash::FxHashSet;
use serde::Serialize;

use super::context::{Context, Who};
use super::count;
use crate::killmail::{EntityId, TypeId};
use crate::universe::{self, ShipClass};

/// Hulls and classes of the entity.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Ships {
    /// By hull, most flown first (then most lost, then type id).
    pub hulls: Vec<HullStats>,
    /// By class, most flown first (then most lost, then class).
    pub classes: Vec<ClassStats>,
}

/// One hull.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct HullStats {
    /// The hull's ship type.
    pub type_id: TypeId,
    /// The type's name; `None` for types the universe table does not know.
    pub name: Option<String>,
    /// The hull's class.
    pub class: ShipClass,
    /// Pilot-battles in this hull.
    pub flown: u32,
    /// Distinct pilots seen in it.
    pub pilots: u32,
    /// Killmails on which one of the entity's pilots in this hull attacked.
    pub kills: u32,
    /// Value of those kills (the kills that have one).
    pub isk_killed: f64,
    /// The entity's losses of this hull.
    pub lost: u32,
    /// Value of those losses (the losses that have one).
    pub isk_lost: f64,
    /// Those losses without a value (not counted as zero ISK).
    pub lost_without_value: u32,
}

/// One hull class.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ClassStats {
    /// The class.
    pub class: ShipClass,
    /// Pilot-battles in a hull of this class.
    pub flown: u32,
    /// Killmails on which one of the entity's pilots in a hull of this
    /// class attacked.
    pub kills: u32,
    /// Value of those kills (the kills that have one).
    pub isk_killed: f64,
    /// The entity's losses of hulls of this class.
    pub lost: u32,
    /// Value of those losses (the losses that have one).
    pub isk_lost: f64,
    /// Those losses without a value (not counted as zero ISK).
    pub lost_without_value: u32,
}

#[derive(Default)]
struct Acc {
    flown: u32,
    pilots: FxHashSet<EntityId>,
    kills: u32,
    isk_killed: f64,
    lost: u32,
    isk_lost: f64,
    lost_without_value: u32,
}

impl Acc {
    fn loss(&mut self, value: Option<f64>) {
        self.lost += 1;
        match value {
            Some(v) => self.isk_lost += v,
            None => self.lost_without_value += 1,
        }
    }

    fn kill(&mut self, value: Option<f64>) {
        self.kills += 1;
        self.isk_killed += value.unwrap_or(0.0);
    }
}

pub(crate) fn class_of(type_id: TypeId) -> ShipClass {
    ShipClass::of_type(type_id).unwrap_or(ShipClass::Other)
}

pub(super) fn ships(ctx: &Context<'_>) -> Ships {
    let entity = ctx.entity;
    let mut hulls: BTreeMap<TypeId, Acc> = BTreeMap::new();
    let mut classes: BTreeMap<ShipClass, Acc> = BTreeMap::new();
    let mut flown: FxHashSet<(EntityId, TypeId)> = FxHashSet::default();
    let mut on_kill: Vec<TypeId> = Vec::new();
    for view in &ctx.battles {
        flown.clear();
        for km in &view.kills {
            let victim = Who::victim(&km.victim);
            let people = std::iter::once(victim).chain(km.attackers.iter().map(Who::attacker));
            for who in people.filter(|w| entity.matches(w)) {
                if let (Some(c), Some(ship)) = (who.character, who.ship) {
                    flown.insert((c, ship));
                }
            }
        }
        for &(pilot, ship) in &flown {
            let hull = hulls.entry(ship).or_default();
            hull.flown += 1;
            hull.pilots.insert(pilot);
            classes.entry(class_of(ship)).or_default().flown += 1;
        }
        for km in &view.own_kills {
            let value = km.total_value();
            if entity.is_victim(km) {
                let ship = km.victim.ship_type_id;
                hulls.entry(ship).or_default().loss(value);
                classes.entry(class_of(ship)).or_default().loss(value);
            }
            on_kill.clear();
            on_kill.extend(
                km.attackers
                    .iter()
                    .map(Who::attacker)
                    .filter(|w| entity.matches(w))
                    .filter_map(|w| w.ship),
            );
            on_kill.sort_unstable();
            on_kill.dedup();
            for &ship in &on_kill {
                hulls.entry(ship).or_default().kill(value);
            }
            let mut kill_classes: Vec<ShipClass> = on_kill.iter().map(|&s| class_of(s)).collect();
            kill_classes.sort_unstable();
            kill_classes.dedup();
            for class in kill_classes {
                classes.entry(class).or_default().kill(value);
            }
        }
    }
    let mut hulls: Vec<HullStats> = hulls
        .into_iter()
        .map(|(type_id, a)| HullStats {
            type_id,
            name: universe::ship_type(type_id).map(|s| s.name.to_owned()),
            class: class_of(type_id),
            flown: a.flown,
            pilots: count(a.pilots.len()),
            kills: a.kills,
            isk_killed: a.isk_killed,
            lost: a.lost,
            isk_lost: a.isk_lost,
            lost_without_value: a.lost_without_value,
        })
        .collect();
    hulls.sort_by_key(|h| (Reverse(h.flown), Reverse(h.lost), h.type_id));
    let mut classes: Vec<ClassStats> = classes
        .into_iter()
        .map(|(class, a)| ClassStats {
            class,
            flown: a.flown,
            kills: a.kills,
            isk_killed: a.isk_killed,
            lost: a.lost,
            isk_lost: a.isk_lost,
            lost_without_value: a.lost_without_value,
        })
        .collect();
    classes.sort_by_key(|c| (Reverse(c.flown), Reverse(c.lost), c.class));
    Ships { hulls, classes }
}
