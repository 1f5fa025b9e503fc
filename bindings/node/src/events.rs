//! Bus events (core `events`): what `Clusterer.push` returns, and reading
//! an event back.
//!
//! A push's battle events are core's envelopes
//! ([`Event::from_push`]), so they are exactly the JSON the schemas in
//! `schemas/` describe (`BattleCreatedEvent`, `BattleUpdatedEvent`,
//! `BattleDeletedEvent`).

use battlescope_core as core;
use chrono::{DateTime, Utc};
use core::cluster::Pushed;
use core::events::{Event, EventMetadata};
use napi::bindgen_prelude::Unknown;
use napi::Env;
use napi_derive::napi;
use serde::Deserialize;

use crate::convert::{from_js, json_bytes, to_js};
use crate::error::IntoJs;

/// How to stamp the events of a push (`Clusterer.push`'s options).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct PushOptions {
    /// When the events are produced; now by default. `null` (what an
    /// invalid `Date` becomes in JSON) is refused, not taken for "now".
    #[serde(default, deserialize_with = "present_time")]
    timestamp: Option<DateTime<Utc>>,
    /// The metadata of every event; by default the chain of the clustered
    /// killmail (below).
    metadata: Option<EventMetadata>,
    /// The producer, when `metadata` is not given.
    source: Option<String>,
}

/// A timestamp that is given must be a time: `new Date(NaN)` reaches here
/// as `null`.
fn present_time<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    match Option::<DateTime<Utc>>::deserialize(d)? {
        Some(t) => Ok(Some(t)),
        None => Err(serde::de::Error::custom(
            "is not a valid time (an invalid Date, or null): give a valid Date or RFC 3339 text, or leave it out for now",
        )),
    }
}

impl PushOptions {
    pub(crate) fn from_arg(env: &Env, value: Option<Unknown<'_>>) -> napi::Result<Self> {
        match value {
            Some(v)
                if !matches!(
                    v.get_type()?,
                    napi::ValueType::Undefined | napi::ValueType::Null
                ) =>
            {
                from_js(env, v, "options")
            }
            _ => Ok(Self::default()),
        }
    }

    /// Fix the timestamp once, so every push of one call shares it.
    pub(crate) fn stamped(mut self) -> Self {
        self.timestamp.get_or_insert_with(Utc::now);
        self
    }

    /// The events of one push of `killmail_id`. Without explicit metadata
    /// they carry the chain the schemas describe for a clustered kill:
    /// correlated with its `killmail.ingested` event, caused by its
    /// `killmail.enriched` event (both ids are deterministic: core's
    /// `event_id` of the killmail id).
    pub(crate) fn events(
        &self,
        pushed: &Pushed,
        clusterer: &core::Clusterer,
        killmail_id: u64,
    ) -> Result<Vec<Event>, core::Error> {
        let metadata = self
            .metadata
            .clone()
            .unwrap_or_else(|| EventMetadata::clustered(killmail_id, self.source.as_deref()));
        let timestamp = self.timestamp.unwrap_or_else(Utc::now);
        Event::from_push(pushed, clusterer, timestamp, &metadata)
    }
}

/// Read one bus event (an object, JSON text or `Buffer`) and give it back
/// as core writes it. Throws a `ParseError` for an unknown `eventType`, a
/// `version` this build does not read, or data that does not fit the type
/// (the message names the field).
#[napi(
    ts_args_type = "event: Event | string | Uint8Array",
    ts_return_type = "Event"
)]
pub fn parse_event<'env>(env: &'env Env, event: Unknown<'_>) -> napi::Result<Unknown<'env>> {
    let bytes = json_bytes(env, event, "event")?;
    let event = Event::from_json(&bytes).js(env)?;
    to_js(env, &event)
}
