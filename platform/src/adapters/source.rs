//! What the zKillboard pollers hand out: one raw record with where it came
//! from, how to resume after it, and what core's parser made of it.

use battlescope_core::input::Record;
use bytes::Bytes;

use super::http::FetchError;

/// One record read from a live source.
///
/// A record that does not parse is still handed out, with the error in
/// `parsed` (naming its position and field), so the caller can send it to
/// the dead-letter queue: a bad record is never dropped silently.
#[derive(Debug)]
pub struct SourcedRecord {
    /// Where it came from, for errors and the DLQ: `r2z2 sequence 96599404`,
    /// `redisq queue demo package 3`.
    pub position: String,
    /// Where to resume after this record (see each source's `resume`).
    pub cursor: String,
    /// The record as served.
    pub bytes: Bytes,
    /// The record as core parses it.
    pub parsed: Result<Record, battlescope_core::Error>,
}

/// Why a source could not produce a record.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// A setting is unusable (the message names it).
    #[error("invalid configuration: `{field}` {reason}")]
    Config { field: String, reason: String },
    /// The service failed for good, after retries; calling again later
    /// resumes at the same cursor.
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// R2Z2's `sequence.json` is not `{"sequence": N}`.
    #[error("{url}: {source}")]
    Sequence {
        url: String,
        #[source]
        source: Box<battlescope_core::Error>,
    },
}

/// A polled record as the `source` port carries it: the bytes as served
/// (ingest parses them, so every source's bad records reach the
/// dead-letter queue the same way).
pub(crate) fn to_port(record: SourcedRecord) -> crate::ports::source::SourceRecord {
    crate::ports::source::SourceRecord {
        position: record.position,
        cursor: crate::ports::source::SourceCursor(record.cursor),
        payload: crate::ports::source::RawPayload::Json(record.bytes.to_vec()),
        received_at_ms: chrono::Utc::now().timestamp_millis(),
    }
}

/// A poller's failure as the port's "unavailable now" (ingest retries with
/// backoff and reports not ready meanwhile).
pub(crate) fn unavailable(source: &str, e: &SourceError) -> crate::ports::source::SourceError {
    crate::ports::source::SourceError::Unavailable {
        source_name: source.to_owned(),
        reason: e.to_string(),
    }
}
