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

/// Longest text query of both searches, in characters (Unicode scalar
/// values, as JSON Schema's `maxLength` counts them).
pub const MAX_QUERY_CHARS: u32 = 200;

/// A regular expression matching text with a character that is not white
/// space: a text query must have one. White space is Rust's
/// [`char::is_whitespace`] (Unicode `White_Space`), written out because
/// `\s` differs between regex dialects (ECMAScript's includes U+FEFF,
/// Python's U+001C–U+001F) and the API's schemas are read by all of them.
pub const NOT_BLANK: &str =
    r"[^\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]";

/// The shape of a battle list's `nextCursor` (`{start}_{battle id}`):
/// opaque to clients, described so a malformed one is known as such.
pub const BATTLE_CURSOR: &str =
    "^-?[0-9]{1,18}_[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$";

/// `POST /api/search/battles`: the filters of `GET /api/battles`, each
/// optional, and a text query. Unknown fields are refused, so a misspelt
/// filter is an error rather than silently ignored.
///
/// Each field's schema states every bound the API checks on it; `since`
/// after `until` is refused too.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BattleSearch {
    /// Typo-tolerant text (system, region, security class), matched by the
    /// search index; the filters then apply to what it found. Not blank,
    /// at most 200 characters.
    #[serde(default)]
    #[schemars(length(min = 1, max = MAX_QUERY_CHARS), pattern(NOT_BLANK))]
    pub q: Option<String>,
    /// Solar system id.
    #[serde(default)]
    #[schemars(range(max = u32::MAX))]
    pub system: Option<u32>,
    /// Region id.
    #[serde(default)]
    #[schemars(range(max = u32::MAX))]
    pub region: Option<u32>,
    /// Security class.
    #[serde(default)]
    pub security: Option<SecurityClass>,
    /// An alliance on any of the battle's killmails.
    #[serde(default)]
    #[schemars(range(max = u64::MAX))]
    pub alliance: Option<u64>,
    /// A corporation on any of the battle's killmails.
    #[serde(default)]
    #[schemars(range(max = u64::MAX))]
    pub corporation: Option<u64>,
    /// A character on any of the battle's killmails.
    #[serde(default)]
    #[schemars(range(max = u64::MAX))]
    pub character: Option<u64>,
    /// Battles still going at or after this time (at or before `until`).
    #[serde(default)]
    pub since: Option<DateTime<Utc>>,
    /// Battles begun at or before this time.
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
    /// At least this many kills.
    #[serde(default)]
    #[schemars(range(max = u32::MAX))]
    pub min_kills: Option<u32>,
    /// At least this much ISK destroyed.
    #[serde(default)]
    #[schemars(range(min = 0.0, max = f64::MAX))]
    pub min_isk: Option<f64>,
    /// Page size, 1 to 500 (default 50).
    #[serde(default)]
    #[schemars(range(min = 1, max = 500))]
    pub limit: Option<u32>,
    /// The `nextCursor` of the previous page.
    #[serde(default)]
    #[schemars(pattern(BATTLE_CURSOR))]
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
