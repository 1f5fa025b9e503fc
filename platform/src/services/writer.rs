//! Writer: the store side of the bus. Killmails (with participants, hence
//! pilot ship history), battle documents and kills, the event store and the
//! dead letters, one store transaction per batch, then the offsets.
//!
//! Idempotent by construction (the store's writes are keyed by killmail
//! id, battle id and event id), so redelivery after a crash is harmless.
//! A message the writer cannot read becomes a dead letter in the same
//! transaction.

use std::sync::Arc;
use std::time::Instant;

use battlescope_core::events::{Envelope, Event, KillmailEnrichedData};

use super::{
    commit, dead_letter, drained, finished, poll, retry, PipelineStats, ServiceError, Upstream,
};
use crate::ports::bus::{latest_positions, topics, Bus, Message};
use crate::ports::store::{BattleChange, DeadLetter, EventBody, EventRecord, Store, WriteBatch};

const SERVICE: &str = "writer";

/// The writer service.
#[derive(Debug, Clone)]
pub struct Writer {
    pub bus: Arc<dyn Bus>,
    pub store: Arc<dyn Store>,
    pub stats: Arc<PipelineStats>,
    pub group: String,
    pub batch: usize,
}

/// Which topic a loop writes.
#[derive(Debug, Clone, Copy)]
enum Feed {
    Killmails,
    Battles,
    DeadLetters,
}

impl Writer {
    /// Write the three topics until their upstreams have finished and
    /// nothing is left: `killmails` is enrich's, `battles` the clusterer's,
    /// `dead_letters` that of the last producer to stop.
    ///
    /// # Errors
    /// When the bus refuses a subscription.
    pub async fn run(
        self,
        killmails: Upstream,
        battles: Upstream,
        dead_letters: Upstream,
    ) -> Result<(), ServiceError> {
        let a = tokio::spawn(self.clone().feed(Feed::Killmails, killmails));
        let b = tokio::spawn(self.clone().feed(Feed::Battles, battles));
        let c = tokio::spawn(self.feed(Feed::DeadLetters, dead_letters));
        for handle in [a, b, c] {
            handle.await.map_err(|e| ServiceError::Invalid {
                service: SERVICE,
                reason: format!("a writer task failed: {e}"),
            })??;
        }
        Ok(())
    }

    async fn feed(self, feed: Feed, upstream: Upstream) -> Result<(), ServiceError> {
        let topic = match feed {
            Feed::Killmails => topics::KILLMAIL_ENRICHED,
            Feed::Battles => topics::BATTLE_EVENTS,
            Feed::DeadLetters => topics::DEAD_LETTER,
        };
        let mut consumer = self
            .bus
            .subscribe(topic, &self.group)
            .await
            .map_err(|source| ServiceError::Bus {
                service: SERVICE,
                source,
            })?;
        loop {
            let done = finished(&upstream);
            let messages = poll(&self.stats, &mut *consumer, self.batch).await;
            if messages.is_empty() {
                if done && drained(&mut *consumer).await {
                    return Ok(());
                }
                continue;
            }
            let started = Instant::now();
            let mut batch = WriteBatch::default();
            // (received at, kills) of the battle events: their kills are
            // visible in the API once the batch is stored.
            let mut shown: Vec<(i64, usize)> = Vec::new();
            for m in &messages {
                match add(feed, m, &mut batch) {
                    Ok(kills) => {
                        if let Some(ms) = m.received_at_ms().filter(|_| kills > 0) {
                            shown.push((ms, kills));
                        }
                    }
                    Err(error) => {
                        tracing::warn!(stage = SERVICE, position = %m.describe(), error = %error, "message dead-lettered");
                        batch.dead_letters.push(dead_letter(
                            SERVICE,
                            &m.describe(),
                            &error,
                            &m.payload,
                        ));
                        PipelineStats::add(&self.stats.dead_letters, 1);
                    }
                }
            }
            let writing = Instant::now();
            retry(&self.stats, "store write", || self.store.write(&batch)).await;
            self.stats.store.record("write", writing.elapsed());
            let now = chrono::Utc::now().timestamp_millis();
            for (received, kills) in shown {
                self.stats
                    .kill_to_battle
                    .record(now - received, kills as u64);
            }
            let positions = latest_positions(messages.iter().map(Message::position));
            commit(&self.stats, &mut *consumer, &positions).await;
            self.stats.processing.record(SERVICE, started.elapsed());
            PipelineStats::add(&self.stats.written, messages.len());
        }
    }
}

fn record(
    m: &Message,
    event_id: uuid::Uuid,
    event_type: &str,
    timestamp_ms: i64,
    body: EventBody,
) -> EventRecord {
    EventRecord {
        event_id,
        event_type: event_type.to_owned(),
        key: m.key.to_string(),
        timestamp_ms,
        body,
    }
}

/// What one message adds to the batch; how many kills it puts in a
/// battle (those of a new battle, those added to one).
fn add(feed: Feed, m: &Message, batch: &mut WriteBatch) -> Result<usize, String> {
    let mut shown = 0;
    match feed {
        Feed::Killmails => {
            let e = m
                .decode::<Envelope<KillmailEnrichedData>>()
                .map_err(|e| format!("not a killmail.enriched event: {e}"))?;
            // The killmail goes to its table in this batch: the event
            // store keeps a reference.
            batch.events.push(record(
                m,
                e.event_id,
                e.event_type().as_str(),
                e.timestamp.timestamp_millis(),
                EventBody::Killmail {
                    killmail_id: e.data.killmail.killmail_id,
                    timestamp: e.timestamp,
                    metadata: e.metadata.clone(),
                },
            ));
            let d = &e.data;
            batch
                .killmails
                .push((d.killmail.clone(), d.summary.clone(), d.names.clone()));
        }
        Feed::Battles => {
            let event = m
                .decode::<Event>()
                .map_err(|e| format!("not a battle event: {e}"))?;
            let event = Event::clone(&event);
            let timestamp_ms = match &event {
                Event::BattleCreated(e) => e.timestamp.timestamp_millis(),
                Event::BattleUpdated(e) => e.timestamp.timestamp_millis(),
                Event::BattleDeleted(e) => e.timestamp.timestamp_millis(),
                Event::BattleSealed(e) => e.timestamp.timestamp_millis(),
                _ => return Err(format!("{} on the battle topic", event.event_type())),
            };
            batch.events.push(record(
                m,
                event.event_id(),
                event.event_type().as_str(),
                timestamp_ms,
                EventBody::Json(String::from_utf8_lossy(&m.payload).into_owned()),
            ));
            shown = match &event {
                Event::BattleCreated(e) => e.data.battle.killmail_ids.len(),
                Event::BattleUpdated(e) => e.data.added_killmail_ids.len(),
                _ => 0,
            };
            match event {
                Event::BattleCreated(e) => batch.battles.push(BattleChange::Upsert {
                    added: e.data.battle.killmail_ids.clone(),
                    battle: Box::new(e.data.battle),
                    removed: Vec::new(),
                }),
                Event::BattleUpdated(e) => {
                    let id = e.data.battle.id;
                    batch.battles.push(BattleChange::Upsert {
                        battle: Box::new(e.data.battle),
                        added: e.data.added_killmail_ids,
                        removed: e.data.removed_killmail_ids,
                    });
                    // Renamed (its earliest kill changed): the old id redirects.
                    if let Some(previous) = e.data.previous_id.filter(|p| *p != id) {
                        batch.battles.push(BattleChange::Merged {
                            id: previous,
                            into: id,
                        });
                    }
                }
                Event::BattleDeleted(e) => batch.battles.push(match e.data.merged_into {
                    Some(into) => BattleChange::Merged {
                        id: e.data.battle_id,
                        into,
                    },
                    None => BattleChange::Dissolved {
                        id: e.data.battle_id,
                    },
                }),
                // Final: the document is the last update's; store it again
                // in case that update was lost to a crash before its write.
                Event::BattleSealed(e) => batch.battles.push(BattleChange::Upsert {
                    added: Vec::new(),
                    battle: Box::new(e.data.battle),
                    removed: Vec::new(),
                }),
                other => return Err(format!("{} on the battle topic", other.event_type())),
            }
        }
        Feed::DeadLetters => {
            let d = m
                .decode::<DeadLetter>()
                .map_err(|e| format!("not a dead letter: {e}"))?;
            batch.dead_letters.push(DeadLetter::clone(&d));
        }
    }
    Ok(shown)
}
