//! Search: the hits of `GET /api/search` and the body of
//! `POST /api/search/battles` (the battle list's filters as JSON, with an
//! optional text query).

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::universe::SecurityClass;

/// `GET /api/search`: best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchResults {
    /// What was searched for.
    pub query: String,
    /// Best first.
    pub hits: Vec<SearchHit>,
}

/// One hit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    /// What was found.
    pub kind: SearchHitKind,
    /// A battle's UUID, or an entity's or killmail's id, as text.
    pub id: String,
    /// The name it was found by (a battle's: its system).
    pub title: String,
    /// Relevance; only the order means something.
    pub score: f32,
}

/// What a hit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SearchHitKind {
    /// A battle (`id` is its UUID).
    Battle,
    /// An alliance.
    Alliance,
    /// A corporation.
    Corporation,
    /// A character.
    Character,
    /// A solar system.
    System,
    /// A killmail.
    Killmail,
}

impl SearchHitKind {
    /// Every kind, as `GET /api/search?kinds=` names them.
    pub const ALL: [Self; 6] = [
        Self::Battle,
        Self::Alliance,
        Self::Corporation,
        Self::Character,
        Self::System,
        Self::Killmail,
    ];

    /// The kind's name in JSON.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Battle => "battle",
            Self::Alliance => "alliance",
            Self::Corporation => "corporation",
            Self::Character => "character",
            Self::System => "system",
            Self::Killmail => "killmail",
        }
    }
}

/// `POST /api/search/battles`: the filters of `GET /api/battles`, each
/// optional, and a text query. Unknown fields are refused, so a misspelt
/// filter is an error rather than silently ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BattleSearch {
    /// Typo-tolerant text (system, region, security class), matched by the
    /// search index; the filters then apply to what it found.
    #[serde(default)]
    pub q: Option<String>,
    /// Solar system id.
    #[serde(default)]
    pub system: Option<u32>,
    /// Region id.
    #[serde(default)]
    pub region: Option<u32>,
    /// Security class.
    #[serde(default)]
    pub security: Option<SecurityClass>,
    /// An alliance on any of the battle's killmails.
    #[serde(default)]
    pub alliance: Option<u64>,
    /// A corporation on any of the battle's killmails.
    #[serde(default)]
    pub corporation: Option<u64>,
    /// A character on any of the battle's killmails.
    #[serde(default)]
    pub character: Option<u64>,
    /// Battles still going at or after this time.
    #[serde(default)]
    pub since: Option<DateTime<Utc>>,
    /// Battles begun at or before this time.
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
    /// At least this many kills.
    #[serde(default)]
    pub min_kills: Option<u32>,
    /// At least this much ISK destroyed.
    #[serde(default)]
    pub min_isk: Option<f64>,
    /// Page size, 1 to 500 (default 50).
    #[serde(default)]
    pub limit: Option<u32>,
    /// The `nextCursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
}

impl BattleSearch {
    /// The fields the body may have, as written in JSON.
    pub const FIELDS: [&'static str; 13] = [
        "q",
        "system",
        "region",
        "security",
        "alliance",
        "corporation",
        "character",
        "since",
        "until",
        "minKills",
        "minIsk",
        "limit",
        "cursor",
    ];
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_field_list_is_the_schemas() {
        let schema = schemars::schema_for!(BattleSearch);
        let mut properties: Vec<&str> = schema
            .get("properties")
            .and_then(|p| p.as_object())
            .map(|p| p.keys().map(String::as_str).collect())
            .unwrap_or_default();
        properties.sort_unstable();
        let mut fields = BattleSearch::FIELDS.to_vec();
        fields.sort_unstable();
        assert_eq!(properties, fields);
    }

    #[test]
    fn kinds_are_named_as_in_json() {
        for kind in SearchHitKind::ALL {
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::Value::String(kind.as_str().to_owned())
            );
        }
    }
}
