//! The generator's state and its episodes: each episode produces the
//! killmails of one fight (or one kill) in one solar system.

use std::collections::HashMap;

use battlescope_core::killmail::{Attacker, Killmail, Position, SystemId, Victim, ZkbMeta};
use battlescope_core::universe::SecurityClass;
use chrono::DateTime;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::config::ScenarioConfig;
use crate::rng::{between, between_u32, exp, heavy};
use crate::roster::{Group, Roster};
use crate::ships::{
    hull_index, HullIx, HullPool, Npc, CAPITALS, CAPSULE, CONCORD, DEPLOYABLES, FLEET_DOCTRINES,
    GANG_HULLS, GANKED_HULLS, GANKER_HULLS, HULLS, PVE_HULLS, RATS, STRUCTURES,
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

/// One side of an engagement.
#[derive(Debug, Default)]
struct Side {
    members: Vec<u32>,
    hulls: Vec<HullIx>,
    /// From when each member is on grid (arrival, or back after reshipping).
    ready: Vec<i64>,
}

/// The timeline of an engagement.
#[derive(Debug, Clone, Copy)]
struct Plan {
    start: i64,
    end: i64,
    burst_kills: (u32, u32),
    burst_gap_mean: f64,
    lull_secs: (i64, i64),
    edge_rate: f64,
    split_rate: f64,
    attacker_alpha: f64,
    blob_rate: f64,
    blob_share: (f64, f64),
    structure_rate: f64,
    respawn: (i64, i64),
    max_kills: usize,
}

/// Extra per-kill details.
#[derive(Debug, Clone, Copy, Default)]
struct Extra {
    label: Option<&'static str>,
    cargo_m: f64,
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

    fn position(&mut self) -> Position {
        let mut c = || self.rng.gen_range(-5.0e12..5.0e12_f64).round();
        Position {
            x: c(),
            y: c(),
            z: c(),
        }
    }

    fn near(&mut self, p: Position) -> Position {
        let mut d = || self.rng.gen_range(-100_000.0..100_000.0_f64).round();
        Position {
            x: p.x + d(),
            y: p.y + d(),
            z: p.z + d(),
        }
    }

    // ---- killmail building -------------------------------------------------

    fn player(&self, p: u32, hull: HullIx) -> Attacker {
        let pilot = self.roster.pilot(p);
        let (corp, alliance) = self.roster.affiliation(p);
        let hull = HULLS[usize::from(hull)];
        Attacker {
            alliance_id: alliance,
            character_id: Some(pilot.id),
            corporation_id: Some(corp),
            faction_id: None,
            damage_done: 0,
            final_blow: false,
            security_status: Some(pilot.security_status()),
            ship_type_id: Some(hull.id),
            weapon_type_id: Some(hull.weapon.unwrap_or(hull.id)),
        }
    }

    fn npc(npc: Npc) -> Attacker {
        Attacker {
            alliance_id: None,
            character_id: None,
            corporation_id: Some(npc.corporation),
            faction_id: Some(npc.faction),
            damage_done: 0,
            final_blow: false,
            security_status: Some(0.0),
            ship_type_id: Some(npc.ship),
            weapon_type_id: Some(npc.ship),
        }
    }

    fn victim(&self, p: u32, hull: HullIx, position: Position) -> Victim {
        let (corp, alliance) = self.roster.affiliation(p);
        Victim {
            alliance_id: alliance,
            character_id: Some(self.roster.pilot(p).id),
            corporation_id: Some(corp),
            faction_id: None,
            damage_taken: 0,
            ship_type_id: HULLS[usize::from(hull)].id,
            items: None,
            position: Some(position),
        }
    }

    /// A structure or deployable owned by the corporation of pilot `p`.
    fn structure_victim(&self, p: u32, hull: HullIx, position: Position) -> Victim {
        let (corp, alliance) = self.roster.affiliation(p);
        Victim {
            alliance_id: alliance,
            character_id: None,
            corporation_id: Some(corp),
            faction_id: None,
            damage_taken: 0,
            ship_type_id: HULLS[usize::from(hull)].id,
            items: None,
            position: Some(position),
        }
    }

    /// Split damage, pick the final blow, fill zKillboard's metadata.
    fn finish(
        &mut self,
        time: i64,
        system: SystemId,
        mut victim: Victim,
        victim_hull: HullIx,
        mut attackers: Vec<Attacker>,
        extra: Extra,
    ) -> Killmail {
        let hull = HULLS[usize::from(victim_hull)];
        let rng = &mut self.rng;

        // Damage: exponential shares of the hull's hit points; some
        // attackers (tackle, e-war, logistics) do none.
        let total = (f64::from(hull.ehp) * rng.gen_range(0.6..1.4)).max(1.0) as u64;
        let n = attackers.len();
        let mut weights: Vec<f64> = (0..n)
            .map(|_| {
                if n > 1 && rng.gen_bool(0.08) {
                    0.0
                } else {
                    exp(rng, 1.0) + 0.02
                }
            })
            .collect();
        if weights.iter().all(|&w| w == 0.0) {
            weights[0] = 1.0;
        }
        let sum_w: f64 = weights.iter().sum();
        let mut dealt = 0;
        for (a, w) in attackers.iter_mut().zip(&weights) {
            a.damage_done = (total as f64 * w / sum_w) as u64;
            dealt += a.damage_done;
        }
        let top = weights
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map_or(0, |(i, _)| i);
        attackers[top].damage_done += total - dealt.min(total);
        // The final blow: weighted by damage dealt.
        let mut r = rng.gen_range(0..total.max(1));
        let mut fb = top;
        for (i, a) in attackers.iter().enumerate() {
            if r < a.damage_done {
                fb = i;
                break;
            }
            r -= a.damage_done;
        }
        attackers[fb].final_blow = true;
        attackers.sort_by_key(|a| std::cmp::Reverse(a.damage_done));
        victim.damage_taken = attackers.iter().map(|a| a.damage_done).sum();

        // zKillboard's flags and labels.
        let players = attackers
            .iter()
            .filter(|a| a.character_id.is_some())
            .count();
        let npc = players == 0;
        let solo = players == 1 && n == 1;
        let awox = !npc
            && attackers.iter().any(|a| {
                a.character_id.is_some()
                    && match (victim.alliance_id, a.alliance_id) {
                        (Some(v), Some(x)) => v == x,
                        _ => {
                            victim.corporation_id.is_some()
                                && victim.corporation_id == a.corporation_id
                        }
                    }
            });

        let factor = (rng.gen_range(-0.75..0.75_f64)).exp();
        let mut value = hull.value_m * 1e6 * factor;
        if hull.id == CAPSULE && rng.gen_bool(0.3) {
            value += f64::from(heavy(rng, 1, 3000, 0.7)) * 1e6;
        }
        value += extra.cargo_m * 1e6;
        let value = round2(value.max(10_000.0));
        let dropped = if hull.id == CAPSULE {
            0.0
        } else {
            round2(value * rng.gen_range(0.0..0.5))
        };
        let fitted = round2((hull.value_m * 1e6 * factor * rng.gen_range(0.85..1.0)).min(value));
        let missing = rng.gen_bool(self.cfg.kill.missing_value_rate.clamp(0.0, 1.0));
        let points = if npc {
            1
        } else {
            let p = (f64::from(hull.ehp) / 1000.0 + 1.0).ln() * 10.0 / (n as f64).sqrt();
            (p.round() as i64).max(1)
        };
        let mut labels = Vec::with_capacity(5);
        labels.push(if npc { "npc" } else { "pvp" }.to_owned());
        if solo {
            labels.push("solo".to_owned());
        }
        if awox {
            labels.push("awox".to_owned());
        }
        if let Some(l) = extra.label {
            labels.push(l.to_owned());
        }
        let bucket = match n {
            0..=1 => "#:1",
            2..=4 => "#:2+",
            5..=9 => "#:5+",
            10..=24 => "#:10+",
            25..=49 => "#:25+",
            50..=99 => "#:50+",
            100..=999 => "#:100+",
            _ => "#:1000+",
        };
        labels.push(bucket.to_owned());
        let loc = match self.class.get(&system) {
            Some(SecurityClass::HighSec) => Some("loc:highsec"),
            Some(SecurityClass::LowSec) => Some("loc:lowsec"),
            Some(SecurityClass::NullSec) => Some("loc:nullsec"),
            Some(SecurityClass::Wormhole) => Some("loc:w-space"),
            Some(SecurityClass::Pochven) => Some("loc:pochven"),
            Some(SecurityClass::Abyssal) => Some("loc:abyssal"),
            None => None,
        };
        if let Some(loc) = loc {
            labels.push(loc.to_owned());
        }
        if !missing && value >= 1e9 {
            labels.push(if value >= 10e9 { "isk:10b+" } else { "isk:1b+" }.to_owned());
        }
        let hash = format!(
            "{:016x}{:016x}{:08x}",
            rng.gen::<u64>(),
            rng.gen::<u64>(),
            rng.gen::<u32>()
        );
        let zkb = ZkbMeta {
            location_id: None,
            hash: Some(hash),
            fitted_value: (!missing).then_some(fitted),
            dropped_value: (!missing).then_some(dropped),
            destroyed_value: (!missing).then_some(round2(value - dropped)),
            total_value: (!missing).then_some(value),
            points: Some(points),
            npc: Some(npc),
            solo: Some(solo),
            awox: Some(awox),
            labels,
            href: None,
        };
        Killmail {
            killmail_id: 0,
            killmail_time: DateTime::from_timestamp(time, 0).unwrap_or_default(),
            solar_system_id: system,
            moon_id: None,
            war_id: None,
            victim,
            attackers,
            zkb: Some(zkb),
        }
    }

    /// The pod of `pilot`, killed `0..=pod_delay_max` seconds after `time`
    /// by some of `shooters` (pilot, hull).
    fn pod(
        &mut self,
        time: i64,
        system: SystemId,
        pilot: u32,
        shooters: &[(u32, HullIx)],
        position: Position,
        out: &mut Vec<Killmail>,
    ) -> i64 {
        let kc = &self.cfg.kill;
        let delay = if self.rng.gen_bool(kc.same_second_rate.clamp(0.0, 1.0)) {
            0
        } else {
            between(&mut self.rng, 1, kc.pod_delay_max_secs.max(1))
        };
        let cap = u32::try_from(shooters.len().min(10)).unwrap_or(10).max(1);
        let m = heavy(&mut self.rng, 1, cap, 0.7) as usize;
        let start = self.rng.gen_range(0..shooters.len());
        let attackers: Vec<Attacker> = (0..m)
            .map(|i| {
                let (p, h) = shooters[(start + i) % shooters.len()];
                self.player(p, h)
            })
            .collect();
        let pos = self.near(position);
        let victim = self.victim(pilot, self.capsule, pos);
        let t = time + delay;
        let km = self.finish(t, system, victim, self.capsule, attackers, Extra::default());
        out.push(km);
        t
    }

    // ---- engagements ---------------------------------------------------------

    fn gap(&mut self, mean: f64) -> i64 {
        if self
            .rng
            .gen_bool(self.cfg.kill.same_second_rate.clamp(0.0, 1.0))
        {
            0
        } else {
            1 + exp(&mut self.rng, mean.max(0.0)) as i64
        }
    }

    fn lull(&mut self, plan: &Plan) -> i64 {
        let max_gap = self.cfg.max_gap_secs.max(6);
        let window = self.cfg.window_secs.max(max_gap + 122);
        let r: f64 = self.rng.gen();
        if r < plan.edge_rate {
            max_gap + between(&mut self.rng, -5, 5)
        } else if r < plan.edge_rate + plan.split_rate {
            if self.rng.gen_bool(0.8) {
                between(&mut self.rng, max_gap + 60, window - 60)
            } else {
                between(&mut self.rng, window, 2 * window)
            }
        } else {
            between(
                &mut self.rng,
                plan.lull_secs.0.max(1),
                plan.lull_secs.1.max(1),
            )
        }
    }

    /// Run an engagement between `sides` and push its killmails.
    fn engagement(
        &mut self,
        system: SystemId,
        sides: &mut [Side],
        plan: &Plan,
        out: &mut Vec<Killmail>,
    ) {
        let center = self.position();
        let mut t = plan.start;
        let mut kills = 0usize;
        'fight: loop {
            let n = heavy(
                &mut self.rng,
                plan.burst_kills.0.max(1),
                plan.burst_kills.1.max(1),
                1.0,
            );
            let mut burst_end = t;
            for i in 0..n {
                if i > 0 {
                    t += self.gap(plan.burst_gap_mean);
                }
                if t > plan.end || kills >= plan.max_kills {
                    break 'fight;
                }
                let before = out.len();
                if let Some(last) = self.side_kill(system, sides, t, plan, center, out) {
                    burst_end = burst_end.max(last);
                }
                burst_end = burst_end.max(t);
                kills += out.len() - before;
            }
            t = burst_end + self.lull(plan);
            if t > plan.end {
                break;
            }
        }
    }

    /// One kill between sides at time `t` (plus maybe its pod). Returns the
    /// time of the last killmail pushed.
    fn side_kill(
        &mut self,
        system: SystemId,
        sides: &mut [Side],
        t: i64,
        plan: &Plan,
        center: Position,
        out: &mut Vec<Killmail>,
    ) -> Option<i64> {
        let ready: Vec<usize> = sides
            .iter()
            .map(|s| s.ready.iter().filter(|&&r| r <= t).count())
            .collect();
        let total: usize = ready.iter().sum();
        // Victim side: weighted by its presence times its enemies' presence.
        let weights: Vec<usize> = ready.iter().map(|&c| c * (total - c)).collect();
        let vs = self.weighted(&weights)?;
        let enemy: Vec<usize> = ready
            .iter()
            .enumerate()
            .map(|(i, &c)| if i == vs { 0 } else { c })
            .collect();
        let asd = self.weighted(&enemy)?;

        // The victim.
        let vi = self.random_ready(&sides[vs], t)?;
        let vpilot = sides[vs].members[vi];
        let pos = self.near(center);
        let structure = self.rng.gen_bool(plan.structure_rate.clamp(0.0, 1.0));

        // The attackers.
        self.scratch.clear();
        self.scratch.extend(
            sides[asd]
                .ready
                .iter()
                .enumerate()
                .filter(|&(_, &r)| r <= t)
                .map(|(i, _)| i),
        );
        let cap = u32::try_from(self.scratch.len())
            .unwrap_or(u32::MAX)
            .min(self.cfg.kill.max_attackers.max(1));
        let k = if self.rng.gen_bool(plan.blob_rate.clamp(0.0, 1.0)) {
            // The fleet's primary: a good part of those on grid are on the mail.
            let share = self.rng.gen_range(
                plan.blob_share.0.min(plan.blob_share.1)..=plan.blob_share.1.max(plan.blob_share.0),
            );
            ((f64::from(cap) * share).round() as u32).clamp(1, cap) as usize
        } else {
            heavy(&mut self.rng, 1, cap, plan.attacker_alpha) as usize
        };
        let mut scratch = std::mem::take(&mut self.scratch);
        let (chosen, _) = scratch.partial_shuffle(&mut self.rng, k);
        let shooters: Vec<(u32, HullIx)> = chosen
            .iter()
            .map(|&i| (sides[asd].members[i], sides[asd].hulls[i]))
            .collect();
        self.scratch = scratch;
        let attackers: Vec<Attacker> = shooters.iter().map(|&(p, h)| self.player(p, h)).collect();

        if structure {
            let hull = pick(&mut self.rng, &self.pools.structures);
            let victim = self.structure_victim(vpilot, hull, pos);
            let km = self.finish(t, system, victim, hull, attackers, Extra::default());
            out.push(km);
            return Some(t);
        }
        let vhull = sides[vs].hulls[vi];
        let victim = self.victim(vpilot, vhull, pos);
        let km = self.finish(t, system, victim, vhull, attackers, Extra::default());
        out.push(km);
        let respawn = between(&mut self.rng, plan.respawn.0, plan.respawn.1);
        sides[vs].ready[vi] = t + respawn.max(1);
        let pod_rate = self.pod_rate(system);
        if vhull != self.capsule && self.rng.gen_bool(pod_rate) {
            return Some(self.pod(t, system, vpilot, &shooters, pos, out));
        }
        Some(t)
    }

    fn pod_rate(&self, system: SystemId) -> f64 {
        let k = &self.cfg.kill;
        let hs = self.class.get(&system) == Some(&SecurityClass::HighSec);
        if hs { k.highsec_pod_rate } else { k.pod_rate }.clamp(0.0, 1.0)
    }

    fn weighted(&mut self, weights: &[usize]) -> Option<usize> {
        let total: usize = weights.iter().sum();
        if total == 0 {
            return None;
        }
        let mut r = self.rng.gen_range(0..total);
        for (i, &w) in weights.iter().enumerate() {
            if r < w {
                return Some(i);
            }
            r -= w;
        }
        None
    }

    fn random_ready(&mut self, side: &Side, t: i64) -> Option<usize> {
        for _ in 0..16 {
            let i = self.rng.gen_range(0..side.members.len());
            if side.ready[i] <= t {
                return Some(i);
            }
        }
        let ready: Vec<usize> = (0..side.members.len())
            .filter(|&i| side.ready[i] <= t)
            .collect();
        ready.choose(&mut self.rng).copied()
    }

    // ---- episodes --------------------------------------------------------------

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

    fn fleet_fight(&mut self, start: i64, out: &mut Vec<Killmail>) {
        let fc = self.cfg.fleet.clone();
        let system = self.popular_system();
        let minutes = heavy(
            &mut self.rng,
            fc.duration_minutes.0.max(1),
            fc.duration_minutes.1.max(1),
            0.9,
        );
        let end = start + i64::from(minutes) * 60;
        let until = end + self.cfg.kill.pod_delay_max_secs + 1;
        let n_sides = if self.rng.gen_bool(fc.third_party_rate.clamp(0.0, 1.0)) {
            3
        } else {
            2
        };
        let mut coalitions: Vec<usize> = (0..self.roster.coalitions.len()).collect();
        let (picked, _) = coalitions.partial_shuffle(&mut self.rng, n_sides);
        let picked = picked.to_vec();
        let mut sides = Vec::with_capacity(n_sides);
        for (i, &c) in picked.iter().enumerate() {
            let size = heavy(
                &mut self.rng,
                fc.fleet_size.0.max(1),
                fc.fleet_size.1.max(1),
                1.0,
            ) as usize;
            let range = self.roster.coalitions[c].clone();
            let arrive = if i == 2 {
                start + (end - start) * between(&mut self.rng, 10, 50) / 100
            } else {
                start
            };
            let members = self
                .roster
                .reserve(range, size, start, until, &mut self.rng);
            let doctrine = self.rng.gen_range(0..self.pools.doctrines.len());
            let mut hulls: Vec<HullIx> = members
                .iter()
                .map(|_| pick(&mut self.rng, &self.pools.doctrines[doctrine]))
                .collect();
            if !hulls.is_empty() && self.rng.gen_bool(fc.capital_rate.clamp(0.0, 1.0)) {
                let caps = heavy(
                    &mut self.rng,
                    1,
                    u32::try_from(hulls.len() / 8).unwrap_or(1).max(1),
                    1.0,
                );
                for _ in 0..caps {
                    let i = self.rng.gen_range(0..hulls.len());
                    hulls[i] = pick(&mut self.rng, &self.pools.capitals);
                }
            }
            let ready = vec![arrive; members.len()];
            sides.push(Side {
                members,
                hulls,
                ready,
            });
        }
        if sides.iter().filter(|s| !s.members.is_empty()).count() < 2 {
            return;
        }
        let members: usize = sides.iter().map(|s| s.members.len()).sum();
        let plan = Plan {
            start,
            end,
            burst_kills: fc.burst_kills,
            burst_gap_mean: fc.burst_gap_mean_secs,
            lull_secs: fc.lull_secs,
            edge_rate: fc.edge_lull_rate,
            split_rate: fc.split_lull_rate,
            attacker_alpha: fc.attacker_alpha,
            blob_rate: fc.blob_rate,
            blob_share: fc.blob_share,
            structure_rate: fc.structure_rate,
            respawn: fc.respawn_secs,
            max_kills: members * 2,
        };
        self.engagement(system, &mut sides, &plan, out);
    }

    fn hotspot_brawl(&mut self, start: i64, out: &mut Vec<Killmail>) {
        let system = self.hotspot();
        let gangs = between_u32(&mut self.rng, self.cfg.gang.brawl_gangs);
        for _ in 0..gangs {
            let offset = between(&mut self.rng, 0, self.cfg.gang.brawl_spread_secs.max(0));
            self.small_gang(system, start + offset, out);
        }
    }

    fn small_gang(&mut self, system: SystemId, start: i64, out: &mut Vec<Killmail>) {
        let gc = self.cfg.gang.clone();
        let Some((a, b)) = self.roster.enemy_groups(&mut self.rng) else {
            return;
        };
        let minutes = between_u32(&mut self.rng, gc.duration_minutes).max(1);
        let end = start + i64::from(minutes) * 60;
        let until = end + self.cfg.kill.pod_delay_max_secs + 1;
        let mut sides = Vec::with_capacity(2);
        for g in [a, b] {
            let size = heavy(
                &mut self.rng,
                gc.gang_size.0.max(1),
                gc.gang_size.1.max(1),
                0.8,
            ) as usize;
            let members = self
                .roster
                .reserve(g.pilots, size, start, until, &mut self.rng);
            let hulls = members
                .iter()
                .map(|_| pick(&mut self.rng, &self.pools.gang))
                .collect();
            let ready = vec![start; members.len()];
            sides.push(Side {
                members,
                hulls,
                ready,
            });
        }
        if sides.iter().any(|s| s.members.is_empty()) {
            return;
        }
        let members: usize = sides.iter().map(|s| s.members.len()).sum();
        let plan = Plan {
            start,
            end,
            burst_kills: gc.burst_kills,
            burst_gap_mean: gc.burst_gap_mean_secs,
            lull_secs: gc.lull_secs,
            edge_rate: gc.edge_lull_rate,
            split_rate: gc.split_lull_rate,
            attacker_alpha: gc.attacker_alpha,
            blob_rate: gc.blob_rate,
            blob_share: gc.blob_share,
            structure_rate: 0.0,
            respawn: (600, 1800),
            max_kills: members + 2,
        };
        self.engagement(system, &mut sides, &plan, out);
    }

    /// One free pilot of `group`, reserved from `start` to `until`.
    fn one(&mut self, group: &Group, start: i64, until: i64) -> Option<u32> {
        self.roster
            .reserve(group.pilots.clone(), 1, start, until, &mut self.rng)
            .first()
            .copied()
    }

    fn solo(&mut self, start: i64, out: &mut Vec<Killmail>) {
        let Some((a, b)) = self.roster.enemy_groups(&mut self.rng) else {
            return;
        };
        let until = start + self.cfg.kill.pod_delay_max_secs + 60;
        let (Some(killer), Some(prey)) = (self.one(&a, start, until), self.one(&b, start, until))
        else {
            return;
        };
        let system = self.popular_system();
        let pos = self.position();
        let khull = pick(&mut self.rng, &self.pools.gang);
        let attackers = vec![self.player(killer, khull)];
        if self
            .rng
            .gen_bool(self.cfg.kill.solo_structure_rate.clamp(0.0, 1.0))
        {
            let hull = pick(&mut self.rng, &self.pools.deployables);
            let victim = self.structure_victim(prey, hull, pos);
            let km = self.finish(start, system, victim, hull, attackers, Extra::default());
            out.push(km);
            return;
        }
        let vhull = pick(&mut self.rng, &self.pools.gang);
        let victim = self.victim(prey, vhull, pos);
        let km = self.finish(start, system, victim, vhull, attackers, Extra::default());
        out.push(km);
        if self.rng.gen_bool(self.pod_rate(system)) {
            self.pod(start, system, prey, &[(killer, khull)], pos, out);
        }
    }

    fn npc_kill(&mut self, start: i64, out: &mut Vec<Killmail>) {
        let group = self.roster.random_group(&mut self.rng);
        let Some(prey) = self.one(&group, start, start + 60) else {
            return;
        };
        let system = self.any_system();
        let faction = RATS[self.rng.gen_range(0..RATS.len())];
        let k = between_u32(&mut self.rng, self.cfg.kill.npc_attackers).max(1);
        let attackers: Vec<Attacker> = (0..k)
            .map(|_| Self::npc(faction[self.rng.gen_range(0..faction.len())]))
            .collect();
        let vhull = pick(&mut self.rng, &self.pools.pve);
        let pos = self.position();
        let victim = self.victim(prey, vhull, pos);
        let km = self.finish(start, system, victim, vhull, attackers, Extra::default());
        out.push(km);
    }

    fn gank(&mut self, start: i64, out: &mut Vec<Killmail>) {
        let systems = &self.cfg.universe.gank_systems;
        let system = if systems.is_empty() {
            self.hotspot()
        } else {
            systems[self.rng.gen_range(0..systems.len())]
        };
        let until = start + 120;
        let mut crew = self.roster.random_independent(&mut self.rng);
        let n = between_u32(&mut self.rng, self.cfg.kill.gankers).max(1) as usize;
        let mut gankers = self
            .roster
            .reserve(crew.pilots.clone(), n, start, until, &mut self.rng);
        if gankers.len() < 2 {
            // A corporation too small or busy: gank with an alliance instead.
            let a = self.rng.gen_range(0..self.roster.alliances.len());
            crew = Group {
                pilots: self.roster.alliances[a].pilots.clone(),
                alliance: u32::try_from(a).ok(),
                corp: None,
            };
            gankers = self
                .roster
                .reserve(crew.pilots.clone(), n, start, until, &mut self.rng);
        }
        let mut target = None;
        for _ in 0..16 {
            let g = self.roster.random_group(&mut self.rng);
            if !g.friendly(&crew, &self.roster) {
                target = self.one(&g, start, until);
                if target.is_some() {
                    break;
                }
            }
        }
        let (Some(prey), false) = (target, gankers.is_empty()) else {
            return;
        };
        let crew_ships: Vec<(u32, HullIx)> = gankers
            .iter()
            .map(|&p| (p, pick(&mut self.rng, &self.pools.gankers)))
            .collect();
        let attackers: Vec<Attacker> = crew_ships.iter().map(|&(p, h)| self.player(p, h)).collect();
        let vhull = pick(&mut self.rng, &self.pools.ganked);
        let pos = self.position();
        let victim = self.victim(prey, vhull, pos);
        let cargo_m = f64::from(heavy(&mut self.rng, 1, 20_000, 0.7));
        let extra = Extra {
            label: Some("ganked"),
            cargo_m,
        };
        let km = self.finish(start, system, victim, vhull, attackers, extra);
        out.push(km);
        if self.rng.gen_bool(self.pod_rate(system)) {
            self.pod(start, system, prey, &crew_ships, pos, out);
        }
        // CONCORD arrives and kills (almost) every ganker within seconds.
        for &(p, h) in &crew_ships {
            if !self.rng.gen_bool(0.95) {
                continue;
            }
            let t = start + between(&mut self.rng, 0, 20);
            let k = between(&mut self.rng, 1, 4);
            let attackers: Vec<Attacker> = (0..k)
                .map(|_| Self::npc(CONCORD[self.rng.gen_range(0..CONCORD.len())]))
                .collect();
            let ppos = self.near(pos);
            let victim = self.victim(p, h, ppos);
            let km = self.finish(t, system, victim, h, attackers, Extra::default());
            out.push(km);
        }
    }

    fn awox(&mut self, start: i64, out: &mut Vec<Killmail>) {
        if self.roster.alliances.is_empty() {
            return;
        }
        let until = start + self.cfg.kill.pod_delay_max_secs + 60;
        let a = self.rng.gen_range(0..self.roster.alliances.len());
        let range = self.roster.alliances[a].pilots.clone();
        let k = between_u32(&mut self.rng, self.cfg.kill.awox_attackers).max(1) as usize;
        let pilots = self
            .roster
            .reserve(range, k + 1, start, until, &mut self.rng);
        if pilots.len() < 2 {
            return;
        }
        let system = self.popular_system();
        let shooters: Vec<(u32, HullIx)> = pilots[1..]
            .iter()
            .map(|&p| (p, pick(&mut self.rng, &self.pools.gang)))
            .collect();
        let attackers: Vec<Attacker> = shooters.iter().map(|&(p, h)| self.player(p, h)).collect();
        let vhull = pick(&mut self.rng, &self.pools.doctrines[0]);
        let pos = self.position();
        let victim = self.victim(pilots[0], vhull, pos);
        let km = self.finish(start, system, victim, vhull, attackers, Extra::default());
        out.push(km);
        if self.rng.gen_bool(self.pod_rate(system)) {
            self.pod(start, system, pilots[0], &shooters, pos, out);
        }
    }
}
