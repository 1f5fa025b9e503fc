//! Clusterer: `killmail.enriched` → core's incremental [`Clusterer`], one
//! per partition → `battle.events`.
//!
//! Exactly-once state over at-least-once delivery: each partition's
//! clusterer snapshot is saved with the offset it covers in one store
//! write ([`Checkpoint`]), and bus offsets are committed only after that.
//! Each partition this member is given (at start on the in-process bus,
//! by the group's rebalances on Kafka) is restored from its checkpoint and,
//! when the checkpoint belongs to the same log, read from its offset; a
//! partition taken away is dropped, its progress since the last checkpoint
//! left to the member that takes it (it reads on from that checkpoint).
//! Several clusterers in one group so share the solar systems.
//!
//! Each poll's events are coalesced per partition (core's [`Coalescer`]):
//! one event per battle per poll, its document built once. Events published
//! after the last checkpoint are published again after a crash, perhaps
//! grouped differently; each carries its battle's current document, so a
//! consumer applying the stream in order ends with the same battles, and
//! an event published twice with the same content has the same id (the
//! writer stores it once); a battle the first run published in passing and
//! the second never names is retired by the store once other battles hold
//! all its kills.
//!
//! This module is the only one that calls [`Clusterer`]: every outcome it
//! can report is mapped in `ClustererService::push`. A kill beyond the
//! horizon is re-clustered from the store after the poll's own events are
//! published (module `late`); what cannot be handled (a future-dated
//! kill, a late kill the store cannot serve yet) is logged, counted and
//! dead-lettered, never dropped silently.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use battlescope_core::cluster::{
    ClusterConfig, Clusterer, ClustererSnapshot, Coalescer, PushOutcome,
};
use battlescope_core::events::{Envelope, Event, KillmailEnrichedData};

use super::late::{recluster_late, Late};
use super::{
    commit, dead_letter, drained, finished, poll, publish_dead_letters, retry, PipelineStats,
    ServiceError, Upstream,
};
use crate::ports::bus::{topics, Bus, Consumer, Message, OutgoingMessage, Position};
use crate::ports::store::{Checkpoint, DeadLetter, Store};

const SERVICE: &str = "clusterer";
/// The `source` of the events the clusterer emits.
pub const EVENT_SOURCE: &str = "battlescope-clusterer";

/// The clusterer service.
#[derive(Debug)]
pub struct ClustererService {
    pub bus: Arc<dyn Bus>,
    pub store: Arc<dyn Store>,
    pub config: ClusterConfig,
    pub stats: Arc<PipelineStats>,
    pub group: String,
    pub batch: usize,
    /// Checkpoint at least this often while messages flow…
    pub checkpoint_interval: Duration,
    /// …and after this many messages.
    pub checkpoint_every: usize,
}

/// One partition's clusterer and how far it has read.
#[derive(Debug)]
struct PartitionState {
    clusterer: Clusterer,
    /// This poll's events, one per battle (see [`Coalescer`]), tagged with
    /// the metadata of the last message that changed the battle.
    events: Coalescer<battlescope_core::events::EventMetadata>,
    /// Next offset to read, once a message of the partition was processed.
    next_offset: Option<u64>,
    dirty: bool,
}

impl ClustererService {
    /// Run until `upstream` has finished and nothing is left to read; the
    /// last act is a checkpoint.
    ///
    /// # Errors
    /// When it cannot start: the bus refuses the subscription, or a stored
    /// checkpoint cannot be restored.
    pub async fn run(self, upstream: Upstream) -> Result<(), ServiceError> {
        let mut consumer = self
            .bus
            .subscribe(topics::KILLMAIL_ENRICHED, &self.group)
            .await
            .map_err(|source| ServiceError::Bus {
                service: SERVICE,
                source,
            })?;
        self.check_partition_count().await?;
        // A bus that assigns every partition at subscription (the in-process
        // one) reports no rebalance; a broker's group assigns while polling.
        let mut partitions = BTreeMap::new();
        let initial = consumer.assignment();
        self.restore(&mut *consumer, &initial, &mut partitions)
            .await?;
        let mut pending: Vec<Position> = Vec::new();
        let mut since_checkpoint = 0usize;
        let mut last_checkpoint = Instant::now();
        loop {
            let done = finished(&upstream);
            let messages = poll(&self.stats, &mut *consumer, self.batch).await;
            if let Some(change) = consumer.take_rebalance() {
                // Revoked: another member goes on from the last checkpoint,
                // so what was done here since is dropped, not committed.
                for p in &change.revoked {
                    partitions.remove(p);
                }
                pending.retain(|pos| !change.revoked.contains(&pos.partition));
                self.restore(&mut *consumer, &change.assigned, &mut partitions)
                    .await?;
                tracing::info!(revoked = ?change.revoked, assigned = ?change.assigned, "clusterer partitions moved");
            }
            let started = Instant::now();
            if !messages.is_empty() {
                let mut out = Vec::new();
                let mut letters = Vec::new();
                let mut late = Vec::new();
                for m in &messages {
                    let state = match partitions.entry(m.partition) {
                        std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                        std::collections::btree_map::Entry::Vacant(e) => e.insert(PartitionState {
                            clusterer: Clusterer::new(self.config.clone()).map_err(|e| {
                                ServiceError::Invalid {
                                    service: SERVICE,
                                    reason: e.to_string(),
                                }
                            })?,
                            events: Coalescer::new(),
                            next_offset: None,
                            dirty: false,
                        }),
                    };
                    self.push(m, state, &mut letters, &mut late);
                    state.next_offset = Some(m.offset + 1);
                    state.dirty = true;
                    pending.push(m.position());
                }
                for state in partitions.values_mut() {
                    Self::publishable(state, &mut out, &mut letters);
                }
                // The poll's earliest kill: an event of this poll shows no
                // kill that reached the platform before it (a kill that
                // waited for a partner counts from its partner's poll).
                let received = messages.iter().filter_map(Message::received_at_ms).min();
                stamp(&mut out, received);
                let mut events = out.len();
                if !out.is_empty() {
                    retry(&self.stats, "publish battle.events", || {
                        self.bus.publish(topics::BATTLE_EVENTS, out.clone())
                    })
                    .await;
                }
                // After this poll's events: the store must see them before
                // a late kill is re-clustered from it.
                for (partition, kill) in &late {
                    let horizon = partitions
                        .get(partition)
                        .and_then(|s| s.clusterer.horizon());
                    match recluster_late(&*self.store, &self.config, horizon, kill).await {
                        Ok(mut reclustered) => {
                            stamp(&mut reclustered, received);
                            events += reclustered.len();
                            PipelineStats::add(&self.stats.reclustered, 1);
                            if !reclustered.is_empty() {
                                retry(&self.stats, "publish battle.events", || {
                                    self.bus.publish(topics::BATTLE_EVENTS, reclustered.clone())
                                })
                                .await;
                            }
                        }
                        Err(reason) => {
                            let error = format!(
                                "late killmail {} not re-clustered: {reason}",
                                kill.killmail.killmail_id
                            );
                            tracing::warn!(stage = SERVICE, position = %kill.position, error = %error, "late killmail dead-lettered");
                            letters.push(dead_letter(
                                SERVICE,
                                &kill.position,
                                &error,
                                &kill.payload,
                            ));
                        }
                    }
                }
                publish_dead_letters(&self.stats, &*self.bus, &letters).await;
                PipelineStats::add(&self.stats.battle_events, events);
                PipelineStats::add(&self.stats.dead_letters, letters.len());
                since_checkpoint += messages.len();
                self.stats.processing.record(SERVICE, started.elapsed());
            }
            let due = since_checkpoint >= self.checkpoint_every
                || last_checkpoint.elapsed() >= self.checkpoint_interval
                || messages.is_empty();
            if due && !pending.is_empty() {
                self.checkpoint(&mut *consumer, &mut partitions, &mut pending)
                    .await;
                since_checkpoint = 0;
                last_checkpoint = Instant::now();
            }
            if messages.is_empty() && done && drained(&mut *consumer).await {
                return Ok(());
            }
        }
    }

    /// The group's checkpoints of its topic, as stored now.
    async fn checkpoints(&self) -> Result<Vec<Checkpoint>, ServiceError> {
        self.store
            .checkpoints(&self.group, topics::KILLMAIL_ENRICHED)
            .await
            .map_err(|source| ServiceError::Store {
                service: SERVICE,
                source,
            })
    }

    /// Checkpoints of partitions the topic does not have mean the
    /// partition count changed: their state belongs to no partition now.
    async fn check_partition_count(&self) -> Result<(), ServiceError> {
        let count = self
            .bus
            .partitions(topics::KILLMAIL_ENRICHED)
            .await
            .map_err(|source| ServiceError::Bus {
                service: SERVICE,
                source,
            })?;
        let checkpoints = self.checkpoints().await?;
        if let Some(cp) = checkpoints.iter().find(|cp| cp.partition >= count) {
            return Err(ServiceError::Invalid {
                service: SERVICE,
                reason: format!(
                    "checkpoint of partition {}: the topic has {count} partitions now (the partition count changed)",
                    cp.partition
                ),
            });
        }
        Ok(())
    }

    /// Rebuild `assigned` partitions from their checkpoints (the newest in
    /// the store: another member may have written it) and seek each to its
    /// offset when the checkpoint belongs to this log; a partition without
    /// one starts empty.
    async fn restore(
        &self,
        consumer: &mut dyn Consumer,
        assigned: &[u32],
        partitions: &mut BTreeMap<u32, PartitionState>,
    ) -> Result<(), ServiceError> {
        for p in assigned {
            partitions.remove(p);
        }
        if assigned.is_empty() {
            return Ok(());
        }
        let checkpoints = self.checkpoints().await?;
        let log_id = consumer.log_id();
        for cp in checkpoints
            .into_iter()
            .filter(|cp| assigned.contains(&cp.partition))
        {
            let invalid = |reason: String| ServiceError::Invalid {
                service: SERVICE,
                reason: format!("checkpoint of partition {}: {reason}", cp.partition),
            };
            let snapshot: ClustererSnapshot =
                serde_json::from_str(&cp.snapshot).map_err(|e| invalid(e.to_string()))?;
            if snapshot.config != self.config {
                tracing::warn!(
                    partition = cp.partition,
                    "the checkpoint was made with another cluster configuration; it stays in force for the state it holds"
                );
            }
            let clusterer = Clusterer::restore(snapshot).map_err(|e| invalid(e.to_string()))?;
            let next_offset = if cp.log_id == log_id {
                consumer
                    .seek(cp.partition, cp.next_offset)
                    .await
                    .map_err(|e| invalid(e.to_string()))?;
                Some(cp.next_offset)
            } else {
                // A new log (an in-memory bus after a restart): its offsets
                // start over, and what it carries comes after the checkpoint.
                None
            };
            tracing::info!(
                partition = cp.partition,
                live_killmails = clusterer.live_killmails(),
                open_battles = clusterer.open_battle_count(),
                resumed_at = ?next_offset,
                "clusterer state restored"
            );
            partitions.insert(
                cp.partition,
                PartitionState {
                    clusterer,
                    events: Coalescer::new(),
                    next_offset,
                    dirty: false,
                },
            );
        }
        Ok(())
    }

    /// Save every changed partition with its offset, then commit the bus.
    async fn checkpoint(
        &self,
        consumer: &mut dyn Consumer,
        partitions: &mut BTreeMap<u32, PartitionState>,
        pending: &mut Vec<Position>,
    ) {
        let log_id = consumer.log_id();
        for (&partition, state) in partitions.iter_mut().filter(|(_, s)| s.dirty) {
            let Some(next_offset) = state.next_offset else {
                continue;
            };
            let snapshot = match serde_json::to_string(&state.clusterer.snapshot()) {
                Ok(s) => s,
                Err(e) => {
                    tracing::error!(partition, error = %e, "snapshot not serialisable; not checkpointed");
                    continue;
                }
            };
            let cp = Checkpoint {
                group: self.group.clone(),
                topic: topics::KILLMAIL_ENRICHED.to_owned(),
                partition,
                log_id: log_id.clone(),
                next_offset,
                snapshot,
            };
            let saving = Instant::now();
            retry(&self.stats, "save clusterer checkpoint", || {
                self.store.save_checkpoint(&cp)
            })
            .await;
            self.stats.store.record("checkpoint", saving.elapsed());
            state.dirty = false;
        }
        let positions = crate::ports::bus::latest_positions(pending.drain(..));
        commit(&self.stats, &mut *consumer, &positions).await;
    }

    /// Cluster one message: its events join the partition's batch, its
    /// dead letters go to `letters`.
    fn push(
        &self,
        m: &Message,
        state: &mut PartitionState,
        letters: &mut Vec<DeadLetter>,
        late: &mut Vec<(u32, Late)>,
    ) {
        let enriched = match m.decode::<Envelope<KillmailEnrichedData>>() {
            Ok(e) => e,
            Err(e) => {
                let error = format!("not a killmail.enriched event: {e}");
                tracing::warn!(stage = SERVICE, position = %m.describe(), error = %error, "message dead-lettered");
                letters.push(dead_letter(SERVICE, &m.describe(), &error, &m.payload));
                return;
            }
        };
        let killmail_id = enriched.data.killmail.killmail_id;
        let metadata = enriched.caused(EVENT_SOURCE);
        let pushed = state.clusterer.push(enriched.data.killmail.clone());
        PipelineStats::add(&self.stats.sealed, pushed.sealed.len());
        match &pushed.outcome {
            PushOutcome::Added | PushOutcome::Replaced | PushOutcome::Reclustered => {
                PipelineStats::add(&self.stats.clustered, 1);
            }
            PushOutcome::Duplicate => {
                PipelineStats::add(&self.stats.cluster_duplicates, 1);
                return;
            }
            PushOutcome::LateBeyondHorizon { battles } => {
                PipelineStats::add(&self.stats.late, 1);
                tracing::info!(stage = SERVICE, position = %m.describe(), killmail_id, "late killmail beyond the horizon: re-clustered from the store");
                late.push((
                    m.partition,
                    Late {
                        killmail: enriched.data.killmail.clone(),
                        remembered: battles.clone(),
                        metadata,
                        position: m.describe(),
                        payload: m.payload.clone(),
                    },
                ));
                return;
            }
            PushOutcome::FutureDated { trusted_time } => {
                PipelineStats::add(&self.stats.late, 1);
                let error = format!(
                    "killmail {killmail_id} is dated after the trusted time {trusted_time} by more than the allowed skew: refused"
                );
                tracing::warn!(stage = SERVICE, position = %m.describe(), killmail_id, "future-dated killmail dead-lettered");
                letters.push(dead_letter(SERVICE, &m.describe(), &error, &m.payload));
                return;
            }
            other => {
                // An outcome this build does not know: never dropped silently.
                PipelineStats::add(&self.stats.late, 1);
                let error = format!(
                    "killmail {killmail_id}: clusterer outcome `{}` is not handled by this build",
                    other.as_str()
                );
                tracing::error!(stage = SERVICE, position = %m.describe(), killmail_id, outcome = other.as_str(), "unknown clusterer outcome dead-lettered");
                letters.push(dead_letter(SERVICE, &m.describe(), &error, &m.payload));
                return;
            }
        }
        state.events.add(pushed, &state.clusterer, metadata);
    }

    /// The partition's batch of events as bus messages, each with the
    /// battle's document as it stands now.
    fn publishable(
        state: &mut PartitionState,
        out: &mut Vec<OutgoingMessage>,
        letters: &mut Vec<DeadLetter>,
    ) {
        let now = chrono::Utc::now();
        for item in state.events.finish(&state.clusterer) {
            let battle_id = item.change.battle_id();
            let event = match Event::from_battle_change(
                &item.change,
                item.battle.as_ref(),
                now,
                item.tag,
            ) {
                Ok(event) => event,
                Err(e) => {
                    // A document that does not match its event is a bug in
                    // core: kept as a dead letter, never published wrong.
                    let error = format!("battle event not built: {e}");
                    tracing::error!(%battle_id, error = %error, "battle event dead-lettered");
                    let event = format!("{:?}", item.change);
                    letters.push(dead_letter(
                        SERVICE,
                        &format!("battle {battle_id}"),
                        &error,
                        event.as_bytes(),
                    ));
                    continue;
                }
            };
            match serde_json::to_vec(&event) {
                Ok(payload) => {
                    out.push(OutgoingMessage::new(event.partition_key(), payload).attach(event));
                }
                Err(e) => tracing::error!(%battle_id, error = %e, "battle event not serialisable"),
            }
        }
    }
}

/// Give battle events the earliest arrival of the kills of their poll.
fn stamp(events: &mut Vec<OutgoingMessage>, received: Option<i64>) {
    if let Some(ms) = received {
        *events = std::mem::take(events)
            .into_iter()
            .map(|m| m.received_at(ms))
            .collect();
    }
}
