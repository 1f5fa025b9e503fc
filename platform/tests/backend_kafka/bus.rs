//! The platform's Kafka bus (`adapters::kafka`) against the broker at
//! `KAFKA_BROKERS`: the bus contract every bus passes
//! (`tests/common/bus_contract.rs`), then what only a broker's group does —
//! partitions shared between members and moved when one joins or leaves,
//! with each member told — and a publish and consumption of 10,000
//! messages with commits.
//!
//! Every bus gets topics and groups of its own (`?prefix=` in its URL), so
//! the cases run side by side on one broker; their topics are deleted
//! afterwards.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use battlescope_platform::adapters::kafka::{KafkaBus, KafkaConfig};
use battlescope_platform::ports::bus::{
    latest_positions, topics, Bus, Consumer, Message, Rebalance,
};
use rdkafka::admin::{AdminClient, AdminOptions};
use rdkafka::client::DefaultClientContext;
use rdkafka::config::ClientConfig;

use crate::bus_contract::{joined, key_of_partition, message, number, read, Harness};
use crate::common::{require_env, unique_name, within};

/// Makes Kafka buses with fresh topics and deletes those topics afterwards.
pub struct KafkaHarness {
    brokers: String,
    prefixes: Mutex<Vec<String>>,
}

/// A harness on `KAFKA_BROKERS` (panics with instructions when unset).
pub fn kafka() -> KafkaHarness {
    KafkaHarness {
        brokers: require_env("KAFKA_BROKERS"),
        prefixes: Mutex::new(Vec::new()),
    }
}

#[async_trait]
impl Harness for KafkaHarness {
    async fn bus(&self, partitions: u32) -> Arc<dyn Bus> {
        let prefix = format!("{}.", unique_name("bus").replace('_', "-"));
        self.prefixes.lock().expect("lock").push(prefix.clone());
        let url = format!("kafka://{}?prefix={prefix}", self.brokers);
        let config = KafkaConfig::from_url(&url, partitions).unwrap_or_else(|e| panic!("{e}"));
        let bus = KafkaBus::connect(config).await.unwrap_or_else(|e| {
            panic!(
                "Kafka bus on KAFKA_BROKERS={} (is `deploy/local/services up` running?): {e}",
                self.brokers
            )
        });
        Arc::new(bus)
    }

    fn patience(&self) -> Duration {
        Duration::from_secs(30)
    }

    fn quiet(&self) -> Duration {
        Duration::from_secs(1)
    }

    async fn clean_up(&self) {
        let prefixes = std::mem::take(&mut *self.prefixes.lock().expect("lock"));
        if prefixes.is_empty() {
            return;
        }
        let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
            .set("bootstrap.servers", &self.brokers)
            .create()
            .expect("admin client");
        let names: Vec<String> = prefixes
            .iter()
            .flat_map(|p| topics::ALL.iter().map(move |t| format!("{p}{t}")))
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
        // Best effort: a topic left behind only costs the local broker disk.
        match admin.delete_topics(&names, &options).await {
            Ok(results) => {
                for failed in results.into_iter().filter_map(Result::err) {
                    eprintln!("warning: deleting topic {}: {}", failed.0, failed.1);
                }
            }
            Err(e) => eprintln!("warning: deleting topics {names:?}: {e}"),
        }
    }
}

mod contract {
    bus_contract_tests!(super::kafka());
}

/// Polls every consumer until their assignments split `partitions`
/// between them, none empty. Nothing is published, so nothing is read.
async fn settle(h: &dyn Harness, consumers: &mut [&mut Box<dyn Consumer>], partitions: u32) {
    let all: BTreeSet<u32> = (0..partitions).collect();
    let deadline = Instant::now() + h.patience();
    loop {
        let held: Vec<Vec<u32>> = consumers.iter().map(|c| c.assignment()).collect();
        let union: BTreeSet<u32> = held.iter().flatten().copied().collect();
        let total: usize = held.iter().map(Vec::len).sum();
        if union == all && total == all.len() && held.iter().all(|h| !h.is_empty()) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "the group never settled: {held:?}"
        );
        for c in consumers.iter_mut() {
            let got = c.poll(100, Duration::from_millis(100)).await.expect("poll");
            assert!(got.is_empty(), "nothing was published, read {got:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_consumers_of_a_group_share_partitions_and_are_told_of_rebalances() {
    let h = kafka();
    within(
        Duration::from_secs(240),
        "rebalance test",
        share_and_rebalance(&h),
    )
    .await;
    h.clean_up().await;
}

async fn share_and_rebalance(h: &KafkaHarness) {
    const PARTITIONS: u32 = 4;
    let topic = topics::KILLMAIL_ENRICHED;
    let bus = h.bus(PARTITIONS).await;
    let mut a = bus.subscribe(topic, "clusterer").await.unwrap();
    assert!(joined(h, &mut a, PARTITIONS).await.is_empty());

    // A second member joins: partitions move to it, and both are told.
    let mut b = bus.subscribe(topic, "clusterer").await.unwrap();
    settle(h, &mut [&mut a, &mut b], PARTITIONS).await;
    let (held_a, held_b) = (a.assignment(), b.assignment());
    eprintln!("after the join: a holds {held_a:?}, b holds {held_b:?}");
    assert_eq!(
        a.take_rebalance(),
        Some(Rebalance {
            revoked: held_b.clone(),
            assigned: Vec::new()
        }),
        "a keeps {held_a:?}"
    );
    assert_eq!(
        b.take_rebalance(),
        Some(Rebalance {
            revoked: Vec::new(),
            assigned: held_b.clone()
        })
    );

    // Each member reads its own partitions only.
    let keys: Vec<String> = (0..PARTITIONS)
        .map(|p| key_of_partition("system-", p, PARTITIONS))
        .collect();
    let key = |i: u32| keys[(i % PARTITIONS) as usize].as_str();
    bus.publish(topic, (0..200).map(|i| message(key(i), i)).collect())
        .await
        .unwrap();
    let deadline = Instant::now() + h.patience();
    let (mut got_a, mut got_b) = (Vec::new(), Vec::new());
    while got_a.len() + got_b.len() < 200 {
        assert!(
            Instant::now() < deadline,
            "read {} + {} of 200",
            got_a.len(),
            got_b.len()
        );
        got_a.extend(a.poll(1000, Duration::from_millis(100)).await.unwrap());
        got_b.extend(b.poll(1000, Duration::from_millis(100)).await.unwrap());
    }
    let partitions_of = |ms: &[Message]| -> Vec<u32> {
        let set: BTreeSet<u32> = ms.iter().map(|m| m.partition).collect();
        set.into_iter().collect()
    };
    assert_eq!(partitions_of(&got_a), held_a);
    assert_eq!(partitions_of(&got_b), held_b);
    let mut numbers: Vec<u32> = got_a.iter().chain(&got_b).map(number).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (0..200).collect::<Vec<_>>());
    a.commit(&latest_positions(got_a.iter().map(Message::position)))
        .await
        .unwrap();
    b.commit(&latest_positions(got_b.iter().map(Message::position)))
        .await
        .unwrap();
    assert_eq!(a.take_rebalance(), None);
    assert_eq!(b.take_rebalance(), None);

    // b reads part of a new batch, commits none of it, and leaves.
    bus.publish(topic, (200..300).map(|i| message(key(i), i)).collect())
        .await
        .unwrap();
    let deadline = Instant::now() + h.patience();
    let mut read_by_b = Vec::new();
    while read_by_b.is_empty() {
        assert!(Instant::now() < deadline, "b read nothing of the new batch");
        read_by_b = b.poll(10, Duration::from_millis(200)).await.unwrap();
    }
    drop(b);

    // a gets b's partitions back, is told before any of their messages
    // arrives, and reads them from b's last commit on.
    let deadline = Instant::now() + h.patience();
    let mut early = Vec::new();
    while a.assignment().len() < PARTITIONS as usize {
        assert!(
            Instant::now() < deadline,
            "a holds {:?} after b left",
            a.assignment()
        );
        let held_before = a.assignment();
        let got = a.poll(1000, Duration::from_millis(200)).await.unwrap();
        for m in &got {
            assert!(
                held_before.contains(&m.partition),
                "{} returned by the poll that assigned its partition",
                m.describe()
            );
        }
        early.extend(got);
    }
    assert_eq!(
        a.take_rebalance(),
        Some(Rebalance {
            revoked: Vec::new(),
            assigned: held_b.clone()
        })
    );
    let rest = read(h, &mut a, 100, early).await;
    let mut numbers: Vec<u32> = rest.iter().map(number).collect();
    numbers.sort_unstable();
    assert_eq!(
        numbers,
        (200..300).collect::<Vec<_>>(),
        "a reads the new batch once, b's uncommitted part included ({} read by b)",
        read_by_b.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_messages_are_published_and_consumed_with_commits() {
    let h = kafka();
    within(
        Duration::from_secs(180),
        "10,000 messages",
        ten_thousand(&h),
    )
    .await;
    h.clean_up().await;
}

async fn ten_thousand(h: &KafkaHarness) {
    const PARTITIONS: u32 = 6;
    const MESSAGES: u32 = 10_000;
    let topic = topics::KILLMAIL_INGESTED;
    let bus = h.bus(PARTITIONS).await;
    let mut c = bus.subscribe(topic, "writer").await.unwrap();
    let mut got = joined(h, &mut c, PARTITIONS).await;

    let started = Instant::now();
    let batch = (0..MESSAGES)
        .map(|i| message(&format!("system-{}", i % 97), i))
        .collect();
    bus.publish(topic, batch).await.unwrap();
    let published = started.elapsed();

    let deadline = Instant::now() + Duration::from_secs(120);
    let mut batches = 0_usize;
    while got.len() < MESSAGES as usize {
        assert!(
            Instant::now() < deadline,
            "read {} of {MESSAGES}",
            got.len()
        );
        let polled = c.poll(1000, Duration::from_secs(1)).await.unwrap();
        if polled.is_empty() {
            continue;
        }
        c.commit(&latest_positions(polled.iter().map(Message::position)))
            .await
            .unwrap();
        batches += 1;
        got.extend(polled);
    }
    let consumed = started.elapsed();
    eprintln!(
        "10,000 messages: published (all acknowledged) in {published:?}, \
         consumed and committed in {batches} polls by {consumed:?}"
    );

    let mut seen: BTreeMap<u32, usize> = BTreeMap::new();
    let mut last_of_key: BTreeMap<&str, (u32, u32)> = BTreeMap::new();
    for m in &got {
        *seen.entry(number(m)).or_default() += 1;
        let n = number(m);
        if let Some(&(partition, previous)) = last_of_key.get(&*m.key) {
            assert_eq!(partition, m.partition, "key {} on two partitions", m.key);
            assert!(previous < n, "key {}: {n} after {previous}", m.key);
        }
        last_of_key.insert(&m.key, (m.partition, n));
    }
    assert_eq!(seen.len(), MESSAGES as usize, "distinct messages read");
    assert!(seen.values().all(|&n| n == 1), "a message read twice");

    // Everything is committed: the group's next member finds nothing.
    drop(c);
    let mut again = bus.subscribe(topic, "writer").await.unwrap();
    let early = joined(h, &mut again, PARTITIONS).await;
    read(h, &mut again, 0, early).await;
    assert!(
        consumed < Duration::from_secs(60),
        "10,000 messages took {consumed:?}"
    );
}
