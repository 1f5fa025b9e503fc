//! What can go wrong asking ESI, split by what the caller should do.

use std::time::Duration;

/// An ESI call that did not give an answer.
///
/// Two kinds: [`EsiError::is_retryable`] errors say "ESI is not answering
/// now, try the same thing later" (the breaker is open); every other error
/// is *poison* for the message that needed the call: send it to the
/// dead-letter queue with this error, to be replayed by hand later.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EsiError {
    /// A setting is unusable.
    #[error("invalid ESI configuration: `{field}` {reason}")]
    Config { field: String, reason: String },
    /// The circuit breaker is open after repeated failures: no request was
    /// sent. Retry after `retry_in`.
    #[error("{what}: ESI circuit breaker is open, next try in {retry_in:?}")]
    CircuitOpen { what: String, retry_in: Duration },
    /// Timeouts, network errors or 5xx on every attempt.
    #[error("{what}: gave up after {attempts} attempts: {last}")]
    GaveUp {
        what: String,
        attempts: u32,
        last: String,
    },
    /// ESI does not know it (404 / 422: wrong id or hash).
    #[error("{what}: not found on ESI (HTTP {status}): {body}")]
    NotFound {
        what: String,
        status: u16,
        body: String,
    },
    /// ESI refused the request (another 4xx).
    #[error("{what}: ESI refused the request (HTTP {status}): {body}")]
    Rejected {
        what: String,
        status: u16,
        body: String,
    },
    /// A killmail body that core cannot parse; the core error names the
    /// field (`killmail_time`, `victim.ship_type_id`, …).
    #[error("{what}: bad body: {source}")]
    BadKillmail {
        what: String,
        #[source]
        source: Box<battlescope_core::Error>,
    },
    /// A names body that is not `[{"category", "id", "name"}]`.
    #[error("{what}: bad body at `{path}`: {message}")]
    BadNames {
        what: String,
        path: String,
        message: String,
    },
    /// The hash is not hexadecimal, so the request was not sent.
    #[error("{what}: `{hash}` is not a hexadecimal killmail hash")]
    BadHash { what: String, hash: String },
    /// A body over the size cap (not kept).
    #[error("{what}: body of {size} bytes is over the {limit}-byte limit")]
    TooLarge { what: String, size: u64, limit: u64 },
    /// ESI answered with another killmail than the one asked for.
    #[error("{what}: ESI answered with killmail {got}")]
    WrongKillmail { what: String, got: u64 },
}

impl EsiError {
    /// True when the same call may succeed later without any change.
    #[must_use]
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::CircuitOpen { .. })
    }

    /// True when the message that needed this call should go to the DLQ.
    #[must_use]
    pub fn is_poison(&self) -> bool {
        !self.is_retryable() && !matches!(self, Self::Config { .. })
    }

    /// The offending field of a bad body, when known.
    #[must_use]
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::BadKillmail { source, .. } => source.field(),
            Self::BadNames { path, .. } => Some(path),
            Self::Config { field, .. } => Some(field),
            _ => None,
        }
    }

    /// A short stable key for metrics labels.
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Config { .. } => "config",
            Self::CircuitOpen { .. } => "circuit_open",
            Self::GaveUp { .. } => "gave_up",
            Self::NotFound { .. } => "not_found",
            Self::Rejected { .. } | Self::BadHash { .. } => "rejected",
            Self::BadKillmail { .. } | Self::BadNames { .. } | Self::TooLarge { .. } => "bad_body",
            Self::WrongKillmail { .. } => "wrong_killmail",
        }
    }
}
