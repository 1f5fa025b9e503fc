//! The headline figures of a report.
//!
//! Guarantees: `kills` and `losses` count killmails (each once, however many
//! of the entity's pilots are on it); ISK sums skip unknown values, which
//! are counted beside them; `battlesWon` uses the same rule as doctrines (the
//! entity's side destroyed more than half the ISK of its battle).

use chrono::{DateTime, Utc};
use rustc_hash::FxHashSet;
use serde::Serialize;

use super::context::{Context, Who};
use super::{count, efficiency};
use crate::killmail::EntityId;

/// The entity's figures over its battles.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Summary {
    /// Battles the entity was on a side of.
    pub battles: u32,
    /// Of those, battles whose side (the entity's main side) has an ISK
    /// efficiency above 0.5.
    pub battles_won: u32,
    /// Killmails with the entity among the attackers.
    pub kills: u32,
    /// Value of those kills (the kills that have one).
    pub isk_killed: f64,
    /// Those kills without a value (not counted as zero ISK).
    pub kills_without_value: u32,
    /// Killmails with the entity as the victim.
    pub losses: u32,
    /// Value of those losses (the losses that have one).
    pub isk_lost: f64,
    /// Those losses without a value (not counted as zero ISK).
    pub losses_without_value: u32,
    /// `iskKilled / (iskKilled + iskLost)`, `None` when both are zero.
    pub efficiency: Option<f64>,
    /// Distinct characters of the entity seen in its battles.
    pub pilots: u32,
    /// Start of the first battle.
    pub first_seen: Option<DateTime<Utc>>,
    /// End of the last battle.
    pub last_seen: Option<DateTime<Utc>>,
    /// Killmail ids the battles name that the input did not have.
    pub missing_killmails: u32,
}

pub(super) fn summarize(ctx: &Context<'_>) -> Summary {
    let entity = ctx.entity;
    let mut s = Summary {
        battles: count(ctx.battles.len()),
        battles_won: 0,
        kills: 0,
        isk_killed: 0.0,
        kills_without_value: 0,
        losses: 0,
        isk_lost: 0.0,
        losses_without_value: 0,
        efficiency: None,
        pilots: 0,
        first_seen: ctx.battles.iter().map(|b| b.battle.start_time).min(),
        last_seen: ctx.battles.iter().map(|b| b.battle.end_time).max(),
        missing_killmails: ctx.missing_killmails,
    };
    let mut pilots: FxHashSet<EntityId> = FxHashSet::default();
    for view in &ctx.battles {
        if won(view) {
            s.battles_won += 1;
        }
        for km in &view.own_kills {
            let victim = Who::victim(&km.victim);
            if entity.matches(&victim) {
                s.losses += 1;
                match km.total_value() {
                    Some(v) => s.isk_lost += v,
                    None => s.losses_without_value += 1,
                }
                pilots.extend(victim.character);
            }
            let mut attacked = false;
            for a in km
                .attackers
                .iter()
                .map(Who::attacker)
                .filter(|a| entity.matches(a))
            {
                attacked = true;
                pilots.extend(a.character);
            }
            if attacked {
                s.kills += 1;
                match km.total_value() {
                    Some(v) => s.isk_killed += v,
                    None => s.kills_without_value += 1,
                }
            }
        }
    }
    s.pilots = count(pilots.len());
    s.efficiency = efficiency(s.isk_killed, s.isk_lost);
    s
}

/// True when the entity's main side destroyed more than half of the ISK
/// its battle saw change hands.
pub(super) fn won(view: &super::context::BattleView<'_>) -> bool {
    view.own_sides
        .first()
        .and_then(|&i| view.battle.sides.get(i))
        .and_then(|side| side.efficiency)
        .is_some_and(|e| e > 0.5)
}
