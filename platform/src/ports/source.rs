//! The killmail source port: raw records with where they came from and a
//! cursor to resume after them.
//!
//! A source does not parse (ingest does, so every source's bad records
//! reach the dead-letter queue the same way). Its cursor is opaque text the
//! source alone understands: a file and line for replay, a sequence number
//! for R2Z2; ingest stores it after the records before it are published.

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;

/// Where a source resumes; opaque to everything but the source.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SourceCursor(pub String);

/// The bytes of one record, or why the source could not even cut them out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RawPayload {
    /// One JSON record (ESI killmail, R2Z2 item, RedisQ package, API row).
    Json(Vec<u8>),
    /// The container around the record was broken (a bad archive member, an
    /// oversized line): the record goes to the dead-letter queue with this.
    Unreadable(String),
}

/// One record from a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceRecord {
    /// Human-readable place (`file.jsonl line 12`, `r2z2 sequence 9`).
    pub position: String,
    /// Resume point *after* this record.
    pub cursor: SourceCursor,
    pub payload: RawPayload,
    /// When the source had it (Unix milliseconds): where a kill's
    /// kill → battle latency starts.
    pub received_at_ms: i64,
}

/// What a poll gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourcePoll {
    /// Records, in source order.
    Records(Vec<SourceRecord>),
    /// Nothing new yet (R2Z2 404, RedisQ null package): poll again after
    /// the delay.
    Idle(Duration),
    /// A finite source (file replay) has nothing more.
    Exhausted,
}

/// What can go wrong reading a source.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    #[error("source {source_name}: {reason}")]
    Unavailable { source_name: String, reason: String },
    #[error("source {source_name}: cursor `{cursor}` is not one of mine: {reason}")]
    BadCursor {
        source_name: String,
        cursor: String,
        reason: String,
    },
}

/// A source of killmails.
#[async_trait]
pub trait KillmailSource: Send + Sync + fmt::Debug {
    /// Stable name, under which ingest stores the cursor (`replay`, `r2z2`).
    fn name(&self) -> &str;

    /// Continue after `cursor` (call before the first poll).
    ///
    /// # Errors
    /// [`SourceError::BadCursor`] when the cursor is not the source's.
    async fn resume(&mut self, cursor: &SourceCursor) -> Result<(), SourceError>;

    /// Up to `max` records.
    ///
    /// # Errors
    /// [`SourceError::Unavailable`] when the source cannot be read now.
    async fn poll(&mut self, max: usize) -> Result<SourcePoll, SourceError>;
}
