//! Kafka-protocol smoke test with rdkafka against the broker at
//! `KAFKA_BROKERS` (Apache Kafka or tansu, see `deploy/local/services`).
//!
//! 1. 10,000 keyed messages go to a fresh topic of several partitions.
//! 2. Two consumers of one group read them concurrently: every message is
//!    read exactly once, messages of one key stay in order on one partition,
//!    and the offsets the group committed cover everything.
//! 3. A second batch: a consumer of the same group reads part of it, commits
//!    exactly what it processed and goes away (a restart); a new consumer of
//!    the group reads the rest. Nothing is lost, nothing is read twice past
//!    the committed offsets, and nothing from the first batch comes back.
//!
//! Offsets are committed only for messages already processed (recorded),
//! which is the platform's at-least-once rule; with no crash in between,
//! that is exactly once.
//!
//! The platform's own Kafka bus, on the same broker, is tested in [`bus`]:
//! the bus contract every bus passes, rebalances, and 10,000 messages.

#[macro_use]
#[path = "common/bus_contract.rs"]
mod bus_contract;
#[path = "backend_kafka/bus.rs"]
mod bus;
mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{require_env, unique_name, within};
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{
    BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance, StreamConsumer,
};
use rdkafka::message::Message;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer};
use rdkafka::topic_partition_list::{Offset, TopicPartitionList, TopicPartitionListElem};
use rdkafka::ClientContext;

const PARTITIONS: i32 = 6;
const FIRST_BATCH: u32 = 10_000;
const SECOND_BATCH: u32 = 2_000;
/// How much of the second batch the first consumer processes before its restart.
const BEFORE_RESTART: usize = 700;
/// Distinct message keys (think solar systems).
const KEYS: u32 = 97;
/// Once every expected message is in, keep reading this long to catch duplicates.
const SETTLE: Duration = Duration::from_millis(1500);
const RPC: Duration = Duration::from_secs(10);
const CLOSE: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kafka_consumer_group_reads_every_message_once() {
    within(Duration::from_secs(240), "Kafka smoke test", run()).await;
}

/// One message as a consumer processed it.
#[derive(Debug, Clone)]
struct Seen {
    consumer: usize,
    partition: i32,
    offset: i64,
    key: String,
    id: u32,
}

/// Tracks, per partition, the next offset to commit: one past the last
/// message processed. On a revoke it commits them before the partitions
/// move, so a rebalance does not hand processed messages to another member.
struct GroupContext {
    topic: String,
    processed: Mutex<BTreeMap<i32, i64>>,
    /// Set once everything processed is committed and the member is leaving:
    /// the revoke that closing triggers then has nothing left to commit.
    closing: AtomicBool,
}

impl ClientContext for GroupContext {}

impl ConsumerContext for GroupContext {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(revoked) = rebalance {
            if self.closing.load(Ordering::SeqCst) {
                return;
            }
            let partitions: BTreeSet<i32> = revoked
                .elements()
                .iter()
                .map(TopicPartitionListElem::partition)
                .collect();
            let tpl = self.pending(|p| partitions.contains(&p));
            if tpl.count() > 0 {
                if let Err(e) = consumer.commit(&tpl, CommitMode::Sync) {
                    eprintln!("commit on revoke failed: {e}");
                }
            }
        }
    }
}

impl GroupContext {
    fn pending(&self, keep: impl Fn(i32) -> bool) -> TopicPartitionList {
        let mut tpl = TopicPartitionList::new();
        for (&partition, &next) in self.processed.lock().expect("lock").iter() {
            if keep(partition) {
                tpl.add_partition_offset(&self.topic, partition, Offset::Offset(next))
                    .expect("add offset");
            }
        }
        tpl
    }
}

type GroupConsumer = StreamConsumer<GroupContext>;

/// A group member. Closing a consumer (leaving the group) is a broker round
/// trip that blocks; it runs on a thread of its own so that a broker that
/// never answers fails the test instead of hanging it, also when the test
/// is already unwinding from a failed assertion.
struct Member(Option<GroupConsumer>);

impl std::ops::Deref for Member {
    type Target = GroupConsumer;
    fn deref(&self) -> &GroupConsumer {
        self.0.as_ref().expect("consumer already closed")
    }
}

impl Member {
    /// Commits what was processed and leaves the group, on a thread of its
    /// own; the receiver reports when the consumer is closed.
    fn start_closing(mut self) -> std::sync::mpsc::Receiver<()> {
        let consumer = self.0.take().expect("consumer already closed");
        commit_processed(&consumer);
        consumer.context().closing.store(true, Ordering::SeqCst);
        let (done, closed) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            drop(consumer);
            let _ = done.send(());
        });
        closed
    }
}

/// Closes the members of one phase together (so none waits for a rebalance
/// that an idle peer must serve). Every offset is committed before, so a
/// close that takes longer than `CLOSE` only costs time: it is reported and
/// left to finish in the background, and the offset checks still decide.
fn close_all(what: &str, members: Vec<Member>) {
    let started = Instant::now();
    let closing: Vec<_> = members.into_iter().map(Member::start_closing).collect();
    for (i, closed) in closing.into_iter().enumerate() {
        let left = CLOSE.saturating_sub(started.elapsed());
        if closed.recv_timeout(left).is_err() {
            eprintln!("warning: {what}: consumer {i} did not leave the group within {CLOSE:?}");
        }
    }
}

impl Drop for Member {
    fn drop(&mut self) {
        if let Some(consumer) = self.0.take() {
            std::thread::spawn(move || drop(consumer));
        }
    }
}

fn consumer(brokers: &str, group: &str, topic: &str) -> Member {
    let context = GroupContext {
        topic: topic.to_owned(),
        processed: Mutex::new(BTreeMap::new()),
        closing: AtomicBool::new(false),
    };
    let consumer: GroupConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", "10000")
        .set("heartbeat.interval.ms", "1000")
        .set("max.poll.interval.ms", "20000")
        .set("fetch.wait.max.ms", "100")
        .create_with_context(context)
        .unwrap_or_else(|e| panic!("create consumer for KAFKA_BROKERS={brokers}: {e}"));
    consumer.subscribe(&[topic]).expect("subscribe");
    Member(Some(consumer))
}

/// Commits, synchronously, the offsets of everything `consumer` processed.
fn commit_processed(consumer: &GroupConsumer) {
    let tpl = consumer.context().pending(|_| true);
    if tpl.count() > 0 {
        consumer
            .commit(&tpl, CommitMode::Sync)
            .unwrap_or_else(|e| panic!("commit {tpl:?}: {e}"));
    }
}

/// Shared progress of the consumers of one phase.
struct Progress {
    seen: Mutex<Vec<Seen>>,
    total: AtomicUsize,
    assigned: Vec<AtomicUsize>,
}

/// Reads until `stop_after` messages were processed by this consumer, or
/// (with `None`) until the group as a whole has `expected` messages and
/// nothing more arrives for `SETTLE`; then commits and hands the consumer back.
async fn consume(
    index: usize,
    consumer: Member,
    progress: Arc<Progress>,
    expected: usize,
    stop_after: Option<usize>,
    deadline: Instant,
) -> Member {
    let mut mine = 0_usize;
    let mut since_commit = 0_usize;
    let mut last_message = Instant::now();
    loop {
        match tokio::time::timeout(Duration::from_millis(200), consumer.recv()).await {
            Ok(Ok(message)) => {
                let key = String::from_utf8(message.key().expect("message without key").to_vec())
                    .expect("utf-8 key");
                let id: u32 = message
                    .payload_view::<str>()
                    .expect("message without payload")
                    .expect("utf-8 payload")
                    .parse()
                    .expect("numeric payload");
                let (partition, offset) = (message.partition(), message.offset());
                // "Process" the message, then mark it for commit.
                progress.seen.lock().expect("lock").push(Seen {
                    consumer: index,
                    partition,
                    offset,
                    key,
                    id,
                });
                consumer
                    .context()
                    .processed
                    .lock()
                    .expect("lock")
                    .insert(partition, offset + 1);
                progress.total.fetch_add(1, Ordering::SeqCst);
                mine += 1;
                since_commit += 1;
                last_message = Instant::now();
                if since_commit >= 500 {
                    commit_processed(&consumer);
                    since_commit = 0;
                }
                if stop_after == Some(mine) {
                    break;
                }
            }
            Ok(Err(e)) => panic!("consumer {index}: {e}"),
            Err(_idle) => {}
        }
        let assigned = consumer.assignment().map_or(0, |tpl| tpl.count());
        progress.assigned[index].store(assigned, Ordering::SeqCst);
        if stop_after.is_none()
            && progress.total.load(Ordering::SeqCst) >= expected
            && last_message.elapsed() >= SETTLE
        {
            break;
        }
        if Instant::now() > deadline {
            eprintln!("consumer {index}: deadline passed after {mine} messages");
            break;
        }
    }
    commit_processed(&consumer);
    consumer
}

fn progress(consumers: usize) -> Arc<Progress> {
    Arc::new(Progress {
        seen: Mutex::new(Vec::new()),
        total: AtomicUsize::new(0),
        assigned: (0..consumers).map(|_| AtomicUsize::new(0)).collect(),
    })
}

/// Produces ids `range` with keys `system-<id % KEYS>`; returns where each landed.
async fn produce(
    producer: &FutureProducer,
    topic: &str,
    range: std::ops::Range<u32>,
) -> HashMap<u32, (i32, i64)> {
    let mut pending = Vec::with_capacity(range.len());
    for id in range {
        let key = format!("system-{}", id % KEYS);
        let payload = id.to_string();
        let record = FutureRecord::to(topic).key(&key).payload(&payload);
        let delivery = producer
            .send_result(record)
            .unwrap_or_else(|(e, _)| panic!("enqueue message {id}: {e}"));
        pending.push((id, delivery));
    }
    let mut landed = HashMap::new();
    for (id, delivery) in pending {
        let delivered = delivery
            .await
            .expect("producer dropped a delivery report")
            .unwrap_or_else(|(e, _)| panic!("deliver message {id}: {e}"));
        landed.insert(id, (delivered.partition, delivered.offset));
    }
    landed
}

/// Asserts every id of `ids` was seen exactly once in `seen`.
fn assert_exactly_once(what: &str, seen: &[Seen], ids: std::ops::Range<u32>) {
    let mut counts: BTreeMap<u32, usize> = BTreeMap::new();
    for s in seen {
        *counts.entry(s.id).or_default() += 1;
    }
    let duplicated: Vec<(u32, usize)> = counts
        .iter()
        .filter(|(_, &n)| n > 1)
        .map(|(&id, &n)| (id, n))
        .take(10)
        .collect();
    let missing: Vec<u32> = ids
        .clone()
        .filter(|id| !counts.contains_key(id))
        .take(10)
        .collect();
    let foreign: Vec<u32> = counts
        .keys()
        .copied()
        .filter(|id| !ids.contains(id))
        .take(10)
        .collect();
    assert!(
        duplicated.is_empty() && missing.is_empty() && foreign.is_empty(),
        "{what}: {} messages read; read more than once (id, times): {duplicated:?}; \
         never read: {missing:?}; not expected here: {foreign:?}",
        seen.len()
    );
    assert_eq!(seen.len(), ids.len(), "{what}: wrong number of messages");
}

/// Committed offsets of `group` on `topic`, by partition.
fn committed(brokers: &str, group: &str, topic: &str) -> BTreeMap<i32, i64> {
    let probe: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", group)
        .set("enable.auto.commit", "false")
        .create()
        .expect("create offset probe");
    let mut tpl = TopicPartitionList::new();
    for p in 0..PARTITIONS {
        tpl.add_partition(topic, p);
    }
    let got = probe
        .committed_offsets(tpl, RPC)
        .unwrap_or_else(|e| panic!("read committed offsets of {group}: {e}"));
    got.elements()
        .iter()
        .map(|e| {
            let offset = match e.offset() {
                Offset::Offset(o) => o,
                Offset::Invalid => 0, // nothing committed: the group would start at the beginning
                other => panic!(
                    "unexpected committed offset {other:?} on partition {}",
                    e.partition()
                ),
            };
            (e.partition(), offset)
        })
        .collect()
}

/// One past the last offset written, per partition, from the delivery reports.
/// (Not from a `ListOffsets` request: tansu 0.6 answers those wrongly.)
fn ends<'a>(landed: impl IntoIterator<Item = &'a HashMap<u32, (i32, i64)>>) -> BTreeMap<i32, i64> {
    let mut end: BTreeMap<i32, i64> = BTreeMap::new();
    for batch in landed {
        for &(partition, offset) in batch.values() {
            let e = end.entry(partition).or_insert(0);
            *e = (*e).max(offset + 1);
        }
    }
    end
}

/// Smallest offset read per partition.
fn first_offsets(seen: &[Seen]) -> BTreeMap<i32, i64> {
    let mut first: BTreeMap<i32, i64> = BTreeMap::new();
    for s in seen {
        first
            .entry(s.partition)
            .and_modify(|o| *o = (*o).min(s.offset))
            .or_insert(s.offset);
    }
    first
}

async fn wait_for_assignment(progress: &Progress, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let counts: Vec<usize> = progress
            .assigned
            .iter()
            .map(|a| a.load(Ordering::SeqCst))
            .collect();
        if counts.iter().all(|&n| n > 0)
            && counts.iter().sum::<usize>() == usize::try_from(PARTITIONS).expect("partitions")
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: group never settled, partitions per consumer: {counts:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn run() {
    let brokers = require_env("KAFKA_BROKERS");
    let topic = unique_name("smoke.group").replace('_', ".");
    let group = unique_name("smoke-group");

    // A fresh topic.
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .create()
        .unwrap_or_else(|e| panic!("admin client for KAFKA_BROKERS={brokers}: {e}"));
    let options = AdminOptions::new()
        .request_timeout(Some(RPC))
        .operation_timeout(Some(RPC));
    let created = admin
        .create_topics(&[NewTopic::new(&topic, PARTITIONS, TopicReplication::Fixed(1))], &options)
        .await
        .unwrap_or_else(|e| {
            panic!("create topic {topic} on KAFKA_BROKERS={brokers} (is `deploy/local/services up` running?): {e}")
        });
    for result in created {
        result.unwrap_or_else(|(name, code)| panic!("create topic {name}: {code}"));
    }

    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("enable.idempotence", "true")
        .set("acks", "all")
        .set("linger.ms", "5")
        .set("message.timeout.ms", "30000")
        .create()
        .expect("create producer");
    // Wait until the broker reports every partition with a leader.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let metadata = producer
            .client()
            .fetch_metadata(Some(&topic), RPC)
            .unwrap_or_else(|e| panic!("metadata of {topic}: {e}"));
        let ready = metadata.topics().iter().any(|t| {
            t.name() == topic
                && t.error().is_none()
                && t.partitions().len() == usize::try_from(PARTITIONS).expect("partitions")
                && t.partitions().iter().all(|p| p.leader() >= 0)
        });
        if ready {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "topic {topic} never got {PARTITIONS} partitions with leaders"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // ---- Phase 1: two consumers of one group share the first batch.
    let phase1 = progress(2);
    let deadline = Instant::now() + Duration::from_secs(120);
    let expected = usize::try_from(FIRST_BATCH).expect("batch");
    let workers: Vec<_> = (0..2)
        .map(|i| {
            tokio::spawn(consume(
                i,
                consumer(&brokers, &group, &topic),
                Arc::clone(&phase1),
                expected,
                None,
                deadline,
            ))
        })
        .collect();
    wait_for_assignment(&phase1, "phase 1").await;

    let started = Instant::now();
    let landed = produce(&producer, &topic, 0..FIRST_BATCH).await;
    eprintln!("produced {FIRST_BATCH} messages in {:?}", started.elapsed());
    let mut consumers = Vec::new();
    for worker in workers {
        consumers.push(worker.await.expect("consumer task panicked"));
    }
    eprintln!("consumed them in {:?}", started.elapsed());
    let seen1 = phase1.seen.lock().expect("lock").clone();
    assert_exactly_once("phase 1 (two consumers)", &seen1, 0..FIRST_BATCH);

    // Both consumers did part of the work, on disjoint partitions.
    let mut partition_owner: BTreeMap<i32, BTreeSet<usize>> = BTreeMap::new();
    let mut per_consumer = [0_usize; 2];
    for s in &seen1 {
        partition_owner
            .entry(s.partition)
            .or_default()
            .insert(s.consumer);
        per_consumer[s.consumer] += 1;
        assert_eq!(
            landed[&s.id],
            (s.partition, s.offset),
            "message {} read at another place than it was written",
            s.id
        );
    }
    assert!(
        per_consumer.iter().all(|&n| n > 0),
        "one consumer read nothing: {per_consumer:?}"
    );
    assert_eq!(
        partition_owner.len(),
        usize::try_from(PARTITIONS).expect("partitions"),
        "not every partition got messages"
    );
    for (partition, owners) in &partition_owner {
        assert_eq!(
            owners.len(),
            1,
            "partition {partition} was read by both consumers: {owners:?}"
        );
    }
    // One key, one partition, in the order it was produced.
    let mut by_position = seen1.clone();
    by_position.sort_by_key(|s| (s.partition, s.offset));
    let mut last_of_key: HashMap<&str, (i32, u32)> = HashMap::new();
    for s in &by_position {
        if let Some(&(partition, previous)) = last_of_key.get(s.key.as_str()) {
            assert_eq!(partition, s.partition, "key {} on two partitions", s.key);
            assert!(
                previous < s.id,
                "key {}: message {} after {}",
                s.key,
                s.id,
                previous
            );
        }
        last_of_key.insert(&s.key, (s.partition, s.id));
    }
    // The group committed everything it read.
    let high = ends([&landed]);
    assert_eq!(
        committed(&brokers, &group, &topic),
        high,
        "committed offsets after phase 1 != end of partitions"
    );
    close_all("phase 1", consumers);
    eprintln!("phase 1 checked and closed at {:?}", started.elapsed());

    // ---- Phase 2: a consumer reads part of a second batch, commits, restarts.
    let landed2 = produce(&producer, &topic, FIRST_BATCH..FIRST_BATCH + SECOND_BATCH).await;
    assert_eq!(landed2.len(), usize::try_from(SECOND_BATCH).expect("batch"));
    let deadline = Instant::now() + Duration::from_secs(60);
    let before = progress(1);
    let first = consume(
        0,
        consumer(&brokers, &group, &topic),
        Arc::clone(&before),
        BEFORE_RESTART,
        Some(BEFORE_RESTART),
        deadline,
    )
    .await;
    let seen_before = before.seen.lock().expect("lock").clone();
    assert_eq!(
        seen_before.len(),
        BEFORE_RESTART,
        "the first consumer did not get {BEFORE_RESTART} messages"
    );
    // It started exactly at the offsets phase 1 committed.
    for (partition, offset) in first_offsets(&seen_before) {
        assert_eq!(
            offset, high[&partition],
            "partition {partition}: resumed at {offset}, committed was {}",
            high[&partition]
        );
    }
    let committed_mid = committed(&brokers, &group, &topic);
    eprintln!(
        "phase 2: {BEFORE_RESTART} read before the restart at {:?}",
        started.elapsed()
    );
    // The "restart": whatever it fetched but did not process goes with it.
    close_all("phase 2, before the restart", vec![first]);

    let after = progress(1);
    let rest = usize::try_from(SECOND_BATCH).expect("batch") - BEFORE_RESTART;
    let second = consume(
        0,
        consumer(&brokers, &group, &topic),
        Arc::clone(&after),
        rest,
        None,
        deadline,
    )
    .await;
    let seen_after = after.seen.lock().expect("lock").clone();
    eprintln!(
        "phase 2: {} read after the restart at {:?}",
        seen_after.len(),
        started.elapsed()
    );
    // The new consumer resumed exactly at the committed offsets...
    for (partition, offset) in first_offsets(&seen_after) {
        assert_eq!(
            offset, committed_mid[&partition],
            "partition {partition}: restarted consumer began at {offset}, committed was {}",
            committed_mid[&partition]
        );
    }
    // ...so together they read the second batch once, and nothing of the first.
    let mut both = seen_before;
    both.extend(seen_after);
    assert_exactly_once(
        "phase 2 (restart)",
        &both,
        FIRST_BATCH..FIRST_BATCH + SECOND_BATCH,
    );
    close_all("phase 2, after the restart", vec![second]);
    assert_eq!(
        committed(&brokers, &group, &topic),
        ends([&landed, &landed2]),
        "committed offsets after phase 2 != end of partitions"
    );

    producer.flush(RPC).expect("flush");
    let deleted = admin
        .delete_topics(&[&topic], &options)
        .await
        .unwrap_or_else(|e| panic!("delete topic {topic}: {e}"));
    for result in deleted {
        result.unwrap_or_else(|(name, code)| panic!("delete topic {name}: {code}"));
    }
}
