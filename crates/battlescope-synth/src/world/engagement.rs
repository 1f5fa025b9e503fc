//! Fleet fights and hotspot brawls: two sides arrive, reship and trade
//! kills along a timeline of bursts and lulls.

use battlescope_core::killmail::{Attacker, Killmail, Position, SystemId};
use battlescope_core::universe::SecurityClass;
use rand::seq::SliceRandom;
use rand::Rng;

use super::{pick, World};
use crate::rng::{between, between_u32, exp, heavy};
use crate::ships::HullIx;

use super::build::Extra;

/// One side of an engagement.
#[derive(Debug, Default)]
pub(super) struct Side {
    pub(super) members: Vec<u32>,
    pub(super) hulls: Vec<HullIx>,
    /// From when each member is on grid (arrival, or back after reshipping).
    pub(super) ready: Vec<i64>,
}

/// The timeline of an engagement.
#[derive(Debug, Clone, Copy)]
pub(super) struct Plan {
    pub(super) start: i64,
    pub(super) end: i64,
    pub(super) burst_kills: (u32, u32),
    pub(super) burst_gap_mean: f64,
    pub(super) lull_secs: (i64, i64),
    pub(super) edge_rate: f64,
    pub(super) split_rate: f64,
    pub(super) attacker_alpha: f64,
    pub(super) blob_rate: f64,
    pub(super) blob_share: (f64, f64),
    pub(super) structure_rate: f64,
    pub(super) respawn: (i64, i64),
    pub(super) max_kills: usize,
}

impl World {
    pub(super) fn gap(&mut self, mean: f64) -> i64 {
        if self
            .rng
            .gen_bool(self.cfg.kill.same_second_rate.clamp(0.0, 1.0))
        {
            0
        } else {
            1 + exp(&mut self.rng, mean.max(0.0)) as i64
        }
    }

    pub(super) fn lull(&mut self, plan: &Plan) -> i64 {
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
    pub(super) fn engagement(
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
    pub(super) fn side_kill(
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

    pub(super) fn pod_rate(&self, system: SystemId) -> f64 {
        let k = &self.cfg.kill;
        let hs = self.class.get(&system) == Some(&SecurityClass::HighSec);
        if hs { k.highsec_pod_rate } else { k.pod_rate }.clamp(0.0, 1.0)
    }

    pub(super) fn weighted(&mut self, weights: &[usize]) -> Option<usize> {
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

    pub(super) fn random_ready(&mut self, side: &Side, t: i64) -> Option<usize> {
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

    pub(super) fn fleet_fight(&mut self, start: i64, out: &mut Vec<Killmail>) {
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

    pub(super) fn hotspot_brawl(&mut self, start: i64, out: &mut Vec<Killmail>) {
        let system = self.hotspot();
        let gangs = between_u32(&mut self.rng, self.cfg.gang.brawl_gangs);
        for _ in 0..gangs {
            let offset = between(&mut self.rng, 0, self.cfg.gang.brawl_spread_secs.max(0));
            self.small_gang(system, start + offset, out);
        }
    }
}
