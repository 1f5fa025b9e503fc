//! Replaying dead letters: a message a service gave up on (ESI down past
//! the breaker, a store refusing it, a bug since fixed) goes back to the
//! topic it was read from, keyed as the pipeline keys it, and leaves the
//! dead-letter queue once the bus has it. If it fails again, the service
//! dead-letters it again, under its new position.
//!
//! The writer stores everything the dead-letter topic carries, so the
//! store's queue is the topic's content, listable and addressable by id:
//! replay reads it there. Records a source gave ingest that were not
//! killmails have no topic to go back to: they are kept and reported (fix
//! the source, replay the source).

use std::collections::BTreeMap;

use crate::ports::bus::topics;
use crate::ports::store::DeadLetter;
use crate::ports::{Bus, OutgoingMessage, Store};
use crate::services::ServiceError;
use battlescope_core::events::Event;

const SERVICE: &str = "dlq replay";

/// Which dead letters to replay.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Only these ids (all when empty).
    pub ids: Vec<String>,
    /// Only the letters of this stage (`enrich`, `clusterer`, `writer`, …).
    pub stage: Option<String>,
    /// At most this many, newest first.
    pub limit: u32,
}

/// What a replay did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Replayed {
    /// Ids published back to their topic and removed from the queue.
    pub replayed: Vec<String>,
    /// Ids left in the queue, with why.
    pub kept: Vec<(String, String)>,
}

/// The topic a bus message came from (`topic/partition@offset`), if it is
/// one of the pipeline's.
fn topic_of(position: &str) -> Option<&'static str> {
    let (topic, rest) = position.split_once('/')?;
    rest.split_once('@')?;
    [
        topics::KILLMAIL_INGESTED,
        topics::KILLMAIL_ENRICHED,
        topics::BATTLE_EVENTS,
    ]
    .into_iter()
    .find(|t| *t == topic)
}

/// The message to publish again, or why there is none.
fn message_of(letter: &DeadLetter) -> Result<(&'static str, OutgoingMessage), String> {
    let Some(topic) = topic_of(&letter.position) else {
        return Err(format!(
            "`{}` is not a position on the pipeline's topics (a source record: fix the source and replay it)",
            letter.position
        ));
    };
    let event = Event::from_json(letter.payload.as_bytes())
        .map_err(|e| format!("the payload is not an event of `{topic}`: {e}"))?;
    Ok((
        topic,
        OutgoingMessage::new(event.partition_key(), letter.payload.as_bytes().to_vec()),
    ))
}

/// Publish the selected dead letters back to their topics and remove them
/// from the queue (after the bus acknowledged them: a crash in between
/// replays them twice, which the idempotent pipeline absorbs).
///
/// # Errors
/// The store or the bus failing; nothing is removed that was not published.
pub async fn replay(
    bus: &dyn Bus,
    store: &dyn Store,
    selection: &Selection,
) -> Result<Replayed, ServiceError> {
    let letters = store
        .dead_letters(selection.limit)
        .await
        .map_err(|source| ServiceError::Store {
            service: SERVICE,
            source,
        })?;
    let mut out = Replayed::default();
    // One publish per topic and one removal for all: the bus keeps each
    // topic's order, and a letter leaves the queue only once its topic's
    // publish was acknowledged.
    let mut by_topic: BTreeMap<&'static str, Vec<OutgoingMessage>> = BTreeMap::new();
    for letter in letters {
        if !selection.ids.is_empty() && !selection.ids.contains(&letter.id) {
            continue;
        }
        if selection.stage.as_ref().is_some_and(|s| *s != letter.stage) {
            continue;
        }
        match message_of(&letter) {
            Ok((topic, message)) => {
                by_topic.entry(topic).or_default().push(message);
                out.replayed.push(letter.id);
            }
            Err(reason) => out.kept.push((letter.id, reason)),
        }
    }
    for (topic, messages) in by_topic {
        let n = messages.len();
        bus.publish(topic, messages)
            .await
            .map_err(|source| ServiceError::Bus {
                service: SERVICE,
                source,
            })?;
        tracing::info!(topic, dead_letters = n, "dead letters replayed");
    }
    store
        .remove_dead_letters(&out.replayed)
        .await
        .map_err(|source| ServiceError::Store {
            service: SERVICE,
            source,
        })?;
    for id in &selection.ids {
        if !out.replayed.contains(id) && !out.kept.iter().any(|(k, _)| k == id) {
            out.kept
                .push((id.clone(), "no such dead letter".to_owned()));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_positions_on_the_pipelines_topics_go_back() {
        assert_eq!(
            topic_of("killmail.ingested/3@17"),
            Some(topics::KILLMAIL_INGESTED)
        );
        assert_eq!(topic_of("battle.events/0@0"), Some(topics::BATTLE_EVENTS));
        assert_eq!(topic_of("fights.jsonl line 2"), None);
        assert_eq!(topic_of("deadletter/0@1"), None);
        assert_eq!(topic_of("killmail.ingested"), None);
    }

    #[test]
    fn a_payload_that_is_no_event_stays_with_the_reason() {
        let letter = crate::services::dead_letter(
            "enrich",
            "killmail.ingested/0@4",
            "ESI 502",
            b"{\"not\": \"an event\"}",
        );
        let reason = message_of(&letter).unwrap_err();
        assert!(
            reason.contains("not an event of `killmail.ingested`"),
            "{reason}"
        );
    }
}
