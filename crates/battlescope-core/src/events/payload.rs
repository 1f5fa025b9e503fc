//! The `data` of each event type.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{EventData, EventType};
use crate::battle::{Battle, KillSummary};
use crate::cluster::UpdateReason;
use crate::input::KillmailRef;
use crate::killmail::{EntityId, Killmail, SystemId, ZkbMeta};

/// `killmail.ingested`: a killmail known by reference.
///
/// Ingest emits it once per killmail id it accepts. It holds what every
/// source gives (id and hash, which is what ESI needs to serve the body) and
/// what some give (zKillboard's metadata, the system, the time): the full
/// killmail follows in `killmail.enriched`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KillmailIngestedData {
    /// The killmail's id.
    pub killmail_id: EntityId,
    /// ESI's hash of the killmail: `/killmails/{killmailId}/{hash}/`.
    pub hash: String,
    /// Known when the source carried the killmail (R2Z2, RedisQ, files);
    /// `null` for zKillboard API rows.
    pub solar_system_id: Option<SystemId>,
    /// Known when the source carried the killmail; `null` otherwise.
    pub killmail_time: Option<DateTime<Utc>>,
    /// zKillboard's metadata, when the source had it (the object as
    /// zKillboard writes it).
    pub zkb: Option<ZkbMeta>,
}

impl KillmailIngestedData {
    /// The reference of a full killmail; `None` when it has no hash.
    #[must_use]
    pub fn from_killmail(km: &Killmail) -> Option<Self> {
        let hash = km.zkb.as_ref()?.hash.clone()?;
        Some(Self {
            killmail_id: km.killmail_id,
            hash,
            solar_system_id: Some(km.solar_system_id),
            killmail_time: Some(km.killmail_time),
            zkb: km.zkb.clone(),
        })
    }

    /// The reference of a zKillboard API row (no system, no time).
    #[must_use]
    pub fn from_ref(r: &KillmailRef) -> Self {
        Self {
            killmail_id: r.killmail_id,
            hash: r.hash.clone(),
            solar_system_id: None,
            killmail_time: None,
            zkb: Some(r.zkb.clone()),
        }
    }
}

impl EventData for KillmailIngestedData {
    const EVENT_TYPE: EventType = EventType::KillmailIngested;
    fn identity(&self) -> String {
        self.killmail_id.to_string()
    }
}

/// `killmail.enriched`: the full killmail, ready to cluster and to store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KillmailEnrichedData {
    /// The killmail as ESI serves it (ESI's `snake_case` names), with
    /// zKillboard's `zkb` object when known.
    pub killmail: Killmail,
    /// The compact view battle pages and kill feeds show.
    pub summary: KillSummary,
    /// Names of the ids on the killmail that enrich could resolve; may be
    /// incomplete (a consumer shows the id where a name is missing).
    pub names: Vec<EntityName>,
}

impl KillmailEnrichedData {
    /// The payload of a killmail with the names resolved for it.
    #[must_use]
    pub fn new(killmail: Killmail, names: Vec<EntityName>) -> Self {
        Self {
            summary: KillSummary::of(&killmail),
            killmail,
            names,
        }
    }
}

impl EventData for KillmailEnrichedData {
    const EVENT_TYPE: EventType = EventType::KillmailEnriched;
    fn identity(&self) -> String {
        self.killmail.killmail_id.to_string()
    }
}

/// A resolved name (ESI's `/universe/names/` item).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
pub struct EntityName {
    /// The entity's id.
    pub id: u64,
    /// Its name.
    pub name: String,
    /// What it is.
    pub category: NameCategory,
}

/// What a resolved name belongs to (ESI's categories).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum NameCategory {
    /// An alliance.
    Alliance,
    /// A character.
    Character,
    /// A constellation.
    Constellation,
    /// A corporation.
    Corporation,
    /// A type (ship, module, …).
    InventoryType,
    /// A region.
    Region,
    /// A solar system.
    SolarSystem,
    /// A station.
    Station,
    /// A faction.
    Faction,
}

/// `battle.created`: a group of kills became a battle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BattleCreatedData {
    /// The whole document; `battle.killmailIds` are all its kills.
    pub battle: Battle,
}

impl EventData for BattleCreatedData {
    const EVENT_TYPE: EventType = EventType::BattleCreated;
    fn identity(&self) -> String {
        ids_identity(self.battle.id, &self.battle.killmail_ids)
    }
}

/// `battle.updated`: kills joined a battle, or battles merged into it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BattleUpdatedData {
    /// The whole document after the change.
    pub battle: Battle,
    /// The id the battle had until this change, when it differs: a battle
    /// is named by its earliest kill, and that changed. Consumers move the
    /// battle and redirect the old id here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_id: Option<Uuid>,
    /// Killmails new to this battle, sorted by time then id: the clustered
    /// kill, and the kills of absorbed battles and of pending groups it
    /// bridged.
    pub added_killmail_ids: Vec<EntityId>,
    /// Killmails that left this battle (a replaced copy or a re-cluster),
    /// sorted by time then id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed_killmail_ids: Vec<EntityId>,
    /// Why it changed.
    pub reason: UpdateReason,
    /// Battles merged into this one by this change; each gets a
    /// `battle.deleted` right after this event.
    pub absorbed: Vec<Uuid>,
}

impl EventData for BattleUpdatedData {
    const EVENT_TYPE: EventType = EventType::BattleUpdated;
    fn identity(&self) -> String {
        let mut id = ids_identity(self.battle.id, &self.added_killmail_ids);
        if !self.removed_killmail_ids.is_empty() || self.previous_id.is_some() {
            // Kills can leave and come back: name the whole new membership.
            id.push('|');
            id.push_str(&ids_identity(self.battle.id, &self.battle.killmail_ids));
        }
        id
    }
}

/// `battle.deleted`: a battle was absorbed by a merge, or its kills no
/// longer form a battle.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BattleDeletedData {
    /// The battle that is gone.
    pub battle_id: Uuid,
    /// Its solar system.
    pub system_id: SystemId,
    /// The survivor, which now holds this battle's kills (redirect the old
    /// id there); `null` when the kills no longer form a battle (after a
    /// re-cluster or a replaced killmail copy).
    pub merged_into: Option<Uuid>,
}

impl EventData for BattleDeletedData {
    const EVENT_TYPE: EventType = EventType::BattleDeleted;
    fn identity(&self) -> String {
        match self.merged_into {
            Some(into) => format!("{}:{into}", self.battle_id),
            None => format!("{}:dissolved", self.battle_id),
        }
    }
}

/// `battle.sealed`: the battle is final — no kill within the allowed
/// lateness can change it; only a re-cluster of its range could.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BattleSealedData {
    /// The final document.
    pub battle: Battle,
}

impl EventData for BattleSealedData {
    const EVENT_TYPE: EventType = EventType::BattleSealed;
    fn identity(&self) -> String {
        format!(
            "sealed|{}",
            ids_identity(self.battle.id, &self.battle.killmail_ids)
        )
    }
}

/// `"{battle}:{id},{id},…"`: a battle only ever gains a killmail once.
fn ids_identity(battle: Uuid, ids: &[EntityId]) -> String {
    let mut out = format!("{battle}:");
    for (i, id) in ids.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, "{id}");
    }
    out
}
