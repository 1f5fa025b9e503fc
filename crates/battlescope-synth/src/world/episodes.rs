//! The small episodes: gangs, solo kills, NPC kills, ganks and awox.

use battlescope_core::killmail::{Attacker, Killmail, SystemId};
use rand::Rng;

use super::{pick, World};
use crate::rng::{between, between_u32, heavy};
use crate::roster::Group;
use crate::ships::{HullIx, CONCORD, RATS};

use super::build::Extra;
use super::engagement::{Plan, Side};

impl World {
    pub(super) fn small_gang(&mut self, system: SystemId, start: i64, out: &mut Vec<Killmail>) {
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
    pub(super) fn one(&mut self, group: &Group, start: i64, until: i64) -> Option<u32> {
        self.roster
            .reserve(group.pilots.clone(), 1, start, until, &mut self.rng)
            .first()
            .copied()
    }

    pub(super) fn solo(&mut self, start: i64, out: &mut Vec<Killmail>) {
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

    pub(super) fn npc_kill(&mut self, start: i64, out: &mut Vec<Killmail>) {
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

    pub(super) fn gank(&mut self, start: i64, out: &mut Vec<Killmail>) {
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

    pub(super) fn awox(&mut self, start: i64, out: &mut Vec<Killmail>) {
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
