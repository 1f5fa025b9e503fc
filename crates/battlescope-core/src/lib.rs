//! # battlescope-core
//!
//! The pure domain of BattleScope: it turns EVE Online killmails into battles.
//!
//! - [`killmail`]: the killmail model with the exact wire names of ESI and
//!   zKillboard, and its validation.
//! - [`input`]: parsers for every input the platform reads (ESI, R2Z2,
//!   RedisQ, zKillboard API rows, JSON arrays, JSON Lines and — with the
//!   `archive` feature — the daily `.tar.bz2` archives), with per-record
//!   errors and read reports.
//! - [`universe`]: static universe data (solar systems, ship types) embedded
//!   in the crate, security and ship classes.
//! - [`cluster`]: batch [`cluster()`] and incremental [`Clusterer`], which
//!   agree on every battle for every arrival order.
//! - [`battle`]: the battle document — statistics and sides.
//!
//! No network, no async runtime, no file system access except through the
//! `std::io::Read` handed to the readers (and the `read_path` convenience).

pub mod battle;
pub mod cluster;
pub mod error;
pub mod events;
pub mod input;
pub mod intel;
pub mod killmail;
pub mod ruleset;
pub mod universe;

pub use battle::{Battle, BattleStats, Side};
pub use cluster::{cluster, ClusterConfig, Clusterer};
pub use error::{Error, RecordLoc};
pub use killmail::{Attacker, Item, Killmail, Position, Victim, ZkbMeta};
