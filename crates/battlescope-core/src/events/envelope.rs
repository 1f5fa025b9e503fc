//! The envelope every event travels in, and its deterministic id.

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

use super::{unsupported_version, EventType, VERSION};

/// Namespace of event ids (fixed forever: changing it renames every event).
pub const EVENT_NAMESPACE: Uuid = Uuid::from_u128(0x0c5e_72a4_9b1d_4f63_8e2a_5d7c_3b9f_1a64);

/// The id of the event of type `event_type` whose data has `identity`
/// ([`EventData::identity`]): the UUID v5 of `"{eventType}:{identity}"`.
#[must_use]
pub fn event_id(event_type: EventType, identity: &str) -> Uuid {
    Uuid::new_v5(
        &EVENT_NAMESPACE,
        format!("{}:{identity}", event_type.as_str()).as_bytes(),
    )
}

/// The payload of one event type.
pub trait EventData: Serialize + DeserializeOwned + JsonSchema {
    /// The `eventType` this payload travels under.
    const EVENT_TYPE: EventType;

    /// Text naming the change this payload reports, unique among the events
    /// of its type in one stream and equal when the stream is replayed; the
    /// event id is derived from it ([`event_id`]).
    fn identity(&self) -> String;
}

/// Where an event comes from and what chain it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventMetadata {
    /// The first event of the chain this one belongs to: every event that
    /// follows from one ingested killmail shares its id. A first event
    /// carries its own id.
    pub correlation_id: Uuid,
    /// The event that directly caused this one (for a battle event, the
    /// `killmail.enriched` event of the kill that was clustered). A first
    /// event carries its own id.
    pub causation_id: Uuid,
    /// The service that produced the event, e.g. `battlescope-cluster`.
    pub source: String,
}

impl EventMetadata {
    /// The producer named in battle events unless told otherwise.
    pub const CLUSTER_SOURCE: &'static str = "battlescope-cluster";

    /// The default chain of the battle events of a clustered killmail, for
    /// a caller that does not hold the killmail's upstream events (a
    /// library user, a binding): correlated with its `killmail.ingested`
    /// event, caused by its `killmail.enriched` event (both ids are
    /// deterministic, [`event_id`] of the killmail id, so they equal the
    /// ids the platform gives those events), produced by `source`
    /// ([`EventMetadata::CLUSTER_SOURCE`] when `None`).
    #[must_use]
    pub fn clustered(killmail_id: u64, source: Option<&str>) -> Self {
        let id = killmail_id.to_string();
        Self {
            correlation_id: event_id(EventType::KillmailIngested, &id),
            causation_id: event_id(EventType::KillmailEnriched, &id),
            source: source.unwrap_or(Self::CLUSTER_SOURCE).to_owned(),
        }
    }
}

/// One event: `data` of type `T` with the envelope's fields.
///
/// `eventType` and `version` are not fields: they follow from `T`
/// ([`EventData::EVENT_TYPE`], [`VERSION`]), are written on serialisation
/// and checked on deserialisation.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope<T> {
    /// Deterministic by default (see [`Envelope::new`]).
    pub event_id: Uuid,
    /// When the event was produced.
    pub timestamp: DateTime<Utc>,
    /// The payload.
    pub data: T,
    /// Chain and producer (see [`EventMetadata`]).
    pub metadata: EventMetadata,
}

impl<T: EventData> Envelope<T> {
    /// An event whose id is derived from its data ([`event_id`]).
    #[must_use]
    pub fn new(data: T, timestamp: DateTime<Utc>, metadata: EventMetadata) -> Self {
        Self {
            event_id: event_id(T::EVENT_TYPE, &data.identity()),
            timestamp,
            data,
            metadata,
        }
    }

    /// The first event of a chain (e.g. `killmail.ingested`): its
    /// correlation and causation ids are its own id.
    #[must_use]
    pub fn first(data: T, timestamp: DateTime<Utc>, source: impl Into<String>) -> Self {
        let id = event_id(T::EVENT_TYPE, &data.identity());
        Self {
            event_id: id,
            timestamp,
            data,
            metadata: EventMetadata {
                correlation_id: id,
                causation_id: id,
                source: source.into(),
            },
        }
    }

    /// Its `eventType`.
    #[must_use]
    pub fn event_type(&self) -> EventType {
        T::EVENT_TYPE
    }
}

impl<T> Envelope<T> {
    /// Metadata for an event this one causes: same correlation id, this
    /// event's id as causation id, produced by `source`.
    #[must_use]
    pub fn caused(&self, source: impl Into<String>) -> EventMetadata {
        EventMetadata {
            correlation_id: self.metadata.correlation_id,
            causation_id: self.event_id,
            source: source.into(),
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WireOut<'a, T> {
    event_id: &'a Uuid,
    event_type: &'static str,
    timestamp: &'a DateTime<Utc>,
    version: &'static str,
    data: &'a T,
    metadata: &'a EventMetadata,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireIn {
    event_id: Uuid,
    event_type: String,
    timestamp: DateTime<Utc>,
    version: String,
    /// Read after `eventType` and `version` are checked, so a wrong type or
    /// version is reported as such rather than as a data error.
    data: serde_json::Value,
    metadata: EventMetadata,
}

impl<T: EventData> Serialize for Envelope<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        WireOut {
            event_id: &self.event_id,
            event_type: T::EVENT_TYPE.as_str(),
            timestamp: &self.timestamp,
            version: VERSION,
            data: &self.data,
            metadata: &self.metadata,
        }
        .serialize(s)
    }
}

impl<'de, T: EventData> Deserialize<'de> for Envelope<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let wire = WireIn::deserialize(d)?;
        if wire.event_type != T::EVENT_TYPE.as_str() {
            return Err(D::Error::custom(format!(
                "expected eventType `{}`, found `{}`",
                T::EVENT_TYPE,
                wire.event_type
            )));
        }
        if wire.version != VERSION {
            return Err(D::Error::custom(
                unsupported_version(T::EVENT_TYPE, &wire.version).reason(),
            ));
        }
        let data = T::deserialize(wire.data).map_err(|e| D::Error::custom(format!("data: {e}")))?;
        Ok(Self {
            event_id: wire.event_id,
            timestamp: wire.timestamp,
            data,
            metadata: wire.metadata,
        })
    }
}

impl<T: EventData> JsonSchema for Envelope<T> {
    fn schema_name() -> Cow<'static, str> {
        T::EVENT_TYPE.schema_name().into()
    }

    fn schema_id() -> Cow<'static, str> {
        format!("battlescope_core::events::{}", T::EVENT_TYPE.schema_name()).into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "object",
            "description": T::EVENT_TYPE.description(),
            "properties": {
                "eventId": {
                    "description": "UUID v5 of \"{eventType}:{identity of the change}\": equal on replay, so writes keyed by it are idempotent.",
                    "type": "string",
                    "format": "uuid",
                },
                "eventType": {
                    "type": "string",
                    "const": T::EVENT_TYPE.as_str(),
                },
                "timestamp": {
                    "description": "When the event was produced (RFC 3339, UTC).",
                    "type": "string",
                    "format": "date-time",
                },
                "version": {
                    "description": "Version of this event type's schema; additive changes keep it.",
                    "type": "string",
                    "const": VERSION,
                },
                "data": generator.subschema_for::<T>(),
                "metadata": generator.subschema_for::<EventMetadata>(),
            },
            "required": ["eventId", "eventType", "timestamp", "version", "data", "metadata"],
        })
    }
}
