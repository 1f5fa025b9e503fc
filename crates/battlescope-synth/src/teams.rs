//! One fight whose teams are known: ground truth for side assignment.
//!
//! Real killmails carry no side labels, so a side model is judged against
//! fights generated here, which record every pilot's team. The fights hold
//! what makes sides hard on real data: alliances and corporations without
//! alliance on each team, starter-corporation (NPC corporation) pilots on
//! every team in the *same* corporations, structures firing for their
//! corporation, a third party that shoots both teams and is shot by both on
//! the same killmail, crowded killmails, awox kills, pods that follow their
//! ships and friends' pods shot on purpose (the fast way home).
//!
//! ```
//! use battlescope_synth::{team_fight, TeamFightConfig};
//!
//! let fight = team_fight(&TeamFightConfig::default(), 3);
//! assert!(fight.kills.len() >= 200);
//! assert!(fight.teams.iter().any(|&(_, team)| team == 2), "a third party");
//! ```

use battlescope_core::killmail::{Attacker, EntityId, Killmail, TypeId, Victim};
use chrono::{DateTime, TimeDelta};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::rng::{exp, heavy};
use crate::ships::CAPSULE;

/// Starter corporations (NPC corporations) whose pilots fight on any team.
const STARTER_CORPS: &[EntityId] = &[1_000_166, 1_000_167, 1_000_168, 1_000_169];
/// Fleet hulls: Muninn, Eagle, Jackdaw, Drake, Rifter, Scimitar.
const HULLS: &[TypeId] = &[12_015, 12_011, 34_828, 24_698, 587, 11_978];
/// Astrahus, a citadel that fires for its owner.
const STRUCTURE: TypeId = 35_832;
/// Wormhole system J100001: no CONCORD, anything goes.
const SYSTEM: u32 = 31_000_005;

/// The shape of a fight with known teams.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamFightConfig {
    /// Ship kills between the teams (pods come on top).
    pub kills: usize,
    /// Teams: 2, or 3 when the last is a third party.
    pub teams: usize,
    /// Alliances per team (min, max); the third party gets the minimum.
    pub alliances_per_team: (u32, u32),
    /// Pilots per alliance (min, max).
    pub pilots_per_alliance: (u32, u32),
    /// Pilots per team in corporations without alliance.
    pub independents_per_team: u32,
    /// Pilots per team in starter (NPC) corporations shared by all teams.
    pub npc_corp_pilots_per_team: u32,
    /// Most attackers on one killmail (crowded mails in big fleets).
    pub max_attackers: u32,
    /// Share of kills where the third party is the victim of both teams at
    /// once (both teams on the same killmail).
    pub shared_victim_rate: f64,
    /// Share of kills where a team's structure is on the killmail.
    pub structure_rate: f64,
    /// Share of kills that are awox: a pilot shot by their own alliance.
    pub awox_rate: f64,
    /// Share of ship kills followed by the pod, shot by the same team.
    pub pod_rate: f64,
    /// Share of kills that are a friend's pod shot on purpose.
    pub friendly_pod_rate: f64,
}

impl Default for TeamFightConfig {
    fn default() -> Self {
        Self {
            kills: 300,
            teams: 3,
            alliances_per_team: (2, 6),
            pilots_per_alliance: (3, 40),
            independents_per_team: 4,
            npc_corp_pilots_per_team: 6,
            max_attackers: 60,
            shared_victim_rate: 0.08,
            structure_rate: 0.05,
            awox_rate: 0.02,
            pod_rate: 0.4,
            friendly_pod_rate: 0.02,
        }
    }
}

/// A generated fight: its killmails (time order) and every pilot's team.
#[derive(Debug, Clone)]
pub struct TeamFight {
    pub kills: Vec<Killmail>,
    /// `(character id, team)`, one row per pilot that appears in a kill.
    pub teams: Vec<(EntityId, u32)>,
}

#[derive(Debug, Clone, Copy)]
struct Member {
    character: EntityId,
    corporation: EntityId,
    alliance: Option<EntityId>,
    hull: TypeId,
}

impl Member {
    fn attacker(self, damage: u64) -> Attacker {
        Attacker {
            alliance_id: self.alliance,
            character_id: Some(self.character),
            corporation_id: Some(self.corporation),
            faction_id: None,
            damage_done: damage,
            final_blow: false,
            security_status: Some(0.0),
            ship_type_id: Some(self.hull),
            weapon_type_id: Some(self.hull),
        }
    }

    fn victim(self, hull: TypeId) -> Victim {
        Victim {
            alliance_id: self.alliance,
            character_id: Some(self.character),
            corporation_id: Some(self.corporation),
            faction_id: None,
            damage_taken: 0,
            ship_type_id: hull,
            items: None,
            position: None,
        }
    }
}

struct Builder {
    rng: ChaCha8Rng,
    next_character: EntityId,
    next_corporation: EntityId,
    next_alliance: EntityId,
}

impl Builder {
    fn member(&mut self, corporation: EntityId, alliance: Option<EntityId>) -> Member {
        self.next_character += self.rng.gen_range(1..=9);
        Member {
            character: self.next_character,
            corporation,
            alliance,
            hull: HULLS[self.rng.gen_range(0..HULLS.len())],
        }
    }

    fn team(&mut self, cfg: &TeamFightConfig, third_party: bool) -> Vec<Member> {
        let (lo, hi) = cfg.alliances_per_team;
        let alliances = if third_party {
            lo.max(1)
        } else {
            self.rng.gen_range(lo.min(hi).max(1)..=hi.max(lo).max(1))
        };
        let mut out = Vec::new();
        for _ in 0..alliances {
            self.next_alliance += self.rng.gen_range(1..=50);
            let alliance = self.next_alliance;
            let (plo, phi) = cfg.pilots_per_alliance;
            let pilots = heavy(&mut self.rng, plo.max(1), phi.max(plo).max(1), 0.9);
            let corps = (pilots / 8).max(1);
            let first_corp = self.next_corporation + 1;
            self.next_corporation += u64::from(corps);
            for i in 0..pilots {
                let corp = first_corp + u64::from(i % corps);
                out.push(self.member(corp, Some(alliance)));
            }
        }
        for _ in 0..cfg.independents_per_team.div_ceil(2) {
            self.next_corporation += 1;
            let corp = self.next_corporation;
            for _ in 0..2 {
                out.push(self.member(corp, None));
            }
        }
        for i in 0..cfg.npc_corp_pilots_per_team {
            let corp = STARTER_CORPS[i as usize % STARTER_CORPS.len()];
            out.push(self.member(corp, None));
        }
        out
    }
}

/// Damage shares: exponential, some attackers (tackle) at zero.
fn attackers(rng: &mut ChaCha8Rng, shooters: &[Member], total: u64) -> Vec<Attacker> {
    let weights: Vec<f64> = shooters
        .iter()
        .map(|_| {
            if shooters.len() > 1 && rng.gen_bool(0.1) {
                0.0
            } else {
                exp(rng, 1.0) + 0.01
            }
        })
        .collect();
    let sum: f64 = weights.iter().sum::<f64>().max(1e-9);
    let mut out: Vec<Attacker> = shooters
        .iter()
        .zip(&weights)
        .map(|(m, w)| m.attacker((total as f64 * w / sum) as u64))
        .collect();
    let fb = rng.gen_range(0..out.len());
    out[fb].final_blow = true;
    out.sort_by_key(|a| std::cmp::Reverse(a.damage_done));
    out
}

fn pick_many(rng: &mut ChaCha8Rng, team: &[Member], max: u32) -> Vec<Member> {
    let cap = u32::try_from(team.len())
        .unwrap_or(u32::MAX)
        .min(max)
        .max(1);
    let k = heavy(rng, 1, cap, 0.6) as usize;
    team.choose_multiple(rng, k.min(team.len()))
        .copied()
        .collect()
}

/// Generate a fight; the same `(config, seed)` gives the same fight.
#[must_use]
pub fn team_fight(cfg: &TeamFightConfig, seed: u64) -> TeamFight {
    let mut b = Builder {
        rng: ChaCha8Rng::seed_from_u64(seed),
        next_character: 2_120_000_000,
        next_corporation: 98_500_000,
        next_alliance: 99_500_000,
    };
    let n_teams = cfg.teams.clamp(2, 3);
    let teams: Vec<Vec<Member>> = (0..n_teams).map(|t| b.team(cfg, t == 2)).collect();
    let start = DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default();
    let mut t = 0_i64;
    let mut kills: Vec<Killmail> = Vec::new();
    let mut seen: Vec<(EntityId, u32)> = Vec::new();
    let push = |kills: &mut Vec<Killmail>, t: i64, victim: Victim, attackers: Vec<Attacker>| {
        let damage = attackers.iter().map(|a| a.damage_done).sum();
        kills.push(Killmail {
            killmail_id: 0,
            killmail_time: start + TimeDelta::seconds(t),
            solar_system_id: SYSTEM,
            moon_id: None,
            war_id: None,
            victim: Victim {
                damage_taken: damage,
                ..victim
            },
            attackers,
            zkb: None,
        });
    };
    for _ in 0..cfg.kills {
        t += 1 + exp(&mut b.rng, 8.0) as i64;
        let rng = &mut b.rng;
        let r: f64 = rng.gen();
        let total = rng.gen_range(2_000..60_000);
        if n_teams == 3 && r < cfg.shared_victim_rate {
            // The third party dies to both teams on one killmail.
            let v = *teams[2].choose(rng).expect("teams have pilots");
            let mut shooters = pick_many(rng, &teams[0], cfg.max_attackers / 2);
            shooters.extend(pick_many(rng, &teams[1], cfg.max_attackers / 2));
            let hull = v.hull;
            push(
                &mut kills,
                t,
                v.victim(hull),
                attackers(rng, &shooters, total),
            );
            continue;
        }
        let r = r - cfg.shared_victim_rate;
        // Victim team, and a team that kills them.
        let vt = rng.gen_range(0..n_teams);
        let at = (vt + rng.gen_range(1..n_teams)) % n_teams;
        let v = *teams[vt].choose(rng).expect("teams have pilots");
        if r < cfg.awox_rate {
            let own: Vec<Member> = teams[vt]
                .iter()
                .filter(|m| m.alliance.is_some() && m.alliance == v.alliance)
                .filter(|m| m.character != v.character)
                .copied()
                .collect();
            if let Some(&killer) = own.choose(rng) {
                push(
                    &mut kills,
                    t,
                    v.victim(v.hull),
                    attackers(rng, &[killer], total),
                );
                continue;
            }
        }
        let r = r - cfg.awox_rate;
        if r < cfg.friendly_pod_rate {
            // A friend of another alliance pods them home.
            if let Some(&friend) = teams[vt]
                .iter()
                .filter(|m| m.alliance != v.alliance)
                .collect::<Vec<_>>()
                .choose(rng)
            {
                let friend = *friend;
                push(
                    &mut kills,
                    t,
                    v.victim(CAPSULE),
                    attackers(rng, &[friend], 500),
                );
                continue;
            }
        }
        let r = r - cfg.friendly_pod_rate;
        let shooters = pick_many(rng, &teams[at], cfg.max_attackers);
        let mut list = attackers(rng, &shooters, total);
        if r < cfg.structure_rate {
            // The attackers' citadel joins in with the biggest hit.
            let owner = shooters[0];
            list.insert(
                0,
                Attacker {
                    alliance_id: owner.alliance,
                    character_id: None,
                    corporation_id: Some(owner.corporation),
                    faction_id: None,
                    damage_done: total,
                    final_blow: false,
                    security_status: None,
                    ship_type_id: Some(STRUCTURE),
                    weapon_type_id: None,
                },
            );
        }
        push(&mut kills, t, v.victim(v.hull), list);
        if rng.gen_bool(cfg.pod_rate.clamp(0.0, 1.0)) {
            let podders: Vec<Member> = shooters.iter().take(3).copied().collect();
            let pod = attackers(rng, &podders, 500);
            push(
                &mut kills,
                t + rng.gen_range(0..=10),
                v.victim(CAPSULE),
                pod,
            );
        }
    }
    kills.sort_by_key(|k| k.killmail_time);
    for (i, k) in kills.iter_mut().enumerate() {
        k.killmail_id = 100_000_000 + i as u64;
    }
    let team_of: std::collections::HashMap<EntityId, u32> = teams
        .iter()
        .enumerate()
        .flat_map(|(t, m)| m.iter().map(move |m| (m.character, t as u32)))
        .collect();
    for k in &kills {
        for c in k.characters() {
            if let Some(&team) = team_of.get(&c) {
                seen.push((c, team));
            }
        }
    }
    seen.sort_unstable();
    seen.dedup();
    TeamFight { kills, teams: seen }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_fight_and_every_pilot_has_a_team() {
        let cfg = TeamFightConfig::default();
        let a = team_fight(&cfg, 5);
        let b = team_fight(&cfg, 5);
        assert_eq!(a.kills, b.kills);
        assert_eq!(a.teams, b.teams);
        let pilots: std::collections::BTreeSet<EntityId> =
            a.kills.iter().flat_map(Killmail::characters).collect();
        assert_eq!(pilots.len(), a.teams.len());
        // Starter-corporation pilots fight on more than one team.
        let npc_teams: std::collections::BTreeSet<u32> = a
            .kills
            .iter()
            .flat_map(|k| &k.attackers)
            .filter(|x| x.corporation_id.is_some_and(|c| c < 2_000_000))
            .filter_map(|x| a.teams.iter().find(|(c, _)| Some(*c) == x.character_id))
            .map(|&(_, t)| t)
            .collect();
        assert!(npc_teams.len() >= 2, "{npc_teams:?}");
        assert!(a
            .kills
            .iter()
            .any(|k| k.attackers.iter().any(|x| x.character_id.is_none())));
    }
}
