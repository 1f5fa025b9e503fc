//! The in-process bus: Kafka's contract without a broker.
//!
//! Each topic has a fixed number of partitions, each an append-only log in
//! memory; a key goes to [`partition_for`] like in Kafka. A consumer group
//! remembers its committed position per partition; a new consumer of the
//! group starts there, so whatever was read but not committed is delivered
//! again (at-least-once). One consumer per group holds every partition.
//!
//! Memory is bounded: messages every subscribed group has committed are
//! dropped, and a publisher waits while a partition holds more than
//! `capacity` messages some group has not committed (backpressure instead
//! of growth). Nothing survives the process: [`Consumer::log_id`] is new on
//! every start, so positions saved by a previous process are not reused.
//!
//! What that means for `serve`: an orderly stop drains every topic before
//! exiting, so nothing is lost; a hard kill loses what was published but
//! not yet stored downstream, because ingest has already moved the source
//! cursor past it. A durable bus (Kafka) does not have this gap.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use tokio::sync::Notify;

use crate::ports::bus::{
    partition_for, topics, Bus, BusError, Consumer, ConsumerLag, Message, OutgoingMessage, Position,
};

/// Partitions per topic unless configured.
pub const DEFAULT_PARTITIONS: u32 = 8;
/// Uncommitted messages per partition before publishers wait: what the
/// bus may hold in memory is about this × partitions × ~5 KB per killmail.
pub const DEFAULT_CAPACITY: usize = 4_000;

/// The in-process bus (cheap to clone; clones share the topics).
#[derive(Debug, Clone)]
pub struct MemoryBus {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    log_id: String,
    capacity: usize,
    /// Drop attached values, as a bus that leaves the process does.
    bytes_only: bool,
    topics: HashMap<&'static str, Topic>,
}

#[derive(Debug)]
struct Topic {
    name: Arc<str>,
    state: Mutex<TopicState>,
    /// Woken on publish (consumers) and on commit (waiting publishers).
    published: Notify,
    committed: Notify,
}

#[derive(Debug)]
struct TopicState {
    partitions: Vec<PartitionLog>,
    /// Group → committed next offset per partition.
    groups: HashMap<String, Vec<u64>>,
}

#[derive(Debug, Default)]
struct PartitionLog {
    /// Offset of `messages[0]`.
    base: u64,
    messages: VecDeque<Message>,
}

impl PartitionLog {
    fn end(&self) -> u64 {
        self.base + self.messages.len() as u64
    }
}

impl MemoryBus {
    /// A bus with the platform's topics, `partitions` each.
    #[must_use]
    pub fn new(partitions: u32, capacity: usize) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let topics = topics::ALL
            .iter()
            .map(|&name| {
                let state = TopicState {
                    partitions: (0..partitions.max(1))
                        .map(|_| PartitionLog::default())
                        .collect(),
                    groups: HashMap::new(),
                };
                let topic = Topic {
                    name: Arc::from(name),
                    state: Mutex::new(state),
                    published: Notify::new(),
                    committed: Notify::new(),
                };
                (name, topic)
            })
            .collect();
        Self {
            inner: Arc::new(Inner {
                log_id: format!("memory-{}-{nanos}", std::process::id()),
                capacity: capacity.max(1),
                bytes_only: false,
                topics,
            }),
        }
    }

    /// A bus that carries the bytes only, like one that leaves the process
    /// (tests: every consumer must work from the bytes alone).
    #[must_use]
    pub fn bytes_only(partitions: u32, capacity: usize) -> Self {
        let mut bus = Self::new(partitions, capacity);
        Arc::get_mut(&mut bus.inner)
            .expect("a new bus is not shared")
            .bytes_only = true;
        bus
    }

    fn topic(&self, name: &str) -> Result<&Topic, BusError> {
        self.inner
            .topics
            .get(name)
            .ok_or_else(|| BusError::UnknownTopic(name.to_owned()))
    }

    /// Messages of `topic` not yet committed by `group` (its lag).
    ///
    /// # Errors
    /// [`BusError::UnknownTopic`].
    pub fn lag(&self, topic: &str, group: &str) -> Result<u64, BusError> {
        let state = lock(self.topic(topic)?);
        let committed = state.groups.get(group);
        Ok(state
            .partitions
            .iter()
            .enumerate()
            .map(|(p, log)| log.end() - committed.map_or(log.base, |c| c[p]))
            .sum())
    }
}

impl Default for MemoryBus {
    fn default() -> Self {
        Self::new(DEFAULT_PARTITIONS, DEFAULT_CAPACITY)
    }
}

fn lock(topic: &Topic) -> MutexGuard<'_, TopicState> {
    // A poisoned lock means a panic while holding it; the logs are still
    // consistent (every mutation is a single push/pop), so go on.
    topic
        .state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl TopicState {
    /// Uncommitted messages of partition `p` for the slowest group.
    fn backlog(&self, p: usize) -> usize {
        let log = &self.partitions[p];
        self.groups
            .values()
            .map(|c| usize::try_from(log.end() - c[p]).unwrap_or(usize::MAX))
            .max()
            .unwrap_or(0)
    }

    /// Drop messages every group has committed.
    fn truncate(&mut self, p: usize) {
        let Some(min) = self.groups.values().map(|c| c[p]).min() else {
            return;
        };
        let log = &mut self.partitions[p];
        while log.base < min && log.messages.pop_front().is_some() {
            log.base += 1;
        }
    }
}

#[async_trait]
impl Bus for MemoryBus {
    async fn partitions(&self, topic: &str) -> Result<u32, BusError> {
        let n = lock(self.topic(topic)?).partitions.len();
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    async fn publish(&self, topic: &str, messages: Vec<OutgoingMessage>) -> Result<(), BusError> {
        let t = self.topic(topic)?;
        for m in messages {
            loop {
                let waiter = t.committed.notified();
                {
                    let mut state = lock(t);
                    let n = u32::try_from(state.partitions.len()).unwrap_or(u32::MAX);
                    let p = partition_for(&m.key, n) as usize;
                    if state.backlog(p) < self.inner.capacity {
                        let log = &mut state.partitions[p];
                        let offset = log.end();
                        log.messages.push_back(Message {
                            topic: t.name.clone(),
                            partition: u32::try_from(p).unwrap_or(u32::MAX),
                            offset,
                            key: Arc::from(m.key.as_str()),
                            payload: m.payload,
                            headers: Arc::from(m.headers),
                            attached: m.attached.filter(|_| !self.inner.bytes_only),
                        });
                        break;
                    }
                }
                t.published.notify_waiters();
                waiter.await;
            }
        }
        t.published.notify_waiters();
        Ok(())
    }

    async fn subscribe(&self, topic: &str, group: &str) -> Result<Box<dyn Consumer>, BusError> {
        let t = self.topic(topic)?;
        let fetch = {
            let mut state = lock(t);
            let bases: Vec<u64> = state.partitions.iter().map(|l| l.base).collect();
            state
                .groups
                .entry(group.to_owned())
                .or_insert(bases)
                .clone()
        };
        Ok(Box::new(MemoryConsumer {
            bus: self.clone(),
            topic: t.name.clone(),
            group: group.to_owned(),
            fetch,
            next_partition: 0,
        }))
    }
}

/// A consumer of the in-process bus.
#[derive(Debug)]
pub struct MemoryConsumer {
    bus: MemoryBus,
    topic: Arc<str>,
    group: String,
    /// Next offset to read per partition.
    fetch: Vec<u64>,
    /// Round-robin start, so no partition starves.
    next_partition: usize,
}

impl MemoryConsumer {
    fn check(&self, partition: u32) -> Result<usize, BusError> {
        let p = partition as usize;
        if p < self.fetch.len() {
            Ok(p)
        } else {
            Err(BusError::NotAssigned {
                topic: self.topic.to_string(),
                partition,
            })
        }
    }

    fn take(&mut self, max: usize) -> Vec<Message> {
        let mut out = Vec::new();
        let topic = &self.bus.inner.topics[&*self.topic];
        let state = lock(topic);
        let n = self.fetch.len();
        for i in 0..n {
            let p = (self.next_partition + i) % n;
            let log = &state.partitions[p];
            let from = self.fetch[p].max(log.base);
            let skip = usize::try_from(from - log.base).unwrap_or(usize::MAX);
            for m in log.messages.iter().skip(skip) {
                if out.len() >= max {
                    break;
                }
                out.push(m.clone());
                self.fetch[p] = m.offset + 1;
            }
            if out.len() >= max {
                break;
            }
        }
        self.next_partition = (self.next_partition + 1) % n.max(1);
        out
    }
}

#[async_trait]
impl Consumer for MemoryConsumer {
    fn assignment(&self) -> Vec<u32> {
        (0..u32::try_from(self.fetch.len()).unwrap_or(u32::MAX)).collect()
    }

    fn log_id(&self) -> String {
        format!("{}/{}", self.bus.inner.log_id, self.topic)
    }

    async fn seek(&mut self, partition: u32, next_offset: u64) -> Result<(), BusError> {
        let p = self.check(partition)?;
        self.fetch[p] = next_offset;
        Ok(())
    }

    async fn poll(&mut self, max: usize, wait: Duration) -> Result<Vec<Message>, BusError> {
        let deadline = tokio::time::Instant::now() + wait;
        let bus = self.bus.clone();
        let topic = &bus.inner.topics[&*self.topic];
        loop {
            let waiter = topic.published.notified();
            let got = self.take(max.max(1));
            if !got.is_empty() {
                return Ok(got);
            }
            if tokio::time::timeout_at(deadline, waiter).await.is_err() {
                return Ok(Vec::new());
            }
        }
    }

    fn lag(&self) -> Option<ConsumerLag> {
        let topic = &self.bus.inner.topics[&*self.topic];
        let state = lock(topic);
        let partitions = state
            .partitions
            .iter()
            .zip(&self.fetch)
            .zip(0u32..)
            .map(|((log, &next), p)| (p, log.end().saturating_sub(next.max(log.base))))
            .collect();
        Some(ConsumerLag {
            topic: self.topic.to_string(),
            group: self.group.clone(),
            partitions,
        })
    }

    async fn caught_up(&mut self) -> Result<bool, BusError> {
        let topic = &self.bus.inner.topics[&*self.topic];
        let state = lock(topic);
        Ok(state
            .partitions
            .iter()
            .zip(&self.fetch)
            .all(|(log, &next)| next >= log.end()))
    }

    async fn commit(&mut self, positions: &[Position]) -> Result<(), BusError> {
        for pos in positions {
            self.check(pos.partition)?;
        }
        let topic = &self.bus.inner.topics[&*self.topic];
        {
            let mut state = lock(topic);
            for pos in positions {
                let p = pos.partition as usize;
                if let Some(c) = state.groups.get_mut(&self.group) {
                    c[p] = c[p].max(pos.offset + 1);
                }
                state.truncate(p);
            }
        }
        topic.committed.notify_waiters();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    // The behaviour every bus shares is tested once for all of them, in
    // tests/common/bus_contract.rs (run on this bus by tests/bus_memory.rs);
    // what is particular to this one is tested here.
    use super::*;

    fn msg(key: &str, n: u32) -> OutgoingMessage {
        OutgoingMessage::new(key, n.to_be_bytes().to_vec())
    }

    #[tokio::test]
    async fn lag_counts_what_a_group_has_not_committed() {
        let bus = MemoryBus::new(2, 1000);
        let mut c = bus
            .subscribe(topics::BATTLE_EVENTS, "writer")
            .await
            .unwrap();
        bus.publish(
            topics::BATTLE_EVENTS,
            (0..10).map(|i| msg("k", i)).collect(),
        )
        .await
        .unwrap();
        assert_eq!(bus.lag(topics::BATTLE_EVENTS, "writer").unwrap(), 10);
        let got = c.poll(100, Duration::from_millis(20)).await.unwrap();
        assert_eq!(got.len(), 10);
        c.commit(&[got[3].position()]).await.unwrap();
        assert_eq!(bus.lag(topics::BATTLE_EVENTS, "writer").unwrap(), 6);
    }

    #[tokio::test]
    async fn a_publisher_waits_for_commits_beyond_capacity() {
        let bus = MemoryBus::new(1, 3);
        let mut c = bus.subscribe(topics::DEAD_LETTER, "g").await.unwrap();
        let publisher = {
            let bus = bus.clone();
            tokio::spawn(async move {
                bus.publish(topics::DEAD_LETTER, (0..6).map(|i| msg("k", i)).collect())
                    .await
            })
        };
        let mut seen = Vec::new();
        while seen.len() < 6 {
            let got = c.poll(10, Duration::from_millis(200)).await.unwrap();
            assert!(got.len() <= 3, "capacity exceeded: {}", got.len());
            if let Some(last) = got.last() {
                c.commit(&[last.position()]).await.unwrap();
            }
            seen.extend(got);
        }
        publisher.await.unwrap().unwrap();
        let offsets: Vec<u64> = seen.iter().map(|m| m.offset).collect();
        assert_eq!(offsets, (0..6).collect::<Vec<_>>());
    }
}
