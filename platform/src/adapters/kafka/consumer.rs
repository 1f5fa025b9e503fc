//! A member of a Kafka consumer group, as the port's [`Consumer`].
//!
//! Messages come from an rdkafka `StreamConsumer`; rebalances are recorded
//! by its context (the `group` module). A poll returns messages only of the
//! partitions held when it began and still held: the first message of a
//! partition assigned during the poll is handed back to librdkafka (the
//! partition is sought to it) and comes with the next poll, after the
//! caller could take the change and seek. A seek the partition's fetcher
//! cannot take yet (it is still asking for the committed offset) is kept
//! and applied when the partition's first message arrives.
//!
//! A commit stores, per partition, the offset after the highest position
//! (Kafka's committed offset is the next one to read), synchronously, and
//! never below what the group already committed. Dropping the consumer
//! leaves the group on a thread of its own, since closing waits for the
//! broker.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{CommitMode, Consumer as _, StreamConsumer};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::message::{BorrowedMessage, Headers, Message as _};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use tokio::sync::watch;
use tokio::time::Instant;

use super::config::KafkaConfig;
use super::group::GroupContext;
use crate::ports::bus::{
    latest_positions, BusError, Consumer, ConsumerLag, Message, Position, Rebalance,
};

/// How long a seek or a committed-offset request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

type Member = StreamConsumer<GroupContext>;

/// What a consumer reads and as whom.
#[derive(Debug)]
pub(super) struct Subscription {
    /// The platform's topic name, as messages report it.
    pub topic: Arc<str>,
    /// The broker's name of the topic.
    pub broker_topic: String,
    /// The broker's name of the group.
    pub group: String,
    pub log_id: String,
}

/// A consumer of one topic in one Kafka consumer group.
pub struct KafkaConsumer {
    subscription: Subscription,
    /// `None` only while dropping.
    member: Option<Arc<Member>>,
    rebalances: watch::Receiver<u64>,
    /// Seeks the partition's fetcher has not taken yet: partition → next offset.
    seeks: BTreeMap<u32, u64>,
    /// The group's committed next offset per held partition, as far as
    /// this consumer knows: commits never move it back.
    committed: HashMap<u32, u64>,
    /// Per held partition, the offset after the last message a poll
    /// returned (or a seek's target): where reading goes on.
    delivered: HashMap<u32, u64>,
    /// High watermarks for [`Consumer::lag`], refreshed in the background.
    watermarks: Watermarks,
}

impl fmt::Debug for KafkaConsumer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KafkaConsumer")
            .field("subscription", &self.subscription)
            .field("seeks", &self.seeks)
            .field("committed", &self.committed)
            .finish_non_exhaustive()
    }
}

/// What a poll does with a message it received.
enum Verdict {
    Deliver,
    /// Its partition was assigned during this poll: read it again next time.
    Rewind,
    /// Its partition is no longer held.
    Discard,
}

impl KafkaConsumer {
    /// Join `subscription.group`, subscribed to its topic. The assignment
    /// arrives while polling.
    pub(super) fn new(config: &KafkaConfig, subscription: Subscription) -> Result<Self, BusError> {
        let context = GroupContext::new(subscription.broker_topic.clone());
        let rebalances = context.rebalances();
        let failed = |what: &str, e: &dyn fmt::Display| {
            BusError::Backend(format!(
                "{config}: {what} `{}` for group `{}`: {e}",
                subscription.broker_topic, subscription.group
            ))
        };
        let member: Member = ClientConfig::new()
            .set("bootstrap.servers", &config.brokers)
            .set("client.id", "battlescope")
            .set("group.id", &subscription.group)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("partition.assignment.strategy", "cooperative-sticky")
            .set("session.timeout.ms", "10000")
            .set("heartbeat.interval.ms", "2000")
            .create_with_context(context)
            .map_err(|e| failed("consumer of", &e))?;
        member
            .subscribe(&[&subscription.broker_topic])
            .map_err(|e| failed("subscribing to", &e))?;
        Ok(Self {
            subscription,
            member: Some(Arc::new(member)),
            rebalances,
            seeks: BTreeMap::new(),
            committed: HashMap::new(),
            delivered: HashMap::new(),
            watermarks: Watermarks::default(),
        })
    }

    fn member(&self) -> &Arc<Member> {
        self.member
            .as_ref()
            .expect("the rdkafka consumer is only taken by Drop")
    }

    fn backend(&self, what: &str, e: &dyn fmt::Display) -> BusError {
        BusError::Backend(format!(
            "{what} `{}` (group `{}`): {e}",
            self.subscription.broker_topic, self.subscription.group
        ))
    }

    /// Seek `partition` to `next_offset` now; kept for later if its fetcher
    /// cannot take it yet.
    async fn seek_now(&mut self, partition: u32, next_offset: u64) {
        self.seeks.insert(partition, next_offset);
        self.delivered.insert(partition, next_offset);
        let (Ok(kafka_partition), Ok(offset)) =
            (i32::try_from(partition), i64::try_from(next_offset))
        else {
            return;
        };
        let member = Arc::clone(self.member());
        let topic = self.subscription.broker_topic.clone();
        let sought = tokio::task::spawn_blocking(move || {
            member.seek(
                &topic,
                kafka_partition,
                Offset::Offset(offset),
                REQUEST_TIMEOUT,
            )
        })
        .await;
        match sought {
            Ok(Ok(())) => {
                self.seeks.remove(&partition);
            }
            Ok(Err(e)) => tracing::debug!(
                topic = %self.subscription.broker_topic, partition, next_offset, error = %e,
                "kafka: seek deferred until the partition is fetched"
            ),
            Err(e) => tracing::warn!(partition, error = %e, "kafka: seek task failed"),
        }
    }

    /// Apply the seeks kept from before, forgetting those of partitions no
    /// longer held.
    async fn apply_seeks(&mut self) {
        let member = Arc::clone(self.member());
        let pending: Vec<(u32, u64)> = {
            let assignment = member.context().assignment();
            self.seeks.retain(|&p, _| assignment.holds(p));
            self.seeks.iter().map(|(&p, &o)| (p, o)).collect()
        };
        for (partition, next_offset) in pending {
            self.seek_now(partition, next_offset).await;
        }
    }

    fn verdict(&self, partition: u32) -> Verdict {
        let assignment = self.member().context().assignment();
        if assignment.deliverable(partition) {
            Verdict::Deliver
        } else if assignment.holds(partition) {
            Verdict::Rewind
        } else {
            Verdict::Discard
        }
    }

    /// The port's message, copied out of librdkafka's buffer.
    fn convert(&self, m: &BorrowedMessage<'_>) -> Option<Message> {
        let partition = u32::try_from(m.partition()).ok()?;
        let offset = u64::try_from(m.offset()).ok()?;
        let key: Arc<str> = match m.key() {
            Some(bytes) => Arc::from(String::from_utf8_lossy(bytes)),
            None => Arc::from(""),
        };
        let headers: Vec<(String, Arc<[u8]>)> = m.headers().map_or_else(Vec::new, |headers| {
            headers
                .iter()
                .map(|h| (h.key.to_owned(), Arc::from(h.value.unwrap_or_default())))
                .collect()
        });
        Some(Message {
            topic: Arc::clone(&self.subscription.topic),
            partition,
            offset,
            key,
            payload: Arc::from(m.payload().unwrap_or_default()),
            headers: Arc::from(headers),
            attached: None,
        })
    }
}

#[async_trait]
impl Consumer for KafkaConsumer {
    fn assignment(&self) -> Vec<u32> {
        self.member().context().assignment().held()
    }

    fn take_rebalance(&mut self) -> Option<Rebalance> {
        let change = self.member().context().assignment().take()?;
        for p in &change.revoked {
            self.seeks.remove(p);
            self.committed.remove(p);
            self.delivered.remove(p);
        }
        Some(change)
    }

    fn log_id(&self) -> String {
        self.subscription.log_id.clone()
    }

    fn lag(&self) -> Option<ConsumerLag> {
        let member = self.member.as_ref()?;
        let held = self.assignment();
        let highs = self
            .watermarks
            .read(member, &self.subscription.broker_topic, &held);
        let partitions = held
            .into_iter()
            .filter_map(|p| {
                let high = *highs.get(&p)?;
                let next = self
                    .delivered
                    .get(&p)
                    .or_else(|| self.committed.get(&p))
                    .copied()
                    .unwrap_or(0);
                Some((p, high.saturating_sub(next)))
            })
            .collect();
        Some(ConsumerLag {
            topic: self.subscription.topic.to_string(),
            group: self.subscription.group.clone(),
            partitions,
        })
    }

    async fn seek(&mut self, partition: u32, next_offset: u64) -> Result<(), BusError> {
        if !self.member().context().assignment().holds(partition) {
            return Err(BusError::NotAssigned {
                topic: self.subscription.topic.to_string(),
                partition,
            });
        }
        self.seek_now(partition, next_offset).await;
        Ok(())
    }

    async fn poll(&mut self, max: usize, wait: Duration) -> Result<Vec<Message>, BusError> {
        let max = max.max(1);
        self.apply_seeks().await;
        let member = Arc::clone(self.member());
        member.context().assignment().begin_poll();
        self.rebalances.borrow_and_update();
        let deadline = Instant::now() + wait;
        let mut out: Vec<Message> = Vec::new();
        let mut failure = None;
        while out.len() < max {
            // The first message is waited for; the rest are those already here.
            let until = if out.is_empty() {
                deadline
            } else {
                Instant::now()
            };
            let received = tokio::select! {
                biased;
                received = tokio::time::timeout_at(until, member.recv()) => received,
                // A rebalance while waiting: return, so the caller takes it.
                _ = self.rebalances.changed() => break,
            };
            let message = match received {
                Err(_elapsed) => break,
                Ok(Err(e)) => {
                    // librdkafka queues an error event per failed
                    // connection attempt and reconnects by itself: read
                    // past them (within this poll's wait), or a consumer
                    // taking one per poll would lag the recovery by
                    // the whole queue.
                    failure = Some(e);
                    continue;
                }
                Ok(Ok(borrowed)) => self.convert(&borrowed),
            };
            if let Some(message) = message {
                let partition = message.partition;
                match self.verdict(partition) {
                    Verdict::Deliver => match self.seeks.get(&partition) {
                        Some(&target) if target != message.offset => {
                            // Fetched from before the seek took: seek now.
                            self.seek_now(partition, target).await;
                        }
                        Some(_) => {
                            self.seeks.remove(&partition);
                            out.push(message);
                        }
                        None => out.push(message),
                    },
                    Verdict::Rewind => self.seek_now(partition, message.offset).await,
                    Verdict::Discard => {}
                }
            }
            if self.rebalances.has_changed().unwrap_or(true) {
                break;
            }
        }
        {
            let assignment = member.context().assignment();
            out.retain(|m| assignment.deliverable(m.partition));
            self.seeks.retain(|&p, _| !assignment.revoked_in_poll(p));
            self.committed
                .retain(|&p, _| !assignment.revoked_in_poll(p));
            self.delivered
                .retain(|&p, _| !assignment.revoked_in_poll(p));
        }
        for m in &out {
            self.delivered.insert(m.partition, m.offset + 1);
        }
        match failure {
            Some(e) if out.is_empty() => Err(self.backend("reading", &e)),
            Some(e) => {
                // The messages already read go first; the error, if it
                // persists, comes back with the next poll.
                tracing::warn!(topic = %self.subscription.broker_topic, error = %e, "kafka: poll");
                Ok(out)
            }
            None => Ok(out),
        }
    }

    async fn caught_up(&mut self) -> Result<bool, BusError> {
        let held = self.assignment();
        if held.is_empty() {
            return Ok(false);
        }
        let member = Arc::clone(self.member());
        let topic = self.subscription.broker_topic.clone();
        let delivered = self.delivered.clone();
        tokio::task::spawn_blocking(move || caught_up(&member, &topic, &held, &delivered))
            .await
            .map_err(|e| self.backend("checking the position in", &e))?
            .map_err(|e| self.backend("checking the position in", &e))
    }

    async fn commit(&mut self, positions: &[Position]) -> Result<(), BusError> {
        let mut wanted = Vec::new();
        let member = Arc::clone(self.member());
        {
            let assignment = member.context().assignment();
            for position in latest_positions(positions.iter().copied()) {
                if assignment.holds(position.partition) {
                    wanted.push(position);
                } else if !assignment.lost(position.partition) {
                    return Err(BusError::NotAssigned {
                        topic: self.subscription.topic.to_string(),
                        partition: position.partition,
                    });
                }
                // Lost to a rebalance: the new owner reads it again.
            }
        }
        if wanted.is_empty() {
            return Ok(());
        }
        let topic = self.subscription.broker_topic.clone();
        let mut committed = self.committed.clone();
        let stored = tokio::task::spawn_blocking(move || {
            commit_forward(&member, &topic, &wanted, &mut committed).map(|()| committed)
        })
        .await
        .map_err(|e| self.backend("committing", &e))?
        .map_err(|e| match e {
            CommitError::Fenced(e) => BusError::Fenced {
                topic: self.subscription.topic.to_string(),
                reason: e,
            },
            CommitError::Other(e) => self.backend("committing", &e),
        })?;
        self.committed = stored;
        Ok(())
    }
}

/// The partitions' high watermarks, as last fetched. Fetching is a broker
/// round trip per partition (rdkafka does not expose librdkafka's cached
/// ones), so it runs on a blocking thread at most every
/// [`Watermarks::EVERY`], never in the poll's way; a broker that does not
/// answer leaves the last values.
#[derive(Debug, Default, Clone)]
struct Watermarks(Arc<std::sync::Mutex<WatermarkState>>);

#[derive(Debug, Default)]
struct WatermarkState {
    highs: HashMap<u32, u64>,
    fetched_at: Option<std::time::Instant>,
    fetching: bool,
}

impl Watermarks {
    const EVERY: Duration = Duration::from_secs(5);

    /// The last values; starts a refresh when they are stale.
    fn read(&self, member: &Arc<Member>, topic: &str, held: &[u32]) -> HashMap<u32, u64> {
        let Ok(mut state) = self.0.lock() else {
            return HashMap::new();
        };
        let stale = state.fetched_at.is_none_or(|t| t.elapsed() >= Self::EVERY);
        if stale && !state.fetching && tokio::runtime::Handle::try_current().is_ok() {
            state.fetching = true;
            let (this, member, topic, held) = (
                self.clone(),
                member.clone(),
                topic.to_owned(),
                held.to_vec(),
            );
            tokio::task::spawn_blocking(move || {
                let mut highs = HashMap::new();
                for p in held {
                    let Ok(partition) = i32::try_from(p) else {
                        continue;
                    };
                    if let Ok((_, high)) =
                        member.fetch_watermarks(&topic, partition, Duration::from_secs(1))
                    {
                        highs.insert(p, u64::try_from(high).unwrap_or(0));
                    }
                }
                if let Ok(mut state) = this.0.lock() {
                    state.highs.extend(highs);
                    state.fetched_at = Some(std::time::Instant::now());
                    state.fetching = false;
                }
            });
        }
        state.highs.clone()
    }
}

/// Is every held partition read up to its high watermark? Where a
/// partition was not read yet, reading starts at the group's committed
/// offset, or at the beginning when there is none. Blocking: a broker
/// round trip per partition and one for the committed offsets.
fn caught_up(
    member: &Member,
    topic: &str,
    held: &[u32],
    delivered: &HashMap<u32, u64>,
) -> Result<bool, String> {
    let unread: Vec<u32> = held
        .iter()
        .copied()
        .filter(|p| !delivered.contains_key(p))
        .collect();
    let mut committed: HashMap<u32, u64> = HashMap::new();
    if !unread.is_empty() {
        let mut list = TopicPartitionList::new();
        for &p in &unread {
            list.add_partition(topic, i32::try_from(p).map_err(|e| e.to_string())?);
        }
        let known = member
            .committed_offsets(list, REQUEST_TIMEOUT)
            .map_err(|e| format!("reading the committed offsets: {e}"))?;
        for element in known.elements_for_topic(topic) {
            if let (Ok(p), Offset::Offset(o)) =
                (u32::try_from(element.partition()), element.offset())
            {
                committed.insert(p, u64::try_from(o).unwrap_or(0));
            }
        }
    }
    for &p in held {
        let partition = i32::try_from(p).map_err(|e| e.to_string())?;
        let (low, high) = member
            .fetch_watermarks(topic, partition, REQUEST_TIMEOUT)
            .map_err(|e| format!("the watermarks of partition {p}: {e}"))?;
        let next = delivered
            .get(&p)
            .or_else(|| committed.get(&p))
            .copied()
            .unwrap_or_else(|| u64::try_from(low).unwrap_or(0));
        if next < u64::try_from(high).unwrap_or(0) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Commit each position's next offset, unless the group's committed
/// offset is already there or beyond (asked for once per partition).
/// Blocking: two broker round trips at most.
/// Why a commit failed.
enum CommitError {
    /// The group no longer counts this member in (it was away longer than
    /// the session, or a rebalance ran without it): retrying cannot
    /// succeed; the next poll rejoins, and the partitions' next owner reads
    /// the uncommitted messages again.
    Fenced(String),
    Other(String),
}

impl From<String> for CommitError {
    fn from(e: String) -> Self {
        Self::Other(e)
    }
}

fn commit_forward(
    member: &Member,
    topic: &str,
    wanted: &[Position],
    committed: &mut HashMap<u32, u64>,
) -> Result<(), CommitError> {
    let unknown: Vec<i32> = wanted
        .iter()
        .filter(|p| !committed.contains_key(&p.partition))
        .filter_map(|p| i32::try_from(p.partition).ok())
        .collect();
    if !unknown.is_empty() {
        let mut list = TopicPartitionList::new();
        for &p in &unknown {
            list.add_partition(topic, p);
        }
        let known = member
            .committed_offsets(list, REQUEST_TIMEOUT)
            .map_err(|e| format!("reading the committed offsets of partitions {unknown:?}: {e}"))?;
        for element in known.elements_for_topic(topic) {
            let Ok(partition) = u32::try_from(element.partition()) else {
                continue;
            };
            let next = match element.offset() {
                Offset::Offset(o) => u64::try_from(o).unwrap_or(0),
                _ => 0,
            };
            committed.insert(partition, next);
        }
    }
    let mut list = TopicPartitionList::new();
    let mut advanced = Vec::new();
    for position in wanted {
        let next = position.offset + 1;
        if committed
            .get(&position.partition)
            .is_some_and(|&c| c >= next)
        {
            continue;
        }
        let (Ok(partition), Ok(offset)) = (i32::try_from(position.partition), i64::try_from(next))
        else {
            return Err(format!("position {position:?} is beyond Kafka's range").into());
        };
        list.add_partition_offset(topic, partition, Offset::Offset(offset))
            .map_err(|e| format!("partition {partition} offset {offset}: {e}"))?;
        advanced.push((position.partition, next));
    }
    if advanced.is_empty() {
        return Ok(());
    }
    member.commit(&list, CommitMode::Sync).map_err(|e| {
        let message = format!("next offsets {advanced:?}: {e}");
        match e.rdkafka_error_code() {
            Some(
                RDKafkaErrorCode::UnknownMemberId
                | RDKafkaErrorCode::IllegalGeneration
                | RDKafkaErrorCode::RebalanceInProgress
                | RDKafkaErrorCode::FencedInstanceId,
            ) => CommitError::Fenced(message),
            _ => CommitError::Other(message),
        }
    })?;
    committed.extend(advanced);
    Ok(())
}

impl Drop for KafkaConsumer {
    fn drop(&mut self) {
        if let Some(member) = self.member.take() {
            // Closing leaves the group: a broker round trip that blocks.
            let closing = std::thread::Builder::new()
                .name("kafka-consumer-close".to_owned())
                .spawn(move || drop(member));
            if let Err(e) = closing {
                tracing::warn!(error = %e, "kafka: no thread to close the consumer on; closed inline");
            }
        }
    }
}
