//! The services: each a composition of core and the ports, naming no
//! adapter.
//!
//! ```text
//! source ─ingest─► killmail.ingested ─enrich─► killmail.enriched ─clusterer─► battle.events
//!                                                  │                             │
//!                                                  └──────── writer, indexer ◄───┘
//! ```
//!
//! Lifecycle: a consumer service runs until its upstream has finished
//! (`upstream` turns true) *and* a poll finds nothing left, then commits
//! what it holds and returns. Stopping ingest therefore drains the whole
//! pipeline in order, so a shutdown leaves nothing read but not stored.

pub mod clusterer;
pub mod dlq;
pub mod enrich;
pub mod indexer;
pub mod ingest;
mod late;
pub mod rulesets;
pub mod stats;
pub mod writer;

use std::future::Future;
use std::time::Duration;

use tokio::sync::watch;

use crate::ports::bus::{topics, Bus, BusError, Consumer, Message, OutgoingMessage, Position};
use crate::ports::store::DeadLetter;

pub use stats::PipelineStats;

/// Turns true when the service's upstream has finished for good.
pub type Upstream = watch::Receiver<bool>;

/// How long a poll waits for the first message.
pub(crate) const POLL_WAIT: Duration = Duration::from_millis(100);

/// A dead letter for the bus's dead-letter topic. Its id is the stage and
/// position, so a redelivered poison record is stored once.
#[must_use]
pub fn dead_letter(stage: &str, position: &str, error: &str, payload: &[u8]) -> DeadLetter {
    DeadLetter {
        id: format!("{stage}:{position}"),
        stage: stage.to_owned(),
        position: position.to_owned(),
        error: error.to_owned(),
        payload: String::from_utf8_lossy(payload).into_owned(),
        recorded_at: chrono::Utc::now().timestamp(),
    }
}

/// Publish dead letters (keyed by stage) to the dead-letter topic.
pub(crate) async fn publish_dead_letters(
    stats: &PipelineStats,
    bus: &dyn Bus,
    letters: &[DeadLetter],
) {
    if letters.is_empty() {
        return;
    }
    let messages: Vec<OutgoingMessage> = letters
        .iter()
        .map(|d| {
            OutgoingMessage::new(d.stage.clone(), serde_json::to_vec(d).unwrap_or_default())
                .attach(d.clone())
        })
        .collect();
    retry(stats, "publish dead letters", || {
        bus.publish(topics::DEAD_LETTER, messages.clone())
    })
    .await;
}

/// Run `op` until it succeeds, backing off (100 ms doubling to 5 s) and
/// logging each failure: a backend that is down stalls the service, never
/// loses or skips work.
pub(crate) async fn retry<T, E, F, Fut>(stats: &PipelineStats, what: &str, mut op: F) -> T
where
    E: std::fmt::Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut delay = Duration::from_millis(100);
    let mut failing = stats::Failing::new(stats);
    loop {
        match op().await {
            Ok(v) => return v,
            Err(e) => {
                failing.set();
                tracing::warn!(operation = what, error = %e, retry_in_ms = delay.as_millis(), "backend failed; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// The error of a consumer service that could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    #[error("{service}: bus: {source}")]
    Bus {
        service: &'static str,
        #[source]
        source: BusError,
    },
    #[error("{service}: store: {source}")]
    Store {
        service: &'static str,
        #[source]
        source: crate::ports::StoreError,
    },
    #[error("{service}: {reason}")]
    Invalid {
        service: &'static str,
        reason: String,
    },
}

/// Has the upstream finished? (A dropped sender counts as finished.)
pub(crate) fn finished(upstream: &Upstream) -> bool {
    *upstream.borrow() || upstream.has_changed().is_err()
}

/// Poll, retrying while the bus fails (see [`retry`]).
pub(crate) async fn poll(
    stats: &PipelineStats,
    consumer: &mut dyn Consumer,
    max: usize,
) -> Vec<Message> {
    let mut delay = Duration::from_millis(100);
    let mut failing = stats::Failing::new(stats);
    loop {
        match consumer.poll(max, POLL_WAIT).await {
            Ok(m) => {
                if let Some(first) = m.first() {
                    stats.consumed.add(&first.topic, m.len());
                }
                if let Some(lag) = consumer.lag() {
                    stats.record_lag(lag);
                }
                return m;
            }
            Err(e) => {
                failing.set();
                tracing::warn!(operation = "poll", error = %e, retry_in_ms = delay.as_millis(), "bus failed; retrying");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}

/// May a service whose upstream has finished stop? Only once its consumer
/// has read everything stored before now ([`Consumer::caught_up`]): an
/// empty poll alone is no proof on a broker, whose last messages may still
/// be on the way. A failing check counts as "not yet".
pub(crate) async fn drained(consumer: &mut dyn Consumer) -> bool {
    match consumer.caught_up().await {
        Ok(caught_up) => caught_up,
        Err(e) => {
            tracing::warn!(operation = "caught_up", error = %e, "bus failed; asking again");
            false
        }
    }
}

/// Commit, retrying while the bus fails (see [`retry`]). A commit the
/// group refuses for good ([`BusError::Fenced`]) is given up: the messages
/// are redelivered, and every write downstream is idempotent.
pub(crate) async fn commit(
    stats: &PipelineStats,
    consumer: &mut dyn Consumer,
    positions: &[Position],
) {
    let mut delay = Duration::from_millis(100);
    let mut failing = stats::Failing::new(stats);
    while let Err(e) = consumer.commit(positions).await {
        if matches!(e, BusError::Fenced { .. }) {
            tracing::warn!(operation = "commit", error = %e, "commit given up; the messages will be redelivered");
            return;
        }
        failing.set();
        tracing::warn!(operation = "commit", error = %e, retry_in_ms = delay.as_millis(), "bus failed; retrying");
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(Duration::from_secs(5));
    }
}
