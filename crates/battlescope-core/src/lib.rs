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
//! - [`cluster`](mod@cluster): batch [`cluster()`](fn@cluster) and incremental [`Clusterer`], which
//!   agree on every battle for every arrival order.
//! - [`battle`]: the battle document — statistics and sides.
//! - [`ruleset`]: which killmails enter the platform, and which rule
//!   rejected the others.
//! - [`intel`]: what an alliance, corporation or character fought, flew and
//!   fielded repeatedly (doctrines), and when and where.
//! - [`events`]: the envelopes and payloads of the event bus, whose JSON
//!   Schemas live in `schemas/`.
//!
//! No network and no async runtime; files are read only by the explicit
//! path conveniences (`read_path`, ruleset loading).

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
