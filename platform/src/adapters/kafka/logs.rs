//! librdkafka's own log lines and client errors, sent to `tracing` with the
//! platform's other logs (rdkafka's default goes to the `log` crate, which
//! nothing here collects).

use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::KafkaError;
use rdkafka::ClientContext;

/// Forward a librdkafka log line.
pub(super) fn forward(level: RDKafkaLogLevel, facility: &str, message: &str) {
    match level {
        RDKafkaLogLevel::Emerg
        | RDKafkaLogLevel::Alert
        | RDKafkaLogLevel::Critical
        | RDKafkaLogLevel::Error => {
            tracing::error!(target: "librdkafka", facility, "{message}");
        }
        RDKafkaLogLevel::Warning => tracing::warn!(target: "librdkafka", facility, "{message}"),
        RDKafkaLogLevel::Notice | RDKafkaLogLevel::Info => {
            tracing::info!(target: "librdkafka", facility, "{message}");
        }
        RDKafkaLogLevel::Debug => tracing::debug!(target: "librdkafka", facility, "{message}"),
    }
}

/// Forward a client error. librdkafka retries on its own (a broker that is
/// down is reconnected to), so these are warnings; what fails for good
/// reaches the caller as an operation's error.
pub(super) fn client_error(error: &KafkaError, reason: &str) {
    tracing::warn!(target: "librdkafka", error = %error, "{reason}");
}

/// The context of the producer and the admin client: logs only.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Logs;

impl ClientContext for Logs {
    fn log(&self, level: RDKafkaLogLevel, fac: &str, log_message: &str) {
        forward(level, fac, log_message);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        client_error(&error, reason);
    }
}
