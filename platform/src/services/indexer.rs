//! Indexer: battle documents, killmails and the entities named on them,
//! into the search index through the [`SearchIndex`] port; the index is
//! committed before the offsets.
//!
//! Documents are added as they come and committed at most once per
//! [`COMMIT_EVERY`] (and whenever the feed runs dry), as search engines
//! refresh: each commit is a new segment to merge, and committing every
//! poll at a live 1,000 kills/s took a third of the process's CPU and
//! doubled the kill → battle latency of the rest of the pipeline.

use std::sync::Arc;
use std::time::{Duration, Instant};

use battlescope_core::events::{Envelope, Event, KillmailEnrichedData, NameCategory};

use super::{commit, drained, finished, poll, retry, PipelineStats, ServiceError, Upstream};
use crate::ports::bus::{latest_positions, topics, Bus, Message};
use crate::ports::search::{
    BattleDocument, EntityDocument, EntityKind, KillmailDocument, SearchError, SearchIndex,
};

const SERVICE: &str = "indexer";

/// Longest time between commits while documents keep coming: how stale
/// search may be behind the store.
pub const COMMIT_EVERY: Duration = Duration::from_secs(1);

/// The indexer service.
#[derive(Debug, Clone)]
pub struct Indexer {
    pub bus: Arc<dyn Bus>,
    pub search: Arc<dyn SearchIndex>,
    pub stats: Arc<PipelineStats>,
    pub group: String,
    pub batch: usize,
}

/// Documents of one batch.
#[derive(Debug, Default)]
struct Docs {
    battles: Vec<BattleDocument>,
    deleted: Vec<uuid::Uuid>,
    entities: Vec<EntityDocument>,
    killmails: Vec<KillmailDocument>,
}

impl Docs {
    fn len(&self) -> usize {
        self.battles.len() + self.deleted.len() + self.entities.len() + self.killmails.len()
    }
}

impl Indexer {
    /// Index killmails (upstream: enrich) and battles (upstream: the
    /// clusterer) until both have finished and nothing is left.
    ///
    /// # Errors
    /// When the bus refuses a subscription.
    pub async fn run(self, killmails: Upstream, battles: Upstream) -> Result<(), ServiceError> {
        let a = tokio::spawn(self.clone().feed(topics::KILLMAIL_ENRICHED, killmails));
        let b = tokio::spawn(self.feed(topics::BATTLE_EVENTS, battles));
        for handle in [a, b] {
            handle.await.map_err(|e| ServiceError::Invalid {
                service: SERVICE,
                reason: format!("an indexer task failed: {e}"),
            })??;
        }
        Ok(())
    }

    async fn feed(self, topic: &'static str, upstream: Upstream) -> Result<(), ServiceError> {
        let mut consumer = self
            .bus
            .subscribe(topic, &self.group)
            .await
            .map_err(|source| ServiceError::Bus {
                service: SERVICE,
                source,
            })?;
        let mut pending = Vec::new();
        let mut last_commit = Instant::now();
        loop {
            let done = finished(&upstream);
            let messages = poll(&self.stats, &mut *consumer, self.batch).await;
            if !messages.is_empty() {
                let started = Instant::now();
                let mut docs = Docs::default();
                for m in &messages {
                    if let Err(error) = add(m, &mut docs) {
                        // The writer dead-letters unreadable messages; here they only count.
                        tracing::warn!(stage = SERVICE, position = %m.describe(), error = %error, "message not indexed");
                    }
                }
                docs.entities.sort_unstable_by_key(|e| (e.kind, e.id));
                docs.entities.dedup();
                retry(&self.stats, "index", || self.index(&docs)).await;
                pending.extend(messages.iter().map(Message::position));
                PipelineStats::add(&self.stats.indexed, docs.len());
                self.stats.processing.record(SERVICE, started.elapsed());
            }
            let due = messages.is_empty() || last_commit.elapsed() >= COMMIT_EVERY;
            if due && !pending.is_empty() {
                retry(&self.stats, "search commit", || self.search.commit()).await;
                let positions = latest_positions(pending.drain(..));
                commit(&self.stats, &mut *consumer, &positions).await;
                last_commit = Instant::now();
            }
            if messages.is_empty() && done && drained(&mut *consumer).await {
                return Ok(());
            }
        }
    }

    async fn index(&self, docs: &Docs) -> Result<(), SearchError> {
        Self::index_into(&*self.search, docs).await
    }

    async fn index_into(search: &dyn SearchIndex, docs: &Docs) -> Result<(), SearchError> {
        if !docs.battles.is_empty() {
            search.index_battles(&docs.battles).await?;
        }
        if !docs.deleted.is_empty() {
            search.delete_battles(&docs.deleted).await?;
        }
        if !docs.entities.is_empty() {
            search.index_entities(&docs.entities).await?;
        }
        if !docs.killmails.is_empty() {
            search.index_killmails(&docs.killmails).await?;
        }
        Ok(())
    }
}

fn add(m: &Message, docs: &mut Docs) -> Result<(), String> {
    if &*m.topic == topics::KILLMAIL_ENRICHED {
        let e = m
            .decode::<Envelope<KillmailEnrichedData>>()
            .map_err(|e| format!("not a killmail.enriched event: {e}"))?;
        add_killmail(&e.data, docs);
        return Ok(());
    }
    let event = m
        .decode::<Event>()
        .map_err(|e| format!("not a battle event: {e}"))?;
    add_battle(&event, docs)
}

/// A killmail's document and the entities named on it.
fn add_killmail(d: &KillmailEnrichedData, docs: &mut Docs) {
    for n in &d.names {
        let kind = match n.category {
            NameCategory::Alliance => EntityKind::Alliance,
            NameCategory::Corporation => EntityKind::Corporation,
            NameCategory::Character => EntityKind::Character,
            NameCategory::SolarSystem => EntityKind::System,
            _ => continue,
        };
        docs.entities.push(EntityDocument {
            kind,
            id: n.id,
            name: n.name.clone(),
        });
    }
    if let Some(system) = battlescope_core::universe::system(d.killmail.solar_system_id) {
        docs.entities.push(EntityDocument {
            kind: EntityKind::System,
            id: u64::from(system.id),
            name: system.name.to_owned(),
        });
    }
    docs.killmails.push(KillmailDocument {
        system_id: d.killmail.solar_system_id,
        names: d.names.iter().map(|n| n.name.clone()).collect(),
        summary: d.summary.clone(),
    });
}

/// What a battle event changes in the battle documents.
fn add_battle(event: &Event, docs: &mut Docs) -> Result<(), String> {
    match event {
        Event::BattleCreated(e) => docs.battles.push(BattleDocument::of(&e.data.battle)),
        Event::BattleUpdated(e) => {
            if let Some(previous) = e.data.previous_id.filter(|p| *p != e.data.battle.id) {
                docs.battles.retain(|b| b.id != previous);
                docs.deleted.push(previous);
            }
            docs.battles.push(BattleDocument::of(&e.data.battle));
        }
        Event::BattleSealed(e) => docs.battles.push(BattleDocument::of(&e.data.battle)),
        Event::BattleDeleted(e) => {
            docs.battles.retain(|b| b.id != e.data.battle_id);
            docs.deleted.push(e.data.battle_id);
        }
        other => return Err(format!("{} on the battle topic", other.event_type())),
    }
    Ok(())
}

/// What [`reindex`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reindexed {
    /// Events of the event store read.
    pub events: u64,
    /// Documents written (battles, deletions, entities, killmails).
    pub documents: u64,
    /// Events that were not killmails or battles, or did not parse.
    pub skipped: u64,
}

/// Rebuild the search index from the store's event store: every
/// `killmail.enriched` and battle event, oldest first, through the same
/// documents the live indexer makes (writes are upserts and deletes, so
/// running it over a live index is harmless).
///
/// # Errors
/// The store or the index failing (nothing is retried: an operator re-runs).
pub async fn reindex(
    store: &dyn crate::ports::Store,
    search: &dyn SearchIndex,
    page: u32,
) -> Result<Reindexed, ServiceError> {
    let mut done = Reindexed::default();
    let mut after = 0;
    loop {
        let events =
            store
                .events_after(after, page)
                .await
                .map_err(|source| ServiceError::Store {
                    service: SERVICE,
                    source,
                })?;
        let Some(last) = events.last() else { break };
        after = last.seq;
        let mut docs = Docs::default();
        for stored in &events {
            done.events += 1;
            let parsed = stored
                .record
                .body
                .json()
                .ok_or_else(|| "a killmail reference the store did not resolve".to_owned())
                .and_then(|json| serde_json::from_str::<Event>(json).map_err(|e| e.to_string()));
            let added = match parsed {
                Ok(Event::KillmailEnriched(e)) => {
                    add_killmail(&e.data, &mut docs);
                    Ok(())
                }
                Ok(Event::KillmailIngested(_)) => Err("not indexed".to_owned()),
                Ok(event) => add_battle(&event, &mut docs),
                Err(e) => Err(e),
            };
            if let Err(reason) = added {
                done.skipped += 1;
                tracing::debug!(seq = stored.seq, event_type = %stored.record.event_type, %reason, "event not indexed");
            }
        }
        docs.entities.sort_unstable_by_key(|e| (e.kind, e.id));
        docs.entities.dedup();
        Indexer::index_into(search, &docs)
            .await
            .map_err(|e| ServiceError::Invalid {
                service: SERVICE,
                reason: e.to_string(),
            })?;
        done.documents += docs.len() as u64;
    }
    search.commit().await.map_err(|e| ServiceError::Invalid {
        service: SERVICE,
        reason: e.to_string(),
    })?;
    Ok(done)
}
