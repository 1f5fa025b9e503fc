//! What the search index holds: one document per battle, entity (alliance,
//! corporation, character, solar system) or killmail.

use battlescope_core::universe::{self, SolarSystem};
use battlescope_core::{Battle, Killmail};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The kind of a document; a query may ask for some kinds only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DocKind {
    Battle,
    Alliance,
    Corporation,
    Character,
    System,
    Killmail,
}

impl DocKind {
    /// Every kind, in a fixed order.
    pub const ALL: [DocKind; 6] = [
        Self::Battle,
        Self::Alliance,
        Self::Corporation,
        Self::Character,
        Self::System,
        Self::Killmail,
    ];

    /// The stored form (`battle`, `alliance`, …).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Battle => "battle",
            Self::Alliance => "alliance",
            Self::Corporation => "corporation",
            Self::Character => "character",
            Self::System => "system",
            Self::Killmail => "killmail",
        }
    }

    pub(super) fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One document. `(kind, id)` identifies it: writing it again replaces it.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchDoc {
    pub kind: DocKind,
    /// The entity / killmail id, or the battle's UUID.
    pub id: String,
    /// What a result shows and what matches best: the entity's name, the
    /// battle's system, the victim's ship and system.
    pub name: String,
    /// Other words that should find it (a battle's region, alliances and
    /// corporations; a killmail's victim, corporation and alliance).
    pub text: String,
    /// A battle's start or a killmail's time.
    pub time: Option<DateTime<Utc>>,
    /// Breaks ties between equally good matches, higher first (a battle's
    /// kills, an entity's activity).
    pub rank: u64,
}

impl SearchDoc {
    /// An alliance, corporation, character or solar system by name.
    #[must_use]
    pub fn entity(kind: DocKind, id: u64, name: impl Into<String>) -> Self {
        Self {
            kind,
            id: id.to_string(),
            name: name.into(),
            text: String::new(),
            time: None,
            rank: 0,
        }
    }

    /// A solar system of the static data, findable by its region too.
    #[must_use]
    pub fn system(system: &SolarSystem) -> Self {
        Self {
            text: system.region_name.to_owned(),
            ..Self::entity(DocKind::System, u64::from(system.id), system.name)
        }
    }

    /// A battle: named by its system, found also by its region and the
    /// names (from `names`, e.g. the ESI cache) of every alliance and
    /// corporation on its sides; bigger battles rank first.
    #[must_use]
    pub fn battle(battle: &Battle, names: impl Fn(u64) -> Option<String>) -> Self {
        let mut text: Vec<String> = battle.region_name.iter().cloned().collect();
        for side in &battle.sides {
            text.extend(side.alliances.iter().filter_map(|id| names(*id)));
            text.extend(side.corporations.iter().filter_map(|id| names(*id)));
        }
        Self {
            kind: DocKind::Battle,
            id: battle.id.to_string(),
            name: battle
                .system_name
                .clone()
                .unwrap_or_else(|| format!("system {}", battle.system_id)),
            text: text.join(" "),
            time: Some(battle.start_time),
            rank: battle.killmail_ids.len() as u64,
        }
    }

    /// A killmail: named by the victim's ship and the system, found also by
    /// the victim's character, corporation and alliance names.
    #[must_use]
    pub fn killmail(km: &Killmail, names: impl Fn(u64) -> Option<String>) -> Self {
        let ship = universe::ship_type(km.victim.ship_type_id).map_or_else(
            || format!("type {}", km.victim.ship_type_id),
            |t| t.name.to_owned(),
        );
        let place = universe::system(km.solar_system_id).map_or_else(
            || format!("system {}", km.solar_system_id),
            |s| s.name.to_owned(),
        );
        let v = &km.victim;
        let text: Vec<String> = [v.character_id, v.corporation_id, v.alliance_id]
            .into_iter()
            .flatten()
            .filter_map(names)
            .collect();
        Self {
            kind: DocKind::Killmail,
            id: km.killmail_id.to_string(),
            name: format!("{ship} in {place}"),
            text: text.join(" "),
            time: Some(km.killmail_time),
            rank: 0,
        }
    }
}

/// One result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHit {
    pub kind: DocKind,
    pub id: String,
    pub name: String,
    pub score: f32,
}
