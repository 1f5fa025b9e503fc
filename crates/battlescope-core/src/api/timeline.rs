//! A battle minute by minute: how many ships died and how much ISK, in all
//! and per side, so a chart can show who bled when.
//!
//! Guarantees: each of the battle's killmails counts in exactly one minute
//! (its time truncated to the minute), so the minutes' `kills` add up to the
//! battle's kill count and their `iskDestroyed` to its `iskDestroyed`
//! (killmails without a value count as kills, not as ISK). Per side, a
//! killmail counts for the side of its victim ([`Battle::victim_side`], the
//! side that counts it among its `losses`), so a side's minutes add up to
//! its `losses` and `iskLost`; victims on no side (NPCs) count in the
//! minute's totals only.

use std::collections::BTreeMap;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::battle::Battle;
use crate::killmail::Killmail;

/// `GET /api/battles/{id}/timeline`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Timeline {
    /// The battle.
    pub battle_id: Uuid,
    /// The minutes with at least one kill, in time order.
    pub minutes: Vec<TimelineMinute>,
}

/// One minute of a battle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TimelineMinute {
    /// The minute's start.
    pub minute: DateTime<Utc>,
    /// Killmails in this minute.
    pub kills: u32,
    /// Their value (those that have one).
    pub isk_destroyed: f64,
    /// Of those, killmails without a value.
    pub kills_without_value: u32,
    /// Per side that lost ships in this minute, by side index.
    pub sides: Vec<SideMinute>,
}

/// What one side lost in one minute.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SideMinute {
    /// Index into the battle's `sides`.
    pub side: u32,
    /// Its ships (and structures) killed in this minute.
    pub losses: u32,
    /// Their value (those that have one).
    pub isk_lost: f64,
}

/// The timeline of `battle` from its killmails (those not among
/// `battle.killmailIds` are ignored, so a superset is fine).
#[must_use]
pub fn timeline(battle: &Battle, killmails: &[Killmail]) -> Timeline {
    let members: rustc_hash::FxHashSet<u64> = battle.killmail_ids.iter().copied().collect();
    let mut minutes: BTreeMap<DateTime<Utc>, (TimelineMinute, BTreeMap<u32, SideMinute>)> =
        BTreeMap::new();
    let mut seen = rustc_hash::FxHashSet::default();
    for km in killmails {
        if !members.contains(&km.killmail_id) || !seen.insert(km.killmail_id) {
            continue;
        }
        let minute = km
            .killmail_time
            .duration_trunc(TimeDelta::minutes(1))
            .unwrap_or(km.killmail_time);
        let (m, sides) = minutes.entry(minute).or_insert_with(|| {
            (
                TimelineMinute {
                    minute,
                    kills: 0,
                    isk_destroyed: 0.0,
                    kills_without_value: 0,
                    sides: Vec::new(),
                },
                BTreeMap::new(),
            )
        });
        m.kills += 1;
        let value = km.total_value();
        match value {
            Some(v) => m.isk_destroyed += v,
            None => m.kills_without_value += 1,
        }
        if let Some(side) = battle.victim_side(km) {
            let s = sides.entry(side).or_insert(SideMinute {
                side,
                losses: 0,
                isk_lost: 0.0,
            });
            s.losses += 1;
            s.isk_lost += value.unwrap_or(0.0);
        }
    }
    Timeline {
        battle_id: battle.id,
        minutes: minutes
            .into_values()
            .map(|(mut m, sides)| {
                m.sides = sides.into_values().collect();
                m
            })
            .collect(),
    }
}
