//! Where the Kafka bus connects and what it creates: parsed from the
//! `--bus kafka://…` URL, so every setting of a deployment is in one flag.

use std::fmt;

/// The Kafka bus's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KafkaConfig {
    /// `bootstrap.servers`: `host:port`, comma-separated.
    pub brokers: String,
    /// Partitions of each topic the bus creates; a topic that exists keeps
    /// its own count.
    pub partitions: u32,
    /// Replicas of each topic the bus creates; `None` leaves it to the
    /// broker's `default.replication.factor`.
    pub replication: Option<u16>,
    /// Put before every topic and consumer group name, so several
    /// deployments (or test runs) share a cluster without meeting.
    pub prefix: String,
}

/// A `kafka://` URL the bus cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("--bus {url}: {reason}")]
pub struct KafkaUrlError {
    url: String,
    reason: String,
}

impl KafkaConfig {
    /// Parse `kafka://HOST:PORT[,HOST:PORT…][?replication=N&prefix=P]`;
    /// `partitions` is the count for the topics the bus creates.
    ///
    /// # Errors
    /// Another scheme, no broker, a broker that is not `host:port`, an
    /// unknown or malformed parameter.
    pub fn from_url(url: &str, partitions: u32) -> Result<Self, KafkaUrlError> {
        let fail = |reason: String| KafkaUrlError {
            url: url.to_owned(),
            reason,
        };
        let rest = url
            .strip_prefix("kafka://")
            .ok_or_else(|| fail("a Kafka bus URL starts with kafka://".to_owned()))?;
        let (hosts, query) = rest.split_once('?').unwrap_or((rest, ""));
        let hosts = hosts.trim_end_matches('/');
        let mut brokers = Vec::new();
        for broker in hosts.split(',') {
            check_broker(broker).map_err(|reason| fail(format!("broker `{broker}`: {reason}")))?;
            brokers.push(broker);
        }
        if partitions == 0 || i32::try_from(partitions).is_err() {
            return Err(fail(format!(
                "{partitions} partitions per topic: Kafka takes 1 to {}",
                i32::MAX
            )));
        }
        let mut config = Self {
            brokers: brokers.join(","),
            partitions,
            replication: None,
            prefix: String::new(),
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            match name {
                "replication" => {
                    let n = value
                        .parse::<u16>()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or_else(|| {
                            fail(format!("replication `{value}` is not a positive number"))
                        })?;
                    config.replication = Some(n);
                }
                "prefix" => {
                    if let Some(bad) = value
                        .chars()
                        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
                    {
                        return Err(fail(format!(
                            "prefix `{value}` has `{bad}`; Kafka names take letters, digits, `.`, `_` and `-`"
                        )));
                    }
                    value.clone_into(&mut config.prefix);
                }
                other => {
                    return Err(fail(format!(
                        "unknown parameter `{other}` (known: replication, prefix)"
                    )))
                }
            }
        }
        Ok(config)
    }

    /// The broker's name of the platform's topic `topic`.
    #[must_use]
    pub fn topic_name(&self, topic: &str) -> String {
        format!("{}{topic}", self.prefix)
    }

    /// The broker's name of consumer group `group`.
    #[must_use]
    pub fn group_name(&self, group: &str) -> String {
        format!("{}{group}", self.prefix)
    }
}

impl fmt::Display for KafkaConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "kafka://{}", self.brokers)
    }
}

/// `host:port` with a host and a numeric port.
fn check_broker(broker: &str) -> Result<(), String> {
    let (host, port) = broker
        .rsplit_once(':')
        .ok_or_else(|| "expected host:port".to_owned())?;
    if host.is_empty() || host.chars().any(char::is_whitespace) {
        return Err("expected host:port".to_owned());
    }
    port.parse::<u16>()
        .map(|_| ())
        .map_err(|_| format!("port `{port}` is not a number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_broker() {
        let c = KafkaConfig::from_url("kafka://127.0.0.1:9092", 8).unwrap();
        assert_eq!(c.brokers, "127.0.0.1:9092");
        assert_eq!(c.partitions, 8);
        assert_eq!(c.replication, None);
        assert_eq!(c.topic_name("battle.events"), "battle.events");
    }

    #[test]
    fn several_brokers_and_parameters() {
        let c = KafkaConfig::from_url(
            "kafka://k1:9092,k2:9092,[::1]:9093/?replication=3&prefix=staging.",
            4,
        )
        .unwrap();
        assert_eq!(c.brokers, "k1:9092,k2:9092,[::1]:9093");
        assert_eq!(c.replication, Some(3));
        assert_eq!(c.topic_name("deadletter"), "staging.deadletter");
        assert_eq!(c.group_name("writer"), "staging.writer");
    }

    #[test]
    fn errors_name_what_is_wrong() {
        let err = |url: &str| KafkaConfig::from_url(url, 8).unwrap_err().to_string();
        assert!(err("kafka://").contains("broker ``"), "{}", err("kafka://"));
        assert!(err("kafka://host").contains("host:port"));
        assert!(err("kafka://host:port").contains("port `port`"));
        assert!(err("kafka://a:1,,b:2").contains("broker ``"));
        assert!(err("kafka://a:1?replication=0").contains("replication `0`"));
        assert!(err("kafka://a:1?prefix=a/b").contains("`/`"));
        assert!(err("kafka://a:1?acks=1").contains("unknown parameter `acks`"));
        assert!(err("memory").contains("kafka://"));
        let zero = KafkaConfig::from_url("kafka://a:1", 0)
            .unwrap_err()
            .to_string();
        assert!(zero.contains("0 partitions"), "{zero}");
    }
}
