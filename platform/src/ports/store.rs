//! The store port: what the platform keeps — killmails with their
//! participants (and so each pilot's ship history), battles with their
//! kills, sides and statistics, rulesets, ingest positions, clusterer
//! checkpoints, an append-only event store and the dead letters.
//!
//! Writes are idempotent, keyed by killmail id, battle id and event id, so
//! a redelivered message changes nothing. Each method is one transaction.
//! Times are whole seconds since the epoch.

use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use battlescope_core::battle::KillSummary;
use battlescope_core::events::EntityName;
use battlescope_core::intel::Entity;
use battlescope_core::universe::SecurityClass;
use battlescope_core::{Battle, Killmail};
use tokio::sync::Notify;
use uuid::Uuid;

use super::source::SourceCursor;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database failed or is unreachable (message from the backend).
    #[error("store: {0}")]
    Backend(String),
    /// Stored data could not be read back (a bug or a foreign writer).
    #[error("store: corrupt {what}: {reason}")]
    Corrupt { what: String, reason: String },
    /// A value the store refuses (e.g. a ruleset that does not parse).
    #[error("store: invalid {field}: {reason}")]
    Invalid { field: String, reason: String },
}

/// A ruleset as stored: its text, so it is shown as its author wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRuleset {
    pub name: String,
    /// `json`, `yaml` or `toml`.
    pub format: String,
    pub text: String,
    /// The one ingest applies.
    pub active: bool,
}

/// A clusterer's state for one partition with the consumer position it
/// covers, saved in one transaction so a restart resumes exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub group: String,
    pub topic: String,
    pub partition: u32,
    /// The log the offset belongs to ([`super::Consumer::log_id`]).
    pub log_id: String,
    /// The next offset to read.
    pub next_offset: u64,
    /// The `ClustererSnapshot`, JSON.
    pub snapshot: String,
}

/// A stored killmail and what was derived from it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredKillmail {
    pub killmail: Killmail,
    pub summary: KillSummary,
    pub names: Vec<EntityName>,
    /// The battle it belongs to, if any.
    pub battle_id: Option<Uuid>,
}

/// What a battle event does to the stored battles.
#[derive(Debug, Clone, PartialEq)]
pub enum BattleChange {
    /// Insert or replace the document: the last one written is current,
    /// even with fewer kills (a re-cluster shrinks battles; a system's
    /// events arrive in order). A document of a battle already merged away
    /// is ignored (a late redelivery); one of a dissolved battle forms it
    /// again. `added` are the kills new to it (all of them for a created
    /// battle), `removed` the kills that left it (a replaced copy, a
    /// re-cluster).
    Upsert {
        battle: Box<Battle>,
        added: Vec<u64>,
        removed: Vec<u64>,
    },
    /// Its kills no longer form a battle: it answers 404 from now on.
    Dissolved { id: Uuid },
    /// The battle was absorbed into `into`, or renamed to it: it answers
    /// with a redirect.
    Merged { id: Uuid, into: Uuid },
}

/// One event for the append-only event store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    pub event_id: Uuid,
    pub event_type: String,
    /// The bus key it travelled under.
    pub key: String,
    /// Milliseconds since the epoch.
    pub timestamp_ms: i64,
    pub body: EventBody,
}

/// What the event store keeps of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventBody {
    /// The envelope, JSON.
    Json(String),
    /// A `killmail.enriched` envelope whose killmail is written in the same
    /// batch: kept by reference (its id, timestamp and metadata), because
    /// the killmail itself is already in the store. Half the bytes a
    /// replay writes would otherwise be the killmail twice. Reading gives
    /// the whole envelope back ([`EventBody::Json`]).
    Killmail {
        killmail_id: u64,
        timestamp: chrono::DateTime<chrono::Utc>,
        metadata: battlescope_core::events::EventMetadata,
    },
}

/// How [`EventBody::Killmail`] is kept in a text column.
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KillmailReference {
    killmail_ref: u64,
    timestamp: chrono::DateTime<chrono::Utc>,
    metadata: battlescope_core::events::EventMetadata,
}

impl EventBody {
    /// The envelope JSON, when it is held whole.
    #[must_use]
    pub fn json(&self) -> Option<&str> {
        match self {
            Self::Json(s) => Some(s),
            Self::Killmail { .. } => None,
        }
    }

    /// The text a store keeps for it.
    #[must_use]
    pub fn to_column(&self) -> String {
        match self {
            Self::Json(s) => s.clone(),
            Self::Killmail {
                killmail_id,
                timestamp,
                metadata,
            } => serde_json::to_string(&KillmailReference {
                killmail_ref: *killmail_id,
                timestamp: *timestamp,
                metadata: metadata.clone(),
            })
            .unwrap_or_default(),
        }
    }

    /// Back from [`EventBody::to_column`]: a reference when the text is one.
    #[must_use]
    pub fn from_column(text: String) -> Self {
        if text.starts_with(r#"{"killmailRef":"#) {
            if let Ok(r) = serde_json::from_str::<KillmailReference>(&text) {
                return Self::Killmail {
                    killmail_id: r.killmail_ref,
                    timestamp: r.timestamp,
                    metadata: r.metadata,
                };
            }
        }
        Self::Json(text)
    }

    /// The whole `killmail.enriched` envelope of a reference, from the
    /// stored killmail.
    ///
    /// # Errors
    /// When the envelope cannot be serialised (not expected).
    pub fn killmail_envelope(
        event_id: Uuid,
        stored: StoredKillmail,
        timestamp: chrono::DateTime<chrono::Utc>,
        metadata: battlescope_core::events::EventMetadata,
    ) -> Result<String, serde_json::Error> {
        let data = battlescope_core::events::KillmailEnrichedData {
            killmail: stored.killmail,
            summary: stored.summary,
            names: stored.names,
        };
        serde_json::to_string(&battlescope_core::events::Envelope {
            event_id,
            timestamp,
            data,
            metadata,
        })
    }
}

/// A message that could not be processed, with why and where from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    /// Deterministic (stage and position), so redelivery stores it once.
    pub id: String,
    /// The service that gave up (`ingest`, `enrich`, `clusterer`, …).
    pub stage: String,
    /// The source position or bus position of the record.
    pub position: String,
    pub error: String,
    /// The record or message as received (lossy UTF-8 for binary).
    pub payload: String,
    pub recorded_at: i64,
}

/// Everything one writer batch stores, in one transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteBatch {
    /// Killmails with summary and names; participants derive from them.
    pub killmails: Vec<(Killmail, KillSummary, Vec<EntityName>)>,
    /// Applied in order.
    pub battles: Vec<BattleChange>,
    pub events: Vec<EventRecord>,
    pub dead_letters: Vec<DeadLetter>,
}

impl WriteBatch {
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.killmails.is_empty()
            && self.battles.is_empty()
            && self.events.is_empty()
            && self.dead_letters.is_empty()
    }
}

/// Filters of the battle list; every one optional.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BattleQuery {
    pub system_id: Option<u32>,
    pub region_id: Option<u32>,
    pub security_class: Option<SecurityClass>,
    pub alliance_id: Option<u64>,
    pub corporation_id: Option<u64>,
    pub character_id: Option<u64>,
    /// Battles still going at or after this time (end ≥ since).
    pub since: Option<i64>,
    /// Battles begun at or before this time (start ≤ until).
    pub until: Option<i64>,
    pub min_kills: Option<u32>,
    /// At least this much ISK destroyed.
    pub min_isk: Option<f64>,
    /// Only these battles (the matches of a text search); `None` for any.
    pub ids: Option<Vec<Uuid>>,
    /// Resume after this battle (newest first: by start time, then id).
    pub after: Option<(i64, Uuid)>,
    pub limit: u32,
}

/// One page of battles, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct BattlePage {
    pub battles: Vec<Battle>,
    /// The last battle's (start, id) when more may follow.
    pub next: Option<(i64, Uuid)>,
}

/// One page of killmails, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct KillmailPage {
    pub killmails: Vec<StoredKillmail>,
    /// The last killmail's (time, id) when more may follow.
    pub next: Option<(i64, u64)>,
}

/// A battle looked up by id.
#[derive(Debug, Clone, PartialEq)]
pub enum BattleLookup {
    Found(Box<Battle>),
    /// Absorbed by a merge; the id is the battle that holds its kills now
    /// (chains of merges already followed).
    MergedInto(Uuid),
}

/// A stored event with its place in the event store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    /// Increases with every append (resume point for streams).
    pub seq: i64,
    pub record: EventRecord,
}

/// The store.
#[async_trait]
pub trait Store: Send + Sync + fmt::Debug {
    /// Is the store reachable and writable?
    async fn ping(&self) -> Result<(), StoreError>;

    // --- rulesets

    /// Save a ruleset (callers validate it first); `active` replaces the
    /// active one.
    async fn put_ruleset(&self, ruleset: &StoredRuleset) -> Result<(), StoreError>;
    /// The ruleset ingest applies, if any.
    async fn active_ruleset(&self) -> Result<Option<StoredRuleset>, StoreError>;

    // --- ingest

    /// Where `source` stopped, if it ever ran.
    async fn source_cursor(&self, source: &str) -> Result<Option<SourceCursor>, StoreError>;
    /// Which of `ids` were ingested before.
    async fn ingested(&self, ids: &[u64]) -> Result<Vec<u64>, StoreError>;
    /// Mark `ids` ingested and move `source`'s cursor, in one transaction:
    /// called after the ids were published.
    async fn record_ingested(
        &self,
        source: &str,
        ids: &[u64],
        cursor: Option<&SourceCursor>,
    ) -> Result<(), StoreError>;

    // --- clusterer

    /// The checkpoints of consumer group `group` on `topic`.
    async fn checkpoints(&self, group: &str, topic: &str) -> Result<Vec<Checkpoint>, StoreError>;
    /// Replace the checkpoint of its (group, topic, partition).
    async fn save_checkpoint(&self, checkpoint: &Checkpoint) -> Result<(), StoreError>;

    // --- writer

    /// Store a batch in one transaction, idempotently.
    async fn write(&self, batch: &WriteBatch) -> Result<(), StoreError>;

    // --- reads

    async fn battles(&self, query: &BattleQuery) -> Result<BattlePage, StoreError>;
    async fn battle(&self, id: Uuid) -> Result<Option<BattleLookup>, StoreError>;
    async fn killmail(&self, id: u64) -> Result<Option<StoredKillmail>, StoreError>;
    /// The killmails of a system between two times (seconds, inclusive):
    /// the windows a late kill's re-cluster walks
    /// ([`Reach`](battlescope_core::cluster::Reach)).
    async fn killmails_in(
        &self,
        system_id: u32,
        from: i64,
        to: i64,
    ) -> Result<Vec<Killmail>, StoreError>;
    /// The battles (not merged away) holding any of these killmails.
    async fn battles_holding(&self, killmail_ids: &[u64]) -> Result<Vec<Battle>, StoreError>;
    /// The `seq` of the newest event (0 when none): where a stream that
    /// starts now begins.
    async fn last_event_seq(&self) -> Result<i64, StoreError>;
    /// Woken after events were appended, when the store can tell (in the
    /// same process, or by the database's notifications): streams then
    /// deliver at once instead of at their next poll. `None`: poll only.
    fn appends(&self) -> Option<Arc<Notify>> {
        None
    }
    /// Events appended after `after_seq`, oldest first.
    async fn events_after(
        &self,
        after_seq: i64,
        limit: u32,
    ) -> Result<Vec<StoredEvent>, StoreError>;
    /// The newest dead letters first.
    async fn dead_letters(&self, limit: u32) -> Result<Vec<DeadLetter>, StoreError>;
    /// How many dead letters the store holds (the DLQ depth metric).
    async fn dead_letter_count(&self) -> Result<u64, StoreError>;
    /// Remove dead letters by id (replayed); unknown ids are ignored.
    async fn remove_dead_letters(&self, ids: &[String]) -> Result<(), StoreError>;
    /// The killmails of a battle, oldest first (by time, then id), each
    /// with its names: what its timeline and participants are made of.
    async fn battle_killmails(&self, battle_id: Uuid) -> Result<Vec<StoredKillmail>, StoreError>;
    /// Killmails newest first (by time, then id), resuming after `after`
    /// (time, id); `limit` is clamped to 1..=500.
    async fn recent_killmails(
        &self,
        after: Option<(i64, u64)>,
        limit: u32,
    ) -> Result<KillmailPage, StoreError>;
    /// True when a stored killmail names the entity (as victim or attacker).
    async fn entity_seen(&self, entity: Entity) -> Result<bool, StoreError>;
    /// Ships a character was seen in: (ship type id, killmail id, time, lost), newest first.
    async fn pilot_ships(
        &self,
        character_id: u64,
        limit: u32,
    ) -> Result<Vec<PilotShip>, StoreError>;
}

/// One entry of a pilot's ship history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PilotShip {
    pub ship_type_id: u32,
    pub killmail_id: u64,
    pub killmail_time: i64,
    /// The pilot was the victim.
    pub lost: bool,
}
