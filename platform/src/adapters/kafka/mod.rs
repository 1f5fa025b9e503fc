//! The event bus on Kafka (or a Kafka-protocol broker such as Redpanda),
//! through rdkafka: the same contract as the in-process bus
//! ([`crate::adapters::memory_bus`]), with consumer groups that span
//! processes, and a log that survives them.
//!
//! At start the bus creates the platform's topics that are missing
//! (`--partitions` each, replication from the URL or the broker's default)
//! and reads back every topic's partition count: a topic that exists keeps
//! its own. The URL is `kafka://HOST:PORT[,HOST:PORT…]`, with optional
//! `?replication=N` and `?prefix=P` (put before every topic and group name,
//! so deployments or test runs share a cluster without meeting).
//!
//! Producer settings, and why:
//! - the partition is set by the bus, to [`partition_for`] (Kafka's Java
//!   default, murmur2): librdkafka's own default hashes differently, and
//!   the in-memory bus, Java clients and this one must agree on which
//!   solar systems share a partition;
//! - `enable.idempotence=true` with `acks=all`: a retried batch is neither
//!   duplicated nor reordered, and a message counts as published once every
//!   in-sync replica has it. [`Bus::publish`] returns after every message
//!   of the call is acknowledged, which is what lets ingest move its source
//!   cursor;
//! - `linger.ms=5`: a publish hands over a whole batch and waits for all of
//!   it, so a short linger fills requests without adding visible latency;
//! - `message.timeout.ms=30000`: a message the cluster cannot take within
//!   30 s fails the publish (librdkafka's default waits 5 minutes), so the
//!   caller's retries and health report see an outage early.
//!
//! Consumer settings ([`consumer`]), and why:
//! - `enable.auto.commit=false` and `enable.auto.offset.store=false`: only
//!   [`Consumer::commit`] commits, after the writes it covers
//!   (at-least-once);
//! - `auto.offset.reset=earliest`: a new group reads everything retained;
//!   `latest` would skip what was published before its first start;
//! - `partition.assignment.strategy=cooperative-sticky`: a rebalance moves
//!   only the partitions that must move, so the others keep flowing and
//!   keep the state built for them (the eager protocol revokes everything
//!   on every join);
//! - `session.timeout.ms=10000`, `heartbeat.interval.ms=2000`: a member
//!   that died hands its partitions over after 10 s rather than 45 s;
//!   `max.poll.interval.ms` stays at 5 minutes, the longest a service may
//!   go between polls before the group gives its partitions away.
//!
//! A consumer's `log_id` is `kafka:<cluster id>/<topic>`, stable across
//! restarts. A topic deleted and created again under the same name keeps
//! it (rdkafka 0.39 does not expose topic ids without unsafe code).

pub mod config;
pub mod consumer;
mod group;
mod logs;
mod topics;

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rdkafka::config::ClientConfig;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{DeliveryFuture, FutureProducer, FutureRecord};

pub use self::config::{KafkaConfig, KafkaUrlError};
pub use self::consumer::KafkaConsumer;
use self::logs::Logs;
use crate::ports::bus::{partition_for, Bus, BusError, Consumer, OutgoingMessage};

/// One of the platform's topics on the broker.
#[derive(Debug)]
struct TopicInfo {
    /// The platform's name, as messages report it.
    name: Arc<str>,
    /// The broker's name (with the prefix).
    broker_name: String,
    partitions: u32,
}

/// The Kafka bus (cheap to clone; clones share the producer).
#[derive(Clone)]
pub struct KafkaBus {
    inner: Arc<Inner>,
}

struct Inner {
    config: KafkaConfig,
    producer: FutureProducer<Logs>,
    cluster_id: String,
    topics: HashMap<&'static str, TopicInfo>,
}

impl fmt::Debug for KafkaBus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KafkaBus")
            .field("config", &self.inner.config)
            .field("cluster_id", &self.inner.cluster_id)
            .field("topics", &self.inner.topics)
            .finish_non_exhaustive()
    }
}

impl KafkaBus {
    /// Connect, create the missing topics and read every topic's partition
    /// count.
    ///
    /// # Errors
    /// [`BusError::Backend`] when the brokers do not answer, a topic cannot
    /// be created, or its partitions get no leader within 30 s.
    pub async fn connect(config: KafkaConfig) -> Result<Self, BusError> {
        let producer: FutureProducer<Logs> = ClientConfig::new()
            .set("bootstrap.servers", &config.brokers)
            .set("client.id", "battlescope")
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("linger.ms", "5")
            .set("message.timeout.ms", "30000")
            .create_with_context(Logs)
            .map_err(|e| BusError::Backend(format!("{config}: producer: {e}")))?;
        let cluster = topics::prepare(&config, &producer).await?;
        let topics = cluster
            .partitions
            .iter()
            .map(|(&name, &partitions)| {
                let info = TopicInfo {
                    name: Arc::from(name),
                    broker_name: config.topic_name(name),
                    partitions,
                };
                (name, info)
            })
            .collect();
        tracing::info!(bus = %config, cluster = %cluster.id, "kafka: connected");
        Ok(Self {
            inner: Arc::new(Inner {
                config,
                producer,
                cluster_id: cluster.id,
                topics,
            }),
        })
    }

    fn topic(&self, name: &str) -> Result<&TopicInfo, BusError> {
        self.inner
            .topics
            .get(name)
            .ok_or_else(|| BusError::UnknownTopic(name.to_owned()))
    }
}

/// A message handed to the producer, and where it goes.
struct InFlight {
    partition: u32,
    delivery: DeliveryFuture,
}

impl InFlight {
    /// Wait for the broker's acknowledgement.
    async fn acknowledged(self, topic: &str) -> Result<(), BusError> {
        let failed = |e: &dyn fmt::Display| {
            BusError::Backend(format!(
                "publishing to `{topic}` partition {}: {e}",
                self.partition
            ))
        };
        match self.delivery.await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err((e, _))) => Err(failed(&e)),
            Err(_) => Err(failed(&"the producer dropped the message")),
        }
    }
}

#[async_trait]
impl Bus for KafkaBus {
    async fn partitions(&self, topic: &str) -> Result<u32, BusError> {
        Ok(self.topic(topic)?.partitions)
    }

    async fn publish(&self, topic: &str, messages: Vec<OutgoingMessage>) -> Result<(), BusError> {
        let t = self.topic(topic)?;
        let mut in_flight: VecDeque<InFlight> = VecDeque::with_capacity(messages.len());
        let mut first_error: Option<BusError> = None;
        for m in &messages {
            let partition = partition_for(&m.key, t.partitions);
            let Ok(kafka_partition) = i32::try_from(partition) else {
                first_error = Some(BusError::Backend(format!(
                    "publishing to `{topic}`: partition {partition} is beyond Kafka's range"
                )));
                break;
            };
            let mut record = FutureRecord::to(&t.broker_name)
                .partition(kafka_partition)
                .key(m.key.as_str())
                .payload(&*m.payload);
            if !m.headers.is_empty() {
                let headers = m.headers.iter().fold(
                    OwnedHeaders::new_with_capacity(m.headers.len()),
                    |headers, (key, value)| {
                        headers.insert(Header {
                            key,
                            value: Some(&**value),
                        })
                    },
                );
                record = record.headers(headers);
            }
            loop {
                match self.inner.producer.send_result(record) {
                    Ok(delivery) => {
                        in_flight.push_back(InFlight {
                            partition,
                            delivery,
                        });
                        break;
                    }
                    // librdkafka's queue is full: wait for the oldest
                    // message to be acknowledged, then hand this one over.
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                        record = back;
                        match in_flight.pop_front() {
                            Some(oldest) => {
                                if let Err(e) = oldest.acknowledged(topic).await {
                                    first_error.get_or_insert(e);
                                }
                            }
                            None => tokio::time::sleep(Duration::from_millis(10)).await,
                        }
                    }
                    Err((e, _)) => {
                        first_error.get_or_insert(BusError::Backend(format!(
                            "publishing to `{topic}` partition {partition}: {e}"
                        )));
                        break;
                    }
                }
            }
            if first_error.is_some() {
                break;
            }
        }
        // Every message handed over is waited for, also after an error: the
        // caller retries the whole call, and must know none is still open.
        for message in in_flight {
            if let Err(e) = message.acknowledged(topic).await {
                first_error.get_or_insert(e);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    async fn ping(&self) -> Result<(), BusError> {
        topics::reachable(
            self.inner.producer.clone(),
            &self.inner.config,
            Duration::from_secs(2),
        )
        .await
    }

    async fn subscribe(&self, topic: &str, group: &str) -> Result<Box<dyn Consumer>, BusError> {
        let t = self.topic(topic)?;
        let consumer = KafkaConsumer::new(
            &self.inner.config,
            consumer::Subscription {
                topic: Arc::clone(&t.name),
                broker_topic: t.broker_name.clone(),
                group: self.inner.config.group_name(group),
                log_id: format!("kafka:{}/{}", self.inner.cluster_id, t.broker_name),
            },
        )?;
        Ok(Box::new(consumer))
    }
}
