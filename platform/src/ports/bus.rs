//! The event bus port: keyed topics split into partitions, consumer groups,
//! commits after processing (at-least-once), and a dead-letter topic.
//!
//! The contract follows Kafka's, so the Kafka implementation is a thin
//! mapping: a message's partition is a pure function of its key
//! ([`partition_for`], Kafka's default partitioner), messages of one
//! partition are delivered in order, and a consumer group resumes after the
//! last position it committed — anything read but not committed is
//! delivered again to the next consumer of the group.
//!
//! A group with several consumers splits the partitions between them and
//! moves partitions when a member joins or leaves; each consumer learns of
//! it through [`Consumer::take_rebalance`], in time to rebuild a new
//! partition's state before its first message. The behaviour every
//! implementation shows is written down once, as tests run against each
//! (`platform/tests/common/bus_contract.rs`).

use std::any::Any;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

/// Topic names of the pipeline (DESIGN.md "Data flow").
pub mod topics {
    /// `killmail.ingested` envelopes, keyed by solar system id (killmail id when unknown).
    pub const KILLMAIL_INGESTED: &str = "killmail.ingested";
    /// `killmail.enriched` envelopes, keyed by solar system id.
    pub const KILLMAIL_ENRICHED: &str = "killmail.enriched";
    /// `battle.created | battle.updated | battle.deleted`, keyed by battle id.
    pub const BATTLE_EVENTS: &str = "battle.events";
    /// Poison messages with their error ([`crate::ports::store::DeadLetter`] JSON).
    pub const DEAD_LETTER: &str = "deadletter";
    /// Every topic, in pipeline order.
    pub const ALL: [&str; 4] = [
        KILLMAIL_INGESTED,
        KILLMAIL_ENRICHED,
        BATTLE_EVENTS,
        DEAD_LETTER,
    ];
}

/// Header carrying the full killmail (ESI JSON) beside a `killmail.ingested`
/// envelope, when the source had it: enrich passes it through instead of
/// asking ESI. The envelope itself stays the schema's reference.
pub const KILLMAIL_BODY_HEADER: &str = "battlescope-killmail";

/// Header carrying when the kill(s) behind a message reached the platform
/// (Unix milliseconds, decimal): stamped by ingest from the source, passed
/// on by enrich, and on a battle event the earliest of the kills its poll
/// clustered. The writer measures kill → battle latency from it.
pub const RECEIVED_AT_HEADER: &str = "battlescope-received-at";

/// The value a payload was encoded from, carried beside the bytes by a bus
/// that stays in the process, so its consumers skip decoding (on the replay
/// benchmark every killmail was otherwise decoded three more times). A bus
/// that leaves the process drops it; consumers accept either, see
/// [`Message::decode`]. The bytes are the message: two messages with the
/// same bytes are equal whatever they carry beside them.
#[derive(Clone)]
pub struct Attached(Arc<dyn Any + Send + Sync>);

impl Attached {
    /// Attach `value` (it must be what the payload encodes).
    pub fn new<T: Any + Send + Sync>(value: T) -> Self {
        Self(Arc::new(value))
    }

    /// The attached value, if it is a `T`.
    #[must_use]
    pub fn get<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.0.clone().downcast::<T>().ok()
    }
}

impl fmt::Debug for Attached {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Attached(..)")
    }
}

impl PartialEq for Attached {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Attached {}

/// A message to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingMessage {
    /// Decides the partition ([`partition_for`]).
    pub key: String,
    /// Shared: a publish that is retried, and an in-process bus, keep the
    /// bytes without copying them.
    pub payload: Arc<[u8]>,
    pub headers: Vec<(String, Arc<[u8]>)>,
    /// What the payload encodes, for in-process consumers.
    pub attached: Option<Attached>,
}

impl OutgoingMessage {
    /// A message without headers.
    #[must_use]
    pub fn new(key: impl Into<String>, payload: impl Into<Arc<[u8]>>) -> Self {
        Self {
            key: key.into(),
            payload: payload.into(),
            headers: Vec::new(),
            attached: None,
        }
    }

    /// The same message with header `name` set to `value`.
    #[must_use]
    pub fn with_header(mut self, name: &str, value: impl Into<Arc<[u8]>>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    /// The same message with [`RECEIVED_AT_HEADER`] set to `ms`.
    #[must_use]
    pub fn received_at(self, ms: i64) -> Self {
        self.with_header(RECEIVED_AT_HEADER, ms.to_string().into_bytes())
    }

    /// The same message, carrying the value its payload encodes.
    #[must_use]
    pub fn attach<T: Any + Send + Sync>(mut self, value: T) -> Self {
        self.attached = Some(Attached::new(value));
        self
    }
}

/// A consumed message and where it sits in its topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub topic: Arc<str>,
    pub partition: u32,
    pub offset: u64,
    pub key: Arc<str>,
    pub payload: Arc<[u8]>,
    pub headers: Arc<[(String, Arc<[u8]>)]>,
    /// What the payload encodes, when an in-process bus carried it.
    pub attached: Option<Attached>,
}

impl Message {
    /// The attached value, if the bus carried one of type `T`.
    #[must_use]
    pub fn attached<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        self.attached.as_ref().and_then(Attached::get)
    }

    /// The payload as a `T`: the attached value when there is one, else
    /// decoded from the JSON bytes.
    ///
    /// # Errors
    /// When the bytes are not a `T`.
    pub fn decode<T>(&self) -> Result<Arc<T>, serde_json::Error>
    where
        T: serde::de::DeserializeOwned + Any + Send + Sync,
    {
        match self.attached::<T>() {
            Some(value) => Ok(value),
            None => serde_json::from_slice(&self.payload).map(Arc::new),
        }
    }

    /// The value of header `name`, if present.
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| &v[..])
    }

    /// [`RECEIVED_AT_HEADER`]: when its kill(s) reached the platform.
    #[must_use]
    pub fn received_at_ms(&self) -> Option<i64> {
        std::str::from_utf8(self.header(RECEIVED_AT_HEADER)?)
            .ok()?
            .parse()
            .ok()
    }

    /// Its position, to commit once it is processed.
    #[must_use]
    pub fn position(&self) -> Position {
        Position {
            partition: self.partition,
            offset: self.offset,
        }
    }

    /// "topic/partition@offset", for logs and dead letters.
    #[must_use]
    pub fn describe(&self) -> String {
        format!("{}/{}@{}", self.topic, self.partition, self.offset)
    }
}

/// A processed message's place: committing it means every message of the
/// partition up to and including `offset` is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Position {
    pub partition: u32,
    pub offset: u64,
}

/// Partitions that changed hands since a consumer last asked
/// ([`Consumer::take_rebalance`]). Both lists are sorted; a partition in
/// both was taken away and given back, and what was built for it before is
/// stale.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rebalance {
    /// Taken away: stop using their state; their positions are no longer
    /// committed (another member reads on from the group's committed one).
    pub revoked: Vec<u32>,
    /// Given to this consumer: rebuild their state, and [`Consumer::seek`]
    /// them if positions are kept with it, before using their messages.
    pub assigned: Vec<u32>,
}

/// What can go wrong on the bus.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BusError {
    #[error("unknown topic `{0}`")]
    UnknownTopic(String),
    #[error("partition {partition} of `{topic}` is not assigned to this consumer")]
    NotAssigned { topic: String, partition: u32 },
    #[error("the bus is closed")]
    Closed,
    /// The consumer group moved on without this consumer (a broker outage
    /// longer than its session, a rebalance it missed): the commit cannot
    /// succeed, and need not: the uncommitted messages go to the
    /// partitions' next owner, which may be this consumer after its next
    /// poll rejoins the group.
    #[error("commit on `{topic}` refused, the group moved on: {reason}")]
    Fenced { topic: String, reason: String },
    /// The broker or client failed (message from the implementation).
    #[error("bus: {0}")]
    Backend(String),
}

/// Publishing side of the bus, and the factory of consumers.
#[async_trait]
pub trait Bus: Send + Sync + fmt::Debug {
    /// Number of partitions of `topic`.
    ///
    /// # Errors
    /// [`BusError::UnknownTopic`], or the backend failing.
    async fn partitions(&self, topic: &str) -> Result<u32, BusError>;

    /// Append messages to `topic`, each to the partition of its key, in
    /// order per partition. Returns once they are stored (acknowledged).
    ///
    /// # Errors
    /// [`BusError::UnknownTopic`], [`BusError::Closed`], or the backend.
    async fn publish(&self, topic: &str, messages: Vec<OutgoingMessage>) -> Result<(), BusError>;

    /// A consumer of `topic` in consumer group `group`, starting after the
    /// group's committed positions.
    ///
    /// # Errors
    /// [`BusError::UnknownTopic`], or the backend.
    async fn subscribe(&self, topic: &str, group: &str) -> Result<Box<dyn Consumer>, BusError>;

    /// Whether the bus answers now (readiness). An in-process bus always
    /// does.
    ///
    /// # Errors
    /// The backend unreachable, with its message.
    async fn ping(&self) -> Result<(), BusError> {
        Ok(())
    }
}

/// One consumer of one topic in one group.
#[async_trait]
pub trait Consumer: Send + fmt::Debug {
    /// The partitions assigned to this consumer now, sorted. With a
    /// broker's group this is empty until the group hands partitions out,
    /// which happens while the consumer polls.
    fn assignment(&self) -> Vec<u32>;

    /// What the group's rebalances changed since the consumer was created
    /// or this was last called; `None` when nothing did. Call it after
    /// every [`Consumer::poll`] and apply `revoked` before `assigned`.
    ///
    /// A poll never returns messages of a partition assigned during that
    /// same poll (they come with the next one), nor of a partition revoked
    /// during it, so a caller that takes the change between polls can
    /// rebuild state and seek before a new partition's first message. The
    /// assignment a consumer starts with counts as a change when it arrives
    /// after [`Bus::subscribe`] returned (a broker's group); a bus that
    /// assigns every partition at once and never moves them (the in-memory
    /// one) answers `None`, which is what this default does.
    fn take_rebalance(&mut self) -> Option<Rebalance> {
        None
    }

    /// Identity of the topic's log: positions stored elsewhere (a clusterer
    /// checkpoint) are only meaningful for the same log. An in-memory bus
    /// gets a new one each time the process starts; Kafka's is stable.
    fn log_id(&self) -> String;

    /// Read `partition` from `next_offset` on, instead of the group's
    /// committed position (positions kept with the data, as quickwit does).
    /// Messages of the partition the next poll returns start there.
    ///
    /// # Errors
    /// [`BusError::NotAssigned`] when the partition is not in
    /// [`Consumer::assignment`], or the backend.
    async fn seek(&mut self, partition: u32, next_offset: u64) -> Result<(), BusError>;

    /// Up to `max` messages, waiting at most `wait` for the first one. An
    /// empty answer means nothing is available right now.
    ///
    /// # Errors
    /// [`BusError::Closed`], or the backend.
    async fn poll(&mut self, max: usize, wait: Duration) -> Result<Vec<Message>, BusError>;

    /// Has a poll returned every message of the assigned partitions that
    /// was stored (acknowledged to its publisher) before this call? A
    /// service whose upstream has finished stops once this holds, so it
    /// cannot stop while a broker still has its upstream's last messages
    /// on the way. False while nothing is assigned yet.
    ///
    /// # Errors
    /// The backend failing (the caller asks again later).
    async fn caught_up(&mut self) -> Result<bool, BusError>;

    /// Mark messages processed, up to and including each position (per
    /// partition the highest one counts, and a group's position never moves
    /// back). Commit only after the work the messages caused is stored:
    /// that is what makes delivery at-least-once. Positions of a partition
    /// a rebalance took from this consumer are ignored: its new owner reads
    /// those messages again.
    ///
    /// # Errors
    /// [`BusError::NotAssigned`] for a partition this consumer never held
    /// (nothing is committed then), or the backend.
    async fn commit(&mut self, positions: &[Position]) -> Result<(), BusError>;

    /// Messages not yet read, per held partition (for metrics): what the
    /// consumer knows without asking the broker, so cheap after every poll.
    /// `None` when the implementation cannot tell.
    fn lag(&self) -> Option<ConsumerLag> {
        None
    }
}

/// How far a consumer is behind its topic ([`Consumer::lag`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumerLag {
    pub topic: String,
    pub group: String,
    /// (partition, messages after the last one read), sorted by partition.
    pub partitions: Vec<(u32, u64)>,
}

/// The highest position per partition among `positions`.
#[must_use]
pub fn latest_positions(positions: impl IntoIterator<Item = Position>) -> Vec<Position> {
    let mut best: std::collections::BTreeMap<u32, u64> = std::collections::BTreeMap::new();
    for p in positions {
        let e = best.entry(p.partition).or_insert(p.offset);
        *e = (*e).max(p.offset);
    }
    best.into_iter()
        .map(|(partition, offset)| Position { partition, offset })
        .collect()
}

/// The partition of `key` among `partitions`: Kafka's default partitioner
/// (murmur2 of the key bytes, sign bit cleared, modulo), so the in-memory
/// bus and Kafka agree on which solar systems share a partition.
#[must_use]
pub fn partition_for(key: &str, partitions: u32) -> u32 {
    (murmur2(key.as_bytes()) & 0x7fff_ffff) % partitions.max(1)
}

/// Kafka's murmur2 (seed 0x9747b28c), as in its Java client `Utils.murmur2`.
fn murmur2(data: &[u8]) -> u32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    let len = data.len();
    #[allow(clippy::cast_possible_truncation)]
    let mut h: u32 = SEED ^ (len as u32);
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let rest = chunks.remainder();
    if rest.len() >= 3 {
        h ^= u32::from(rest[2]) << 16;
    }
    if rest.len() >= 2 {
        h ^= u32::from(rest[1]) << 8;
    }
    if !rest.is_empty() {
        h ^= u32::from(rest[0]);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn murmur2_matches_kafkas_reference_values() {
        // Values from Kafka's UtilsTest.testMurmur2 (as signed ints there).
        let cases: [(&str, i32); 4] = [
            ("21", -973_932_308),
            ("foobar", -790_332_482),
            ("a-little-bit-long-string", -985_981_536),
            ("a-little-bit-longer-string", -1_486_304_829),
        ];
        for (input, expected) in cases {
            #[allow(clippy::cast_sign_loss)]
            let expected = expected as u32;
            assert_eq!(murmur2(input.as_bytes()), expected, "{input}");
        }
    }

    #[test]
    fn latest_positions_keep_the_highest_offset_per_partition() {
        let ps = [
            Position {
                partition: 1,
                offset: 4,
            },
            Position {
                partition: 0,
                offset: 9,
            },
            Position {
                partition: 1,
                offset: 7,
            },
        ];
        assert_eq!(
            latest_positions(ps),
            vec![
                Position {
                    partition: 0,
                    offset: 9
                },
                Position {
                    partition: 1,
                    offset: 7
                }
            ]
        );
    }
}
