//! The knobs of a scenario, with documented defaults and two presets.
//!
//! A scenario is a sequence of *episodes* (a fleet fight, a small gang
//! skirmish, a solo kill, …) started one after another on a global clock;
//! each episode produces killmails in one solar system. Every knob below is
//! plain data: tweak a preset with struct update syntax, e.g.
//! `ScenarioConfig { kills: 5_000, ..ScenarioConfig::small() }`.

use battlescope_core::killmail::SystemId;
use chrono::{DateTime, TimeZone, Utc};

/// Jita, the trade hub: highest traffic in New Eden.
pub const JITA: SystemId = 30_000_142;
/// Tama, the low-sec pipe next to Nourvukaiken: constant small-gang traffic.
pub const TAMA: SystemId = 30_002_813;
/// Amamake, a low-sec pirate hub.
pub const AMAMAKE: SystemId = 30_002_537;
/// Rancer, a low-sec gate camp.
pub const RANCER: SystemId = 30_002_718;
/// Uedama, the high-sec ganking pipe.
pub const UEDAMA: SystemId = 30_002_768;
/// Sivala, next to Uedama.
pub const SIVALA: SystemId = 30_002_765;
/// Perimeter, next to Jita.
pub const PERIMETER: SystemId = 30_000_144;
/// Madirmilire, a high-sec ganking system.
pub const MADIRMILIRE: SystemId = 30_003_503;
/// M-OEE8, a null-sec staging system.
pub const M_OEE8: SystemId = 30_000_848;
/// 1DQ1-A, a null-sec capital system.
pub const ONE_DQ: SystemId = 30_004_759;
/// EC-P8R, a null-sec pipe.
pub const EC_P8R: SystemId = 30_001_984;
/// HED-GP, a null-sec entry system.
pub const HED_GP: SystemId = 30_001_161;

/// Busy systems used by [`UniverseConfig::default`].
pub const DEFAULT_HOTSPOTS: &[SystemId] = &[
    JITA, TAMA, AMAMAKE, RANCER, UEDAMA, M_OEE8, ONE_DQ, EC_P8R, HED_GP, PERIMETER,
];

/// High-sec systems where ganks (followed by CONCORD) happen.
pub const GANK_SYSTEMS: &[SystemId] = &[UEDAMA, SIVALA, MADIRMILIRE, PERIMETER, JITA];

/// A whole scenario: how many kills, over which universe, between whom, and
/// how the fights are shaped.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioConfig {
    /// Killmails to produce; the stream ends after exactly this many.
    pub kills: usize,
    /// Start of the first episode.
    pub start: DateTime<Utc>,
    /// Average killmails per hour across the whole universe; sets the
    /// scenario's time span (New Eden sees roughly 800 an hour). Each episode
    /// pushes the next one's start back by an exponential delay whose mean is
    /// its own kill count divided by this rate.
    pub kills_per_hour: f64,
    /// The clustering `max_gap` the scenario probes, in seconds: edge lulls
    /// are placed within ±5 s of it (default 900 = 15 min).
    pub max_gap_secs: i64,
    /// The clustering `correlation_window` the scenario probes, in seconds:
    /// splitting lulls fall between `max_gap` and it (default 1800 = 30 min).
    pub window_secs: i64,
    /// Where fights happen.
    pub universe: UniverseConfig,
    /// Who fights.
    pub roster: RosterConfig,
    /// How often each kind of episode starts.
    pub mix: MixConfig,
    /// Shape of fleet fights.
    pub fleet: FightConfig,
    /// Shape of small-gang skirmishes (alone or overlapping in a hotspot).
    pub gang: GangConfig,
    /// Per-killmail details: pods, same-second kills, attacker counts, values.
    pub kill: KillConfig,
    /// Killmail ids.
    pub ids: IdConfig,
}

/// The solar systems in play.
#[derive(Debug, Clone, PartialEq)]
pub struct UniverseConfig {
    /// Known-space systems in play, hotspots included; the rest are drawn
    /// from the real ids 30000001..=30005000. Fleet fights and solo kills
    /// favour the first systems (a skewed popularity), so a few systems are
    /// busy and most are quiet.
    pub systems: usize,
    /// Wormhole (J-space) systems in play, real ids from 31000001..=31000099.
    pub wormhole_systems: usize,
    /// Busy systems (Jita, Tama, …): always in play, most popular, and where
    /// overlapping small gangs brawl.
    pub hotspots: Vec<SystemId>,
    /// Share of stand-alone small gangs that fight in a hotspot.
    pub hotspot_share: f64,
    /// High-sec systems where ganks happen (with CONCORD kills after them).
    pub gank_systems: Vec<SystemId>,
}

/// The population: coalitions of alliances of corporations of pilots.
///
/// Rosters are stable for the whole scenario: each pilot belongs to one
/// corporation, each corporation to at most one alliance, each alliance to
/// one coalition. Sizes are heavy-tailed between the bounds given.
#[derive(Debug, Clone, PartialEq)]
pub struct RosterConfig {
    /// Coalitions (blocs of alliances that fly together in fleet fights).
    pub coalitions: usize,
    /// Alliances, spread over the coalitions (the first coalitions get more).
    pub alliances: usize,
    /// Corporations per alliance (min, max).
    pub corps_per_alliance: (u32, u32),
    /// Pilots per corporation in an alliance (min, max).
    pub pilots_per_corp: (u32, u32),
    /// Corporations without alliance.
    pub independent_corps: usize,
    /// Pilots per corporation without alliance (min, max).
    pub pilots_per_independent_corp: (u32, u32),
}

/// Relative frequency of each kind of episode (weights, not shares: they
/// need not add up to 1; a zero turns a kind off).
#[derive(Debug, Clone, PartialEq)]
pub struct MixConfig {
    /// Two (sometimes three) coalitions fight in one system for minutes to hours.
    pub fleet_fight: f64,
    /// Several small gangs fight at the same time in one hotspot, with
    /// disjoint pilots, their kills interleaved.
    pub hotspot_brawl: f64,
    /// One small gang against another.
    pub small_gang: f64,
    /// One pilot kills one victim (a ship, or a mobile tractor unit / depot).
    pub solo: f64,
    /// NPCs (rats) kill a pilot: attackers without `character_id`, `zkb.npc`.
    pub npc: f64,
    /// A high-sec gank: destroyers kill a hauler, then CONCORD kills each ganker.
    pub gank: f64,
    /// A pilot is killed by members of their own alliance: `zkb.awox`.
    pub awox: f64,
}

/// Fleet fights.
#[derive(Debug, Clone, PartialEq)]
pub struct FightConfig {
    /// Pilots per side (min, max), heavy-tailed: most fleets are small.
    pub fleet_size: (u32, u32),
    /// Planned length of the fight in minutes (min, max), heavy-tailed; the
    /// fight may end earlier when a side runs out of pilots.
    pub duration_minutes: (u32, u32),
    /// Probability that a third coalition joins (a third party), arriving
    /// some time after the start and fighting both others.
    pub third_party_rate: f64,
    /// Probability that each side also fields capitals (dreads, carriers,
    /// rarely supers and titans).
    pub capital_rate: f64,
    /// Kills per burst (min, max), heavy-tailed.
    pub burst_kills: (u32, u32),
    /// Mean seconds between kills inside a burst (exponential).
    pub burst_gap_mean_secs: f64,
    /// Ordinary lulls between bursts in seconds (min, max), uniform; keep the
    /// max well below `max_gap`, the edge lulls below probe it.
    pub lull_secs: (i64, i64),
    /// Share of lulls placed at `max_gap` ± 5 s (14m55s..=15m05s by
    /// default, exactly 15m00s included).
    pub edge_lull_rate: f64,
    /// Share of lulls longer than `max_gap` (a fight that falls silent and
    /// starts again: two battles): between `max_gap` + 60 s and the window,
    /// or, for a fifth of them, up to twice the window.
    pub split_lull_rate: f64,
    /// Seconds a killed pilot needs to reship and return (min, max).
    pub respawn_secs: (i64, i64),
    /// Share of kills whose victim is a structure (Astrahus, Fortizar, …):
    /// no `character_id`, owned by a corporation of the losing side.
    pub structure_rate: f64,
    /// Share of kills on the fleet's primary: a share of the pilots on grid,
    /// drawn uniformly from `blob_share`, is on the killmail (this is where
    /// the 100+ attacker kills come from).
    pub blob_rate: f64,
    /// Bounds of that share (min, max), each in `0.0..=1.0`.
    pub blob_share: (f64, f64),
    /// The other kills (picked-off stragglers, tackle) have a heavy-tailed
    /// attacker count: a Pareto draw with this tail index, capped by the
    /// pilots on grid; smaller means more large kills.
    pub attacker_alpha: f64,
}

/// Small-gang skirmishes and hotspot brawls.
#[derive(Debug, Clone, PartialEq)]
pub struct GangConfig {
    /// Pilots per gang (min, max), heavy-tailed.
    pub gang_size: (u32, u32),
    /// Planned length in minutes (min, max).
    pub duration_minutes: (u32, u32),
    /// Kills per burst (min, max), heavy-tailed.
    pub burst_kills: (u32, u32),
    /// Mean seconds between kills inside a burst.
    pub burst_gap_mean_secs: f64,
    /// Ordinary lulls in seconds (min, max).
    pub lull_secs: (i64, i64),
    /// Share of lulls at `max_gap` ± 5 s.
    pub edge_lull_rate: f64,
    /// Share of lulls longer than `max_gap`.
    pub split_lull_rate: f64,
    /// Gangs per hotspot brawl (min, max): each a separate skirmish with its
    /// own pilots, all in the same system at overlapping times.
    pub brawl_gangs: (u32, u32),
    /// Seconds over which the brawl's skirmishes start (each starts at a
    /// uniform offset in `0..=brawl_spread_secs`).
    pub brawl_spread_secs: i64,
    /// Share of kills on which a good part of the gang is (see
    /// [`FightConfig::blob_rate`]).
    pub blob_rate: f64,
    /// Bounds of that share (min, max).
    pub blob_share: (f64, f64),
    /// Pareto tail index of attackers on the other kills.
    pub attacker_alpha: f64,
}

/// Per-killmail details.
#[derive(Debug, Clone, PartialEq)]
pub struct KillConfig {
    /// Probability that a ship kill outside high-sec is followed by the
    /// pilot's capsule (type 670) being killed.
    pub pod_rate: f64,
    /// The same in high-sec (by the systems' real security): pods are
    /// rarely killed there.
    pub highsec_pod_rate: f64,
    /// Most seconds between a ship kill and its pod kill.
    pub pod_delay_max_secs: i64,
    /// Probability that a kill happens in the same second as the previous
    /// one (inside a burst), and that a pod dies in its ship's second.
    pub same_second_rate: f64,
    /// Probability that zKillboard's values (`totalValue`, `fittedValue`,
    /// `droppedValue`, `destroyedValue`) are all missing.
    pub missing_value_rate: f64,
    /// NPC attackers on an NPC kill (min, max).
    pub npc_attackers: (u32, u32),
    /// Gankers per gank (min, max).
    pub gankers: (u32, u32),
    /// Attackers per awox kill (min, max).
    pub awox_attackers: (u32, u32),
    /// Share of solo kills whose victim is a mobile tractor unit or depot.
    pub solo_structure_rate: f64,
    /// Most attackers on one kill.
    pub max_attackers: u32,
}

/// Killmail ids.
///
/// Real ids grow with time but not strictly: the generator hands out ids in
/// order of kill time plus a per-kill jitter, so a kill can carry a lower id
/// than one a few seconds (rarely, minutes) earlier.
#[derive(Debug, Clone, PartialEq)]
pub struct IdConfig {
    /// The first id handed out.
    pub first_id: u64,
    /// Mean of the per-kill jitter in seconds (exponential).
    pub jitter_mean_secs: f64,
    /// Share of kills reported late, with a uniform jitter up to `late_max_secs`.
    pub late_rate: f64,
    /// Most seconds a late kill is reported after it happened.
    pub late_max_secs: i64,
    /// Probability that an id is skipped between two kills (ids have holes).
    pub hole_rate: f64,
}

fn epoch_2024() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH)
}

impl Default for ScenarioConfig {
    /// Benchmark scale: 100,000 kills at New Eden's rate (about five days)
    /// over 1,500 systems (about 17,000 pilots appear in those kills).
    fn default() -> Self {
        Self {
            kills: 100_000,
            start: epoch_2024(),
            kills_per_hour: 800.0,
            max_gap_secs: 900,
            window_secs: 1800,
            universe: UniverseConfig::default(),
            roster: RosterConfig::default(),
            mix: MixConfig::default(),
            fleet: FightConfig::default(),
            gang: GangConfig::default(),
            kill: KillConfig::default(),
            ids: IdConfig::default(),
        }
    }
}

impl ScenarioConfig {
    /// Property-test scale: 300 kills in about two hours over six systems
    /// (Jita and Tama among them) between a few hundred pilots, so fights
    /// overlap in place and time; a quarter of the lulls sit at the
    /// `max_gap` edge and a tenth split fights.
    #[must_use]
    pub fn small() -> Self {
        Self {
            kills: 300,
            kills_per_hour: 150.0,
            universe: UniverseConfig {
                systems: 5,
                wormhole_systems: 1,
                hotspots: vec![JITA, TAMA],
                hotspot_share: 0.6,
                gank_systems: vec![JITA],
            },
            roster: RosterConfig {
                coalitions: 4,
                alliances: 12,
                corps_per_alliance: (1, 4),
                pilots_per_corp: (3, 25),
                independent_corps: 20,
                pilots_per_independent_corp: (1, 8),
            },
            fleet: FightConfig {
                fleet_size: (5, 40),
                duration_minutes: (15, 90),
                edge_lull_rate: 0.25,
                split_lull_rate: 0.1,
                ..FightConfig::default()
            },
            gang: GangConfig {
                edge_lull_rate: 0.25,
                split_lull_rate: 0.1,
                ..GangConfig::default()
            },
            ..Self::default()
        }
    }

    /// The default scenario with `kills` killmails.
    #[must_use]
    pub fn with_kills(kills: usize) -> Self {
        Self {
            kills,
            ..Self::default()
        }
    }
}

impl Default for UniverseConfig {
    fn default() -> Self {
        Self {
            systems: 1500,
            wormhole_systems: 8,
            hotspots: DEFAULT_HOTSPOTS.to_vec(),
            hotspot_share: 0.35,
            gank_systems: GANK_SYSTEMS.to_vec(),
        }
    }
}

impl Default for RosterConfig {
    fn default() -> Self {
        Self {
            coalitions: 16,
            alliances: 300,
            corps_per_alliance: (1, 30),
            pilots_per_corp: (3, 300),
            independent_corps: 1500,
            pilots_per_independent_corp: (1, 40),
        }
    }
}

impl Default for MixConfig {
    fn default() -> Self {
        Self {
            fleet_fight: 1.5,
            hotspot_brawl: 1.5,
            small_gang: 5.0,
            solo: 2.5,
            npc: 5.0,
            gank: 0.6,
            awox: 0.4,
        }
    }
}

impl Default for FightConfig {
    fn default() -> Self {
        Self {
            fleet_size: (10, 400),
            duration_minutes: (15, 240),
            third_party_rate: 0.2,
            capital_rate: 0.08,
            burst_kills: (1, 25),
            burst_gap_mean_secs: 12.0,
            lull_secs: (20, 480),
            edge_lull_rate: 0.08,
            split_lull_rate: 0.04,
            respawn_secs: (300, 1500),
            structure_rate: 0.003,
            blob_rate: 0.5,
            blob_share: (0.05, 0.6),
            attacker_alpha: 0.5,
        }
    }
}

impl Default for GangConfig {
    fn default() -> Self {
        Self {
            gang_size: (3, 25),
            duration_minutes: (5, 60),
            burst_kills: (1, 4),
            burst_gap_mean_secs: 20.0,
            lull_secs: (30, 420),
            edge_lull_rate: 0.08,
            split_lull_rate: 0.04,
            brawl_gangs: (2, 4),
            brawl_spread_secs: 900,
            blob_rate: 0.5,
            blob_share: (0.3, 1.0),
            attacker_alpha: 0.7,
        }
    }
}

impl Default for KillConfig {
    fn default() -> Self {
        Self {
            pod_rate: 0.45,
            highsec_pod_rate: 0.05,
            pod_delay_max_secs: 20,
            same_second_rate: 0.06,
            missing_value_rate: 0.03,
            npc_attackers: (1, 6),
            gankers: (3, 20),
            awox_attackers: (1, 3),
            solo_structure_rate: 0.08,
            max_attackers: 2000,
        }
    }
}

impl Default for IdConfig {
    fn default() -> Self {
        Self {
            first_id: 114_000_000,
            jitter_mean_secs: 5.0,
            late_rate: 0.01,
            late_max_secs: 3600,
            hole_rate: 0.2,
        }
    }
}
