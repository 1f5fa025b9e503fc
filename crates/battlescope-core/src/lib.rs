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
//! - [`api`]: the HTTP API's bodies and what its endpoints compute beyond
//!   the store (timelines, participants, entity pages).
//! - [`events`]: the envelopes and payloads of the event bus, whose JSON
//!   Schemas live in `schemas/`.
//!
//! No network and no async runtime; files are read only by the explicit
//! path conveniences (`read_path`, `read_paths`, ruleset loading).
//!
//! # Batch and incremental
//!
//! ```
//! use battlescope_core::input::{read_records, ReadOptions};
//! use battlescope_core::{cluster, ClusterConfig, Clusterer};
//!
//! // Two kills in Jita a minute apart that share a pilot: one battle.
//! let kill = |id: u64, time: &str, victim: u64| {
//!     format!(
//!         r#"{{"killmail_id":{id},"killmail_time":"{time}","solar_system_id":30000142,
//!         "victim":{{"character_id":{victim},"corporation_id":98000001,"damage_taken":500,"ship_type_id":587}},
//!         "attackers":[{{"character_id":90000001,"corporation_id":98000002,"damage_done":500,"final_blow":true}}]}}"#
//!     )
//! };
//! let records = [
//!     kill(1, "2024-06-01T18:00:00Z", 1001),
//!     kill(2, "2024-06-01T18:01:00Z", 1002),
//! ];
//! let read = read_records(&records, None, &ReadOptions::default())?;
//! let config = ClusterConfig::default();
//! let battles = cluster(&read.killmails, &config)?;
//! assert_eq!(battles.len(), 1);
//! assert_eq!(battles[0].killmail_ids, vec![1, 2]);
//!
//! // The same, one killmail at a time and in any order: the events tell
//! // the story, and the battles end the same, ids included.
//! let mut clusterer = Clusterer::new(config)?.keep_sealed(true);
//! let mut events = Vec::new();
//! for km in read.killmails.into_iter().rev() {
//!     events.extend(clusterer.push(km).events);
//! }
//! assert_eq!(clusterer.battles(), battles);
//! assert!(matches!(events[0], battlescope_core::cluster::BattleChange::Created(_)));
//! # Ok::<(), battlescope_core::Error>(())
//! ```

#![warn(missing_docs)]

/// `with_<field>` setters for a `#[non_exhaustive]` config struct: other
/// crates build it from `Default` and these, so adding a field is not a
/// breaking change.
macro_rules! with_setters {
    ($ty:ty { $($(#[$doc:meta])* $setter:ident => $field:ident: $t:ty),* $(,)? }) => {
        impl $ty {
            $(
                $(#[$doc])*
                #[must_use]
                pub fn $setter(mut self, value: $t) -> Self {
                    self.$field = value;
                    self
                }
            )*
        }
    };
}

pub mod api;
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
pub use error::{Error, RecordLoc, RecordPosition};
pub use killmail::{Attacker, Item, Killmail, Position, Victim, ZkbMeta};
