//! Opponents and allies: the groups an entity fought against and beside.
//!
//! Guarantees: a group's role is decided per battle by the battle's sides
//! (on a side of the entity's: ally; elsewhere: opponent), so one group can
//! be both across battles, never both in one battle; participants matching
//! the entity never count for another group; each killmail counts at most
//! once per group and figure.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use serde::Serialize;

use super::context::{Context, Who};
use super::Entity;

/// A group the entity fought against.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Opponent {
    /// An alliance, or a corporation without alliance.
    pub group: Entity,
    /// Battles in which the group was on a side other than the entity's.
    pub battles: u32,
    /// Killmails of those battles where the entity attacked a member of the
    /// group (the group's losses to the entity).
    pub kills: u32,
    /// Value of those kills (the kills that have one).
    pub isk_killed: f64,
    /// Those kills without a value (not counted as zero ISK).
    pub kills_without_value: u32,
    /// Killmails of those battles where the entity lost a ship with a
    /// member of the group among the attackers (the entity's losses to it).
    pub losses: u32,
    /// Value of those losses (the losses that have one).
    pub isk_lost: f64,
    /// Those losses without a value (not counted as zero ISK).
    pub losses_without_value: u32,
}

/// A group the entity fought beside.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Ally {
    /// An alliance, or a corporation without alliance.
    pub group: Entity,
    /// Battles in which the group was on the entity's side.
    pub battles: u32,
    /// Killmails of those battles where the entity and a member of the
    /// group were both among the attackers.
    pub kills_together: u32,
    /// Value of those kills (the kills that have one).
    pub isk_killed_together: f64,
    /// The group's own losses in those battles.
    pub losses: u32,
    /// Value of those losses (the losses that have one).
    pub isk_lost: f64,
    /// Those losses without a value (not counted as zero ISK).
    pub losses_without_value: u32,
}

#[derive(Default)]
struct Acc {
    battles: u32,
    kills: u32,
    isk_killed: f64,
    kills_without_value: u32,
    losses: u32,
    isk_lost: f64,
    losses_without_value: u32,
}

impl Acc {
    fn kill(&mut self, value: Option<f64>) {
        self.kills += 1;
        match value {
            Some(v) => self.isk_killed += v,
            None => self.kills_without_value += 1,
        }
    }

    fn loss(&mut self, value: Option<f64>) {
        self.losses += 1;
        match value {
            Some(v) => self.isk_lost += v,
            None => self.losses_without_value += 1,
        }
    }
}

/// Per group: (figures as an ally, figures as an opponent).
fn tally(ctx: &Context<'_>) -> BTreeMap<Entity, (Acc, Acc)> {
    let entity = ctx.entity;
    let others = |who: &Who| (!entity.matches(who)).then(|| who.group()).flatten();
    let mut out: BTreeMap<Entity, (Acc, Acc)> = BTreeMap::new();
    let mut groups: Vec<Entity> = Vec::new();
    for view in &ctx.battles {
        // Who was there, for the battle counts.
        groups.clear();
        for km in &view.kills {
            groups.extend(others(&Who::victim(&km.victim)));
            groups.extend(
                km.attackers
                    .iter()
                    .filter_map(|a| others(&Who::attacker(a))),
            );
        }
        groups.sort_unstable();
        groups.dedup();
        for &g in &groups {
            let entry = out.entry(g).or_default();
            if view.is_friendly(g) {
                entry.0.battles += 1;
            } else {
                entry.1.battles += 1;
            }
        }
        // What happened between them and the entity.
        let mut attackers: Vec<Entity> = Vec::new();
        for km in &view.own_kills {
            let value = km.total_value();
            let entity_lost = entity.is_victim(km);
            let entity_attacked = entity.is_attacker(km);
            attackers.clear();
            attackers.extend(
                km.attackers
                    .iter()
                    .filter_map(|a| others(&Who::attacker(a))),
            );
            attackers.sort_unstable();
            attackers.dedup();
            if let Some(g) = others(&Who::victim(&km.victim)) {
                let entry = out.entry(g).or_default();
                if view.is_friendly(g) {
                    entry.0.loss(value);
                } else if entity_attacked {
                    entry.1.kill(value);
                }
            }
            for &g in &attackers {
                let entry = out.entry(g).or_default();
                if view.is_friendly(g) {
                    if entity_attacked {
                        entry.0.kill(value);
                    }
                } else if entity_lost {
                    entry.1.loss(value);
                }
            }
        }
    }
    out
}

/// Opponents (most kills and losses between them first, then most battles,
/// most ISK, group) and allies (most battles first, then most kills
/// together, group).
pub(super) fn relations(ctx: &Context<'_>) -> (Vec<Opponent>, Vec<Ally>) {
    let tally = tally(ctx);
    (opponents(&tally), allies(&tally))
}

fn opponents(tally: &BTreeMap<Entity, (Acc, Acc)>) -> Vec<Opponent> {
    let mut out: Vec<Opponent> = tally
        .iter()
        .filter(|(_, (_, o))| o.battles > 0)
        .map(|(&group, (_, o))| Opponent {
            group,
            battles: o.battles,
            kills: o.kills,
            isk_killed: o.isk_killed,
            kills_without_value: o.kills_without_value,
            losses: o.losses,
            isk_lost: o.isk_lost,
            losses_without_value: o.losses_without_value,
        })
        .collect();
    out.sort_by(|a, b| {
        (Reverse(a.kills + a.losses), Reverse(a.battles))
            .cmp(&(Reverse(b.kills + b.losses), Reverse(b.battles)))
            .then((b.isk_killed + b.isk_lost).total_cmp(&(a.isk_killed + a.isk_lost)))
            .then(a.group.cmp(&b.group))
    });
    out
}

fn allies(tally: &BTreeMap<Entity, (Acc, Acc)>) -> Vec<Ally> {
    let mut out: Vec<Ally> = tally
        .iter()
        .filter(|(_, (a, _))| a.battles > 0)
        .map(|(&group, (a, _))| Ally {
            group,
            battles: a.battles,
            kills_together: a.kills,
            isk_killed_together: a.isk_killed,
            losses: a.losses,
            isk_lost: a.isk_lost,
            losses_without_value: a.losses_without_value,
        })
        .collect();
    out.sort_by_key(|a| (Reverse(a.battles), Reverse(a.kills_together), a.group));
    out
}
