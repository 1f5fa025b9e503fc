//! The bus contract: what every implementation of the `Bus` port does,
//! written once and run against each — the in-process bus by
//! `tests/bus_memory.rs` (plain `cargo test`), Kafka by
//! `tests/backend_kafka.rs` (needs the broker; fails without it).
//!
//! Each case takes a fresh bus from a [`Harness`]. A broker's group hands
//! out partitions while its consumer polls, so a case first waits for the
//! assignment ([`joined`]); waits are bounded by the harness's `patience`,
//! and "nothing more comes" means a poll that stays empty for its `quiet`.
//!
//! `bus_contract_tests!(harness)` expands to one `#[tokio::test]` per case.

// Each test binary uses its own subset of the helpers.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use battlescope_platform::ports::bus::{
    partition_for, topics, Bus, BusError, Consumer, Message, OutgoingMessage, Position,
    KILLMAIL_BODY_HEADER, RECEIVED_AT_HEADER,
};

/// Makes the buses the cases run on.
#[async_trait]
pub trait Harness: Send + Sync {
    /// A bus with nothing published yet, creating `partitions` per topic.
    async fn bus(&self, partitions: u32) -> Arc<dyn Bus>;
    /// The longest a group may take to hand out partitions, or a published
    /// message to reach a consumer.
    fn patience(&self) -> Duration;
    /// How long a poll has to stay empty to show that nothing more comes.
    fn quiet(&self) -> Duration;
    /// Remove what this harness's buses left behind (topics on a broker).
    async fn clean_up(&self) {}
}

/// One `#[tokio::test]` per case of the contract, on `$harness` (an
/// expression making a fresh [`Harness`] for each test).
macro_rules! bus_contract_tests {
    ($harness:expr) => {
        bus_contract_tests!(@cases $harness;
            a_key_always_lands_in_the_same_partition_in_order,
            uncommitted_messages_are_delivered_again_to_the_group,
            a_commit_covers_up_to_and_including_its_position_and_never_goes_back,
            seek_rereads_from_a_stored_position,
            keys_payloads_and_headers_round_trip,
            a_poll_waits_at_most_its_wait_and_returns_at_most_max,
            every_group_reads_every_message,
            unknown_topics_are_refused,
            caught_up_means_everything_stored_was_read,
            lag_counts_the_messages_not_read_yet,
        );
    };
    (@cases $harness:expr; $($case:ident),+ $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let harness = $harness;
                let limit = std::time::Duration::from_secs(180);
                let run = $crate::bus_contract::$case(&harness);
                if tokio::time::timeout(limit, run).await.is_err() {
                    panic!("{} took longer than {limit:?}", stringify!($case));
                }
                $crate::bus_contract::Harness::clean_up(&harness).await;
            }
        )+
    };
}

/// A message carrying `n` (read back with [`number`]).
pub fn message(key: &str, n: u32) -> OutgoingMessage {
    OutgoingMessage::new(key, n.to_be_bytes().to_vec())
}

/// The number a [`message`] carries.
pub fn number(m: &Message) -> u32 {
    let bytes: [u8; 4] = m.payload[..]
        .try_into()
        .unwrap_or_else(|_| panic!("{}: payload is not a u32: {:?}", m.describe(), m.payload));
    u32::from_be_bytes(bytes)
}

/// A key of `partition` among `partitions` (searching `prefix0`, `prefix1`, …).
pub fn key_of_partition(prefix: &str, partition: u32, partitions: u32) -> String {
    (0..10_000)
        .map(|i| format!("{prefix}{i}"))
        .find(|k| partition_for(k, partitions) == partition)
        .unwrap_or_else(|| panic!("no key for partition {partition} of {partitions}"))
}

/// Polls until the consumer holds all `partitions` of its topic. A poll
/// may only return messages of partitions held before it began; those are
/// handed back. The assignment is reported by `take_rebalance` at most once
/// (the in-memory bus holds every partition from the start and reports
/// nothing).
pub async fn joined(h: &dyn Harness, c: &mut Box<dyn Consumer>, partitions: u32) -> Vec<Message> {
    let all: Vec<u32> = (0..partitions).collect();
    let deadline = Instant::now() + h.patience();
    let mut early = Vec::new();
    while c.assignment() != all {
        assert!(
            Instant::now() < deadline,
            "{c:?} holds {:?}, not {all:?}, after {:?}",
            c.assignment(),
            h.patience()
        );
        let held_before = c.assignment();
        let got = c.poll(100, Duration::from_millis(100)).await.expect("poll");
        for m in &got {
            assert!(
                held_before.contains(&m.partition),
                "{} returned by the poll in which its partition was assigned",
                m.describe()
            );
        }
        early.extend(got);
    }
    if let Some(change) = c.take_rebalance() {
        assert_eq!(change.revoked, Vec::<u32>::new(), "{change:?}");
        assert_eq!(change.assigned, all, "{change:?}");
    }
    assert_eq!(c.take_rebalance(), None, "a change reported twice");
    early
}

/// Reads until `n` messages are in (counting `early`), then checks that
/// nothing more comes.
pub async fn read(
    h: &dyn Harness,
    c: &mut Box<dyn Consumer>,
    n: usize,
    early: Vec<Message>,
) -> Vec<Message> {
    let deadline = Instant::now() + h.patience();
    let mut got = early;
    while got.len() < n {
        assert!(
            Instant::now() < deadline,
            "read {} of {n} messages in {:?}: {:?}",
            got.len(),
            h.patience(),
            got.iter().map(Message::describe).collect::<Vec<_>>()
        );
        got.extend(
            c.poll(1000, Duration::from_millis(200))
                .await
                .expect("poll"),
        );
    }
    let more = c.poll(1000, h.quiet()).await.expect("poll");
    assert!(
        got.len() == n && more.is_empty(),
        "expected {n} messages, read {} and then {} more: {:?}",
        got.len(),
        more.len(),
        got.iter()
            .chain(&more)
            .map(Message::describe)
            .collect::<Vec<_>>()
    );
    got
}

fn positions(messages: &[Message]) -> BTreeSet<(u32, u64)> {
    messages.iter().map(|m| (m.partition, m.offset)).collect()
}

pub async fn a_key_always_lands_in_the_same_partition_in_order(h: &dyn Harness) {
    let bus = h.bus(4).await;
    assert_eq!(bus.partitions(topics::KILLMAIL_ENRICHED).await.unwrap(), 4);
    let mut c = bus.subscribe(topics::KILLMAIL_ENRICHED, "g").await.unwrap();
    let early = joined(h, &mut c, 4).await;
    let msgs: Vec<_> = (0..40)
        .map(|i| message(&format!("3000{}", i % 5), i))
        .collect();
    bus.publish(topics::KILLMAIL_ENRICHED, msgs).await.unwrap();
    let got = read(h, &mut c, 40, early).await;
    for m in &got {
        assert_eq!(&*m.topic, topics::KILLMAIL_ENRICHED);
    }
    for key in 0..5 {
        let key = format!("3000{key}");
        let of_key: Vec<&Message> = got.iter().filter(|m| *m.key == *key).collect();
        let parts: BTreeSet<u32> = of_key.iter().map(|m| m.partition).collect();
        assert_eq!(parts.len(), 1, "{key} spread over {parts:?}");
        assert_eq!(parts.into_iter().next(), Some(partition_for(&key, 4)));
        let values: Vec<u32> = of_key.iter().map(|m| number(m)).collect();
        assert_eq!(values.len(), 8, "{key}: {values:?}");
        assert!(values.windows(2).all(|w| w[0] < w[1]), "{key}: {values:?}");
        let offsets: Vec<u64> = of_key.iter().map(|m| m.offset).collect();
        assert!(
            offsets.windows(2).all(|w| w[0] < w[1]),
            "{key}: {offsets:?}"
        );
    }
}

pub async fn uncommitted_messages_are_delivered_again_to_the_group(h: &dyn Harness) {
    let bus = h.bus(2).await;
    let mut c = bus
        .subscribe(topics::BATTLE_EVENTS, "writer")
        .await
        .unwrap();
    let early = joined(h, &mut c, 2).await;
    bus.publish(
        topics::BATTLE_EVENTS,
        (0..10).map(|i| message("k", i)).collect(),
    )
    .await
    .unwrap();
    let first = read(h, &mut c, 10, early).await;
    // Commit the first four only, then "crash".
    c.commit(&[first[3].position()]).await.unwrap();
    drop(c);
    let mut again = bus
        .subscribe(topics::BATTLE_EVENTS, "writer")
        .await
        .unwrap();
    let early = joined(h, &mut again, 2).await;
    let second = read(h, &mut again, 6, early).await;
    assert_eq!(second, first[4..].to_vec());
}

pub async fn a_commit_covers_up_to_and_including_its_position_and_never_goes_back(h: &dyn Harness) {
    let bus = h.bus(2).await;
    let (k0, k1) = (key_of_partition("a", 0, 2), key_of_partition("b", 1, 2));
    let mut c = bus.subscribe(topics::KILLMAIL_INGESTED, "g").await.unwrap();
    let early = joined(h, &mut c, 2).await;
    let mut batch: Vec<_> = (0..6).map(|i| message(&k0, i)).collect();
    batch.extend((6..9).map(|i| message(&k1, i)));
    bus.publish(topics::KILLMAIL_INGESTED, batch).await.unwrap();
    let first = read(h, &mut c, 9, early).await;
    assert_eq!(
        positions(&first),
        [
            (0, 0),
            (0, 1),
            (0, 2),
            (0, 3),
            (0, 4),
            (0, 5),
            (1, 0),
            (1, 1),
            (1, 2)
        ]
        .into(),
    );
    let at = |partition, offset| Position { partition, offset };
    // Per partition the highest position counts, whatever the order.
    c.commit(&[at(0, 2), at(0, 4), at(1, 0)]).await.unwrap();
    // A lower position later does not move the group back.
    c.commit(&[at(0, 1)]).await.unwrap();
    // A partition the topic does not have is refused, and nothing is committed.
    match c.commit(&[at(1, 2), at(9, 0)]).await {
        Err(BusError::NotAssigned { partition: 9, .. }) => {}
        other => panic!("commit of partition 9: {other:?}"),
    }
    drop(c);
    let mut again = bus.subscribe(topics::KILLMAIL_INGESTED, "g").await.unwrap();
    let early = joined(h, &mut again, 2).await;
    let rest = read(h, &mut again, 3, early).await;
    assert_eq!(positions(&rest), [(0, 5), (1, 1), (1, 2)].into());
}

pub async fn seek_rereads_from_a_stored_position(h: &dyn Harness) {
    let bus = h.bus(1).await;
    let mut c = bus.subscribe(topics::KILLMAIL_ENRICHED, "g").await.unwrap();
    let early = joined(h, &mut c, 1).await;
    bus.publish(
        topics::KILLMAIL_ENRICHED,
        (0..5).map(|i| message("k", i)).collect(),
    )
    .await
    .unwrap();
    c.seek(0, 3).await.unwrap();
    let got = read(h, &mut c, 2, early).await;
    assert_eq!(got.iter().map(|m| m.offset).collect::<Vec<_>>(), vec![3, 4]);
    // Back, after reading.
    c.seek(0, 1).await.unwrap();
    let got = read(h, &mut c, 4, Vec::new()).await;
    assert_eq!(got.iter().map(number).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
    assert!(matches!(
        c.seek(7, 0).await,
        Err(BusError::NotAssigned { partition: 7, .. })
    ));
    // A consumer that just joined seeks before reading anything.
    let mut fresh = bus
        .subscribe(topics::KILLMAIL_ENRICHED, "other")
        .await
        .unwrap();
    let early = joined(h, &mut fresh, 1).await;
    assert!(early.is_empty());
    fresh.seek(0, 2).await.unwrap();
    let got = read(h, &mut fresh, 3, Vec::new()).await;
    assert_eq!(
        got.iter().map(|m| m.offset).collect::<Vec<_>>(),
        vec![2, 3, 4]
    );
}

pub async fn keys_payloads_and_headers_round_trip(h: &dyn Harness) {
    let bus = h.bus(2).await;
    let mut c = bus.subscribe(topics::KILLMAIL_INGESTED, "g").await.unwrap();
    let early = joined(h, &mut c, 2).await;
    let body = br#"{"killmail_id":1,"solar_system_id":30000142}"#.to_vec();
    let payload = serde_json::json!({"killmail_id": 1, "hash": "abc"});
    let sent = OutgoingMessage::new("30000142", serde_json::to_vec(&payload).unwrap())
        .with_header(KILLMAIL_BODY_HEADER, body.clone())
        .received_at(1_700_000_000_123)
        .with_header("binary", vec![0_u8, 255, 10])
        .with_header("empty", Vec::new())
        .attach(payload.clone());
    bus.publish(topics::KILLMAIL_INGESTED, vec![sent.clone()])
        .await
        .unwrap();
    let got = read(h, &mut c, 1, early).await;
    let m = &got[0];
    assert_eq!(&*m.key, "30000142");
    assert_eq!(m.partition, partition_for("30000142", 2));
    assert_eq!(m.payload, sent.payload);
    assert_eq!(m.headers.to_vec(), sent.headers, "headers, in order");
    assert_eq!(m.header(KILLMAIL_BODY_HEADER), Some(&body[..]));
    assert_eq!(m.header(RECEIVED_AT_HEADER), Some(&b"1700000000123"[..]));
    assert_eq!(m.received_at_ms(), Some(1_700_000_000_123));
    // The attached value may or may not travel; the bytes always decode.
    let decoded = m.decode::<serde_json::Value>().unwrap();
    assert_eq!(*decoded, payload);
}

pub async fn a_poll_waits_at_most_its_wait_and_returns_at_most_max(h: &dyn Harness) {
    let bus = h.bus(1).await;
    let mut c = bus.subscribe(topics::DEAD_LETTER, "g").await.unwrap();
    let early = joined(h, &mut c, 1).await;
    assert!(early.is_empty());
    let wait = Duration::from_millis(300);
    let started = Instant::now();
    let got = c.poll(10, wait).await.unwrap();
    let took = started.elapsed();
    assert!(got.is_empty(), "{got:?}");
    assert!(
        took < wait + Duration::from_millis(700),
        "an empty poll of {wait:?} took {took:?}"
    );
    bus.publish(
        topics::DEAD_LETTER,
        (0..10).map(|i| message("k", i)).collect(),
    )
    .await
    .unwrap();
    let deadline = Instant::now() + h.patience();
    let mut all = Vec::new();
    while all.len() < 10 {
        assert!(Instant::now() < deadline, "read {} of 10", all.len());
        let got = c.poll(3, Duration::from_millis(200)).await.unwrap();
        assert!(got.len() <= 3, "poll(3) returned {}", got.len());
        all.extend(got);
    }
    assert_eq!(
        all.iter().map(number).collect::<Vec<_>>(),
        (0..10).collect::<Vec<_>>()
    );
}

pub async fn every_group_reads_every_message(h: &dyn Harness) {
    let bus = h.bus(2).await;
    let mut a = bus
        .subscribe(topics::BATTLE_EVENTS, "writer")
        .await
        .unwrap();
    let mut b = bus
        .subscribe(topics::BATTLE_EVENTS, "indexer")
        .await
        .unwrap();
    let early_a = joined(h, &mut a, 2).await;
    let early_b = joined(h, &mut b, 2).await;
    let batch: Vec<_> = (0..10)
        .map(|i| message(&format!("battle-{i}"), i))
        .collect();
    bus.publish(topics::BATTLE_EVENTS, batch).await.unwrap();
    let by_number = |ms: Vec<Message>| -> BTreeMap<u32, (u32, u64)> {
        ms.iter()
            .map(|m| (number(m), (m.partition, m.offset)))
            .collect()
    };
    let got_a = by_number(read(h, &mut a, 10, early_a).await);
    let got_b = by_number(read(h, &mut b, 10, early_b).await);
    assert_eq!(got_a.len(), 10);
    assert_eq!(got_a, got_b, "both groups read the same log");
}

pub async fn unknown_topics_are_refused(h: &dyn Harness) {
    let bus = h.bus(1).await;
    let unknown = |r: Result<(), BusError>| matches!(r, Err(BusError::UnknownTopic(t)) if t == "no.such.topic");
    assert!(unknown(bus.partitions("no.such.topic").await.map(drop)));
    assert!(unknown(
        bus.publish("no.such.topic", vec![message("k", 1)]).await
    ));
    assert!(unknown(bus.subscribe("no.such.topic", "g").await.map(drop)));
}

/// A consumer is caught up only once polls returned every message stored
/// before the question: what a drain after the upstream stopped relies on.
pub async fn caught_up_means_everything_stored_was_read(h: &dyn Harness) {
    let bus = h.bus(2).await;
    let mut c = bus.subscribe(topics::KILLMAIL_ENRICHED, "g").await.unwrap();
    let early = joined(h, &mut c, 2).await;
    assert!(early.is_empty());
    assert!(
        c.caught_up().await.unwrap(),
        "nothing published, nothing to read"
    );
    let msgs: Vec<_> = (0..6).map(|i| message(&format!("k{i}"), i)).collect();
    bus.publish(topics::KILLMAIL_ENRICHED, msgs).await.unwrap();
    assert!(
        !c.caught_up().await.unwrap(),
        "six messages stored, none read"
    );
    let mut got = Vec::new();
    let deadline = Instant::now() + h.patience();
    while got.len() < 5 {
        assert!(Instant::now() < deadline, "read {} of 6", got.len());
        got.extend(
            c.poll(5 - got.len(), Duration::from_millis(200))
                .await
                .unwrap(),
        );
    }
    assert!(!c.caught_up().await.unwrap(), "one of six not read yet");
    while got.len() < 6 {
        assert!(Instant::now() < deadline, "read {} of 6", got.len());
        got.extend(c.poll(10, Duration::from_millis(200)).await.unwrap());
    }
    assert!(c.caught_up().await.unwrap(), "all six read");
    // A consumer of another group starts behind.
    let mut other = bus
        .subscribe(topics::KILLMAIL_ENRICHED, "other")
        .await
        .unwrap();
    assert!(
        !other.caught_up().await.unwrap(),
        "a new group has read nothing"
    );
}

/// Waits until the consumer's lag report ([`Consumer::lag`], which a
/// broker's consumer refreshes in the background) says `want` for every
/// partition.
async fn lag_becomes(h: &dyn Harness, c: &mut Box<dyn Consumer>, want: &[(u32, u64)]) {
    let deadline = Instant::now() + h.patience() + Duration::from_secs(10);
    loop {
        let lag = c.lag().expect("the bus reports lag");
        assert_eq!(lag.topic, topics::KILLMAIL_ENRICHED);
        if lag.partitions == want {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "lag {:?}, expected {want:?}",
            lag.partitions
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub async fn lag_counts_the_messages_not_read_yet(h: &dyn Harness) {
    let bus = h.bus(2).await;
    let mut c = bus.subscribe(topics::KILLMAIL_ENRICHED, "g").await.unwrap();
    let early = joined(h, &mut c, 2).await;
    assert!(early.is_empty());
    let key = key_of_partition("lag", 1, 2);
    let msgs: Vec<_> = (0..6).map(|i| message(&key, i)).collect();
    bus.publish(topics::KILLMAIL_ENRICHED, msgs).await.unwrap();
    let mut got = Vec::new();
    let deadline = Instant::now() + h.patience();
    while got.len() < 2 {
        assert!(Instant::now() < deadline, "read {} of 2", got.len());
        got.extend(
            c.poll(2 - got.len(), Duration::from_millis(200))
                .await
                .unwrap(),
        );
    }
    lag_becomes(h, &mut c, &[(0, 0), (1, 4)]).await;
    let rest = read(h, &mut c, 4, Vec::new()).await;
    assert_eq!(rest.len(), 4);
    lag_becomes(h, &mut c, &[(0, 0), (1, 0)]).await;
}
