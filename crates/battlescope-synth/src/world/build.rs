//! Assembling killmails: positions, attackers, victims, the finished
//! killmail with its zKillboard metadata, and the pod that follows a kill.

use battlescope_core::killmail::{Attacker, Killmail, Position, SystemId, Victim, ZkbMeta};
use battlescope_core::universe::SecurityClass;
use chrono::DateTime;
use rand::Rng;

use super::{round2, World};
use crate::rng::{between, exp, heavy};
use crate::ships::{HullIx, Npc, CAPSULE, HULLS};

/// Extra per-kill details.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Extra {
    pub(super) label: Option<&'static str>,
    pub(super) cargo_m: f64,
}

impl World {
    pub(super) fn position(&mut self) -> Position {
        let mut c = || self.rng.gen_range(-5.0e12..5.0e12_f64).round();
        Position {
            x: c(),
            y: c(),
            z: c(),
        }
    }

    pub(super) fn near(&mut self, p: Position) -> Position {
        let mut d = || self.rng.gen_range(-100_000.0..100_000.0_f64).round();
        Position {
            x: p.x + d(),
            y: p.y + d(),
            z: p.z + d(),
        }
    }
    pub(super) fn player(&self, p: u32, hull: HullIx) -> Attacker {
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

    pub(super) fn npc(npc: Npc) -> Attacker {
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

    pub(super) fn victim(&self, p: u32, hull: HullIx, position: Position) -> Victim {
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
    pub(super) fn structure_victim(&self, p: u32, hull: HullIx, position: Position) -> Victim {
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
    pub(super) fn finish(
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
    pub(super) fn pod(
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
}
