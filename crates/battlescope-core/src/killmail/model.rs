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
    /// ESI's killmail id.
    pub killmail_id: EntityId,
    /// When the kill happened (UTC).
    pub killmail_time: DateTime<Utc>,
    /// Where it happened.
    pub solar_system_id: SystemId,
    /// The moon, for kills at a moon (structures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moon_id: Option<u64>,
    /// The war, for kills in a war.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub war_id: Option<u64>,
    /// Who died.
    pub victim: Victim,
    /// Who took part in the kill, NPCs included.
    pub attackers: Vec<Attacker>,
    /// zKillboard's metadata, when the source carried it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zkb: Option<ZkbMeta>,
}

/// The victim of a killmail: a pilot in a ship, or a structure / deployable.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Victim {
    /// The victim's alliance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alliance_id: Option<EntityId>,
    /// The victim's character; absent for structures and deployables.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub character_id: Option<EntityId>,
    /// The victim's corporation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corporation_id: Option<EntityId>,
    /// The victim's faction (faction warfare).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faction_id: Option<EntityId>,
    /// Damage the victim took.
    pub damage_taken: u64,
    /// The hull, structure or deployable lost.
    pub ship_type_id: TypeId,
    /// `None` when ESI sent no `items` key; `Some(vec![])` for `"items": []`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<Item>>,
    /// Where the victim died.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<Position>,
}

/// One attacker: a pilot, an NPC (no `character_id`) or a structure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Attacker {
    /// The attacker's alliance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alliance_id: Option<EntityId>,
    /// The attacker's character; absent for NPCs and structures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub character_id: Option<EntityId>,
    /// The attacker's corporation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corporation_id: Option<EntityId>,
    /// The attacker's faction (NPCs, faction warfare).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub faction_id: Option<EntityId>,
    /// Damage the attacker did.
    pub damage_done: u64,
    /// Whether this attacker landed the final blow.
    pub final_blow: bool,
    /// Always present in ESI; absent in some derived sources.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_status: Option<f64>,
    /// The attacker's hull.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_type_id: Option<TypeId>,
    /// The weapon (or module) the attacker used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weapon_type_id: Option<TypeId>,
}

/// Where the victim died, in metres from the system's star.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Position {
    /// Metres along x.
    pub x: f64,
    /// Metres along y.
    pub y: f64,
    /// Metres along z.
    pub z: f64,
}

/// A fitted or carried item; containers hold nested `items`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Item {
    /// Where the item sat (ESI's inventory flag).
    pub flag: i32,
    /// The item's type.
    pub item_type_id: TypeId,
    /// How many were destroyed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity_destroyed: Option<u64>,
    /// How many dropped to the wreck.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity_dropped: Option<u64>,
    /// ESI's singleton flag (2 for a blueprint copy).
    pub singleton: i32,
    /// Items inside a container item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<Item>>,
}

/// zKillboard's metadata about a killmail (`zkb` object).
///
/// Every field is optional: R2Z2 keeps `hash` beside the `zkb` object, and
/// derived sources may lack it. A killmail *reference* always has a hash.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ZkbMeta {
    /// Where the kill happened (a celestial near it).
    #[serde(
        rename = "locationID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub location_id: Option<u64>,
    /// What ESI needs, with the killmail id, to serve the killmail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// Value of the fitted modules, in ISK.
    #[serde(
        rename = "fittedValue",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub fitted_value: Option<f64>,
    /// Value of what dropped, in ISK.
    #[serde(
        rename = "droppedValue",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub dropped_value: Option<f64>,
    /// Value of what was destroyed, in ISK.
    #[serde(
        rename = "destroyedValue",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub destroyed_value: Option<f64>,
    /// zKillboard's estimate of the whole loss, in ISK.
    #[serde(
        rename = "totalValue",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub total_value: Option<f64>,
    /// zKillboard's points for the kill.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points: Option<i64>,
    /// Only NPCs attacked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub npc: Option<bool>,
    /// One attacker only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub solo: Option<bool>,
    /// Friendly fire: an attacker shares the victim's corporation or alliance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub awox: Option<bool>,
    /// zKillboard's labels (`loc:w-space`, `pvp`, …).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<String>,
    /// zKillboard's link to the kill.
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
