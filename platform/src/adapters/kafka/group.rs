//! A group member's record of its assignment. librdkafka runs the
//! rebalance callbacks inside a poll (or while the consumer closes); they
//! note each change here, and the consumer reads it to hold back messages
//! of partitions the caller has not been told about, to refuse commits of
//! partitions it no longer holds, and to answer `take_rebalance`.

use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard, PoisonError};

use rdkafka::config::RDKafkaLogLevel;
use rdkafka::consumer::{BaseConsumer, ConsumerContext, Rebalance as KafkaRebalance};
use rdkafka::error::KafkaError;
use rdkafka::topic_partition_list::TopicPartitionList;
use rdkafka::ClientContext;
use tokio::sync::watch;

use super::logs;
use crate::ports::bus::Rebalance;

/// Which partitions a consumer holds, and what it told its caller.
#[derive(Debug, Default)]
pub(super) struct Assignment {
    /// Held now.
    current: BTreeSet<u32>,
    /// Ever held: a commit for one of these that is no longer held comes
    /// from before a rebalance; one for any other partition is a mistake.
    ever: BTreeSet<u32>,
    /// What the last [`Assignment::take`] reported as held.
    reported: BTreeSet<u32>,
    /// Revoked since the last [`Assignment::take`].
    revoked_since_take: BTreeSet<u32>,
    /// Partitions the current poll may return messages of: those held when
    /// it began and not revoked since.
    deliverable: BTreeSet<u32>,
    /// Revoked since the current poll began.
    revoked_in_poll: BTreeSet<u32>,
}

impl Assignment {
    fn assign(&mut self, partitions: impl IntoIterator<Item = u32>) {
        for p in partitions {
            self.current.insert(p);
            self.ever.insert(p);
        }
    }

    fn revoke(&mut self, partitions: impl IntoIterator<Item = u32>) {
        for p in partitions {
            self.current.remove(&p);
            self.deliverable.remove(&p);
            self.revoked_in_poll.insert(p);
            self.revoked_since_take.insert(p);
        }
    }

    /// A poll begins: it may deliver what is held now, which the caller
    /// could see through `take` before calling it.
    pub(super) fn begin_poll(&mut self) {
        self.deliverable.clone_from(&self.current);
        self.revoked_in_poll.clear();
    }

    /// Whether `partition` was revoked since the current poll began (what
    /// the consumer kept for it is stale, even if it was given back).
    pub(super) fn revoked_in_poll(&self, partition: u32) -> bool {
        self.revoked_in_poll.contains(&partition)
    }

    /// Whether the running poll may return a message of `partition`.
    pub(super) fn deliverable(&self, partition: u32) -> bool {
        self.deliverable.contains(&partition)
    }

    /// Whether `partition` is held now.
    pub(super) fn holds(&self, partition: u32) -> bool {
        self.current.contains(&partition)
    }

    /// Whether `partition` was held once and has been revoked since.
    pub(super) fn lost(&self, partition: u32) -> bool {
        self.ever.contains(&partition) && !self.current.contains(&partition)
    }

    /// The partitions held now, sorted.
    pub(super) fn held(&self) -> Vec<u32> {
        self.current.iter().copied().collect()
    }

    /// The change since the last call (the port's `take_rebalance`): what
    /// was reported and then revoked, and what is held and was not
    /// reported, or was revoked and given back in between.
    pub(super) fn take(&mut self) -> Option<Rebalance> {
        let revoked: Vec<u32> = self
            .reported
            .intersection(&self.revoked_since_take)
            .copied()
            .collect();
        let assigned: Vec<u32> = self
            .current
            .iter()
            .copied()
            .filter(|p| !self.reported.contains(p) || self.revoked_since_take.contains(p))
            .collect();
        self.reported.clone_from(&self.current);
        self.revoked_since_take.clear();
        (!revoked.is_empty() || !assigned.is_empty()).then_some(Rebalance { revoked, assigned })
    }
}

/// The consumer's rdkafka context: records rebalances of its topic and
/// wakes a waiting poll when one happened.
#[derive(Debug)]
pub(super) struct GroupContext {
    /// The broker's name of the topic.
    topic: String,
    assignment: Mutex<Assignment>,
    /// Counts rebalances, so a poll waiting for messages returns at once.
    rebalances: watch::Sender<u64>,
}

impl GroupContext {
    pub(super) fn new(topic: String) -> Self {
        Self {
            topic,
            assignment: Mutex::new(Assignment::default()),
            rebalances: watch::Sender::new(0),
        }
    }

    /// The assignment; callers hold the lock briefly and never across an await.
    pub(super) fn assignment(&self) -> MutexGuard<'_, Assignment> {
        // A panic while holding the lock left at worst a half-applied set
        // of insertions; the record is still usable.
        self.assignment
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A receiver that sees each rebalance.
    pub(super) fn rebalances(&self) -> watch::Receiver<u64> {
        self.rebalances.subscribe()
    }

    fn partitions(&self, list: &TopicPartitionList) -> Vec<u32> {
        list.elements_for_topic(&self.topic)
            .iter()
            .filter_map(|e| u32::try_from(e.partition()).ok())
            .collect()
    }
}

impl ClientContext for GroupContext {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        logs::forward(level, fac, log_message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        logs::client_error(&error, reason);
    }
}

impl ConsumerContext for GroupContext {
    /// After librdkafka applied the change (the default `rebalance` does
    /// the assign or unassign, incrementally under cooperative-sticky).
    fn post_rebalance(&self, _: &BaseConsumer<Self>, rebalance: &KafkaRebalance<'_>) {
        match rebalance {
            KafkaRebalance::Assign(list) => {
                let partitions = self.partitions(list);
                tracing::info!(topic = %self.topic, ?partitions, "kafka: partitions assigned");
                self.assignment().assign(partitions);
            }
            KafkaRebalance::Revoke(list) => {
                let partitions = self.partitions(list);
                tracing::info!(topic = %self.topic, ?partitions, "kafka: partitions revoked");
                self.assignment().revoke(partitions);
            }
            KafkaRebalance::Error(e) => {
                tracing::warn!(topic = %self.topic, error = %e, "kafka: rebalance failed");
            }
        }
        self.rebalances.send_modify(|n| *n += 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rebalance(revoked: &[u32], assigned: &[u32]) -> Option<Rebalance> {
        Some(Rebalance {
            revoked: revoked.to_vec(),
            assigned: assigned.to_vec(),
        })
    }

    #[test]
    fn the_first_assignment_is_reported_once() {
        let mut a = Assignment::default();
        assert_eq!(a.take(), None);
        a.assign([2, 0, 1]);
        assert_eq!(a.held(), vec![0, 1, 2]);
        assert_eq!(a.take(), rebalance(&[], &[0, 1, 2]));
        assert_eq!(a.take(), None);
    }

    #[test]
    fn moved_partitions_are_reported_as_revoked_and_assigned() {
        let mut a = Assignment::default();
        a.assign([0, 1, 2, 3]);
        a.take();
        a.revoke([2, 3]);
        assert_eq!(a.take(), rebalance(&[2, 3], &[]));
        a.assign([3]);
        assert_eq!(a.take(), rebalance(&[], &[3]));
        assert!(a.lost(2) && !a.lost(3) && !a.lost(7));
    }

    #[test]
    fn a_partition_taken_away_and_given_back_is_both() {
        let mut a = Assignment::default();
        a.assign([0, 1]);
        a.take();
        a.revoke([1]);
        a.assign([1]);
        assert_eq!(a.take(), rebalance(&[1], &[1]));
        // Assigned and revoked between two takes: the caller never knew it.
        a.assign([5]);
        a.revoke([5]);
        assert_eq!(a.take(), None);
    }

    #[test]
    fn a_poll_delivers_only_what_was_held_when_it_began() {
        let mut a = Assignment::default();
        a.begin_poll();
        a.assign([0, 1]);
        assert!(!a.deliverable(0), "assigned during the poll");
        a.begin_poll();
        assert!(a.deliverable(0) && a.deliverable(1));
        a.revoke([1]);
        a.assign([1, 2]);
        assert!(a.deliverable(0));
        assert!(
            !a.deliverable(1),
            "revoked during the poll, even if given back"
        );
        assert!(!a.deliverable(2), "assigned during the poll");
        assert!(a.holds(1) && a.holds(2));
        assert!(a.revoked_in_poll(1) && !a.revoked_in_poll(0));
        a.begin_poll();
        assert!(!a.revoked_in_poll(1) && a.deliverable(1) && a.deliverable(2));
    }
}
