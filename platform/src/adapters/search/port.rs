//! The `search` port over the embedded tantivy index: the services' search
//! documents become the index's documents, queries and hits the port's.

use async_trait::async_trait;
use chrono::DateTime;
use uuid::Uuid;

use super::{DocKind, SearchDoc, SearchIndex as Index, SearchQuery as Query};
use crate::ports::search::{
    BattleDocument, EntityDocument, EntityKind, HitKind, KillmailDocument, SearchError, SearchHit,
    SearchIndex, SearchQuery,
};

fn backend(e: impl std::fmt::Display) -> SearchError {
    SearchError::Backend(e.to_string())
}

pub(crate) fn entity_kind(kind: EntityKind) -> DocKind {
    match kind {
        EntityKind::Alliance => DocKind::Alliance,
        EntityKind::Corporation => DocKind::Corporation,
        EntityKind::Character => DocKind::Character,
        EntityKind::System => DocKind::System,
    }
}

pub(crate) fn hit_kind(kind: DocKind) -> HitKind {
    match kind {
        DocKind::Battle => HitKind::Battle,
        DocKind::Alliance => HitKind::Entity(EntityKind::Alliance),
        DocKind::Corporation => HitKind::Entity(EntityKind::Corporation),
        DocKind::Character => HitKind::Entity(EntityKind::Character),
        DocKind::System => HitKind::Entity(EntityKind::System),
        DocKind::Killmail => HitKind::Killmail,
    }
}

pub(crate) fn doc_kind(kind: HitKind) -> DocKind {
    match kind {
        HitKind::Battle => DocKind::Battle,
        HitKind::Entity(e) => entity_kind(e),
        HitKind::Killmail => DocKind::Killmail,
    }
}

/// A battle is found by its system (the name), its region and security
/// class; bigger battles first among equal matches.
pub(crate) fn battle_doc(b: &BattleDocument) -> SearchDoc {
    let system = b
        .system_name
        .clone()
        .unwrap_or_else(|| format!("system {}", b.system_id));
    let text = [b.region_name.as_deref(), b.security_class.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    SearchDoc {
        kind: DocKind::Battle,
        id: b.id.to_string(),
        name: system,
        text,
        time: DateTime::from_timestamp(b.start_time, 0),
        rank: u64::from(b.kill_count),
    }
}

/// A killmail is found by its ship class and the names on it.
pub(crate) fn killmail_doc(k: &KillmailDocument) -> SearchDoc {
    let class = serde_json::to_value(k.summary.ship_class)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    SearchDoc {
        kind: DocKind::Killmail,
        id: k.summary.killmail_id.to_string(),
        name: class,
        text: k.names.join(" "),
        time: Some(k.summary.time),
        rank: 0,
    }
}

#[async_trait]
impl SearchIndex for Index {
    async fn index_battles(&self, docs: &[BattleDocument]) -> Result<(), SearchError> {
        self.upsert(docs.iter().map(battle_doc).collect())
            .await
            .map_err(backend)
    }

    async fn delete_battles(&self, ids: &[Uuid]) -> Result<(), SearchError> {
        for id in ids {
            self.delete(DocKind::Battle, &id.to_string())
                .await
                .map_err(backend)?;
        }
        Ok(())
    }

    async fn index_entities(&self, docs: &[EntityDocument]) -> Result<(), SearchError> {
        let docs = docs
            .iter()
            .map(|e| SearchDoc::entity(entity_kind(e.kind), e.id, e.name.clone()))
            .collect();
        self.upsert(docs).await.map_err(backend)
    }

    async fn index_killmails(&self, docs: &[KillmailDocument]) -> Result<(), SearchError> {
        self.upsert(docs.iter().map(killmail_doc).collect())
            .await
            .map_err(backend)
    }

    async fn commit(&self) -> Result<(), SearchError> {
        Index::commit(self).await.map(drop).map_err(backend)
    }

    async fn search(&self, query: &SearchQuery) -> Result<Vec<SearchHit>, SearchError> {
        let kinds: Vec<DocKind> = query.kinds.iter().copied().map(doc_kind).collect();
        let q = Query {
            limit: usize::try_from(query.limit).unwrap_or(usize::MAX),
            ..Query::new(query.text.clone()).kinds(&kinds)
        };
        let hits = Index::search(self, q).await.map_err(backend)?;
        Ok(hits
            .into_iter()
            .map(|h| SearchHit {
                kind: hit_kind(h.kind),
                id: h.id,
                title: h.name,
                score: h.score,
            })
            .collect())
    }
}
