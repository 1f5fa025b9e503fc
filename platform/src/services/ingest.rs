//! Ingest: source records → parse → ruleset (from the store) → dedupe →
//! `killmail.ingested`.
//!
//! Per batch of records: publish the new killmails (full bodies ride in a
//! header, see [`KILLMAIL_BODY_HEADER`]) and the dead letters, *then* mark
//! the ids ingested and move the source cursor in one store transaction,
//! written while the next batch is read (see [`Recording`]). A crash in
//! between republishes what was not recorded, which downstream writes
//! absorb (they are idempotent); nothing is skipped.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use battlescope_core::events::{Envelope, KillmailIngestedData};
use battlescope_core::input::{parse_record, Record, Shape};
use battlescope_core::killmail::Limits;
use battlescope_core::ruleset::CompiledRuleset;
use battlescope_core::{Killmail, RecordLoc};
use tokio::sync::watch;

use super::{dead_letter, publish_dead_letters, retry, rulesets, PipelineStats, ServiceError};
use crate::ports::bus::{topics, Bus, OutgoingMessage, KILLMAIL_BODY_HEADER};
use crate::ports::source::{KillmailSource, RawPayload, SourcePoll, SourceRecord};
use crate::ports::store::{DeadLetter, Store};

const SERVICE: &str = "ingest";
/// The `source` of the events ingest emits.
pub const EVENT_SOURCE: &str = "battlescope-ingest";

/// The ingest service.
#[derive(Debug)]
pub struct Ingest {
    pub bus: Arc<dyn Bus>,
    pub store: Arc<dyn Store>,
    pub source: Box<dyn KillmailSource>,
    pub stats: Arc<PipelineStats>,
    /// Records per batch.
    pub batch: usize,
}

/// The store record of the last published batch (its ids and the source
/// cursor), written while the next batch is read, parsed and published.
/// The record waits for the store's write turn; waited for in line, it
/// held ingest to one batch per writer transaction (the replay of
/// benches/serve-replay.sh moved in lockstep at ~2,600 kills/s with the
/// store half idle). One record at a time, so cursors move in order.
struct Recording {
    /// Its ids, not yet in the store: the next batch's dedupe counts them.
    ids: HashSet<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl Recording {
    async fn finish(self) {
        if let Err(e) = self.task.await {
            // `retry` never gives up, so only a panic ends the task early.
            tracing::error!(error = %e, "recording ingested ids failed");
        }
    }
}

/// One accepted killmail, ready to publish.
struct Accepted {
    data: KillmailIngestedData,
    /// The full killmail, when the source had it.
    killmail: Option<Killmail>,
    /// When the source had it.
    received_at_ms: i64,
}

/// What a `killmail.ingested` message carries on an in-process bus (see
/// [`Attached`](crate::ports::bus::Attached)): the envelope, and the full
/// killmail its body header encodes when the source had one.
#[derive(Debug)]
pub struct IngestedKillmail {
    pub envelope: Envelope<KillmailIngestedData>,
    pub killmail: Option<Killmail>,
}

impl Ingest {
    /// Run until the source is exhausted or `stop` turns true; returns
    /// once everything read is published and recorded.
    ///
    /// # Errors
    /// When it cannot start: a stored ruleset core refuses, a cursor the
    /// source refuses, a store that cannot be read.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) -> Result<(), ServiceError> {
        let ruleset = rulesets::active(&*self.store)
            .await
            .map_err(|e| ServiceError::Invalid {
                service: SERVICE,
                reason: e.to_string(),
            })?;
        let name = self.source.name().to_owned();
        let cursor =
            self.store
                .source_cursor(&name)
                .await
                .map_err(|source| ServiceError::Store {
                    service: SERVICE,
                    source,
                })?;
        if let Some(cursor) = &cursor {
            tracing::info!(source = %name, cursor = %cursor.0, "resuming the source");
            if let Err(e) = self.source.resume(cursor).await {
                // Another replay (other files) under the same source name:
                // read from the start; what was ingested before is skipped.
                tracing::warn!(source = %name, error = %e, "stored cursor not usable; reading from the start");
            }
        }
        let limits = Limits::default();
        let mut recording: Option<Recording> = None;
        loop {
            if *stop.borrow() {
                break;
            }
            let poll = tokio::select! {
                poll = self.source.poll(self.batch) => poll,
                _ = stop.changed() => break,
            };
            match poll {
                Ok(SourcePoll::Records(records)) => {
                    recording = self
                        .ingest(&name, records, ruleset.as_ref(), &limits, recording)
                        .await;
                }
                Ok(SourcePoll::Idle(delay)) => {
                    tokio::select! {
                        () = tokio::time::sleep(delay) => {}
                        _ = stop.changed() => break,
                    }
                }
                Ok(SourcePoll::Exhausted) => {
                    tracing::info!(source = %name, "source exhausted");
                    break;
                }
                Err(e) => {
                    tracing::warn!(source = %name, error = %e, "source failed; retrying in 1 s");
                    tokio::select! {
                        () = tokio::time::sleep(std::time::Duration::from_secs(1)) => {}
                        _ = stop.changed() => break,
                    }
                }
            }
        }
        if let Some(last) = recording {
            last.finish().await;
        }
        Ok(())
    }

    /// Ingest one batch; returns the recording of what it published
    /// (`previous` is finished before it starts).
    async fn ingest(
        &self,
        source: &str,
        records: Vec<SourceRecord>,
        ruleset: Option<&CompiledRuleset>,
        limits: &Limits,
        previous: Option<Recording>,
    ) -> Option<Recording> {
        let Some(last_cursor) = records.last().map(|r| r.cursor.clone()) else {
            return previous;
        };
        PipelineStats::add(&self.stats.records, records.len());
        // Read the clock once per batch for the future-date check.
        let limits = limits.clone().with_now(Some(chrono::Utc::now()));
        let limits = &limits;
        let mut accepted: Vec<Accepted> = Vec::with_capacity(records.len());
        let mut letters: Vec<DeadLetter> = Vec::new();
        let mut seen: HashSet<u64> = HashSet::with_capacity(records.len());
        for record in records {
            match parse(&record, limits) {
                Err(error) => {
                    let bytes = match &record.payload {
                        RawPayload::Json(b) => b.as_slice(),
                        RawPayload::Unreadable(_) => &[],
                    };
                    letters.push(dead_letter(SERVICE, &record.position, &error, bytes));
                }
                Ok(None) => {}
                Ok(Some(Parsed::Killmail(km))) => {
                    if ruleset.is_some_and(|r| !r.accepts(&km)) {
                        PipelineStats::add(&self.stats.rejected, 1);
                        continue;
                    }
                    if !seen.insert(km.killmail_id) {
                        PipelineStats::add(&self.stats.duplicates, 1);
                        continue;
                    }
                    let data = KillmailIngestedData::from_killmail(&km).unwrap_or_else(|| {
                        // ESI JSON without zKillboard's hash: the body travels
                        // with the event, so enrich never needs the hash.
                        KillmailIngestedData {
                            killmail_id: km.killmail_id,
                            hash: String::new(),
                            solar_system_id: Some(km.solar_system_id),
                            killmail_time: Some(km.killmail_time),
                            zkb: km.zkb.clone(),
                        }
                    });
                    accepted.push(Accepted {
                        data,
                        killmail: Some(*km),
                        received_at_ms: record.received_at_ms,
                    });
                }
                Ok(Some(Parsed::Reference(data))) => {
                    if !seen.insert(data.killmail_id) {
                        PipelineStats::add(&self.stats.duplicates, 1);
                        continue;
                    }
                    PipelineStats::add(&self.stats.unfiltered_references, 1);
                    accepted.push(Accepted {
                        data: *data,
                        killmail: None,
                        received_at_ms: record.received_at_ms,
                    });
                }
            }
        }
        let ids: Vec<u64> = accepted.iter().map(|a| a.data.killmail_id).collect();
        let reading = Instant::now();
        let known: HashSet<u64> = retry(&self.stats, "read ingested ids", || {
            self.store.ingested(&ids)
        })
        .await
        .into_iter()
        .collect();
        self.stats.store.record("dedupe", reading.elapsed());
        let now = chrono::Utc::now();
        let mut messages = Vec::with_capacity(accepted.len());
        let mut new_ids = Vec::with_capacity(accepted.len());
        let in_flight = previous.as_ref().map(|r| &r.ids);
        for a in accepted {
            let id = a.data.killmail_id;
            if known.contains(&id) || in_flight.is_some_and(|ids| ids.contains(&id)) {
                PipelineStats::add(&self.stats.duplicates, 1);
                continue;
            }
            let key = a
                .data
                .solar_system_id
                .map_or_else(|| a.data.killmail_id.to_string(), |s| s.to_string());
            new_ids.push(a.data.killmail_id);
            let envelope = Envelope::first(a.data, now, EVENT_SOURCE);
            let mut message =
                OutgoingMessage::new(key, serde_json::to_vec(&envelope).unwrap_or_default())
                    .received_at(a.received_at_ms);
            if let Some(body) = a
                .killmail
                .as_ref()
                .and_then(|km| serde_json::to_vec(km).ok())
            {
                message
                    .headers
                    .push((KILLMAIL_BODY_HEADER.to_owned(), body.into()));
            }
            messages.push(message.attach(IngestedKillmail {
                envelope,
                killmail: a.killmail,
            }));
        }
        let published = messages.len();
        if !messages.is_empty() {
            retry(&self.stats, "publish killmail.ingested", || {
                self.bus
                    .publish(topics::KILLMAIL_INGESTED, messages.clone())
            })
            .await;
        }
        for d in &letters {
            tracing::warn!(stage = SERVICE, position = %d.position, error = %d.error, "record dead-lettered");
        }
        publish_dead_letters(&self.stats, &*self.bus, &letters).await;
        PipelineStats::add(&self.stats.ingested, published);
        PipelineStats::add(&self.stats.dead_letters, letters.len());
        if let Some(previous) = previous {
            previous.finish().await;
        }
        let ids: HashSet<u64> = new_ids.iter().copied().collect();
        let (store, stats, source) = (self.store.clone(), self.stats.clone(), source.to_owned());
        let task = tokio::spawn(async move {
            let cursor = Some(&last_cursor);
            retry(&stats, "record ingested ids", || {
                store.record_ingested(&source, &new_ids, cursor)
            })
            .await;
        });
        Some(Recording { ids, task })
    }
}

enum Parsed {
    Killmail(Box<Killmail>),
    Reference(Box<KillmailIngestedData>),
}

/// One record → what it holds; `Ok(None)` for "nothing new" answers.
fn parse(record: &SourceRecord, limits: &Limits) -> Result<Option<Parsed>, String> {
    let bytes = match &record.payload {
        RawPayload::Json(bytes) => bytes,
        RawPayload::Unreadable(reason) => return Err(reason.clone()),
    };
    let loc = RecordLoc::new(
        Some(&record.position),
        battlescope_core::error::RecordPosition::Whole,
    );
    match parse_record(bytes, Shape::Auto, limits, &loc) {
        Ok(Record::Killmail(km)) => Ok(Some(Parsed::Killmail(km))),
        Ok(Record::Reference(r)) => Ok(Some(Parsed::Reference(Box::new(
            KillmailIngestedData::from_ref(&r),
        )))),
        Ok(Record::Empty) => Ok(None),
        Ok(other) => Err(format!(
            "a record of a kind this build does not handle: {other:?}"
        )),
        Err(e) => Err(e.to_string()),
    }
}
