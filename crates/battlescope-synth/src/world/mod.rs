//! The generator's state and its episodes: each episode produces the
//! killmails of one fight (or one kill) in one solar system.
//!
//! The killmails themselves are assembled in `build`; fleet fights and
//! hotspot brawls (timelines of bursts and lulls) in `engagement`; the
//! small episodes (gangs, solo, NPC, ganks, awox) in `episodes`.

mod build;
mod engagement;
mod episodes;

use std::collections::HashMap;

use battlescope_core::killmail::{Killmail, SystemId};
use battlescope_core::universe::SecurityClass;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::config::ScenarioConfig;
use crate::roster::Roster;
use crate::ships::{
    hull_index, HullIx, HullPool, CAPITALS, CAPSULE, DEPLOYABLES, FLEET_DOCTRINES, GANG_HULLS,
    GANKED_HULLS, GANKER_HULLS, PVE_HULLS, STRUCTURES,
};

/// Real known-space ids used for systems beyond the hotspots.
const KSPACE: std::ops::RangeInclusive<SystemId> = 30_000_001..=30_005_000;
/// Real J-space ids used for wormhole systems.
const JSPACE: std::ops::RangeInclusive<SystemId> = 31_000_001..=31_000_099;

/// Resolved hull pools.
#[derive(Debug)]
struct Pools {
    doctrines: Vec<HullPool>,
    capitals: HullPool,
    structures: HullPool,
    deployables: HullPool,
    gang: HullPool,
    pve: HullPool,
    gankers: HullPool,
    ganked: HullPool,
}

/// The generator: rosters, systems and the random source.
#[derive(Debug)]
pub(crate) struct World {
    pub cfg: ScenarioConfig,
    pub rng: ChaCha8Rng,
    roster: Roster,
    systems: Vec<SystemId>,
    hotspots: usize,
    /// Class of space of every system in play (and of the gank systems).
    class: HashMap<SystemId, SecurityClass>,
    pools: Pools,
    capsule: HullIx,
    scratch: Vec<usize>,
}

fn pick(rng: &mut ChaCha8Rng, pool: &HullPool) -> HullIx {
    pool.pick(rng.gen_range(0..pool.total()))
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

impl World {
    pub(crate) fn new(cfg: ScenarioConfig, seed: u64) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let roster = Roster::generate(&cfg.roster, &mut rng);
        let (systems, hotspots) = Self::pick_systems(&cfg, &mut rng);
        let class = systems
            .iter()
            .chain(&cfg.universe.gank_systems)
            .filter_map(|&s| Some((s, SecurityClass::of_system(s)?)))
            .collect();
        let pools = Pools {
            doctrines: FLEET_DOCTRINES.iter().map(|p| HullPool::new(p)).collect(),
            capitals: HullPool::new(CAPITALS),
            structures: HullPool::new(STRUCTURES),
            deployables: HullPool::new(DEPLOYABLES),
            gang: HullPool::new(GANG_HULLS),
            pve: HullPool::new(PVE_HULLS),
            gankers: HullPool::new(GANKER_HULLS),
            ganked: HullPool::new(GANKED_HULLS),
        };
        Self {
            cfg,
            rng,
            roster,
            systems,
            hotspots,
            class,
            pools,
            capsule: hull_index(CAPSULE),
            scratch: Vec::new(),
        }
    }

    /// Hotspots first (the most popular), then the other systems shuffled.
    fn pick_systems(cfg: &ScenarioConfig, rng: &mut ChaCha8Rng) -> (Vec<SystemId>, usize) {
        let u = &cfg.universe;
        let mut hot: Vec<SystemId> = Vec::new();
        for &s in &u.hotspots {
            if !hot.contains(&s) {
                hot.push(s);
            }
        }
        hot.truncate(u.systems.max(1));
        let kspace_len = (KSPACE.end() - KSPACE.start() + 1) as usize;
        let target = u.systems.max(hot.len()).min(kspace_len + hot.len());
        let mut seen: std::collections::HashSet<SystemId> = hot.iter().copied().collect();
        let mut others = Vec::with_capacity(target + u.wormhole_systems);
        while hot.len() + others.len() < target {
            let s = rng.gen_range(KSPACE);
            if seen.insert(s) {
                others.push(s);
            }
        }
        let jspace_len = (JSPACE.end() - JSPACE.start() + 1) as usize;
        let mut wh = 0;
        while wh < u.wormhole_systems.min(jspace_len) {
            let s = rng.gen_range(JSPACE);
            if seen.insert(s) {
                others.push(s);
                wh += 1;
            }
        }
        others.shuffle(rng);
        let hotspots = hot.len();
        hot.extend(others);
        if hot.is_empty() {
            hot.push(crate::config::JITA);
        }
        (hot, hotspots)
    }

    /// A system with skewed popularity: the first ones (the hotspots) are busiest.
    fn popular_system(&mut self) -> SystemId {
        let u: f64 = self.rng.gen();
        let i = (u.powf(2.5) * self.systems.len() as f64) as usize;
        self.systems[i.min(self.systems.len() - 1)]
    }

    fn any_system(&mut self) -> SystemId {
        self.systems[self.rng.gen_range(0..self.systems.len())]
    }

    fn hotspot(&mut self) -> SystemId {
        if self.hotspots == 0 {
            self.popular_system()
        } else {
            self.systems[self.rng.gen_range(0..self.hotspots)]
        }
    }

    /// Start one episode at `start`; its killmails are pushed to `out`.
    pub(crate) fn episode(&mut self, start: i64, out: &mut Vec<Killmail>) {
        let m = &self.cfg.mix;
        let weights = [
            m.fleet_fight,
            m.hotspot_brawl,
            m.small_gang,
            m.solo,
            m.npc,
            m.gank,
            m.awox,
        ];
        let total: f64 = weights.iter().map(|w| w.max(0.0)).sum();
        if total <= 0.0 {
            return;
        }
        let mut r = self.rng.gen_range(0.0..total);
        let mut kind = weights.len() - 1;
        for (i, w) in weights.iter().enumerate() {
            if r < w.max(0.0) {
                kind = i;
                break;
            }
            r -= w.max(0.0);
        }
        match kind {
            0 => self.fleet_fight(start, out),
            1 => self.hotspot_brawl(start, out),
            2 => {
                let system = if self
                    .rng
                    .gen_bool(self.cfg.universe.hotspot_share.clamp(0.0, 1.0))
                {
                    self.hotspot()
                } else {
                    self.popular_system()
                };
                self.small_gang(system, start, out);
            }
            3 => self.solo(start, out),
            4 => self.npc_kill(start, out),
            5 => self.gank(start, out),
            _ => self.awox(start, out),
        }
    }
}
