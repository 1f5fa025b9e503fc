//! The list and lookup bodies: a page of battles, a killmail with what was
//! derived from it, a page of recent killmails, the body of a redirect to
//! a merge's survivor, and every error.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::battle::{Battle, KillSummary};
use crate::events::EntityName;
use crate::killmail::Killmail;

/// `GET /api/battles` and `POST /api/search/battles`: newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BattlePage {
    /// Battles, newest first (by start time, then id).
    pub battles: Vec<Battle>,
    /// Pass as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// `GET /api/killmails/{id}`, and each item of [`KillmailPage`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KillmailView {
    /// The killmail as received.
    pub killmail: Killmail,
    /// Its summary.
    pub summary: KillSummary,
    /// The names enrichment resolved (may be empty).
    pub names: Vec<EntityName>,
    /// The battle it belongs to; `None` while it belongs to none.
    pub battle_id: Option<Uuid>,
}

/// `GET /api/killmails/recent`: newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct KillmailPage {
    /// Killmails, newest first (by time, then id).
    pub killmails: Vec<KillmailView>,
    /// Pass as `cursor` for the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// The body of a `308` for a battle merged into another (the `Location`
/// header names the same).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct BattleRedirect {
    /// The battle that holds its kills now.
    pub merged_into: Uuid,
}

/// Every error answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail {
    /// Machine-readable: `bad_parameter`, `not_found`, `store_unavailable`,
    /// `search_unavailable`.
    pub code: String,
    /// The query parameter, path segment or body field that was wrong.
    pub parameter: Option<String>,
    /// For people.
    pub message: String,
}
