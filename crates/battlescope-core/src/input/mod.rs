//! Parsers for every killmail input BattleScope reads.
//!
//! Two layers:
//! - [`record`]: one JSON record → a [`Record`] (a killmail, a reference that
//!   still needs ESI, or RedisQ's "nothing new"), for every record shape:
//!   ESI killmail, zKillboard R2Z2 item, RedisQ package, zKillboard API row.
//! - the readers ([`read_killmails`], [`for_each_record`]): a whole input (`std::io::Read`) in any container — one
//!   document, a JSON array, JSON Lines, or (feature `archive`) a daily
//!   `.tar.bz2` archive — read record by record. A bad record never stops the
//!   rest: each yields its own error, and a [`ReadReport`] counts what was
//!   read and what was skipped, by reason.
//! - many inputs: [`expand_paths`] (directories to the files core reads),
//!   [`read_paths`] (every file, with progress and one policy for files that
//!   cannot be read), [`read_records`] (records held in memory, named by
//!   element).

mod format;
mod memory;
mod paths;
mod reader;
pub mod record;
mod split;

#[cfg(feature = "archive")]
mod archive;

pub use format::{Container, Format, Shape};
pub use memory::{parse_killmail, read_records};
pub use paths::{expand_paths, is_killmail_file, read_paths, ReadProgress, KILLMAIL_EXTENSIONS};
pub use reader::{
    for_each_record, read_killmails, read_path, ReadOptions, ReadOutcome, ReadReport,
};
pub use record::{parse_r2z2_sequence, parse_record, KillmailRef, Record};
