//! The search port: battles, entities (alliances, corporations,
//! characters, systems) and killmails as documents; typo-tolerant queries.
//!
//! Documents are upserted by id, so re-indexing a redelivered event is
//! harmless; the index may lag the store but never invents anything.

use std::fmt;

use async_trait::async_trait;
use battlescope_core::battle::KillSummary;
use battlescope_core::Battle;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What can go wrong in the search index.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SearchError {
    #[error("search: {0}")]
    Backend(String),
    #[error("search: invalid query: {0}")]
    InvalidQuery(String),
}

/// A battle as the index holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BattleDocument {
    pub id: Uuid,
    pub system_id: u32,
    pub system_name: Option<String>,
    pub region_name: Option<String>,
    pub security_class: Option<String>,
    pub start_time: i64,
    pub end_time: i64,
    pub kill_count: u32,
    pub isk_destroyed: f64,
    pub alliance_ids: Vec<u64>,
    pub corporation_ids: Vec<u64>,
}

impl BattleDocument {
    /// The document of a battle.
    #[must_use]
    pub fn of(battle: &Battle) -> Self {
        let mut alliance_ids: Vec<u64> = battle
            .sides
            .iter()
            .flat_map(|s| s.alliances.iter().copied())
            .collect();
        alliance_ids.sort_unstable();
        alliance_ids.dedup();
        let mut corporation_ids: Vec<u64> = battle
            .sides
            .iter()
            .flat_map(|s| s.corporations.iter().copied())
            .collect();
        corporation_ids.sort_unstable();
        corporation_ids.dedup();
        Self {
            id: battle.id,
            system_id: battle.system_id,
            system_name: battle.system_name.clone(),
            region_name: battle.region_name.clone(),
            security_class: battle.security_class.map(|c| c.as_str().to_owned()),
            start_time: battle.start_time.timestamp(),
            end_time: battle.end_time.timestamp(),
            kill_count: battle.stats.kill_count,
            isk_destroyed: battle.stats.isk_destroyed,
            alliance_ids,
            corporation_ids,
        }
    }
}

/// Kinds of named entities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Alliance,
    Corporation,
    Character,
    System,
}

/// A named entity.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EntityDocument {
    pub kind: EntityKind,
    pub id: u64,
    pub name: String,
}

/// A killmail as the index holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KillmailDocument {
    pub summary: KillSummary,
    pub system_id: u32,
    /// Names on the killmail that were resolved (victim, ship, attackers).
    pub names: Vec<String>,
}

/// A search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchQuery {
    pub text: String,
    /// Limit to these kinds of hit; empty for all.
    pub kinds: Vec<HitKind>,
    pub limit: u32,
}

/// Kinds of hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HitKind {
    Battle,
    Entity(EntityKind),
    Killmail,
}

/// One hit, best first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchHit {
    pub kind: HitKind,
    /// Battle UUID, entity id or killmail id, as text.
    pub id: String,
    pub title: String,
    pub score: f32,
}

/// The search index.
#[async_trait]
pub trait SearchIndex: Send + Sync + fmt::Debug {
    /// Insert or replace battles by id.
    async fn index_battles(&self, docs: &[BattleDocument]) -> Result<(), SearchError>;
    /// Remove battles (merged away).
    async fn delete_battles(&self, ids: &[Uuid]) -> Result<(), SearchError>;
    /// Insert or replace entities by (kind, id).
    async fn index_entities(&self, docs: &[EntityDocument]) -> Result<(), SearchError>;
    /// Insert or replace killmails by id.
    async fn index_killmails(&self, docs: &[KillmailDocument]) -> Result<(), SearchError>;
    /// Make what was indexed visible to searches (the durability point).
    async fn commit(&self) -> Result<(), SearchError>;
    /// Typo-tolerant search.
    async fn search(&self, query: &SearchQuery) -> Result<Vec<SearchHit>, SearchError>;
    /// Whether the index answers now (readiness). An embedded index always
    /// does.
    ///
    /// # Errors
    /// The backend unreachable, with its message.
    async fn ping(&self) -> Result<(), SearchError> {
        Ok(())
    }
}
