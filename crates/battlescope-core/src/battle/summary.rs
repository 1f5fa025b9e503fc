//! A compact view of one killmail inside a battle document.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::stats::class_of;
use crate::killmail::{EntityId, Killmail, TypeId};
use crate::universe::ShipClass;

/// One kill as a battle document lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KillSummary {
    /// The killmail.
    pub killmail_id: u64,
    /// When it happened.
    pub time: DateTime<Utc>,
    /// The victim's character, `None` for structures and NPCs.
    pub victim_character_id: Option<EntityId>,
    /// The victim's corporation.
    pub victim_corporation_id: Option<EntityId>,
    /// The victim's alliance, when in one.
    pub victim_alliance_id: Option<EntityId>,
    /// The hull (or structure) lost.
    pub ship_type_id: TypeId,
    /// The hull's class, from its ship group.
    pub ship_class: ShipClass,
    /// Attackers on the killmail, NPCs included.
    pub attacker_count: u32,
    /// Character with the final blow, when a player had it.
    pub final_blow_character_id: Option<EntityId>,
    /// zKillboard's value, when known.
    pub total_value: Option<f64>,
    /// Only NPCs attacked (no character among the attackers).
    pub npc: bool,
}

impl KillSummary {
    /// Summarise a killmail.
    #[must_use]
    pub fn of(km: &Killmail) -> Self {
        Self {
            killmail_id: km.killmail_id,
            time: km.killmail_time,
            victim_character_id: km.victim.character_id,
            victim_corporation_id: km.victim.corporation_id,
            victim_alliance_id: km.victim.alliance_id,
            ship_type_id: km.victim.ship_type_id,
            ship_class: class_of(km.victim.ship_type_id),
            attacker_count: u32::try_from(km.attackers.len()).unwrap_or(u32::MAX),
            final_blow_character_id: km.final_blow().and_then(|a| a.character_id),
            total_value: km.total_value(),
            npc: km.is_npc_kill(),
        }
    }
}
