//! Hand-built killmails for tests: terse builders, real ship type ids.
#![allow(dead_code)]

use std::collections::BTreeMap;

use battlescope_core::cluster::BattleChange;
use battlescope_core::killmail::{Attacker, Killmail, Victim, ZkbMeta};
use battlescope_core::Battle;
use chrono::{DateTime, TimeDelta, Utc};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use uuid::Uuid;

pub const JITA: u32 = 30_000_142;
pub const TAMA: u32 = 30_002_813;
pub const RIFTER: u32 = 587;
pub const DRAKE: u32 = 24_698;
pub const CAPSULE: u32 = 670;

pub fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-06-01T18:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// A pilot: (character, corporation, alliance).
#[derive(Debug, Clone, Copy)]
pub struct Pilot {
    pub character: u64,
    pub corporation: u64,
    pub alliance: Option<u64>,
}

pub fn pilot(character: u64, corporation: u64, alliance: Option<u64>) -> Pilot {
    Pilot {
        character,
        corporation,
        alliance,
    }
}

/// A kill at `t0 + secs` in `system`: `victim` killed by `attackers` (the
/// first gets the final blow), worth `value` ISK.
pub fn kill(
    id: u64,
    system: u32,
    secs: i64,
    victim: Pilot,
    attackers: &[Pilot],
    value: Option<f64>,
) -> Killmail {
    Killmail {
        killmail_id: id,
        killmail_time: t0() + TimeDelta::seconds(secs),
        solar_system_id: system,
        moon_id: None,
        war_id: None,
        victim: Victim {
            alliance_id: victim.alliance,
            character_id: Some(victim.character),
            corporation_id: Some(victim.corporation),
            faction_id: None,
            damage_taken: 1000,
            ship_type_id: RIFTER,
            items: None,
            position: None,
        },
        attackers: attackers
            .iter()
            .enumerate()
            .map(|(i, a)| Attacker {
                alliance_id: a.alliance,
                character_id: Some(a.character),
                corporation_id: Some(a.corporation),
                faction_id: None,
                damage_done: 100,
                final_blow: i == 0,
                security_status: Some(0.0),
                ship_type_id: Some(DRAKE),
                weapon_type_id: None,
            })
            .collect(),
        zkb: value.map(|v| ZkbMeta {
            location_id: None,
            hash: Some(format!("{id:040x}")),
            fitted_value: None,
            dropped_value: None,
            destroyed_value: None,
            total_value: Some(v),
            points: Some(1),
            npc: Some(false),
            solo: Some(attackers.len() == 1),
            awox: Some(false),
            labels: Vec::new(),
            href: None,
        }),
    }
}

/// An NPC-only kill: the attacker has no character.
pub fn npc_kill(id: u64, system: u32, secs: i64, victim: Pilot) -> Killmail {
    let mut km = kill(id, system, secs, victim, &[pilot(0, 1_000_125, None)], None);
    km.attackers[0].character_id = None;
    km.attackers[0].faction_id = Some(500_010);
    km
}

/// Apply battle events to battle id → members, checking each makes sense.
pub fn apply(events: &[BattleChange], map: &mut BTreeMap<Uuid, Vec<u64>>) {
    for e in events {
        match e {
            BattleChange::Created(c) => {
                assert!(map.insert(c.battle_id, c.killmail_ids.clone()).is_none());
            }
            BattleChange::Updated(u) => {
                let known = u.previous_id.unwrap_or(u.battle_id);
                let mut members = map.remove(&known).expect("update of a known battle");
                assert!(!map.contains_key(&u.battle_id), "renamed onto a live id");
                members.extend(&u.added_killmail_ids);
                members.retain(|m| !u.removed_killmail_ids.contains(m));
                map.insert(u.battle_id, members);
            }
            BattleChange::Deleted(d) => {
                assert!(
                    map.remove(&d.battle_id).is_some(),
                    "delete of a known battle"
                );
                if let Some(into) = d.merged_into {
                    assert!(map.contains_key(&into));
                }
            }
            BattleChange::Sealed(s) => assert!(map.contains_key(&s.battle_id)),
            _ => unreachable!(),
        }
    }
    for m in map.values_mut() {
        m.sort_unstable();
    }
}

pub fn memberships(battles: &[Battle]) -> BTreeMap<Uuid, Vec<u64>> {
    battles
        .iter()
        .map(|b| {
            let mut ids = b.killmail_ids.clone();
            ids.sort_unstable();
            (b.id, ids)
        })
        .collect()
}

/// Proptest cases: `PROPTEST_CASES`, 256 by default.
pub fn case_count() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256)
}

/// Conflicting copies of some kills: without zKillboard data, with one more
/// attacker (a pilot of another kill of the same system, so the links
/// change), or dated a few minutes apart.
pub fn with_conflicting_copies(kms: &[Killmail], seed: u64) -> Vec<Killmail> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut out = kms.to_vec();
    for (i, km) in kms.iter().enumerate() {
        if i % 5 != 0 {
            continue;
        }
        let mut copy = km.clone();
        match (i / 5) % 3 {
            0 => copy.zkb = None,
            1 => {
                let other = &kms[(i * 7 + 3) % kms.len()];
                if let Some(a) = other.attackers.first() {
                    let mut extra = a.clone();
                    extra.final_blow = false;
                    copy.attackers.push(extra);
                }
            }
            _ => copy.killmail_time += TimeDelta::seconds(120),
        }
        out.push(copy);
    }
    out.shuffle(&mut rng);
    out
}
