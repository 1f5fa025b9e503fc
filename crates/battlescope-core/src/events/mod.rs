//! The events of the bus (DESIGN.md "Events"): one envelope, six payloads.
//!
//! Every message is an [`Envelope`]:
//!
//! ```json
//! { "eventId": "uuid", "eventType": "battle.updated", "timestamp": "2024-…Z", "version": "1",
//!   "data": { … }, "metadata": { "correlationId": "uuid", "causationId": "uuid", "source": "…" } }
//! ```
//!
//! | `eventType` | `data` | emitted when |
//! |---|---|---|
//! | `killmail.ingested` | [`KillmailIngestedData`]: a reference (id, hash, zKillboard metadata, system and time when known) | ingest accepted a killmail (ruleset passed, not a duplicate) |
//! | `killmail.enriched` | [`KillmailEnrichedData`]: the full ESI killmail with zKillboard metadata, its [`KillSummary`] and resolved names | enrich fetched the body and names |
//! | `battle.created` | [`BattleCreatedData`]: the [`Battle`] document | a group of kills reached `min_kills` |
//! | `battle.updated` | [`BattleUpdatedData`]: the document after the change, plus the delta | kills joined a battle, or battles merged into it |
//! | `battle.updated` with `previousId` | as above | the battle was renamed: its earliest kill changed (an earlier kill joined) |
//! | `battle.deleted` | [`BattleDeletedData`]: the id and the survivor (`null` when its kills no longer form a battle) | a battle was absorbed by a merge, or dissolved by a re-cluster |
//! | `battle.sealed` | [`BattleSealedData`]: the final document | the clusterer sealed the battle: no kill within the allowed lateness can change it |
//!
//! Guarantees:
//! - **Lossless**: [`Event::from_battle_change`] carries everything a
//!   [`BattleChange`] holds, and [`Event::to_battle_change`] gives it back
//!   exactly (tested for every event of realistic streams).
//! - **Self-contained**: battle events carry the whole current document, so
//!   a consumer (store, search index, WebSocket) upserts it by battle id
//!   without reading anything else. Every event is keyed by its solar
//!   system ([`Event::partition_key`]), so a system's merges, renames and
//!   re-clusters reach a consumer in order.
//! - **Deterministic ids**: `eventId` is the UUID v5 (namespace
//!   [`EVENT_NAMESPACE`]) of `"{eventType}:{identity}"`, where the identity
//!   names the change (see [`EventData::identity`]): replaying a stream gives
//!   the same ids, so writes keyed by event id stay idempotent.
//! - **Wire names**: the envelope and the payloads are camelCase; enum values
//!   are `snake_case` (`"out_of_order"`, `"high_sec"`). Two documents keep
//!   the names their own formats fix: the killmail inside
//!   `killmail.enriched` is ESI's JSON verbatim (`killmail_id`, with
//!   zKillboard's `zkb` object), and the cluster configuration is the
//!   `snake_case` file format users write.
//! - **Schemas**: every type here derives [`schemars::JsonSchema`];
//!   [`schema::schema_files`] gives the checked-in `schemas/*.schema.json`.
//!
//! Versions: `version` is [`VERSION`] for every event type. Additive changes
//! (a new optional field, a new event type) keep it; a breaking change bumps
//! it, and producers serve both versions for a while (see
//! `schemas/README.md`).

mod convert;
mod envelope;
mod payload;
pub mod schema;

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use crate::error::Error;

pub use envelope::{event_id, Envelope, EventData, EventMetadata, EVENT_NAMESPACE};
pub use payload::{
    BattleCreatedData, BattleDeletedData, BattleSealedData, BattleUpdatedData, EntityName,
    KillmailEnrichedData, KillmailIngestedData, NameCategory,
};

#[cfg(doc)]
use crate::{battle::KillSummary, cluster::BattleChange, Battle};

/// The version every event type is at (the envelope's `version`).
pub const VERSION: &str = "1";

/// The kinds of events, with their wire names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum EventType {
    /// `killmail.ingested`
    KillmailIngested,
    /// `killmail.enriched`
    KillmailEnriched,
    /// `battle.created`
    BattleCreated,
    /// `battle.updated`
    BattleUpdated,
    /// `battle.deleted`
    BattleDeleted,
    /// `battle.sealed`
    BattleSealed,
}

impl EventType {
    /// Every event type, in pipeline order.
    pub const ALL: [Self; 6] = [
        Self::KillmailIngested,
        Self::KillmailEnriched,
        Self::BattleCreated,
        Self::BattleUpdated,
        Self::BattleDeleted,
        Self::BattleSealed,
    ];

    /// The wire name (`eventType`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::KillmailIngested => "killmail.ingested",
            Self::KillmailEnriched => "killmail.enriched",
            Self::BattleCreated => "battle.created",
            Self::BattleUpdated => "battle.updated",
            Self::BattleDeleted => "battle.deleted",
            Self::BattleSealed => "battle.sealed",
        }
    }

    /// The name of the envelope's schema (and of the generated client types).
    #[must_use]
    pub fn schema_name(self) -> &'static str {
        match self {
            Self::KillmailIngested => "KillmailIngestedEvent",
            Self::KillmailEnriched => "KillmailEnrichedEvent",
            Self::BattleCreated => "BattleCreatedEvent",
            Self::BattleUpdated => "BattleUpdatedEvent",
            Self::BattleDeleted => "BattleDeletedEvent",
            Self::BattleSealed => "BattleSealedEvent",
        }
    }

    /// One sentence on when the event is emitted (used in the schemas).
    #[must_use]
    pub fn description(self) -> &'static str {
        match self {
            Self::KillmailIngested => {
                "A killmail passed the ruleset and is new to the platform; data is a reference \
                 (id and hash), enough to fetch the full killmail from ESI. Key: solar system id \
                 when known, else killmail id."
            }
            Self::KillmailEnriched => {
                "A killmail was fetched in full (ESI body with zKillboard metadata) and its names \
                 resolved. Key: solar system id."
            }
            Self::BattleCreated => {
                "A group of linked kills reached min_kills and became a battle; data carries its \
                 whole document. Key: solar system id."
            }
            Self::BattleUpdated => {
                "Kills joined a battle (appended, out of order, late), left it (a replaced copy, \
                 a re-cluster), or other battles merged into it; data carries the whole document \
                 after the change and the delta. previousId, when present, is the id the battle \
                 had until now (battles are named by their earliest kill): redirect it here. \
                 Key: solar system id."
            }
            Self::BattleDeleted => {
                "A battle was absorbed by a merge into the battle named by mergedInto, whose \
                 battle.updated precedes this event, or (mergedInto null) its kills no longer \
                 form a battle. Key: solar system id."
            }
            Self::BattleSealed => {
                "The clusterer sealed a battle: no kill within the allowed lateness can change \
                 it any more (only a re-cluster of its range could); data carries the final \
                 document. Key: solar system id."
            }
        }
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventType {
    type Err = Error;
    /// # Errors
    /// [`Error::Event`] on `eventType`, listing the known types.
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| {
                Error::event(
                    "event",
                    "eventType",
                    format!(
                        "unknown eventType `{s}` (known: killmail.ingested, killmail.enriched, \
                         battle.created, battle.updated, battle.deleted, battle.sealed)"
                    ),
                )
            })
    }
}

/// The error of an envelope whose `version` this build does not read.
pub(crate) fn unsupported_version(event_type: EventType, version: &str) -> Error {
    Error::event(
        format!("{event_type} event"),
        "version",
        format!("version `{version}` is not supported (this build reads version {VERSION})"),
    )
}

/// Any event of the bus.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    /// `killmail.ingested`
    KillmailIngested(Envelope<KillmailIngestedData>),
    /// `killmail.enriched`
    KillmailEnriched(Envelope<KillmailEnrichedData>),
    /// `battle.created`
    BattleCreated(Envelope<BattleCreatedData>),
    /// `battle.updated`
    BattleUpdated(Envelope<BattleUpdatedData>),
    /// `battle.deleted`
    BattleDeleted(Envelope<BattleDeletedData>),
    /// `battle.sealed`
    BattleSealed(Envelope<BattleSealedData>),
}

/// Apply `$f` to the envelope inside any [`Event`] variant.
macro_rules! with_envelope {
    ($event:expr, $e:ident => $f:expr) => {
        match $event {
            Event::KillmailIngested($e) => $f,
            Event::KillmailEnriched($e) => $f,
            Event::BattleCreated($e) => $f,
            Event::BattleUpdated($e) => $f,
            Event::BattleDeleted($e) => $f,
            Event::BattleSealed($e) => $f,
        }
    };
}

impl Event {
    /// Its `eventType`.
    #[must_use]
    pub fn event_type(&self) -> EventType {
        match self {
            Self::KillmailIngested(_) => EventType::KillmailIngested,
            Self::KillmailEnriched(_) => EventType::KillmailEnriched,
            Self::BattleCreated(_) => EventType::BattleCreated,
            Self::BattleUpdated(_) => EventType::BattleUpdated,
            Self::BattleDeleted(_) => EventType::BattleDeleted,
            Self::BattleSealed(_) => EventType::BattleSealed,
        }
    }

    /// Its `eventId`.
    #[must_use]
    pub fn event_id(&self) -> Uuid {
        with_envelope!(self, e => e.event_id)
    }

    /// Its `timestamp` (when it was produced).
    #[must_use]
    pub fn timestamp(&self) -> DateTime<Utc> {
        with_envelope!(self, e => e.timestamp)
    }

    /// Its `metadata`.
    #[must_use]
    pub fn metadata(&self) -> &EventMetadata {
        with_envelope!(self, e => &e.metadata)
    }

    /// Metadata for an event this one causes: same correlation id, this
    /// event's id as causation id.
    #[must_use]
    pub fn caused(&self, source: impl Into<String>) -> EventMetadata {
        with_envelope!(self, e => e.caused(source))
    }

    /// The battle a battle event is about.
    #[must_use]
    pub fn battle_id(&self) -> Option<Uuid> {
        match self {
            Self::BattleCreated(e) => Some(e.data.battle.id),
            Self::BattleUpdated(e) => Some(e.data.battle.id),
            Self::BattleDeleted(e) => Some(e.data.battle_id),
            Self::BattleSealed(e) => Some(e.data.battle.id),
            Self::KillmailIngested(_) | Self::KillmailEnriched(_) => None,
        }
    }

    /// The bus key: the solar system id for every event (the killmail id
    /// when an ingested reference has no system yet). Events with one key
    /// keep their order, and the events of one system must: a merge deletes
    /// one battle into another, a rename moves a battle to a new id, a
    /// re-cluster may dissolve one — keyed by battle id, a consumer reading
    /// several partitions could apply an old battle's update after the
    /// event that retired that id. Systems still spread over partitions.
    #[must_use]
    pub fn partition_key(&self) -> String {
        match self {
            Self::KillmailIngested(e) => e
                .data
                .solar_system_id
                .map_or_else(|| e.data.killmail_id.to_string(), |s| s.to_string()),
            Self::KillmailEnriched(e) => e.data.killmail.solar_system_id.to_string(),
            Self::BattleCreated(e) => e.data.battle.system_id.to_string(),
            Self::BattleUpdated(e) => e.data.battle.system_id.to_string(),
            Self::BattleDeleted(e) => e.data.system_id.to_string(),
            Self::BattleSealed(e) => e.data.battle.system_id.to_string(),
        }
    }

    /// Read an event from JSON.
    ///
    /// # Errors
    /// [`Error::Event`] when the bytes are not an event of a known type and
    /// version, or its data does not fit the type (the message names the
    /// field).
    pub fn from_json(bytes: &[u8]) -> Result<Self, Error> {
        let de = &mut serde_json::Deserializer::from_slice(bytes);
        serde_path_to_error::deserialize(de).map_err(|e| {
            let field = e.path().to_string();
            Error::event("event JSON", field, e.into_inner().to_string())
        })
    }

    /// The event as compact JSON.
    #[must_use]
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("events always serialise")
    }
}

impl From<Envelope<KillmailIngestedData>> for Event {
    fn from(e: Envelope<KillmailIngestedData>) -> Self {
        Self::KillmailIngested(e)
    }
}
impl From<Envelope<KillmailEnrichedData>> for Event {
    fn from(e: Envelope<KillmailEnrichedData>) -> Self {
        Self::KillmailEnriched(e)
    }
}
impl From<Envelope<BattleCreatedData>> for Event {
    fn from(e: Envelope<BattleCreatedData>) -> Self {
        Self::BattleCreated(e)
    }
}
impl From<Envelope<BattleUpdatedData>> for Event {
    fn from(e: Envelope<BattleUpdatedData>) -> Self {
        Self::BattleUpdated(e)
    }
}
impl From<Envelope<BattleDeletedData>> for Event {
    fn from(e: Envelope<BattleDeletedData>) -> Self {
        Self::BattleDeleted(e)
    }
}

impl From<Envelope<BattleSealedData>> for Event {
    fn from(e: Envelope<BattleSealedData>) -> Self {
        Self::BattleSealed(e)
    }
}

impl Serialize for Event {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        with_envelope!(self, e => e.serialize(s))
    }
}

impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Read the whole object once, dispatch on `eventType`, then check
        // `version` before the data, so each error says what is wrong.
        let value = serde_json::Value::deserialize(d)?;
        let event_type = match value.get("eventType") {
            Some(serde_json::Value::String(t)) => {
                t.parse::<EventType>().map_err(D::Error::custom)?
            }
            Some(_) => return Err(D::Error::custom("`eventType` must be a string")),
            None => return Err(D::Error::missing_field("eventType")),
        };
        match value.get("version") {
            Some(serde_json::Value::String(v)) if v == VERSION => {}
            Some(v) => {
                let version = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                return Err(D::Error::custom(
                    unsupported_version(event_type, &version).reason(),
                ));
            }
            None => return Err(D::Error::missing_field("version")),
        }
        let event = match event_type {
            EventType::KillmailIngested => {
                serde_json::from_value(value).map(Self::KillmailIngested)
            }
            EventType::KillmailEnriched => {
                serde_json::from_value(value).map(Self::KillmailEnriched)
            }
            EventType::BattleCreated => serde_json::from_value(value).map(Self::BattleCreated),
            EventType::BattleUpdated => serde_json::from_value(value).map(Self::BattleUpdated),
            EventType::BattleDeleted => serde_json::from_value(value).map(Self::BattleDeleted),
            EventType::BattleSealed => serde_json::from_value(value).map(Self::BattleSealed),
        };
        event.map_err(|e| D::Error::custom(format!("{event_type}: {e}")))
    }
}

impl JsonSchema for Event {
    fn schema_name() -> Cow<'static, str> {
        "Event".into()
    }

    fn schema_id() -> Cow<'static, str> {
        "battlescope_core::events::Event".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let variants = [
            generator.subschema_for::<Envelope<KillmailIngestedData>>(),
            generator.subschema_for::<Envelope<KillmailEnrichedData>>(),
            generator.subschema_for::<Envelope<BattleCreatedData>>(),
            generator.subschema_for::<Envelope<BattleUpdatedData>>(),
            generator.subschema_for::<Envelope<BattleDeletedData>>(),
            generator.subschema_for::<Envelope<BattleSealedData>>(),
        ];
        json_schema!({
            "description": "Any event of the bus: an envelope whose eventType selects the data.",
            "oneOf": variants,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_type_names_round_trip() {
        for t in EventType::ALL {
            assert_eq!(t.as_str().parse::<EventType>().unwrap(), t);
            assert_eq!(t.to_string(), t.as_str());
            assert!(t.schema_name().ends_with("Event"));
        }
        let err = "battle.renamed".parse::<EventType>().unwrap_err();
        assert_eq!((err.kind(), err.field()), ("event", Some("eventType")));
        assert!(
            err.to_string().starts_with(
                "event: unknown eventType `battle.renamed` (known: killmail.ingested,"
            ),
            "{err}"
        );
        assert_eq!(
            "battle.sealed".parse::<EventType>().unwrap(),
            EventType::BattleSealed
        );
    }

    #[test]
    fn clustered_metadata_chains_to_the_kills_upstream_events() {
        let m = EventMetadata::clustered(128_000_001, None);
        assert_eq!(
            m.correlation_id,
            event_id(EventType::KillmailIngested, "128000001")
        );
        assert_eq!(
            m.causation_id,
            event_id(EventType::KillmailEnriched, "128000001")
        );
        assert_eq!(m.source, EventMetadata::CLUSTER_SOURCE);
        assert_eq!(EventMetadata::clustered(1, Some("me")).source, "me");
    }

    #[test]
    fn event_ids_are_stable() {
        // Golden value: a change here renames every stored event.
        assert_eq!(
            event_id(EventType::KillmailIngested, "128000001").to_string(),
            Uuid::new_v5(&EVENT_NAMESPACE, b"killmail.ingested:128000001").to_string()
        );
        assert_eq!(event_id(EventType::BattleCreated, "x").get_version_num(), 5);
        assert_ne!(
            event_id(EventType::KillmailIngested, "1"),
            event_id(EventType::KillmailEnriched, "1")
        );
    }
}
