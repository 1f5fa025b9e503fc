//! The page of an alliance, corporation or character: its name, its recent
//! battles, and what [`crate::intel`] says about them (figures, ships flown,
//! opponents). The intel is core's own report over the same battles, not a
//! second computation.

use schemars::JsonSchema;
use serde::Serialize;

use super::Names;
use crate::battle::Battle;
use crate::events::NameCategory;
use crate::intel::{analyze, Entity, IntelConfig, Opponent, Ships, Summary};
use crate::killmail::Killmail;

/// `GET /api/alliances/{id}`, `/api/corporations/{id}`, `/api/characters/{id}`.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EntityPage {
    /// Whom the page is about.
    pub entity: Entity,
    /// Its name, when one was stored with a killmail of its battles.
    pub name: Option<String>,
    /// Its most recent battles, newest first; the figures below are over
    /// these.
    pub recent_battles: Vec<Battle>,
    /// Battles, kills, losses and efficiency.
    pub summary: Summary,
    /// Hulls and classes flown and lost.
    pub ships: Ships,
    /// Groups fought against, most engaged first.
    pub opponents: Vec<Opponent>,
}

/// The page of `entity` from its recent battles (newest first), their
/// killmails and the names stored with them.
#[must_use]
pub fn entity_page(
    entity: Entity,
    recent_battles: Vec<Battle>,
    killmails: &[Killmail],
    names: &Names,
) -> EntityPage {
    let report = analyze(entity, &recent_battles, killmails, &IntelConfig::default());
    let category = match entity {
        Entity::Alliance(_) => NameCategory::Alliance,
        Entity::Corporation(_) => NameCategory::Corporation,
        Entity::Character(_) => NameCategory::Character,
    };
    EntityPage {
        entity,
        name: names.get(category, Some(entity.id())),
        recent_battles,
        summary: report.summary,
        ships: report.ships,
        opponents: report.opponents,
    }
}
