//! The platform's topics on the broker: created at start when missing, with
//! the configured partition count; a topic that exists keeps its own count,
//! which is read back, since keys map to partitions through it.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::config::ClientConfig;
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::metadata::Metadata;
use rdkafka::producer::{FutureProducer, Producer};

use super::config::KafkaConfig;
use super::logs::Logs;
use crate::ports::bus::{topics, BusError};

/// How long one metadata or admin request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long new topics may take to get a leader for every partition.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// What the bus learns about the cluster at start.
#[derive(Debug)]
pub(super) struct Cluster {
    /// The cluster's id, or its bootstrap servers when the broker gives none:
    /// part of every consumer's `log_id`.
    pub id: String,
    /// Partitions of each of the platform's topics.
    pub partitions: HashMap<&'static str, u32>,
}

/// Create the missing topics, then wait until every partition of every
/// topic has a leader, and read their partition counts.
pub(super) async fn prepare(
    config: &KafkaConfig,
    producer: &FutureProducer<Logs>,
) -> Result<Cluster, BusError> {
    let present = metadata(producer.clone(), config).await?;
    let missing: Vec<String> = topics::ALL
        .iter()
        .map(|t| config.topic_name(t))
        .filter(|name| !present.topics().iter().any(|t| t.name() == name))
        .collect();
    if !missing.is_empty() {
        create(config, &missing).await?;
    }
    let deadline = Instant::now() + READY_TIMEOUT;
    loop {
        let metadata = metadata(producer.clone(), config).await?;
        match partition_counts(config, &metadata) {
            Ok(partitions) => {
                let id = cluster_id(producer.clone(), config).await?;
                return Ok(Cluster { id, partitions });
            }
            Err(not_ready) if Instant::now() >= deadline => {
                return Err(BusError::Backend(format!(
                    "{config}: {not_ready} after {READY_TIMEOUT:?}"
                )))
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// The partition count of each topic, or what is not ready yet.
fn partition_counts(
    config: &KafkaConfig,
    metadata: &Metadata,
) -> Result<HashMap<&'static str, u32>, String> {
    let mut counts = HashMap::new();
    for &topic in &topics::ALL {
        let name = config.topic_name(topic);
        let found = metadata
            .topics()
            .iter()
            .find(|t| t.name() == name)
            .ok_or_else(|| format!("topic `{name}` does not exist"))?;
        if let Some(e) = found.error() {
            return Err(format!("topic `{name}`: {e:?}"));
        }
        if found.partitions().is_empty() {
            return Err(format!("topic `{name}` has no partitions"));
        }
        if let Some(p) = found.partitions().iter().find(|p| p.leader() < 0) {
            return Err(format!("partition {} of `{name}` has no leader", p.id()));
        }
        let n = u32::try_from(found.partitions().len())
            .map_err(|_| format!("topic `{name}` has too many partitions"))?;
        counts.insert(topic, n);
    }
    Ok(counts)
}

async fn create(config: &KafkaConfig, names: &[String]) -> Result<(), BusError> {
    let admin: AdminClient<Logs> = ClientConfig::new()
        .set("bootstrap.servers", &config.brokers)
        .create_with_context(Logs)
        .map_err(|e| BusError::Backend(format!("{config}: admin client: {e}")))?;
    let options = AdminOptions::new()
        .request_timeout(Some(REQUEST_TIMEOUT))
        .operation_timeout(Some(REQUEST_TIMEOUT));
    let partitions = i32::try_from(config.partitions).unwrap_or(i32::MAX);
    // -1: the broker's default.replication.factor.
    let replication = config.replication.map_or(-1, i32::from);
    let new: Vec<NewTopic<'_>> = names
        .iter()
        .map(|name| NewTopic::new(name, partitions, TopicReplication::Fixed(replication)))
        .collect();
    let results = admin
        .create_topics(&new, &options)
        .await
        .map_err(|e| BusError::Backend(format!("{config}: creating topics {names:?}: {e}")))?;
    for result in results {
        match result {
            Ok(name) => tracing::info!(topic = %name, partitions, "kafka: topic created"),
            // Another process created it meanwhile.
            Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
            Err((name, code)) => {
                return Err(BusError::Backend(format!(
                    "{config}: creating topic `{name}` with {partitions} partitions: {code}"
                )))
            }
        }
    }
    Ok(())
}

/// The cluster's metadata (a blocking request, run off the async threads).
async fn metadata(
    producer: FutureProducer<Logs>,
    config: &KafkaConfig,
) -> Result<Metadata, BusError> {
    tokio::task::spawn_blocking(move || producer.client().fetch_metadata(None, REQUEST_TIMEOUT))
        .await
        .map_err(|e| BusError::Backend(format!("{config}: metadata request: {e}")))?
        .map_err(|e| BusError::Backend(format!("{config}: metadata: {e}")))
}

/// One metadata round trip, bounded by `timeout`: whether a broker answers
/// now (readiness; librdkafka reconnects by itself, so this only reports).
pub(super) async fn reachable(
    producer: FutureProducer<Logs>,
    config: &KafkaConfig,
    timeout: Duration,
) -> Result<(), BusError> {
    tokio::task::spawn_blocking(move || producer.client().fetch_metadata(None, timeout))
        .await
        .map_err(|e| BusError::Backend(format!("{config}: metadata request: {e}")))?
        .map(drop)
        .map_err(|e| BusError::Backend(format!("{config}: unreachable: {e}")))
}

async fn cluster_id(
    producer: FutureProducer<Logs>,
    config: &KafkaConfig,
) -> Result<String, BusError> {
    let id =
        tokio::task::spawn_blocking(move || producer.client().fetch_cluster_id(REQUEST_TIMEOUT))
            .await
            .map_err(|e| BusError::Backend(format!("{config}: cluster id request: {e}")))?;
    Ok(id.unwrap_or_else(|| config.brokers.clone()))
}
