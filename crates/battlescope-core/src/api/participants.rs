//! Who was in a battle: one row per pilot and hull, with the side the
//! pilot fought on and whether that hull died.
//!
//! Guarantees: every character on any of the battle's killmails (victim or
//! attacker) has at least one row, and no one else does (NPCs and
//! structures have no character, so no row); a pilot seen in two hulls has
//! two rows; a row is `lost` when its pilot was the victim in that hull,
//! and lists each such killmail. A pilot seen only without a hull (an
//! attacker whose ship ESI left out) has a row without a ship.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::Names;
use crate::battle::Battle;
use crate::events::NameCategory;
use crate::killmail::{EntityId, Killmail, TypeId};

/// `GET /api/battles/{id}/participants`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Participants {
    /// The battle.
    pub battle_id: Uuid,
    /// By character id, then ship type id.
    pub participants: Vec<Participant>,
}

/// One pilot in one hull.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Participant {
    /// The pilot.
    pub character_id: EntityId,
    /// Its name, when one was stored.
    pub character_name: Option<String>,
    /// The pilot's corporation on its latest killmail of the battle.
    pub corporation_id: Option<EntityId>,
    /// Its name, when one was stored.
    pub corporation_name: Option<String>,
    /// The pilot's alliance on its latest killmail of the battle.
    pub alliance_id: Option<EntityId>,
    /// Its name, when one was stored.
    pub alliance_name: Option<String>,
    /// The hull; `None` when a killmail showed the pilot without one.
    pub ship_type_id: Option<TypeId>,
    /// Index into the battle's `sides`; `None` when no side lists the pilot.
    pub side: Option<u32>,
    /// The hull died with this pilot in it.
    pub lost: bool,
    /// The killmails of those losses (empty when it survived).
    pub loss_killmail_ids: Vec<u64>,
}

/// The participants of `battle` from its killmails and their stored names
/// (killmails not among `battle.killmailIds` are ignored).
#[must_use]
pub fn participants(battle: &Battle, killmails: &[Killmail], names: &Names) -> Participants {
    let members: rustc_hash::FxHashSet<u64> = battle.killmail_ids.iter().copied().collect();
    let mut kills: Vec<&Killmail> = killmails
        .iter()
        .filter(|k| members.contains(&k.killmail_id))
        .collect();
    kills.sort_by_key(|k| (k.killmail_time, k.killmail_id));
    kills.dedup_by_key(|k| k.killmail_id);
    let mut side_of: rustc_hash::FxHashMap<EntityId, u32> = rustc_hash::FxHashMap::default();
    for side in &battle.sides {
        for &p in &side.pilots {
            side_of.entry(p).or_insert(side.index);
        }
    }
    let mut rows: BTreeMap<(EntityId, Option<TypeId>), Participant> = BTreeMap::new();
    let mut row = |character, corporation, alliance, ship, loss: Option<u64>| {
        let p = rows
            .entry((character, ship))
            .or_insert_with(|| Participant {
                character_id: character,
                character_name: names.get(NameCategory::Character, Some(character)),
                corporation_id: None,
                corporation_name: None,
                alliance_id: None,
                alliance_name: None,
                ship_type_id: ship,
                side: side_of.get(&character).copied(),
                lost: false,
                loss_killmail_ids: Vec::new(),
            });
        // Kills come in time order: the latest affiliation stays.
        p.corporation_id = corporation;
        p.corporation_name = names.get(NameCategory::Corporation, corporation);
        p.alliance_id = alliance;
        p.alliance_name = names.get(NameCategory::Alliance, alliance);
        if let Some(id) = loss {
            p.lost = true;
            p.loss_killmail_ids.push(id);
        }
    };
    for km in &kills {
        let v = &km.victim;
        if let Some(c) = v.character_id {
            row(
                c,
                v.corporation_id,
                v.alliance_id,
                Some(v.ship_type_id),
                Some(km.killmail_id),
            );
        }
        for a in &km.attackers {
            if let Some(c) = a.character_id {
                row(c, a.corporation_id, a.alliance_id, a.ship_type_id, None);
            }
        }
    }
    // A pilot seen without a hull and also in one: the row without is noise.
    let with_hull: rustc_hash::FxHashSet<EntityId> = rows
        .keys()
        .filter(|(_, ship)| ship.is_some())
        .map(|(c, _)| *c)
        .collect();
    rows.retain(|(c, ship), _| ship.is_some() || !with_hull.contains(c));
    Participants {
        battle_id: battle.id,
        participants: rows.into_values().collect(),
    }
}
