//! The killmail model: one struct per ESI object, with the exact wire names of
//! ESI (`snake_case`) and zKillboard (`camelCase`, e.g. `locationID`).
//!
//! Optional wire fields are `Option`, never a silent zero, so "unknown" and
//! "zero" stay distinct all the way to the statistics.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Killmail ids, character, corporation, alliance and faction ids.
pub type EntityId = u64;
/// Solar system ids (30000000.., 31000000.. for J-space, 32000000.. abyssal).
pub type SystemId = u32;
/// Inventory type ids (ships, weapons, items).
pub type TypeId = u32;

/// NPC corporations, the starter corporations of new players included.
const NPC_CORPORATIONS: std::ops::Range<EntityId> = 1_000_000..2_000_000;

/// True for an NPC corporation id (1,000,000–1,999,999). Their members share
/// nothing but the id: thousands of unrelated new players, NPCs and
/// CONCORD. So such a corporation never links killmails, never forms a side
/// and never makes a kill an awox; its pilots stand for themselves.
#[must_use]
pub const fn is_npc_corporation(id: EntityId) -> bool {
    id >= NPC_CORPORATIONS.start && id < NPC_CORPORATIONS.end
}

/// A killmail as ESI serves it, optionally carrying zKillboard's metadata.
///
/// Serialising gives ESI's shape plus a `zkb` key when metadata is present,
/// which is also how RedisQ and zKillboard's older API embed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Killmail {
    pub killmail_id: EntityId,
    pub killmail_time: DateTime<Utc>,
    pub solar_system_id: SystemId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moon_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub war_id: Option<u64>,
    pub victim: Victim,
    pub attackers: Vec<Attacker>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zkb: Option<ZkbMeta>,
}

/// The victim of a killmail: a pilot in a ship, or a structure / deployable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Victim {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alliance_id: Option<EntityId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub character_id: Option<EntityId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corporation_id: Option<EntityId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faction_id: Option<EntityId>,
    pub damage_taken: u64,
    pub ship_type_id: TypeId,
    /// `None` when ESI sent no `items` key; `Some(vec![])` for `"items": []`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<Item>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
}

/// One attacker: a pilot, an NPC (no `character_id`) or a structure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Attacker {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alliance_id: Option<EntityId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub character_id: Option<EntityId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corporation_id: Option<EntityId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faction_id: Option<EntityId>,
    pub damage_done: u64,
    pub final_blow: bool,
    /// Always present in ESI; absent in some derived sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_status: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_type_id: Option<TypeId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weapon_type_id: Option<TypeId>,
}

/// Where the victim died, in metres from the system's star.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Position {
    pub x: f64,
    pub y: f64,
    pub z: f64,
}

/// A fitted or carried item; containers hold nested `items`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Item {
    pub flag: i32,
    pub item_type_id: TypeId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity_destroyed: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity_dropped: Option<u64>,
    pub singleton: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<Item>>,
}

/// zKillboard's metadata about a killmail (`zkb` object).
///
/// Every field is optional: R2Z2 keeps `hash` beside the `zkb` object, and
/// derived sources may lack it. A killmail *reference* always has a hash.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ZkbMeta {
    #[serde(
        rename = "locationID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub location_id: Option<u64>,
    /// What ESI needs, with the killmail id, to serve the killmail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    #[serde(
        rename = "fittedValue",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub fitted_value: Option<f64>,
    #[serde(
        rename = "droppedValue",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub dropped_value: Option<f64>,
    #[serde(
        rename = "destroyedValue",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub destroyed_value: Option<f64>,
    #[serde(
        rename = "totalValue",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub total_value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub npc: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub solo: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub awox: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
}

impl Killmail {
    /// The attacker credited with the final blow, if any.
    #[must_use]
    pub fn final_blow(&self) -> Option<&Attacker> {
        self.attackers.iter().find(|a| a.final_blow)
    }

    /// Characters on the killmail: the victim first, then attackers in order.
    /// May contain repeats when a pilot appears twice (ESI never does this,
    /// but hand-made data can).
    pub fn characters(&self) -> impl Iterator<Item = EntityId> + '_ {
        self.victim
            .character_id
            .into_iter()
            .chain(self.attackers.iter().filter_map(|a| a.character_id))
    }

    /// True when no attacker is a player character (pure NPC kill).
    #[must_use]
    pub fn is_npc_kill(&self) -> bool {
        self.zkb
            .as_ref()
            .and_then(|z| z.npc)
            .unwrap_or_else(|| self.attackers.iter().all(|a| a.character_id.is_none()))
    }

    /// zKillboard's total value in ISK, when known.
    #[must_use]
    pub fn total_value(&self) -> Option<f64> {
        self.zkb.as_ref().and_then(|z| z.total_value)
    }
}
