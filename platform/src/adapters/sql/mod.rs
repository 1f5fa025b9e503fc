//! What the two SQL stores ([`super::sqlite`], [`super::postgres`]) share:
//! the tables (the migrations of `platform/migrations/store`), the
//! statements both dialects accept ([`statements`]), a write batch encoded
//! into rows ([`rows`]) and rows read back into the port's types
//! ([`reads`]). Each store keeps only what its dialect does differently:
//! how a list of values travels (SQLite: a JSON array for `json_each`;
//! PostgreSQL: an array for `UNNEST` / `ANY`), multi-row inserts, and the
//! event store's sequence (SQLite's `rowid`, PostgreSQL's identity column).
//!
//! Ids are stored as BIGINT (EVE ids fit in 2^53), UUIDs and JSON as TEXT,
//! times as whole seconds.

pub(crate) mod reads;
pub(crate) mod rows;
pub(crate) mod statements;

use crate::ports::store::StoreError;

/// A failure of the database (or of serialising what goes into it).
pub(crate) fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Stored data that does not read back as `what`.
pub(crate) fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt {
        what: what.to_owned(),
        reason: e.to_string(),
    }
}

/// EVE ids fit in 2^53, so the cast never wraps on real data; a foreign
/// value out of range saturates instead of wrapping.
pub(crate) fn id(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Back from [`id`]; a negative value (never written) reads as 0.
pub(crate) fn uid(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// Seconds since the epoch, for the `updated_at` / `saved_at` columns.
pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp()
}
