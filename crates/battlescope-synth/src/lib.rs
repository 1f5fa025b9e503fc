//! # battlescope-synth
//!
//! A deterministic generator of realistic EVE Online killmail streams, for
//! property tests and benchmarks of the clustering engine.
//!
//! A scenario is a sequence of *episodes* on a global clock, each in one
//! solar system: fleet fights between coalitions (sometimes with a third
//! party) lasting up to hours, with bursts, lulls and lulls right at the
//! `max_gap` edge; several small gangs brawling at once in a busy system
//! with disjoint pilots; small-gang skirmishes; solo kills; NPC kills; ganks
//! followed by CONCORD; awox kills. Pods follow their ships within seconds.
//! Rosters (coalitions → alliances → corporations → pilots) are stable and a
//! pilot is in one episode at a time. All ids are in their real ranges
//! (systems 30000001..=30005000 and 310000xx, real ship type ids, NPC
//! corporations 1000xxx).
//!
//! The same `(config, seed)` always gives the same killmails.
//!
//! ```
//! use battlescope_synth::{generate, ScenarioConfig};
//!
//! let kills = generate(&ScenarioConfig::small(), 7);
//! assert_eq!(kills.len(), 300);
//! assert_eq!(kills, generate(&ScenarioConfig::small(), 7));
//! ```

mod arrival;
mod config;
mod jsonl;
mod rng;
mod roster;
mod ships;
mod stream;
mod teams;
mod world;

pub use arrival::{arrival_order, arrival_with_delay};
pub use config::{
    FightConfig, GangConfig, IdConfig, KillConfig, MixConfig, RosterConfig, ScenarioConfig,
    UniverseConfig, AMAMAKE, DEFAULT_HOTSPOTS, EC_P8R, GANK_SYSTEMS, HED_GP, JITA, MADIRMILIRE,
    M_OEE8, ONE_DQ, PERIMETER, RANCER, SIVALA, TAMA, UEDAMA,
};
pub use jsonl::{to_jsonl, write_jsonl};
pub use ships::CAPSULE;
pub use stream::KillStream;
pub use teams::{team_fight, TeamFight, TeamFightConfig};

use battlescope_core::Killmail;

/// All killmails of a scenario, in killmail-id order (time order, roughly).
#[must_use]
pub fn generate(config: &ScenarioConfig, seed: u64) -> Vec<Killmail> {
    let mut out = Vec::with_capacity(config.kills);
    out.extend(stream(config, seed));
    out
}

/// The killmails of a scenario one at a time, without holding them all:
/// the same sequence as [`generate`].
#[must_use]
pub fn stream(config: &ScenarioConfig, seed: u64) -> KillStream {
    KillStream::new(config.clone(), seed)
}
