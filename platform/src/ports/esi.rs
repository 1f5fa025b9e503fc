//! The ESI port: a full killmail by id and hash, and names for ids.
//!
//! Implementations own timeouts, retries, the circuit breaker and the
//! cache; an error here is final for this attempt (enrich dead-letters it).

use std::fmt;

use async_trait::async_trait;
use battlescope_core::events::EntityName;
use battlescope_core::Killmail;

/// What can go wrong asking ESI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EsiError {
    /// ESI does not know this killmail (or the hash is wrong).
    #[error("ESI has no killmail {killmail_id} with hash {hash}")]
    NotFound { killmail_id: u64, hash: String },
    /// ESI failed or was unreachable after the retries (or the breaker is open).
    #[error("ESI unavailable: {0}")]
    Unavailable(String),
    /// ESI answered with something that is not a valid killmail.
    #[error("ESI answered an invalid killmail {killmail_id}: {reason}")]
    Invalid { killmail_id: u64, reason: String },
    /// No ESI client is configured in this process.
    #[error("no ESI client configured: references without a killmail cannot be enriched")]
    NotConfigured,
}

/// EVE's ESI API.
#[async_trait]
pub trait Esi: Send + Sync + fmt::Debug {
    /// `GET /killmails/{id}/{hash}/`.
    async fn killmail(&self, killmail_id: u64, hash: &str) -> Result<Killmail, EsiError>;
    /// `POST /universe/names/`: names of the ids ESI knows (others are left out).
    async fn names(&self, ids: &[u64]) -> Result<Vec<EntityName>, EsiError>;
    /// Counters and the breaker's state, for metrics (`None` when the
    /// implementation keeps none).
    fn telemetry(&self) -> Option<EsiTelemetry> {
        None
    }
}

/// What an ESI client counted since it was made ([`Esi::telemetry`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EsiTelemetry {
    /// HTTP requests sent (attempts).
    pub requests: u64,
    /// Attempts retried.
    pub retries: u64,
    /// Calls that ended in an error.
    pub errors: u64,
    /// Killmails and names served from the cache.
    pub cache_hits: u64,
    /// Times the circuit breaker opened.
    pub breaker_opened: u64,
    /// The breaker now: 0 closed, 1 open, 2 half-open.
    pub breaker_state: u8,
}
